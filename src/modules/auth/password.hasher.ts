import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import * as argon2 from 'argon2';
import { randomBytes } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../../config/config';

/** Argon2id password hashing with the configured cost; the parameters travel inside each hash. */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private dummyHash = '';

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async onModuleInit(): Promise<void> {
    // A hash of a random secret, verified against when the account does not exist, so an unknown login costs
    // the same time as a wrong password and response time does not reveal which accounts exist.
    this.dummyHash = await this.hash(randomBytes(16).toString('hex'));
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, {
      type: argon2.argon2id,
      memoryCost: this.config.argon2.memoryCost,
      timeCost: this.config.argon2.timeCost,
      parallelism: this.config.argon2.parallelism,
    });
  }

  /** False for a wrong password or a malformed/unusable stored hash (e.g. a deleted account's). */
  async verify(hash: string | null | undefined, password: string): Promise<boolean> {
    if (!hash || !hash.startsWith('$argon2')) {
      await this.verify(this.dummyHash, password);
      return false;
    }
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false;
    }
  }

  /** Spends the time of one verification without an account, see onModuleInit. */
  async verifyDummy(password: string): Promise<void> {
    await this.verify(this.dummyHash, password);
  }
}
