import { VerifiedTokens } from './verified-tokens';

const claims = (exp: number) => ({ sub: 'user', sid: 'session', exp });

describe('VerifiedTokens', () => {
  it('knows only tokens it was given, by their exact text', () => {
    const tokens = new VerifiedTokens();
    tokens.remember('a.b.c', claims(2_000));
    expect(tokens.get('a.b.c', 1_000_000)).toEqual(claims(2_000));
    expect(tokens.get('a.b.C', 1_000_000)).toBeUndefined();
    expect(tokens.get('a.b.c ', 1_000_000)).toBeUndefined();
  });

  it('answers expired from the second exp itself, and forgets the token', () => {
    const tokens = new VerifiedTokens();
    tokens.remember('t', claims(2_000));
    expect(tokens.get('t', 1_999_999)).toEqual(claims(2_000));
    expect(tokens.get('t', 2_000_000)).toBe('expired');
    expect(tokens.size).toBe(0);
    expect(tokens.get('t', 1_000_000)).toBeUndefined();
  });

  it('keeps at most its capacity, dropping the oldest first', () => {
    const tokens = new VerifiedTokens(2);
    tokens.remember('first', claims(2_000));
    tokens.remember('second', claims(2_000));
    tokens.remember('second', claims(2_000));
    expect(tokens.size).toBe(2);
    tokens.remember('third', claims(2_000));
    expect(tokens.size).toBe(2);
    expect(tokens.get('first', 0)).toBeUndefined();
    expect(tokens.get('second', 0)).toEqual(claims(2_000));
    expect(tokens.get('third', 0)).toEqual(claims(2_000));
  });
});
