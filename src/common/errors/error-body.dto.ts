/** One problem with one field of the request. */
export class ErrorDetailDto {
  /** Dotted path of the offending field, e.g. `memberIds.0`. */
  field?: string;
  /** What is wrong with it. */
  message!: string;
}

/** The single error shape every route answers with. */
export class ErrorBodyDto {
  /** HTTP status code, repeated in the body. @example 404 */
  statusCode!: number;
  /** HTTP reason phrase. @example Not Found */
  error!: string;
  /** Stable machine-readable code. @example ROOM_NOT_FOUND */
  code!: string;
  /** Human-readable explanation. @example Room not found */
  message!: string;
  /** Per-field problems (validation errors) or failing parts (readiness). */
  details?: ErrorDetailDto[];
  /** The request id, also in the `x-request-id` response header. */
  requestId!: string;
}
