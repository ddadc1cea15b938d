import { createSecretKey } from 'node:crypto';
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
        // A KeyObject made once: given a string, jsonwebtoken re-derives the key (trying it as a public key
        // first) on every verify, which showed up as ~19% of server CPU under load.
        secret: createSecretKey(Buffer.from(config.jwt.secret)),
        signOptions: { algorithm: 'HS256', issuer: config.jwt.issuer, audience: config.jwt.audience },
        verifyOptions: { algorithms: ['HS256'], issuer: config.jwt.issuer, audience: config.jwt.audience },
      }),
    }),
  ],
  providers: [PasswordHasher, LoginFailures, SessionCache, SessionsRepository, SessionsService, TokenService],
  exports: [PasswordHasher, LoginFailures, SessionsService, TokenService],
})
export class AuthCoreModule {}
