import { randomUUID } from 'node:crypto';
import { AppException } from '../../common/errors/app-exception';
import { RoomPositionEventDto, SYNC_MAX_ROOMS, SyncEventDto } from './realtime.dto';
import { validatePayload } from './socket-validation';

async function failure(promise: Promise<unknown>): Promise<AppException> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppException) return error;
    throw error;
  }
  throw new Error('expected a validation failure');
}

describe('validatePayload', () => {
  const roomId = randomUUID();

  it('returns a DTO instance for a valid payload', async () => {
    const dto = await validatePayload(RoomPositionEventDto, { roomId, seq: 3 });
    expect(dto).toBeInstanceOf(RoomPositionEventDto);
    expect(dto).toEqual({ roomId, seq: 3 });
  });

  it('refuses payloads that are not objects', async () => {
    for (const payload of [undefined, null, 'x', 42, [roomId]]) {
      const error = await failure(validatePayload(RoomPositionEventDto, payload));
      expect(error.code).toBe('VALIDATION_FAILED');
    }
  });

  it('lists each bad field', async () => {
    const error = await failure(validatePayload(RoomPositionEventDto, { roomId: 'nope', seq: '3' }));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(new Set(error.details?.map((detail) => detail.field))).toEqual(new Set(['roomId', 'seq']));
  });

  it('does not convert types implicitly', async () => {
    const error = await failure(validatePayload(RoomPositionEventDto, { roomId, seq: '3' }));
    expect(error.details).toContainEqual({ field: 'seq', message: 'seq must be an integer number' });
    expect(error.details?.every((detail) => detail.field === 'seq')).toBe(true);
  });

  it('refuses unknown fields (no mass assignment)', async () => {
    const error = await failure(validatePayload(RoomPositionEventDto, { roomId, seq: 1, userId: roomId }));
    expect(error.details).toEqual([{ field: 'userId', message: 'property userId should not exist' }]);
  });

  describe('sync rooms map', () => {
    it('accepts room ids mapped to revisions, and an empty map', async () => {
      await expect(validatePayload(SyncEventDto, { rooms: { [roomId]: 0 } })).resolves.toBeDefined();
      await expect(validatePayload(SyncEventDto, { rooms: {} })).resolves.toBeDefined();
    });

    it.each([
      ['a non-UUID key', { 'not-a-room': 1 }],
      ['a negative revision', { [roomId]: -1 }],
      ['a fractional revision', { [roomId]: 1.5 }],
      ['a string revision', { [roomId]: '1' }],
      ['an array', [roomId]],
      ['null', null],
    ])('refuses %s', async (_label, rooms) => {
      const error = await failure(validatePayload(SyncEventDto, { rooms }));
      expect(error.details).toEqual([expect.objectContaining({ field: 'rooms' })]);
    });

    it(`refuses more than ${SYNC_MAX_ROOMS} rooms in one call`, async () => {
      const rooms = Object.fromEntries(Array.from({ length: SYNC_MAX_ROOMS + 1 }, () => [randomUUID(), 0]));
      const error = await failure(validatePayload(SyncEventDto, { rooms }));
      expect(error.details).toEqual([expect.objectContaining({ field: 'rooms' })]);
    });
  });
});
