import { CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from './user.entity';

/** `blockerId` blocked `blockedId`. The reverse lookup (who blocked me) uses the second index. */
@Entity('user_blocks')
@Index('IDX_user_blocks_blocked', ['blockedId'])
export class UserBlock {
  @PrimaryColumn('uuid')
  blockerId!: string;

  @PrimaryColumn('uuid')
  blockedId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'blocker_id' })
  blocker?: User;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'blocked_id' })
  blocked?: User;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
