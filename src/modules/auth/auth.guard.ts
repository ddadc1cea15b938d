import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AppException } from '../../common/errors/app-exception';
import { IS_PUBLIC } from '../../common/http/public.decorator';
import type { UserRole } from '../users/user.entity';
import type { AuthUser } from './auth-user';
import { REQUIRED_ROLE } from './roles.decorator';
import { TokenService } from './token.service';

/**
 * Global guard (APP_GUARD): every HTTP route needs a valid bearer token unless marked @Public(). Puts the
 * caller on `request.user`; enforces @RequireRole. Socket.IO authenticates in its own handshake, so other
 * contexts pass through.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>();
    const token = bearerToken(request.headers.authorization);
    if (!token) throw AppException.unauthorized();
    const user = await this.tokens.verifyAccessToken(token);

    const role = this.reflector.getAllAndOverride<UserRole | undefined>(REQUIRED_ROLE, targets);
    if (role && user.role !== role) throw AppException.forbidden();
    request.user = user;
    return true;
  }
}

function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
