import { getMetadataStorage } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { AppException } from '../../common/errors/app-exception';
import {
  RoomEventDto,
  RoomPositionEventDto,
  SendMessageEventDto,
  SYNC_MAX_ROOMS,
  SyncEventDto,
} from './realtime.dto';
import {
  validatePayload,
  validateRoomEvent,
  validateRoomPosition,
  validateSendMessage,
  validateSync,
} from './socket-validation';

async function failure(promise: Promise<unknown>): Promise<AppException> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppException) return error;
    throw error;
  }
  throw new Error('expected a validation failure');
}

type Outcome = { ok: true; value: unknown } | { ok: false; code: string; details: unknown };

/** What a validator answers, as a client would see it: the value (without undefined fields) or the error. */
async function outcome(run: () => unknown): Promise<Outcome> {
  try {
    const value = await run();
    return { ok: true, value: JSON.parse(JSON.stringify(value)) as unknown };
  } catch (error) {
    if (!(error instanceof AppException)) throw error;
    return { ok: false, code: error.code, details: error.details };
  }
}

/** Every combination of the given values per field (a field mapped to `undefined` is left out). */
function combinations(fields: Record<string, unknown[]>): Array<Record<string, unknown>> {
  let result: Array<Record<string, unknown>> = [{}];
  for (const [field, values] of Object.entries(fields)) {
    result = result.flatMap((partial) =>
      values.map((value) => (value === undefined ? partial : { ...partial, [field]: value })),
    );
  }
  return result;
}

const uuid = randomUUID();
const other = randomUUID();
const NOT_OBJECTS: unknown[] = [undefined, null, 'x', 42, true, [uuid], []];

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

describe('ids in any letter case', () => {
  // UUIDs are case-insensitive; Socket.IO room names and the services compare them as text, so they must arrive
  // in one spelling: an upper-case room id once made a send, a read position or typing reach no one.
  const upper = uuid.toUpperCase();

  it('come out lower-cased', () => {
    const sent = validateSendMessage({
      roomId: upper,
      clientMessageId: 'c',
      content: 'hi',
      parentId: other.toUpperCase(),
      attachmentIds: [upper],
    });
    expect(sent).toMatchObject({ roomId: uuid, parentId: other, attachmentIds: [uuid] });
    expect(validateRoomEvent({ roomId: upper })).toEqual({ roomId: uuid });
    expect(validateRoomPosition({ roomId: upper, seq: 1 })).toEqual({ roomId: uuid, seq: 1 });
  });

  it('name the same attachment twice when only the case differs', async () => {
    const error = await failure(
      Promise.resolve().then(() =>
        validateSendMessage({
          roomId: uuid,
          clientMessageId: 'c',
          content: 'hi',
          attachmentIds: [uuid, upper],
        }),
      ),
    );
    expect(error.details).toEqual([
      { field: 'attachmentIds', message: "All attachmentIds's elements must be unique" },
    ]);
  });

  it('merge into the lower revision when two sync keys name the same room', () => {
    expect(validateSync({ rooms: { [upper]: 7, [uuid]: 3 } })).toEqual({ rooms: { [uuid]: 3 } });
    expect(validateSync({ rooms: { [uuid]: 2, [upper]: 5 } })).toEqual({ rooms: { [uuid]: 2 } });
  });
});

