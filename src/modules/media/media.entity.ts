import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from '../users/user.entity';

@Entity('media')
@Index('IDX_media_owner_created', ['ownerId', 'createdAt'])
export class Media {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  ownerId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'owner_id' })
  owner?: User;

  @Column('varchar', { length: 255 })
  fileName!: string;

  @Column('varchar', { length: 127 })
  mimeType!: string;

  @Column('bigint', { transformer: { to: (value: number) => value, from: (value: string) => Number(value) } })
  size!: number;

  @Column('char', { length: 64 })
  sha256!: string;

  @Column('integer', { nullable: true })
  width!: number | null;

  @Column('integer', { nullable: true })
  height!: number | null;

  @Column('boolean', { default: false })
  hasThumbnail!: boolean;

  /** Path below MEDIA_DIR; never shown to clients. */
  @Column('varchar', { length: 255 })
  storageKey!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
