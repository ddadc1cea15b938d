import { AppException } from '../errors/app-exception';
import { decodeCursor, decodeOptionalCursor, encodeCursor, isTimeIdKey, toPage } from './pagination';

describe('pagination helpers', () => {
  const isString = (value: unknown): value is string => typeof value === 'string';

  it('round-trips a sort key through an opaque cursor', () => {
    const key = ['2026-01-02T03:04:05.678Z', '0b9f3c9e-6a53-4a8a-9d55-3c5f4a1b2c3d'];
    const cursor = encodeCursor(key);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, isTimeIdKey)).toEqual(key);
  });

  it.each([
    ['not base64 JSON', 'garbage!'],
    ['JSON of the wrong shape', encodeCursor({ a: 1 })],
    ['a bad timestamp', encodeCursor(['yesterday', '0b9f3c9e-6a53-4a8a-9d55-3c5f4a1b2c3d'])],
    ['a bad id', encodeCursor(['2026-01-02T03:04:05.678Z', 'nope'])],
    // Times Date.parse takes and PostgreSQL refuses (each was a 500).
    ...['99', 'Feb 30 2020', '2020-02-30T00:00:00Z', '2021-02-29T00:00:00.000Z', '0000-01-01T00:00:00Z']
      .concat(['+275760-09-13T00:00:00.000Z', '-000100-01-01T00:00:00Z', '2026-01-02T24:00:00Z'])
      .map((time): [string, string] => [
        `the time ${time}`,
        encodeCursor([time, '0b9f3c9e-6a53-4a8a-9d55-3c5f4a1b2c3d']),
      ]),
  ])('rejects %s with a validation error on `cursor`', (_name, cursor) => {
    try {
      decodeCursor(cursor, isTimeIdKey);
      throw new Error('expected a validation error');
    } catch (error) {
      expect(error).toBeInstanceOf(AppException);
      expect((error as AppException).status).toBe(400);
      expect((error as AppException).details).toEqual([{ field: 'cursor', message: 'cursor is malformed' }]);
    }
  });

  it('takes the times cursors carry: milliseconds or microseconds, leap days', () => {
    for (const time of ['2026-01-02T03:04:05.678Z', '2026-01-02T03:04:05.678901Z', '2024-02-29T23:59:59Z']) {
      expect(isTimeIdKey([time, '0b9f3c9e-6a53-4a8a-9d55-3c5f4a1b2c3d'])).toBe(true);
    }
  });

  it('treats a missing or empty cursor as the first page', () => {
    expect(decodeOptionalCursor(undefined, isString)).toBeUndefined();
    expect(decodeOptionalCursor('', isString)).toBeUndefined();
    expect(decodeOptionalCursor(encodeCursor('abc'), isString)).toBe('abc');
  });

  it('builds a page from limit + 1 rows: the extra row only signals another page', () => {
    const page = toPage(
      [1, 2, 3],
      2,
      (n) => n,
      (n) => n * 10,
    );
    expect(page.items).toEqual([10, 20]);
    expect(decodeCursor(page.nextCursor!, (v): v is number => typeof v === 'number')).toBe(2);
    expect(
      toPage(
        [1, 2],
        2,
        (n) => n,
        (n) => n,
      ),
    ).toEqual({ items: [1, 2], nextCursor: null });
    expect(
      toPage(
        [],
        2,
        (n) => n,
        (n) => n,
      ),
    ).toEqual({ items: [], nextCursor: null });
  });
});
