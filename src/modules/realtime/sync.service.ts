import { Injectable } from '@nestjs/common';
import { RoomsService } from '../rooms/rooms.service';
import type { SyncResult } from './realtime.events';

/** Changes returned per room and call; `hasMore` tells the client to call again from the returned `rev`. */
export const SYNC_PAGE_SIZE = 100;
/**
 * Rooms read per statement. A whole `sync` (up to SYNC_MAX_ROOMS rooms) in one statement could return 50k rows;
 * in statements of 50 rooms a reconnecting client's usual sync (a few rooms) is one round trip.
 */
const SYNC_ROOMS_PER_STATEMENT = 50;

/** Catch-up for a reconnecting client: every change per room after the revision it last saw. */
@Injectable()
export class SyncService {
  constructor(private readonly rooms: RoomsService) {}

  async changesSince(userId: string, sinceRevByRoom: Record<string, number>): Promise<SyncResult> {
    const result: SyncResult = { rooms: {}, unavailable: [] };
    const requests = Object.entries(sinceRevByRoom).map(([roomId, sinceRev]) => ({ roomId, sinceRev }));
    for (let start = 0; start < requests.length; start += SYNC_ROOMS_PER_STATEMENT) {
      const chunk = requests.slice(start, start + SYNC_ROOMS_PER_STATEMENT);
      const found = await this.rooms.changesSinceMany(userId, chunk, SYNC_PAGE_SIZE);
      chunk.forEach(({ roomId }, index) => {
        const changes = found[index];
        // Not a member (any more) or deleted: reported as unavailable, indistinguishable from "never existed".
        if (changes) result.rooms[roomId] = changes;
        else result.unavailable.push(roomId);
      });
    }
    result.unavailable.sort();
    return result;
  }
}
