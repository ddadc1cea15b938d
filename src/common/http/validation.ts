import { ValidationError, ValidationPipe } from '@nestjs/common';
import { ValidateBy, type ValidationOptions } from 'class-validator';
import { AppException, ErrorDetail } from '../errors/app-exception';
import { isWellFormedText, notWellFormedMessage } from './input-guard';

/** Flattens class-validator's tree into one entry per bad field, with dotted paths for nested DTOs. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    for (const message of Object.values(error.constraints ?? {})) details.push({ field, message });
    if (error.children?.length) details.push(...flattenValidationErrors(error.children, field));
  }
  return details;
}

/**
 * How every input is validated, REST bodies and Socket.IO payloads alike: whitelist, unknown fields refused.
 * Every failed rule is reported (stopAtFirstError would report whichever rule runs first, e.g. a range rule for
 * a value of the wrong type).
 */
export const VALIDATOR_OPTIONS = {
  whitelist: true,
  forbidNonWhitelisted: true,
  validationError: { target: false, value: false },
} as const;

/** The global pipe: validator options above, transformed to DTO instances, errors in the contract's shape. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    ...VALIDATOR_OPTIONS,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    exceptionFactory: (errors) => AppException.validation(flattenValidationErrors(errors)),
  });
}

/** A class-validator rule on text: `isOk` decides for strings; other types are left to @IsString. */
function TextRule(
  name: string,
  isOk: (text: string) => boolean,
  message: string,
  options?: ValidationOptions,
): PropertyDecorator {
  return ValidateBy(
    {
      name,
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || isOk(value),
        defaultMessage: () => message,
      },
    },
    options,
  );
}

/**
 * Text without unpaired UTF-16 surrogates (see input-guard.ts). REST bodies are checked for this before any DTO
 * sees them; Socket.IO payloads are not, so the event DTOs' text fields say it.
 */
export function WellFormedText(options?: ValidationOptions): PropertyDecorator {
  return TextRule('isWellFormedText', isWellFormedText, notWellFormedMessage('$property'), options);
}

/** A control character (line breaks and tabs included) or a line or paragraph separator. */
const NOT_ONE_LINE = /[\p{Cc}\p{Zl}\p{Zp}]/u;

/**
 * One line of text, for names shown inline to other users (display names, room names): a line break in one let
 * its owner start a line of their own in someone else's notification email.
 */
export function SingleLine(options?: ValidationOptions): PropertyDecorator {
  return TextRule(
    'isSingleLine',
    (text) => !NOT_ONE_LINE.test(text),
    '$property must be one line of text, without control characters',
    options,
  );
}
