/** One signed-in device. Its own file: users.dto (the export) extends it, and auth.dto imports users.dto. */
export class SessionDto {
  id!: string;
  createdAt!: string;
  /** Last login or token refresh. */
  lastUsedAt!: string;
  userAgent!: string | null;
  ip!: string | null;
  /** True for the session of the access token making this request. */
  current!: boolean;
}
