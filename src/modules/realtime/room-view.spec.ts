import type { RoomEventDto } from '../rooms/rooms.events';
import { roomCreatedFor } from './room-view';

const base: RoomEventDto = {
  id: 'room-1',
  type: 'group',
  name: 'Team',
  description: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  lastSeq: 0,
  rev: 0,
  memberCount: 3,
};

describe('roomCreatedFor', () => {
  it('tells each person of a direct room who the other one is', () => {
    const direct: RoomEventDto = { ...base, type: 'direct', name: null, memberCount: 2 };
    expect(roomCreatedFor(direct, ['alice', 'bob'], 'alice')).toEqual({ ...direct, peerId: 'bob' });
    expect(roomCreatedFor(direct, ['alice', 'bob'], 'bob')).toEqual({ ...direct, peerId: 'alice' });
  });

  it('gives groups no peer', () => {
    expect(roomCreatedFor(base, ['alice', 'bob', 'carol'], 'alice')).toEqual({ ...base, peerId: null });
  });

  it('does not modify the shared event', () => {
    const direct: RoomEventDto = { ...base, type: 'direct' };
    roomCreatedFor(direct, ['alice', 'bob'], 'alice');
    expect(direct).not.toHaveProperty('peerId');
  });
});
