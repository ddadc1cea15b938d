import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A security event. No foreign keys on purpose: the trail outlives what it mentions. Never holds passwords or
 * tokens.
 */
@Entity('audit_events')
@Index('IDX_audit_events_created', ['createdAt', 'id'])
@Index('IDX_audit_events_target', ['targetId', 'createdAt'])
@Index('IDX_audit_events_actor', ['actorId', 'createdAt'])
@Index('IDX_audit_events_type', ['type', 'createdAt'])
export class AuditEvent {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('varchar', { length: 64 })
  type!: string;

  @Column('uuid', { nullable: true })
  actorId!: string | null;

  @Column('uuid', { nullable: true })
  targetId!: string | null;

  @Column('varchar', { length: 64, nullable: true })
  ip!: string | null;

  @Column('varchar', { length: 512, nullable: true })
  userAgent!: string | null;

  @Column('jsonb', { default: () => "'{}'" })
  details!: Record<string, unknown>;

  // Millisecond precision so a cursor made from a JS Date matches the stored value exactly.
  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
