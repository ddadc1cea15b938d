import { HttpStatus, Injectable } from '@nestjs/common';
import { AppException } from '../../common/errors/app-exception';
import { RoomsService } from '../rooms/rooms.service';
import type { SyncResult } from './realtime.events';

/** Changes returned per room and call; `hasMore` tells the client to call again from the returned `rev`. */
export const SYNC_PAGE_SIZE = 100;
/** Rooms read in parallel per call: enough to hide latency, few enough to leave the pool to other requests. */
const SYNC_CONCURRENCY = 4;

/** Catch-up for a reconnecting client: every change per room after the revision it last saw. */
@Injectable()
export class SyncService {
  constructor(private readonly rooms: RoomsService) {}

  async changesSince(userId: string, sinceRevByRoom: Record<string, number>): Promise<SyncResult> {
    const result: SyncResult = { rooms: {}, unavailable: [] };
    const queue = Object.entries(sinceRevByRoom);
    const worker = async (): Promise<void> => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [roomId, sinceRev] = next;
        try {
          result.rooms[roomId] = await this.rooms.changesSince(userId, roomId, sinceRev, SYNC_PAGE_SIZE);
        } catch (error) {
          // Not a member (any more) or deleted: reported as unavailable, indistinguishable from "never existed".
          if (error instanceof AppException && error.status === HttpStatus.NOT_FOUND) {
            result.unavailable.push(roomId);
          } else {
            throw error;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(SYNC_CONCURRENCY, queue.length) }, worker));
    result.unavailable.sort();
    return result;
  }
}
