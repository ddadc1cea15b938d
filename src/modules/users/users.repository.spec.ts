import { QueryFailedError } from 'typeorm';
import { escapeLike, uniqueViolation } from './users.repository';

describe('escapeLike', () => {
  it('escapes LIKE wildcards and the escape character so they match literally', () => {
    expect(escapeLike('a_b%c\\d')).toBe('a\\_b\\%c\\\\d');
    expect(escapeLike('plain.name-1')).toBe('plain.name-1');
  });
});

describe('uniqueViolation', () => {
  const failure = (code: string, constraint?: string) =>
    new QueryFailedError('INSERT', [], Object.assign(new Error('duplicate'), { code, constraint }));

  it('names the taken field from the unique index that fired', () => {
    expect(uniqueViolation(failure('23505', 'UQ_users_username_lower'))).toBe('username');
    expect(uniqueViolation(failure('23505', 'UQ_users_email'))).toBe('email');
  });

  it('ignores other errors', () => {
    expect(uniqueViolation(failure('23505', 'PK_other'))).toBeUndefined();
    expect(uniqueViolation(failure('23503', 'UQ_users_email'))).toBeUndefined();
    expect(uniqueViolation(new Error('boom'))).toBeUndefined();
  });
});
