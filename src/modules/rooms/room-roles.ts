import type { RoomRole } from './room-member.entity';

export const ROOM_ROLES: readonly RoomRole[] = ['owner', 'admin', 'member'];

const RANK: Record<RoomRole, number> = { member: 1, admin: 2, owner: 3 };

/** owner > admin > member. */
export function hasRole(role: RoomRole, atLeast: RoomRole): boolean {
  return RANK[role] >= RANK[atLeast];
}

/**
 * Who may set whose role: an owner may set any role for anyone; an admin may move people between member and
 * admin below owner (never touching an owner, never granting owner); members may not.
 */
export function canChangeRole(actor: RoomRole, target: RoomRole, next: RoomRole): boolean {
  if (actor === 'owner') return true;
  if (actor === 'admin') return target !== 'owner' && next !== 'owner';
  return false;
}

/**
 * Who may remove whom: anyone may leave; an owner may remove anyone; an admin may remove plain members.
 * (Whether the last owner may go is decided separately, under the room lock.)
 */
export function canRemoveMember(actor: RoomRole, target: RoomRole, self: boolean): boolean {
  if (self) return true;
  if (actor === 'owner') return true;
  if (actor === 'admin') return target === 'member';
  return false;
}
