/** The authenticated caller, as the auth guard and the socket handshake put it on the request or socket. */
export interface AuthUser {
  id: string;
  sessionId: string;
  role: 'user' | 'admin';
}
