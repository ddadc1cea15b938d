import '../../common/events/domain-events';

declare module '../../common/events/domain-events' {
  interface DomainEventMap {
    /**
     * Sessions were revoked (logout, session delete, refresh-token reuse, password change, logout-all, disable,
     * deletion). Access tokens of these sessions already fail; sockets opened with them should be closed.
     */
    'session.revoked': { userId: string; sessionIds: string[] };
  }
}
