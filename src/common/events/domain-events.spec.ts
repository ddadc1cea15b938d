import { Logger } from '@nestjs/common';
import { DomainEvents } from './domain-events';
import '../../modules/rooms/rooms.events';

describe('DomainEvents.publishAndWait', () => {
  beforeEach(() => jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('resolves once every subscriber has finished what it returned', async () => {
    const events = new DomainEvents();
    const done: string[] = [];
    let finishSlow!: () => void;
    events.subscribe('member.removed', () => void done.push('sync'));
    events.subscribe('member.removed', () =>
      new Promise<void>((resolve) => (finishSlow = resolve)).then(() => void done.push('slow')),
    );
    const published = events.publishAndWait('member.removed', { roomId: 'r', userId: 'u', memberIds: [] });
    await Promise.resolve();
    expect(done).toEqual(['sync']);
    finishSlow();
    await published;
    expect(done).toEqual(['sync', 'slow']);
  });

  it('reports a failing subscriber without failing the publisher or the other subscribers', async () => {
    const events = new DomainEvents();
    const done: string[] = [];
    events.subscribe('member.removed', () => {
      throw new Error('sync failure');
    });
    events.subscribe('member.removed', () => Promise.reject(new Error('async failure')));
    events.subscribe('member.removed', () => void done.push('ran'));
    await expect(
      events.publishAndWait('member.removed', { roomId: 'r', userId: 'u', memberIds: [] }),
    ).resolves.toBeUndefined();
    expect(done).toEqual(['ran']);
    expect(Logger.prototype.error).toHaveBeenCalledTimes(2);
  });
});
