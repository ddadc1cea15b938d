import { Type } from 'class-transformer';
import { IsInt, IsString, Max, MinLength, ValidateNested, ValidationError } from 'class-validator';
import { AppException } from '../errors/app-exception';
import { createValidationPipe, flattenValidationErrors } from './validation';

function validationError(
  property: string,
  constraints?: Record<string, string>,
  children: ValidationError[] = [],
): ValidationError {
  return Object.assign(new ValidationError(), { property, constraints, children });
}

class AddressDto {
  @IsString()
  city!: string;
}

class ProfileDto {
  @IsString()
  @MinLength(3)
  name!: string;

  @IsInt()
  @Max(150)
  age!: number;

  @ValidateNested()
  @Type(() => AddressDto)
  address!: AddressDto;
}

async function rejectionOf(value: unknown): Promise<AppException> {
  try {
    await createValidationPipe().transform(value, { type: 'body', metatype: ProfileDto });
  } catch (error) {
    if (error instanceof AppException) return error;
    throw error;
  }
  throw new Error('expected the pipe to reject');
}

describe('flattenValidationErrors', () => {
  it('lists one entry per failed constraint of a top-level field', () => {
    const details = flattenValidationErrors([
      validationError('name', { isString: 'name must be a string', minLength: 'name is too short' }),
      validationError('age', { isInt: 'age must be an integer' }),
    ]);
    expect(details).toEqual([
      { field: 'name', message: 'name must be a string' },
      { field: 'name', message: 'name is too short' },
      { field: 'age', message: 'age must be an integer' },
    ]);
  });

  it('gives nested and array fields dotted paths', () => {
    const details = flattenValidationErrors([
      validationError('address', undefined, [validationError('city', { isString: 'city must be a string' })]),
      validationError('members', undefined, [
        validationError('0', undefined, [validationError('id', { isUuid: 'id must be a UUID' })]),
      ]),
    ]);
    expect(details).toEqual([
      { field: 'address.city', message: 'city must be a string' },
      { field: 'members.0.id', message: 'id must be a UUID' },
    ]);
  });

  it('keeps a parent constraint alongside its children', () => {
    const details = flattenValidationErrors([
      validationError('tags', { arrayMaxSize: 'too many tags' }, [
        validationError('3', { isString: 'each value in tags must be a string' }),
      ]),
    ]);
    expect(details).toEqual([
      { field: 'tags', message: 'too many tags' },
      { field: 'tags.3', message: 'each value in tags must be a string' },
    ]);
  });

  it('returns nothing for no errors', () => {
    expect(flattenValidationErrors([])).toEqual([]);
  });
});

describe('createValidationPipe', () => {
  it('turns a valid body into a DTO instance', async () => {
    const value = await createValidationPipe().transform(
      { name: 'Ada', age: 36, address: { city: 'London' } },
      { type: 'body', metatype: ProfileDto },
    );
    expect(value).toBeInstanceOf(ProfileDto);
    expect((value as ProfileDto).address).toBeInstanceOf(AddressDto);
  });

  it('answers VALIDATION_FAILED with every bad field, nested ones included', async () => {
    const error = await rejectionOf({ name: 'A', age: '36', address: { city: 7 } });
    expect(error.status).toBe(400);
    expect(error.code).toBe('VALIDATION_FAILED');
    const fields = (error.details ?? []).map((detail) => detail.field);
    expect(new Set(fields)).toEqual(new Set(['name', 'age', 'address.city']));
  });

  it('rejects unknown fields instead of silently dropping them (no mass assignment)', async () => {
    const error = await rejectionOf({ name: 'Ada', age: 36, address: { city: 'London' }, role: 'admin' });
    expect(error.details).toEqual([{ field: 'role', message: 'property role should not exist' }]);
  });

  it('does not coerce strings to numbers', async () => {
    const error = await rejectionOf({ name: 'Ada', age: '36', address: { city: 'London' } });
    expect(new Set(error.details?.map((detail) => detail.field))).toEqual(new Set(['age']));
  });

  it('never echoes the submitted value in the error', async () => {
    const error = await rejectionOf({
      name: 'Ada',
      age: 36,
      address: { city: 'London' },
      password: 'hunter2',
    });
    expect(JSON.stringify(error.details)).not.toContain('hunter2');
  });
});
