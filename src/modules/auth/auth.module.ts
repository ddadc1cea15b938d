import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { UsersModule } from '../users/users.module';
import { AuthCoreModule } from './auth-core.module';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';
import { AuthThrottlerGuard } from './auth-throttler.guard';
import { RedisThrottlerStorage } from './redis-throttler.storage';

/**
 * Auth routes and the global auth guard. Re-exports AuthCoreModule, so importers get `TokenService`
 * (`verifyAccessToken` for the Socket.IO handshake) and `SessionsService`.
 */
@Module({
  imports: [AuthCoreModule, UsersModule],
  controllers: [AuthController],
  providers: [
    AuthService,
    RedisThrottlerStorage,
    AuthThrottlerGuard,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [AuthCoreModule],
})
export class AuthModule {}
