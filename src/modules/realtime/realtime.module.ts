import { Module } from '@nestjs/common';
import { AuthCoreModule } from '../auth/auth-core.module';
import { MessagesModule } from '../messages/messages.module';
import { RoomsModule } from '../rooms/rooms.module';
import { UsersModule } from '../users/users.module';
import { PresenceRelay } from './presence.relay';
import { RealtimeGateway } from './realtime.gateway';
import { SocketPublisher } from './socket.publisher';
import { SyncService } from './sync.service';

/**
 * Socket.IO: the gateway (handshake, client events), the publisher (domain events -> sockets), presence and sync.
 * Depends on the feature services; nothing depends on it.
 */
@Module({
  imports: [AuthCoreModule, UsersModule, RoomsModule, MessagesModule],
  providers: [RealtimeGateway, SocketPublisher, PresenceRelay, SyncService],
})
export class RealtimeModule {}