// The hand-written validators must answer exactly what validatePayload answers with the event's DTO: the same
// value (trimmed content included) or the same error details in the same order.
describe('hand-written event validators agree with the DTOs', () => {
  async function expectSame(
    dto: new () => object,
    check: (payload: unknown) => unknown,
    payloads: unknown[],
  ) {
    for (const payload of payloads) {
      const expected = await outcome(() => validatePayload(dto, payload));
      const actual = await outcome(() => check(payload));
      expect({ payload, outcome: actual }).toEqual({ payload, outcome: expected });
    }
  }

  it('know every field of the DTOs (a field added to a DTO must be added to its validator)', async () => {
    const cases: Array<[new () => object, (payload: unknown) => unknown, Record<string, unknown>]> = [
      [SendMessageEventDto, validateSendMessage, { roomId: uuid, clientMessageId: 'c', content: 'hi' }],
      [RoomPositionEventDto, validateRoomPosition, { roomId: uuid, seq: 1 }],
      [RoomEventDto, validateRoomEvent, { roomId: uuid }],
      [SyncEventDto, validateSync, { rooms: {} }],
    ];
    for (const [dto, check, valid] of cases) {
      const fields = new Set(
        getMetadataStorage()
          .getTargetValidationMetadatas(dto, '', true, false)
          .map((metadata) => metadata.propertyName),
      );
      expect(fields.size).toBeGreaterThan(0);
      // Each field with a value no rule accepts: both must report that field's rules, not "should not exist".
      await expectSame(
        dto,
        check,
        [...fields].map((field) => ({ ...valid, [field]: { unexpected: true } })),
      );
    }
  });

  it('message:send', async () => {
    const text = (length: number): string => 'x'.repeat(length);
    const payloads = combinations({
      roomId: [uuid, uuid.toUpperCase(), undefined, 'nope', 7, null],
      clientMessageId: [
        'c-1',
        undefined,
        '',
        text(64),
        text(65),
        'a\u0000b',
        'k\uD800',
        '\uDC00\u0000',
        42,
        null,
        ['a'],
        { length: 100 },
      ],
      content: [
        '  hello  ',
        undefined,
        '   ',
        text(4000),
        ` ${text(4000)} `,
        text(4001),
        '😀'.repeat(2001),
        'nul\u0000',
        ' lone \uD83D ',
        '😀 paired',
        0,
        false,
        [],
        { length: 5000 },
      ],
    });
    await expectSame(SendMessageEventDto, validateSendMessage, payloads);

    const optional = combinations({
      parentId: [undefined, null, uuid, uuid.toUpperCase(), 'nope', 3],
      attachmentIds: [
        undefined,
        null,
        [],
        [uuid],
        [uuid, other],
        [uuid, uuid],
        [uuid, uuid.toUpperCase()],
        [other.toUpperCase()],
        ['nope'],
        ['nope', 'nope'],
        Array.from({ length: 11 }, () => randomUUID()),
        Array.from({ length: 11 }, () => uuid),
        uuid,
        'nope',
        5,
        { 0: uuid },
      ],
      extra: [undefined, 1],
      senderId: [undefined, uuid],
    }).map((fields) => ({ roomId: uuid, clientMessageId: 'c', content: 'hi', ...fields }));
    await expectSame(SendMessageEventDto, validateSendMessage, [...optional, ...NOT_OBJECTS]);
  });

  it('room:delivered / room:read', async () => {
    const payloads = combinations({
      roomId: [uuid, uuid.toUpperCase(), undefined, 'nope', 1],
      seq: [
        0,
        5,
        Number.MAX_SAFE_INTEGER,
        Number.MAX_SAFE_INTEGER + 2,
        -1,
        1.5,
        -0.5,
        '3',
        null,
        undefined,
        [],
        true,
      ],
      userId: [undefined, uuid],
    });
    await expectSame(RoomPositionEventDto, validateRoomPosition, [...payloads, ...NOT_OBJECTS]);
  });

  it('typing:start / typing:stop', async () => {
    const payloads = combinations({
      roomId: [uuid, uuid.toUpperCase(), undefined, '', 'nope', 1, null, [uuid]],
      seq: [undefined, 1],
    });
    await expectSame(RoomEventDto, validateRoomEvent, [...payloads, ...NOT_OBJECTS]);
  });

  it('sync', async () => {
    const many = Object.fromEntries(Array.from({ length: SYNC_MAX_ROOMS + 1 }, () => [randomUUID(), 0]));
    const payloads = combinations({
      rooms: [
        {},
        { [uuid]: 0 },
        { [uuid]: 3, [other]: 9 },
        { [uuid.toUpperCase()]: 4, [uuid]: 2, [other.toUpperCase()]: 9 },
        { [uuid]: 2, [uuid.toUpperCase()]: '1' },
        { nope: 1 },
        { [uuid]: -1 },
        { [uuid]: 1.5 },
        { [uuid]: '1' },
        [uuid],
        null,
        undefined,
        'x',
        many,
      ],
      since: [undefined, 1],
    });
    await expectSame(SyncEventDto, validateSync, [...payloads, ...NOT_OBJECTS]);
  });
});
