import { BadRequestException } from '@nestjs/common';
import { AppException } from '../../common/errors/app-exception';
import { ErrorCode } from '../../common/errors/error-codes';
import { ackOk, toAckError } from './socket-ack';

describe('socket acks', () => {
  it('wraps data in { ok: true, data }', () => {
    expect(ackOk({ id: 1 })).toEqual({ ok: true, data: { id: 1 } });
  });

  it('maps an AppException to its code and message', () => {
    const { ack, unexpected } = toAckError(AppException.notFound(ErrorCode.ROOM_NOT_FOUND, 'Room not found'));
    expect(ack).toEqual({ ok: false, error: { code: 'ROOM_NOT_FOUND', message: 'Room not found' } });
    expect(unexpected).toBe(false);
  });

  it('keeps validation details', () => {
    const { ack } = toAckError(
      AppException.validation([{ field: 'roomId', message: 'roomId must be a UUID' }]),
    );
    expect(ack).toEqual({
      ok: false,
      error: {
        code: 'VALIDATION_FAILED',
        message: 'Request validation failed',
        details: [{ field: 'roomId', message: 'roomId must be a UUID' }],
      },
    });
  });

  it('maps Nest HTTP exceptions by status', () => {
    const { ack } = toAckError(new BadRequestException('nope'));
    expect(ack).toEqual({ ok: false, error: { code: 'BAD_REQUEST', message: 'nope' } });
  });

  it('hides the internals of unknown errors and flags them for logging', () => {
    const { ack, unexpected } = toAckError(new Error('connection refused at 10.0.0.3:5432'));
    expect(ack).toEqual({ ok: false, error: { code: 'INTERNAL_ERROR', message: 'Internal server error' } });
    expect(unexpected).toBe(true);
  });

  it('passes SERVICE_UNAVAILABLE through (a dependency is down), still flagged for logging', () => {
    const { ack, unexpected } = toAckError(AppException.unavailable('Database unavailable'));
    expect(ack).toEqual({
      ok: false,
      error: { code: 'SERVICE_UNAVAILABLE', message: 'Database unavailable' },
    });
    expect(unexpected).toBe(true);
  });
});
