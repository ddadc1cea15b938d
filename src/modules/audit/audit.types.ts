/** Every security event type the audit log records. */
export const AuditEventType = {
  registered: 'auth.registered',
  loginSucceeded: 'auth.login_succeeded',
  loginFailed: 'auth.login_failed',
  refreshReuseDetected: 'auth.refresh_reuse_detected',
  logout: 'auth.logout',
  logoutAll: 'auth.logout_all',
  sessionRevoked: 'auth.session_revoked',
  passwordChanged: 'user.password_changed',
  accountDeleted: 'user.deleted',
  roleChanged: 'admin.role_changed',
  userDisabled: 'admin.user_disabled',
  userEnabled: 'admin.user_enabled',
  userPromoted: 'cli.user_promoted',
} as const;

export type AuditEventType = (typeof AuditEventType)[keyof typeof AuditEventType];

/** Where a request came from; recorded with sessions and audit events. */
export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

export interface AuditRecord {
  type: AuditEventType;
  actorId?: string | null;
  targetId?: string | null;
  client?: ClientInfo;
  /** Never passwords or tokens. */
  details?: Record<string, unknown>;
}
