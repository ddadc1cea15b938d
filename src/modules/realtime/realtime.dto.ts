import { Transform } from 'class-transformer';
import { IsInt, isUUID, IsUUID, Max, Min, ValidateBy, type ValidationOptions } from 'class-validator';
import { SendMessageDto } from '../messages/messages.dto';
import { canonicalUuid, CanonicalUuid } from '../../common/http/uuid';

/** How many rooms one `sync` call may ask about; a client with more rooms calls it in batches. */
export const SYNC_MAX_ROOMS = 500;

/** `message:send`: the REST body (same rules, so they cannot drift) plus the room. */
export class SendMessageEventDto extends SendMessageDto {
  @CanonicalUuid()
  @IsUUID()
  roomId!: string;
}

/** `typing:start` / `typing:stop`. */
export class RoomEventDto {
  @CanonicalUuid()
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

/**
 * A revision map with its room ids lower-cased (see canonicalUuid), keeping the lower revision when two keys name
 * the same room, so `sync` answers at least what either asked for. Anything else is returned as it is, for
 * validation to refuse.
 */
export function canonicalRevisionMap(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const rooms = new Map<string, unknown>();
  for (const [key, rev] of Object.entries(value)) {
    const roomId = canonicalUuid(key) as string;
    const seen = rooms.get(roomId);
    rooms.set(roomId, seen === undefined ? rev : lowerRevision(seen, rev));
  }
  return Object.fromEntries(rooms);
}

/** The lower of two revisions; a value that is not a number wins, so that validation refuses it. */
function lowerRevision(a: unknown, b: unknown): unknown {
  if (typeof a !== 'number') return a;
  if (typeof b !== 'number') return b;
  return Math.min(a, b);
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
  @Transform(({ value }: { value: unknown }) => canonicalRevisionMap(value))
  @IsRevisionMap(SYNC_MAX_ROOMS)
  rooms!: Record<string, number>;
}
