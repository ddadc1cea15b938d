import { handshakeToken, isOriginAllowed, tokenExpiresAt } from './socket-handshake';

function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.signature`;
}

describe('isOriginAllowed', () => {
  const allowList = ['https://chat.example.com', 'http://localhost:3000/'];

  it('lets clients without an Origin through (non-browser clients)', () => {
    expect(isOriginAllowed(undefined, allowList)).toBe(true);
    expect(isOriginAllowed('', allowList)).toBe(true);
  });

  it('accepts listed origins, ignoring case and a trailing slash', () => {
    expect(isOriginAllowed('https://chat.example.com', allowList)).toBe(true);
    expect(isOriginAllowed('HTTPS://Chat.Example.com/', allowList)).toBe(true);
    expect(isOriginAllowed('http://localhost:3000', allowList)).toBe(true);
  });

  it('refuses any other origin, including look-alikes', () => {
    expect(isOriginAllowed('https://evil.example', allowList)).toBe(false);
    expect(isOriginAllowed('https://chat.example.com.evil.example', allowList)).toBe(false);
    expect(isOriginAllowed('http://chat.example.com', allowList)).toBe(false);
    expect(isOriginAllowed('null', allowList)).toBe(false);
  });

  it('accepts anything when the allow-list has *', () => {
    expect(isOriginAllowed('https://anywhere.example', ['*'])).toBe(true);
  });
});

describe('handshakeToken', () => {
  it('reads auth.token', () => {
    expect(handshakeToken({ token: 'abc' })).toBe('abc');
  });

  it('tolerates a Bearer prefix', () => {
    expect(handshakeToken({ token: 'Bearer abc' })).toBe('abc');
  });

  it('returns undefined for a missing, empty or non-string token', () => {
    expect(handshakeToken(undefined)).toBeUndefined();
    expect(handshakeToken(null)).toBeUndefined();
    expect(handshakeToken({})).toBeUndefined();
    expect(handshakeToken({ token: '' })).toBeUndefined();
    expect(handshakeToken({ token: '  ' })).toBeUndefined();
    expect(handshakeToken({ token: 42 })).toBeUndefined();
    expect(handshakeToken('abc')).toBeUndefined();
  });
});

describe('tokenExpiresAt', () => {
  it('returns exp in milliseconds', () => {
    expect(tokenExpiresAt(jwt({ sub: 'u', exp: 1_700_000_000 }))).toBe(1_700_000_000_000);
  });

  it('returns undefined without a numeric exp or for garbage', () => {
    expect(tokenExpiresAt(jwt({ sub: 'u' }))).toBeUndefined();
    expect(tokenExpiresAt(jwt({ exp: 'soon' }))).toBeUndefined();
    expect(tokenExpiresAt('not-a-jwt')).toBeUndefined();
    expect(tokenExpiresAt('a.%%%.c')).toBeUndefined();
  });
});
