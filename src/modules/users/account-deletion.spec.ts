import { Logger } from '@nestjs/common';
import { UsersService } from './users.service';

/** UsersService with only what finishDeletion uses: the registered steps and the logger. */
function service(): UsersService {
  const unused = {} as never;
  return new UsersService(unused, unused, unused, unused, unused, unused, unused, unused);
}

describe('UsersService.finishDeletion', () => {
  beforeEach(() => jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('runs every step in the order registered', async () => {
    const users = service();
    const ran: string[] = [];
    users.registerDeletionStep('rooms', async (userId) => void ran.push(`rooms ${userId}`));
    users.registerDeletionStep('messages', async (userId) => void ran.push(`messages ${userId}`));
    await users.finishDeletion('u1');
    expect(ran).toEqual(['rooms u1', 'messages u1']);
  });

  it('runs the other steps when one fails, then throws naming it, so the queued job retries', async () => {
    const users = service();
    const ran: string[] = [];
    users.registerDeletionStep('rooms', () => Promise.reject(new Error('database down')));
    users.registerDeletionStep('messages', async () => void ran.push('messages'));
    await expect(users.finishDeletion('u1')).rejects.toThrow('Account deletion steps failed: rooms');
    expect(ran).toEqual(['messages']);
  });
});
