import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validate } from 'class-validator';
import { AppException } from '../../common/errors/app-exception';
import { flattenValidationErrors, VALIDATOR_OPTIONS } from '../../common/http/validation';

/**
 * Validates a Socket.IO payload like the global ValidationPipe validates REST bodies (global pipes do not run for
 * gateways): whitelist, unknown fields refused, no implicit conversion. Throws AppException VALIDATION_FAILED.
 */
export async function validatePayload<T extends object>(
  dto: ClassConstructor<T>,
  payload: unknown,
): Promise<T> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw AppException.validation([{ message: 'Payload must be a JSON object' }]);
  }
  const instance = plainToInstance(dto, payload, { enableImplicitConversion: false });
  const errors = await validate(instance, VALIDATOR_OPTIONS);
  if (errors.length > 0) throw AppException.validation(flattenValidationErrors(errors));
  return instance;
}
