import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from '../users/user.entity';

/**
 * One login: a refresh-token family. Only the SHA-256 of the current refresh token is stored; it changes on
 * every refresh. A session is active while `revokedAt` is null, `expiresAt` (absolute lifetime) is in the future
 * and it was used within the idle timeout.
 */
@Entity('sessions')
@Index('IDX_sessions_user_active', ['userId', 'createdAt'], { where: '"revoked_at" IS NULL' })
export class Session {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Index('UQ_sessions_refresh_hash', { unique: true })
  @Column('char', { length: 64 })
  refreshHash!: string;

  // Millisecond precision so a cursor made from a JS Date matches the stored value exactly.
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @Column('timestamptz')
  lastUsedAt!: Date;

  @Column('timestamptz')
  expiresAt!: Date;

  @Column('timestamptz', { nullable: true })
  revokedAt!: Date | null;

  @Column('varchar', { length: 32, nullable: true })
  revokeReason!: string | null;

  @Column('varchar', { length: 64, nullable: true })
  ip!: string | null;

  @Column('varchar', { length: 512, nullable: true })
  userAgent!: string | null;
}
