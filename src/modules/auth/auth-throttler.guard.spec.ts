import { accountName } from './auth-throttler.guard';

describe('accountName (the per-account rate-limit key)', () => {
  it('uses the login of a login body and the username of a register body, lower-cased and trimmed', () => {
    expect(accountName({ login: ' Alice ', password: 'x' })).toBe('alice');
    expect(accountName({ username: 'Bob', email: 'b@example.test' })).toBe('bob');
  });

  it('has none for bodies without a usable name, so only the per-IP limit applies', () => {
    expect(accountName(undefined)).toBeUndefined();
    expect(accountName('text')).toBeUndefined();
    expect(accountName({ login: 42 })).toBeUndefined();
    expect(accountName({ login: '   ' })).toBeUndefined();
    expect(accountName({ refreshToken: 'abc' })).toBeUndefined();
  });

  it('bounds the key length', () => {
    expect(accountName({ login: 'a'.repeat(1000) })).toHaveLength(254);
  });
});
