import { isUUID } from 'class-validator';
import { AppException } from '../../common/errors/app-exception';
import { decodeCursor, encodeCursor } from '../../common/http/pagination';
import type { SearchKey } from './messages.repository';

/** Which way a page of a room's messages runs: newest first below a seq, or oldest first above one. */
export type SeqWindow = { direction: 'before'; seq: number | null } | { direction: 'after'; seq: number };

type SeqCursor = ['before' | 'after', number];

const MAX_SEQ = 2_147_483_647;

function isSeq(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_SEQ;
}

function isSeqCursor(value: unknown): value is SeqCursor {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    (value[0] === 'before' || value[0] === 'after') &&
    isSeq(value[1])
  );
}

/**
 * The window a message page request asks for. `before` and `after` are the public parameters; `cursor` (from
 * `nextCursor`) continues in the direction of the page it came from. Only one of the three may be given.
 */
export function resolveSeqWindow(query: { before?: number; after?: number; cursor?: string }): SeqWindow {
  const given = [query.before, query.after, query.cursor || undefined].filter((value) => value !== undefined);
  if (given.length > 1) {
    throw AppException.validation([{ field: 'before', message: 'use only one of before, after and cursor' }]);
  }
  if (query.cursor) {
    const [direction, seq] = decodeCursor(query.cursor, isSeqCursor);
    return direction === 'after' ? { direction: 'after', seq } : { direction: 'before', seq };
  }
  if (query.after !== undefined) return { direction: 'after', seq: query.after };
  return { direction: 'before', seq: query.before ?? null };
}

/**
 * The cursor of the page after one that showed `shownSeqs` (in page order), or null when the fetch found no
 * further row. Seqs never change and are never reused, so pages neither skip nor repeat while messages arrive.
 */
export function nextSeqCursor(window: SeqWindow, shownSeqs: number[], hasMore: boolean): string | null {
  if (!hasMore || shownSeqs.length === 0) return null;
  return encodeCursor([window.direction, shownSeqs[shownSeqs.length - 1]] satisfies SeqCursor);
}

/**
 * A number PostgreSQL's `real` takes (the rank is bound as `$n::real`): finite, and not so small that it would
 * round to zero, which PostgreSQL refuses as out of range, as it does numbers past `real`'s largest.
 */
function isReal(value: unknown): value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  const single = Math.fround(value);
  return value === 0 || (single !== 0 && Number.isFinite(single));
}

function isSearchKey(value: unknown): value is SearchKey {
  return (
    Array.isArray(value) &&
    value.length === 3 &&
    isReal(value[0]) &&
    isSeq(value[1]) &&
    typeof value[2] === 'string' &&
    isUUID(value[2])
  );
}

export function decodeSearchCursor(cursor: string | undefined): SearchKey | undefined {
  return cursor ? decodeCursor(cursor, isSearchKey) : undefined;
}

export function encodeSearchCursor(key: SearchKey): string {
  return encodeCursor(key);
}
