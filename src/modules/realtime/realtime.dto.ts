import { IsInt, isUUID, IsUUID, Max, Min, ValidateBy, type ValidationOptions } from 'class-validator';
import { SendMessageDto } from '../messages/messages.dto';

/** How many rooms one `sync` call may ask about; a client with more rooms calls it in batches. */
export const SYNC_MAX_ROOMS = 500;

/** `message:send`: the REST body (same rules, so they cannot drift) plus the room. */
export class SendMessageEventDto extends SendMessageDto {
  @IsUUID()
  roomId!: string;
}

/** `typing:start` / `typing:stop`. */
export class RoomEventDto {
  @IsUUID()
  roomId!: string;
}

/** `room:delivered` / `room:read`: the client has received (read) everything up to `seq`. */
export class RoomPositionEventDto extends RoomEventDto {
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  seq!: number;
}

/** An object mapping at most `maxRooms` room ids (UUIDs) to revisions (integers >= 0). */
export function isRevisionMap(value: unknown, maxRooms: number): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const entries = Object.entries(value);
  if (entries.length > maxRooms) return false;
  return entries.every(
    ([roomId, rev]) => isUUID(roomId) && typeof rev === 'number' && Number.isSafeInteger(rev) && rev >= 0,
  );
}

export function revisionMapMessage(property: string, maxRooms: number): string {
  return `${property} must be an object mapping at most ${maxRooms} room ids (UUIDs) to revisions (integers >= 0)`;
}

/** An object mapping room ids (UUIDs) to revisions (integers >= 0), with at most `maxRooms` entries. */
function IsRevisionMap(maxRooms: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isRevisionMap',
      validator: {
        validate: (value: unknown) => isRevisionMap(value, maxRooms),
        defaultMessage: () => revisionMapMessage('$property', maxRooms),
      },
    },
    options,
  );
}

/** `sync`: the highest `rev` the client has seen per room (0 for "everything"). */
export class SyncEventDto {
  @IsRevisionMap(SYNC_MAX_ROOMS)
  rooms!: Record<string, number>;
}
