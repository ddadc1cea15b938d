import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, isUUID, Max, MaxLength, Min } from 'class-validator';
import { AppException } from '../errors/app-exception';
import { findUnsafeInput } from './input-guard';

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 100;

/**
 * `?limit=&cursor=` of every list route. Extend it for routes with more query parameters
 * (`class SearchUsersQueryDto extends PageQueryDto { q?: string }`).
 */
export class PageQueryDto {
  // Explicit Swagger decorators: the CLI plugin only reads `*.dto.ts` files, and this one is shared plumbing.
  @ApiPropertyOptional({
    description: 'Page size',
    minimum: 1,
    maximum: MAX_PAGE_LIMIT,
    default: DEFAULT_PAGE_LIMIT,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_LIMIT)
  limit: number = DEFAULT_PAGE_LIMIT;

  @ApiPropertyOptional({ description: "Opaque cursor from the previous page's `nextCursor`" })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string;
}

/**
 * The shape of every list response. Swagger cannot describe a generic class, so each list declares a concrete
 * page class in its `*.dto.ts` with the same two fields (`class UserPageDto { items!: UserDto[]; nextCursor!: string | null }`)
 * and the handler returns `Page<UserDto>`, which that class satisfies.
 */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Encodes a sort key (any JSON value) as an opaque cursor. */
export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * Decodes a cursor made by `encodeCursor` and checks its shape with `isKey`; anything else (tampered,
 * truncated, from another list) is a 400 VALIDATION_FAILED on `cursor`, never a 500.
 */
export function decodeCursor<K>(cursor: string, isKey: (value: unknown) => value is K): K {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (value === undefined || findUnsafeInput(value, 'cursor') || !isKey(value)) {
    throw AppException.validation([{ field: 'cursor', message: 'cursor is malformed' }]);
  }
  return value;
}

/** Decodes `cursor` when present; undefined for the first page. */
export function decodeOptionalCursor<K>(
  cursor: string | undefined,
  isKey: (value: unknown) => value is K,
): K | undefined {
  return cursor === undefined || cursor === '' ? undefined : decodeCursor(cursor, isKey);
}

/**
 * Builds a page from rows fetched with `LIMIT limit + 1`: the extra row only says whether another page exists.
 * `keyOf` returns the sort key of the last row shown, which becomes the next cursor.
 */
export function toPage<Row, Item>(
  rows: Row[],
  limit: number,
  keyOf: (row: Row) => unknown,
  map: (row: Row) => Item,
): Page<Item> {
  const hasMore = rows.length > limit;
  const shown = hasMore ? rows.slice(0, limit) : rows;
  return {
    items: shown.map(map),
    nextCursor: hasMore && shown.length > 0 ? encodeCursor(keyOf(shown[shown.length - 1])) : null,
  };
}

/** Type guard for the common `[isoTimestamp, uuid]` sort key. */
export function isTimeIdKey(value: unknown): value is [string, string] {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    isCursorTime(value[0]) &&
    typeof value[1] === 'string' &&
    isUUID(value[1])
  );
}

const CURSOR_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?Z$/;

/**
 * A time as cursors carry it (`toISOString()`, or PostgreSQL's microseconds in the same form) and as PostgreSQL
 * takes it: a real calendar date in years 1–9999. `Date.parse` alone let through what PostgreSQL refuses
 * ("99", "Feb 30 2020", year 0, years past 9999), and the statement failed with a 500.
 */
export function isCursorTime(value: unknown): value is string {
  const match = typeof value === 'string' ? CURSOR_TIME.exec(value) : null;
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return (
    year >= 1 && days !== undefined && day >= 1 && day <= days && hour < 24 && minute < 60 && second < 60
  );
}
