import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { isUUID } from 'class-validator';
import { AppException } from '../../common/errors/app-exception';
import { ErrorCode } from '../../common/errors/error-codes';
import { APP_CONFIG, type AppConfig } from '../../config/config';
import type { AuthUser } from './auth-user';
import { SessionsService } from './sessions.service';
import { VerifiedTokens } from './verified-tokens';

interface AccessClaims {
  sub: string;
  sid: string;
  exp: number;
}

/**
 * Access tokens: short-lived HS256 JWTs carrying the user (`sub`) and session (`sid`). Verification pins the
 * algorithm, issuer and audience (once per token text: VerifiedTokens), and then checks the session is still
 * active on every use, so a revoked session's tokens stop working at once rather than at expiry. Shared by the
 * HTTP guard and the Socket.IO handshake.
 */
@Injectable()
export class TokenService {
  private readonly verified = new VerifiedTokens();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly jwt: JwtService,
    private readonly sessions: SessionsService,
  ) {}

  /** Signs an access token; it never outlives its session. Returns the token and its lifetime in seconds. */
  async issueAccessToken(
    userId: string,
    sessionId: string,
    sessionExpiresAt: Date,
  ): Promise<{ accessToken: string; expiresIn: number }> {
    const untilSessionEnd = Math.floor((sessionExpiresAt.getTime() - Date.now()) / 1000);
    const expiresIn = Math.max(1, Math.min(this.config.jwt.accessTtlSeconds, untilSessionEnd));
    const accessToken = await this.jwt.signAsync({ sid: sessionId } satisfies Pick<AccessClaims, 'sid'>, {
      subject: userId,
      expiresIn,
    });
    return { accessToken, expiresIn };
  }

  /** Throws 401 TOKEN_EXPIRED, TOKEN_INVALID (bad token or revoked session). */
  async verifyAccessToken(token: string): Promise<AuthUser> {
    const claims = await this.verifiedClaims(token);
    const session = await this.sessions.findActive(claims.sid);
    if (!session || session.userId !== claims.sub) {
      throw AppException.unauthorized(ErrorCode.TOKEN_INVALID, 'Session has been revoked or has expired');
    }
    return { id: session.userId, sessionId: claims.sid, role: session.role };
  }

  /** The token's claims once its signature, algorithm, issuer, audience, expiry and shape are checked. */
  private async verifiedClaims(token: string): Promise<AccessClaims> {
    const known = this.verified.get(token);
    if (known === 'expired') throw this.expired();
    if (known !== undefined) return known;
    let claims: AccessClaims;
    try {
      claims = await this.jwt.verifyAsync<AccessClaims & object>(token, {
        algorithms: ['HS256'],
        issuer: this.config.jwt.issuer,
        audience: this.config.jwt.audience,
      });
    } catch (error) {
      if (error instanceof Error && error.name === 'TokenExpiredError') throw this.expired();
      throw AppException.unauthorized(ErrorCode.TOKEN_INVALID, 'Access token is invalid');
    }
    if (
      typeof claims.sub !== 'string' ||
      typeof claims.sid !== 'string' ||
      !isUUID(claims.sid) ||
      typeof claims.exp !== 'number'
    ) {
      throw AppException.unauthorized(ErrorCode.TOKEN_INVALID, 'Access token is invalid');
    }
    this.verified.remember(token, { sub: claims.sub, sid: claims.sid, exp: claims.exp });
    return claims;
  }

  private expired(): AppException {
    return AppException.unauthorized(ErrorCode.TOKEN_EXPIRED, 'Access token has expired');
  }

  /**
   * Whether the user's session is still active (Redis first). A revocation writes its tombstone before it is
   * announced, so a check that starts after a socket became reachable cannot miss one.
   */
  async isSessionActive(user: AuthUser): Promise<boolean> {
    const session = await this.sessions.findActive(user.sessionId);
    return session !== null && session.userId === user.id;
  }
}
