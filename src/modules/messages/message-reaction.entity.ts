import { CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from '../users/user.entity';
import { Message } from './message.entity';

/** One user's reaction with one emoji on one message; the primary key makes put/delete idempotent. */
@Entity('message_reactions')
@Index('IDX_message_reactions_user', ['userId'])
export class MessageReaction {
  @PrimaryColumn('uuid')
  messageId!: string;

  @PrimaryColumn('uuid')
  userId!: string;

  @PrimaryColumn('varchar', { length: 64 })
  emoji!: string;

  @ManyToOne(() => Message, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'message_id' })
  message?: Message;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
