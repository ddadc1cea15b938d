import type { ErrorDetail } from '../../common/errors/app-exception';
import { ErrorCode } from '../../common/errors/error-codes';
import { toErrorResponse } from '../../common/errors/error-response';

/** The error half of an acknowledgement: the same codes and messages REST answers with (API.md). */
export interface AckError {
  code: string;
  message: string;
  /** Per-field problems, for VALIDATION_FAILED. */
  details?: ErrorDetail[];
  /** For RATE_LIMITED: how long to wait before the next event is accepted. */
  retryAfterMs?: number;
}

/** Every client -> server event is answered with one of these. */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: AckError };

export function ackOk<T>(data: T): Ack<T> {
  return { ok: true, data };
}

export function ackFail(error: AckError): Ack<never> {
  return { ok: false, error };
}

/**
 * Maps anything a handler threw to an ack, through the same mapping the HTTP filter uses so codes cannot drift.
 * `unexpected` errors (bugs, dependencies down) must be logged by the caller; their ack carries no internals.
 */
export function toAckError(error: unknown): { ack: Ack<never>; unexpected: boolean } {
  const { body, unexpected } = toErrorResponse(error, '');
  const ackError: AckError = { code: body.code, message: body.message };
  if (body.details?.length) ackError.details = body.details;
  if (unexpected && body.code !== ErrorCode.SERVICE_UNAVAILABLE) {
    return { ack: ackFail({ code: ErrorCode.INTERNAL_ERROR, message: 'Internal server error' }), unexpected };
  }
  return { ack: ackFail(ackError), unexpected };
}
