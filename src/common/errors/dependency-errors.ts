/** Socket errors that mean the server at the other end cannot be reached (or went away mid-conversation). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * PostgreSQL SQLSTATEs that say the server will not do the work now, whatever the statement: shutting down or
 * starting up, out of connections, or the statement ran past DATABASE_STATEMENT_TIMEOUT_MS. (Class 08,
 * connection exceptions, is matched by its prefix.)
 */
const POSTGRES_UNAVAILABLE = new Set(['57P01', '57P02', '57P03', '53300', '57014']);

/** Messages of node-postgres, pg-pool and ioredis errors that carry no code but mean the connection is gone. */
const CONNECTION_LOST = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /^Client has encountered a connection error and is not queryable/,
  /^Connection is closed\./,
  /^Stream isn't writeable and enableOfflineQueue options is false/,
];

/** How far down `cause`, `driverError` (TypeORM) and `errors` (AggregateError) to look. */
const MAX_DEPTH = 4;

/**
 * Whether `error` says that PostgreSQL or Redis is unreachable or refusing work right now, rather than that the
 * request or the code is wrong. API.md answers those 503 SERVICE_UNAVAILABLE, so clients retry; they were 500.
 */
export function isDependencyUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > MAX_DEPTH) return false;
  const { code, name, message, cause, driverError, errors } = error as {
    code?: unknown;
    name?: unknown;
    message?: unknown;
    cause?: unknown;
    driverError?: unknown;
    errors?: unknown;
  };
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || POSTGRES_UNAVAILABLE.has(code)) return true;
    if (/^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  // ioredis gave up on a command while reconnecting (maxRetriesPerRequest).
  if (name === 'MaxRetriesPerRequestError') return true;
  if (typeof message === 'string' && CONNECTION_LOST.some((pattern) => pattern.test(message))) return true;
  const inner = [cause, driverError, ...(Array.isArray(errors) ? errors : [])];
  return inner.some((item) => item !== error && isDependencyUnavailable(item, depth + 1));
}
