import { Module } from '@nestjs/common';
import { MessagesRepository } from './messages.repository';
import { SendPool } from './send-pool';

/**
 * The messages tables' repository on its own, so rooms (changes feed, last message) can read messages while
 * messages depends on rooms for membership, without a module cycle.
 */
@Module({ providers: [SendPool, MessagesRepository], exports: [MessagesRepository] })
export class MessagesStoreModule {}
