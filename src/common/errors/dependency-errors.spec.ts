import { isDependencyUnavailable } from './dependency-errors';

const withCode = (code: string, message = 'failed'): Error => Object.assign(new Error(message), { code });

describe('isDependencyUnavailable', () => {
  it('recognises a server that cannot be reached or went away', () => {
    expect(isDependencyUnavailable(withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'))).toBe(
      true,
    );
    expect(isDependencyUnavailable(withCode('ECONNRESET'))).toBe(true);
    expect(isDependencyUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDependencyUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isDependencyUnavailable(new Error('Connection is closed.'))).toBe(true);
  });

  it('recognises ioredis giving up on a command while it reconnects', () => {
    const error = new Error('Reached the max retries per request limit (which is 2).');
    error.name = 'MaxRetriesPerRequestError';
    expect(isDependencyUnavailable(error)).toBe(true);
  });

  it('recognises PostgreSQL refusing work: shutdown, start-up, no connections left, statement timeout', () => {
    for (const code of ['57P01', '57P03', '53300', '57014', '08006', '08001']) {
      expect(isDependencyUnavailable(withCode(code))).toBe(true);
    }
  });

  it('looks inside TypeORM, cause chains and AggregateError', () => {
    const typeorm = Object.assign(new Error('query failed'), { driverError: withCode('57P01') });
    expect(isDependencyUnavailable(typeorm)).toBe(true);
    expect(isDependencyUnavailable(new Error('wrapped', { cause: withCode('ETIMEDOUT') }))).toBe(true);
    expect(isDependencyUnavailable(new AggregateError([withCode('ECONNREFUSED')], 'all failed'))).toBe(true);
  });

  it('leaves everything else a bug: constraint violations, syntax errors, type errors', () => {
    expect(isDependencyUnavailable(withCode('23505', 'duplicate key value'))).toBe(false);
    expect(isDependencyUnavailable(withCode('42601', 'syntax error'))).toBe(false);
    expect(isDependencyUnavailable(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(
      false,
    );
    expect(isDependencyUnavailable('ECONNREFUSED')).toBe(false);
    expect(isDependencyUnavailable(null)).toBe(false);
  });

  it('stops on a cause that refers back to itself', () => {
    const error = new Error('loop') as Error & { cause?: unknown };
    const other = new Error('other', { cause: error });
    error.cause = other;
    expect(isDependencyUnavailable(error)).toBe(false);
  });
});
