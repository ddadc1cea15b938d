import type { RoomRole } from './room-member.entity';
import { canChangeRole, canRemoveMember, hasRole } from './room-roles';

describe('room roles', () => {
  it('ranks owner > admin > member', () => {
    expect(hasRole('owner', 'admin')).toBe(true);
    expect(hasRole('admin', 'admin')).toBe(true);
    expect(hasRole('member', 'admin')).toBe(false);
    expect(hasRole('admin', 'owner')).toBe(false);
    expect(hasRole('member', 'member')).toBe(true);
  });

  describe('canChangeRole', () => {
    const cases: Array<[RoomRole, RoomRole, RoomRole, boolean]> = [
      ['owner', 'member', 'owner', true],
      ['owner', 'owner', 'member', true],
      ['owner', 'admin', 'member', true],
      ['admin', 'member', 'admin', true],
      ['admin', 'admin', 'member', true],
      ['admin', 'member', 'owner', false],
      ['admin', 'owner', 'admin', false],
      ['member', 'member', 'admin', false],
      ['member', 'admin', 'member', false],
    ];
    it.each(cases)('%s setting a %s to %s: %s', (actor, target, next, allowed) => {
      expect(canChangeRole(actor, target, next)).toBe(allowed);
    });
  });

  describe('canRemoveMember', () => {
    const cases: Array<[RoomRole, RoomRole, boolean, boolean]> = [
      ['member', 'member', true, true],
      ['owner', 'owner', true, true],
      ['owner', 'owner', false, true],
      ['owner', 'admin', false, true],
      ['admin', 'member', false, true],
      ['admin', 'admin', false, false],
      ['admin', 'owner', false, false],
      ['member', 'member', false, false],
    ];
    it.each(cases)('%s removing a %s (self: %s): %s', (actor, target, self, allowed) => {
      expect(canRemoveMember(actor, target, self)).toBe(allowed);
    });
  });
});
