import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Session } from './session.entity';

/**
 * Hashes of refresh tokens already rotated away. Presenting one again is token theft or replay: the session
 * they belong to is revoked (reuse detection). Rows go with their session.
 */
@Entity('spent_refresh_tokens')
@Index('IDX_spent_refresh_tokens_session', ['sessionId'])
export class SpentRefreshToken {
  @PrimaryColumn('char', { length: 64 })
  tokenHash!: string;

  @Column('uuid')
  sessionId!: string;

  @ManyToOne(() => Session, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'session_id' })
  session?: Session;

  @Column('timestamptz', { default: () => 'now()' })
  spentAt!: Date;
}
