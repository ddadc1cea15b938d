import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type RoomType = 'direct' | 'group';

/**
 * A conversation. `lastSeq` and `rev` are the room's counters: every message insert takes the next `seq` and every
 * message change takes the next `rev`, both allocated by updating this row inside the writing transaction, so the
 * row lock serialises writers per room and the numbers have no gaps (a PostgreSQL sequence would leave gaps on
 * rollback). Rooms are soft-deleted (`deletedAt`), after which everything about them answers 404.
 */
@Entity('rooms')
@Check('CHK_rooms_type', `"type" IN ('direct', 'group')`)
export class Room {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('varchar', { length: 16 })
  type!: RoomType;

  @Column('varchar', { length: 100, nullable: true })
  name!: string | null;

  @Column('varchar', { length: 1000, nullable: true })
  description!: string | null;

  /** Direct rooms only: the two member ids sorted and joined with ':', so one pair has exactly one room. */
  @Index('UQ_rooms_direct_key', { unique: true })
  @Column('varchar', { length: 80, nullable: true })
  directKey!: string | null;

  @Column('uuid', { nullable: true })
  createdBy!: string | null;

  @Column('integer', { default: 0 })
  lastSeq!: number;

  @Column('integer', { default: 0 })
  rev!: number;

  /** Bumped by every new message; the caller's room list is ordered by it. */
  @Column('timestamptz', { default: () => 'now()' })
  lastActivityAt!: Date;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;

  @Column('timestamptz', { nullable: true })
  deletedAt!: Date | null;
}
