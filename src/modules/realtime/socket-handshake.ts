/**
 * Pure helpers for the Socket.IO handshake: who may open a connection (Origin), which token they present,
 * and until when that token is good.
 */

/**
 * A browser always sends `Origin` on a cross-site WebSocket or XHR; it must be on the allow-list (`*` allows any).
 * Requests without `Origin` come from non-browser clients (mobile apps, servers, tests), which CORS does not
 * concern, so they are let through: the token is what authenticates them.
 */
export function isOriginAllowed(origin: string | undefined, allowList: readonly string[]): boolean {
  if (origin === undefined || origin === '') return true;
  if (allowList.includes('*')) return true;
  const normalized = origin.replace(/\/+$/, '').toLowerCase();
  return allowList.some((allowed) => allowed.replace(/\/+$/, '').toLowerCase() === normalized);
}

/** The access token from `io(url, { auth: { token } })`; a `Bearer ` prefix is tolerated. */
export function handshakeToken(auth: unknown): string | undefined {
  if (typeof auth !== 'object' || auth === null) return undefined;
  const raw = (auth as { token?: unknown }).token;
  if (typeof raw !== 'string') return undefined;
  const token = raw.replace(/^Bearer\s+/i, '').trim();
  return token.length > 0 ? token : undefined;
}

/**
 * The `exp` claim of a JWT (milliseconds since the epoch), read without verifying: call it only on a token that
 * was just verified. Returns undefined when the token has no usable `exp`.
 */
export function tokenExpiresAt(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? claims.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
