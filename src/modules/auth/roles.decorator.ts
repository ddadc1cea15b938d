import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiForbiddenResponse } from '@nestjs/swagger';
import type { UserRole } from '../users/user.entity';

export const REQUIRED_ROLE = 'parley:requiredRole';

/** Restricts a route (or controller) to a role; the global auth guard answers 403 to anyone else. */
export const RequireRole = (role: UserRole): MethodDecorator & ClassDecorator =>
  applyDecorators(
    SetMetadata(REQUIRED_ROLE, role),
    ApiForbiddenResponse({ description: `Requires the ${role} role` }),
  );
