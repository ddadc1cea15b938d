import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthCoreModule } from '../auth/auth-core.module';
import { ACCOUNTS_QUEUE } from './account-deletion.constants';
import { AccountDeletionProcessor } from './account-deletion.processor';
import { PresenceStore } from './presence.store';
import { UserBlock } from './user-block.entity';
import { User } from './user.entity';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([User, UserBlock]),
    BullModule.registerQueue({ name: ACCOUNTS_QUEUE }),
    AuthCoreModule,
  ],
  controllers: [UsersController],
  providers: [UsersRepository, UsersService, PresenceStore, AccountDeletionProcessor],
  exports: [UsersService, UsersRepository, PresenceStore],
})
export class UsersModule {}
