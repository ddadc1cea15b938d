import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Message } from '../messages/message.entity';
import { Media } from './media.entity';

/** Links a message to the uploads it carries, in display order. Media stays while a message refers to it. */
@Entity('message_attachments')
@Index('IDX_message_attachments_media', ['mediaId'])
export class MessageAttachment {
  @PrimaryColumn('uuid')
  messageId!: string;

  @PrimaryColumn('uuid')
  mediaId!: string;

  @Column('smallint')
  position!: number;

  @ManyToOne(() => Message, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'message_id' })
  message?: Message;

  @ManyToOne(() => Media, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'media_id' })
  media?: Media;
}
