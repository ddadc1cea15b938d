/** What a verified access token says: user, session and expiry (seconds since the epoch). */
export interface VerifiedClaims {
  sub: string;
  sid: string;
  exp: number;
}

/**
 * Access tokens whose signature, algorithm, issuer and audience were already checked, by their exact text.
 * A client sends the same token with every request for its whole lifetime, and checking it again (base64,
 * JSON, HMAC) was ~7 % of the CPU of a history page. Only a token that verified is kept, so the text is the
 * proof: the same text verifies the same way until it expires. Expiry is still checked on every use, and the
 * session behind the token is checked by the caller every time, so a revoked session stops working at once.
 * Bounded: past `capacity` the oldest entry goes (clients rotate tokens every few minutes).
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, VerifiedClaims>();

  constructor(private readonly capacity = 10_000) {}

  /** The claims of a token verified before, unless it expired since (then it is forgotten). */
  get(token: string, nowMs = Date.now()): VerifiedClaims | 'expired' | undefined {
    const claims = this.entries.get(token);
    if (claims === undefined) return undefined;
    // jsonwebtoken's rule: expired from the second `exp` itself.
    if (Math.floor(nowMs / 1000) >= claims.exp) {
      this.entries.delete(token);
      return 'expired';
    }
    return claims;
  }

  remember(token: string, claims: VerifiedClaims): void {
    if (this.entries.size >= this.capacity && !this.entries.has(token)) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, claims);
  }

  get size(): number {
    return this.entries.size;
  }
}
