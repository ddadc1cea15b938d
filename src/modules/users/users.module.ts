import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthCoreModule } from '../auth/auth-core.module';
import { PresenceStore } from './presence.store';
import { UserBlock } from './user-block.entity';
import { User } from './user.entity';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

@Module({
  imports: [TypeOrmModule.forFeature([User, UserBlock]), AuthCoreModule],
  controllers: [UsersController],
  providers: [UsersRepository, UsersService, PresenceStore],
  exports: [UsersService, UsersRepository, PresenceStore],
})
export class UsersModule {}
