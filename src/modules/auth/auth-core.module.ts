import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/config';
import { LoginFailures } from './login-failures';
import { PasswordHasher } from './password.hasher';
import { Session } from './session.entity';
import { SessionCache } from './session-cache';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';
import { SpentRefreshToken } from './spent-refresh-token.entity';
import { TokenService } from './token.service';

/**
 * Credentials and sessions without HTTP routes: what both the auth routes and the users routes (password
 * change, account deletion) need, kept apart so that users does not depend on auth's controllers or vice versa.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([Session, SpentRefreshToken]),
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        secret: config.jwt.secret,
        signOptions: { algorithm: 'HS256', issuer: config.jwt.issuer, audience: config.jwt.audience },
        verifyOptions: { algorithms: ['HS256'], issuer: config.jwt.issuer, audience: config.jwt.audience },
      }),
    }),
  ],
  providers: [PasswordHasher, LoginFailures, SessionCache, SessionsRepository, SessionsService, TokenService],
  exports: [PasswordHasher, LoginFailures, SessionsService, TokenService],
})
export class AuthCoreModule {}
