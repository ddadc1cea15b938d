import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type UserRole = 'user' | 'admin';

/**
 * A registered account. Usernames are unique case-insensitively and emails are stored normalised (trimmed,
 * lower-case); both uniques and the prefix-search indexes are expression indexes written in the migration
 * (TypeORM cannot declare them), hence `synchronize: false` here.
 */
@Entity('users')
@Check('CHK_users_role', `"role" IN ('user', 'admin')`)
@Index('UQ_users_username_lower', { synchronize: false })
@Index('UQ_users_email', { synchronize: false })
@Index('IDX_users_username_prefix', { synchronize: false })
@Index('IDX_users_display_name_prefix', { synchronize: false })
export class User {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('varchar', { length: 64 })
  username!: string;

  /** null once the account is deleted. */
  @Column('varchar', { length: 254, nullable: true })
  email!: string | null;

  @Column('varchar', { length: 64, nullable: true })
  displayName!: string | null;

  @Column('varchar', { length: 255 })
  passwordHash!: string;

  @Column('varchar', { length: 16, default: 'user' })
  role!: UserRole;

  @Column('boolean', { default: false })
  disabled!: boolean;

  @Column('jsonb', { default: () => "'{}'" })
  settings!: Record<string, unknown>;

  @Column('uuid', { nullable: true })
  avatarMediaId!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;

  @Column('timestamptz', { nullable: true })
  lastSeenAt!: Date | null;

  @Column('timestamptz', { nullable: true })
  deletedAt!: Date | null;
}
