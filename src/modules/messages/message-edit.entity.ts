import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Message } from './message.entity';

/** A previous version of an edited message (its content before the edit). Removed when the message is deleted. */
@Entity('message_edits')
@Index('IDX_message_edits_message', ['messageId', 'replacedAt'])
export class MessageEdit {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  messageId!: string;

  @ManyToOne(() => Message, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'message_id' })
  message?: Message;

  @Column('text')
  content!: string;

  /** When this version stopped being current. */
  @CreateDateColumn({ type: 'timestamptz' })
  replacedAt!: Date;
}
