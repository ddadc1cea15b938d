import { AppException } from '../../common/errors/app-exception';
import { encodeCursor } from '../../common/http/pagination';
import { decodeSearchCursor, encodeSearchCursor, nextSeqCursor, resolveSeqWindow } from './message-cursors';

function validationFields(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppException);
    const appError = error as AppException;
    expect(appError.code).toBe('VALIDATION_FAILED');
    return (appError.details ?? []).map((detail) => detail.field ?? '');
  }
  throw new Error('expected a validation error');
}

describe('resolveSeqWindow', () => {
  it('defaults to the newest page', () => {
    expect(resolveSeqWindow({})).toEqual({ direction: 'before', seq: null });
  });

  it('takes before or after', () => {
    expect(resolveSeqWindow({ before: 10 })).toEqual({ direction: 'before', seq: 10 });
    expect(resolveSeqWindow({ after: 0 })).toEqual({ direction: 'after', seq: 0 });
  });

  it('continues in the direction of the cursor', () => {
    const before = nextSeqCursor({ direction: 'before', seq: null }, [30, 29, 28], true)!;
    expect(resolveSeqWindow({ cursor: before })).toEqual({ direction: 'before', seq: 28 });
    const after = nextSeqCursor({ direction: 'after', seq: 5 }, [6, 7], true)!;
    expect(resolveSeqWindow({ cursor: after })).toEqual({ direction: 'after', seq: 7 });
  });

  it('refuses more than one of before, after and cursor', () => {
    expect(validationFields(() => resolveSeqWindow({ before: 5, after: 1 }))).toEqual(['before']);
    const cursor = encodeCursor(['after', 1]);
    expect(validationFields(() => resolveSeqWindow({ after: 1, cursor }))).toEqual(['before']);
  });

  it('refuses malformed or foreign cursors', () => {
    for (const cursor of [
      'garbage',
      encodeCursor(['sideways', 1]),
      encodeCursor(['after', -1]),
      encodeCursor({}),
    ]) {
      expect(validationFields(() => resolveSeqWindow({ cursor }))).toEqual(['cursor']);
    }
  });
});

describe('nextSeqCursor', () => {
  it('is null when the page was the last one or empty', () => {
    expect(nextSeqCursor({ direction: 'before', seq: null }, [3, 2, 1], false)).toBeNull();
    expect(nextSeqCursor({ direction: 'after', seq: 0 }, [], true)).toBeNull();
  });
});

describe('search cursors', () => {
  it('round-trip', () => {
    const key: [number, number, string] = [0.0607927, 12, '6f1c1b8e-3a4b-4c5d-8e9f-0a1b2c3d4e5f'];
    expect(decodeSearchCursor(encodeSearchCursor(key))).toEqual(key);
    expect(decodeSearchCursor(undefined)).toBeUndefined();
  });

  it('refuse anything else', () => {
    expect(validationFields(() => decodeSearchCursor(encodeCursor([1, 2, 'not-a-uuid'])))).toEqual([
      'cursor',
    ]);
    expect(validationFields(() => decodeSearchCursor(encodeCursor(['a', 2, 'x'])))).toEqual(['cursor']);
  });

  it('refuse ranks PostgreSQL cannot take as a real (each was a 500)', () => {
    const id = '6f1c1b8e-3a4b-4c5d-8e9f-0a1b2c3d4e5f';
    for (const rank of [1e308, -1e308, 5e-324, 1e-50, 3.5e38]) {
      expect(validationFields(() => decodeSearchCursor(encodeCursor([rank, 1, id])))).toEqual(['cursor']);
    }
    for (const rank of [0, 1e-40, 3.4e38, -0.5]) {
      expect(decodeSearchCursor(encodeCursor([rank, 1, id]))).toEqual([rank, 1, id]);
    }
  });
});
