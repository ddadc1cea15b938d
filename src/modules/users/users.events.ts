import '../../common/events/domain-events';

declare module '../../common/events/domain-events' {
  interface DomainEventMap {
    /** An admin disabled the account; its sessions are revoked too (a `session.revoked` event follows). */
    'user.disabled': { userId: string };
    /** Public profile fields (username, displayName, avatar) or the role changed. */
    'user.updated': { userId: string };
  }
}
