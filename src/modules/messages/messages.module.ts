import { Module } from '@nestjs/common';
import { MediaModule } from '../media/media.module';
import { RoomsModule } from '../rooms/rooms.module';
import { UsersModule } from '../users/users.module';
import { MessagePagesRepository } from './message-pages.repository';
import { MessageWriter } from './message-writer';
import { MessagesStoreModule } from './messages-store.module';
import { MessagesController } from './messages.controller';
import { MessagesService } from './messages.service';

@Module({
  imports: [MessagesStoreModule, RoomsModule, UsersModule, MediaModule],
  controllers: [MessagesController],
  providers: [MessagePagesRepository, MessageWriter, MessagesService],
  exports: [MessagesService],
})
export class MessagesModule {}
