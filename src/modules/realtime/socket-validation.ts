import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { arrayUnique, isUUID, length, notContains, validate } from 'class-validator';
import { AppException, type ErrorDetail } from '../../common/errors/app-exception';
import { isWellFormedText, notWellFormedMessage } from '../../common/http/input-guard';
import { canonicalUuid } from '../../common/http/uuid';
import { flattenValidationErrors, VALIDATOR_OPTIONS } from '../../common/http/validation';
import { MAX_ATTACHMENTS, MAX_CLIENT_MESSAGE_ID_LENGTH, MAX_CONTENT_LENGTH } from '../messages/messages.dto';
import {
  canonicalRevisionMap,
  isRevisionMap,
  revisionMapMessage,
  SYNC_MAX_ROOMS,
  type RoomEventDto,
  type RoomPositionEventDto,
  type SendMessageEventDto,
  type SyncEventDto,
} from './realtime.dto';

/**
 * Validates a Socket.IO payload like the global ValidationPipe validates REST bodies (global pipes do not run for
 * gateways): whitelist, unknown fields refused, no implicit conversion. Throws AppException VALIDATION_FAILED.
 * The gateway uses the hand-written checks below for its events; this is their reference (the specs compare
 * them) and the way to validate any new event.
 */
export async function validatePayload<T extends object>(
  dto: ClassConstructor<T>,
  payload: unknown,
): Promise<T> {
  const object = asObject(payload);
  const instance = plainToInstance(dto, object, { enableImplicitConversion: false });
  const errors = await validate(instance, VALIDATOR_OPTIONS);
  if (errors.length > 0) throw AppException.validation(flattenValidationErrors(errors));
  return instance;
}

// Hand-written equivalents of validatePayload for the event DTOs in realtime.dto.ts: the same rules, the same
// details in the same order (class-validator's: unknown fields first, then per field in declaration order, each
// field's rules from the last decorator to the first). class-transformer + class-validator cost ~6 % of the CPU
// of a `message:send`; these cost next to nothing. socket-validation.spec.ts checks them against the DTOs.

/** `message:send`: SendMessageEventDto (SendMessageDto plus roomId). `content` comes back trimmed. */
export function validateSendMessage(payload: unknown): SendMessageEventDto {
  const input = canonicalIds(asObject(payload), ['roomId', 'parentId', 'attachmentIds']);
  const details = unknownFields(input, SEND_MESSAGE_FIELDS);
  checkUuid(details, 'roomId', input.roomId);
  checkText(details, 'clientMessageId', input.clientMessageId, MAX_CLIENT_MESSAGE_ID_LENGTH);
  const content = typeof input.content === 'string' ? input.content.trim() : input.content;
  checkText(details, 'content', content, MAX_CONTENT_LENGTH);
  if (input.parentId !== undefined && input.parentId !== null) checkUuid(details, 'parentId', input.parentId);
  if (input.attachmentIds !== undefined && input.attachmentIds !== null) {
    checkAttachmentIds(details, input.attachmentIds);
  }
  fail(details);
  const dto = {
    roomId: input.roomId,
    clientMessageId: input.clientMessageId,
    content,
  } as SendMessageEventDto;
  if ('parentId' in input) dto.parentId = input.parentId as string | null;
  if ('attachmentIds' in input) dto.attachmentIds = input.attachmentIds as string[];
  return dto;
}

/** `typing:start` / `typing:stop`: RoomEventDto. */
export function validateRoomEvent(payload: unknown): RoomEventDto {
  const input = canonicalIds(asObject(payload), ['roomId']);
  const details = unknownFields(input, ROOM_EVENT_FIELDS);
  checkUuid(details, 'roomId', input.roomId);
  fail(details);
  return { roomId: input.roomId as string };
}

/** `room:delivered` / `room:read`: RoomPositionEventDto. */
export function validateRoomPosition(payload: unknown): RoomPositionEventDto {
  const input = canonicalIds(asObject(payload), ['roomId']);
  const details = unknownFields(input, ROOM_POSITION_FIELDS);
  // The DTO's own field first, then the inherited roomId.
  const seq = input.seq;
  const isNumber = typeof seq === 'number';
  if (!(isNumber && seq <= Number.MAX_SAFE_INTEGER)) {
    details.push({ field: 'seq', message: `seq must not be greater than ${Number.MAX_SAFE_INTEGER}` });
  }
  if (!(isNumber && seq >= 0)) details.push({ field: 'seq', message: 'seq must not be less than 0' });
  if (!(isNumber && Number.isInteger(seq))) {
    details.push({ field: 'seq', message: 'seq must be an integer number' });
  }
  checkUuid(details, 'roomId', input.roomId);
  fail(details);
  return { roomId: input.roomId as string, seq: seq as number };
}

