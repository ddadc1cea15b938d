import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
} from 'typeorm';
import { User } from '../users/user.entity';
import { Room } from './room.entity';

export type RoomRole = 'owner' | 'admin' | 'member';

/** Membership of one user in one room, with their delivered/read positions (seqs that only ever grow). */
@Entity('room_members')
@Check('CHK_room_members_role', `"role" IN ('owner', 'admin', 'member')`)
@Index('IDX_room_members_user', ['userId'])
export class RoomMember {
  @PrimaryColumn('uuid')
  roomId!: string;

  @PrimaryColumn('uuid')
  userId!: string;

  @ManyToOne(() => Room, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'room_id' })
  room?: Room;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Column('varchar', { length: 16, default: 'member' })
  role!: RoomRole;

  @Column('integer', { default: 0 })
  lastDeliveredSeq!: number;

  @Column('integer', { default: 0 })
  lastReadSeq!: number;

  @CreateDateColumn({ type: 'timestamptz' })
  joinedAt!: Date;
}