/** `sync`: SyncEventDto. */
export function validateSync(payload: unknown): SyncEventDto {
  const input = asObject(payload);
  const details = unknownFields(input, SYNC_FIELDS);
  const rooms = canonicalRevisionMap(input.rooms);
  if (!isRevisionMap(rooms, SYNC_MAX_ROOMS)) {
    details.push({ field: 'rooms', message: revisionMapMessage('rooms', SYNC_MAX_ROOMS) });
  }
  fail(details);
  return { rooms: rooms as Record<string, number> };
}

const SEND_MESSAGE_FIELDS: ReadonlySet<string> = new Set([
  'roomId',
  'clientMessageId',
  'content',
  'parentId',
  'attachmentIds',
]);
const ROOM_EVENT_FIELDS: ReadonlySet<string> = new Set(['roomId']);
const ROOM_POSITION_FIELDS: ReadonlySet<string> = new Set(['roomId', 'seq']);
const SYNC_FIELDS: ReadonlySet<string> = new Set(['rooms']);

function asObject(payload: unknown): Record<string, unknown> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw AppException.validation([{ message: 'Payload must be a JSON object' }]);
  }
  return payload as Record<string, unknown>;
}

/** The DTOs' @CanonicalUuid: the given id fields (or arrays of ids) lower-cased, in a copy of the payload. */
function canonicalIds(input: Record<string, unknown>, fields: string[]): Record<string, unknown> {
  const copy = { ...input };
  for (const field of fields) {
    if (!(field in copy)) continue;
    const value = copy[field];
    copy[field] = Array.isArray(value) ? value.map(canonicalUuid) : canonicalUuid(value);
  }
  return copy;
}

function unknownFields(input: Record<string, unknown>, known: ReadonlySet<string>): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const key of Object.keys(input)) {
    if (!known.has(key)) details.push({ field: key, message: `property ${key} should not exist` });
  }
  return details;
}

function fail(details: ErrorDetail[]): void {
  if (details.length > 0) throw AppException.validation(details);
}

function checkUuid(details: ErrorDetail[], field: string, value: unknown): void {
  if (!isUUID(value)) details.push({ field, message: `${field} must be a UUID` });
}

/** @IsString() @Length(1, max) @NotContains('\u0000') @WellFormedText(), reported in class-validator's order. */
function checkText(details: ErrorDetail[], field: string, value: unknown, max: number): void {
  if (typeof value === 'string' && !isWellFormedText(value)) {
    details.push({ field, message: notWellFormedMessage(field) });
  }
  if (!notContains(value, '\u0000')) {
    details.push({ field, message: `${field} must not contain NUL characters` });
  }
  if (!length(value, 1, max)) details.push({ field, message: lengthMessage(field, value, max) });
  if (typeof value !== 'string') details.push({ field, message: `${field} must be a string` });
}

/** class-validator's @Length message, which depends on the value's `length` (also for non-strings). */
function lengthMessage(field: string, value: unknown, max: number): string {
  const size = (value as { length?: unknown } | null | undefined)?.length as number;
  if (!value || size < 1) return `${field} must be longer than or equal to 1 characters`;
  if (size > max) return `${field} must be shorter than or equal to ${max} characters`;
  return `${field} must be longer than or equal to 1 and shorter than or equal to ${max} characters`;
}

/** @IsArray() @ArrayMaxSize() @ArrayUnique() @IsUUID(undefined, { each: true }), in class-validator's order. */
function checkAttachmentIds(details: ErrorDetail[], value: unknown): void {
  const field = 'attachmentIds';
  const isArray = Array.isArray(value);
  const uuids = isArray ? value.every((item) => isUUID(item)) : isUUID(value);
  if (!uuids) details.push({ field, message: `each value in ${field} must be a UUID` });
  if (!arrayUnique(value as unknown[]))
    details.push({ field, message: `All ${field}'s elements must be unique` });
  if (!(isArray && value.length <= MAX_ATTACHMENTS)) {
    details.push({ field, message: `${field} must contain no more than ${MAX_ATTACHMENTS} elements` });
  }
  if (!isArray) details.push({ field, message: `${field} must be an array` });
}
