import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsersModule } from '../users/users.module';
import { MEDIA_QUEUE } from './media.constants';
import { MediaController } from './media.controller';
import { Media } from './media.entity';
import { MediaProcessor } from './media.processor';
import { MediaRepository } from './media.repository';
import { MediaService } from './media.service';
import { MediaStorage } from './media.storage';

@Module({
  imports: [TypeOrmModule.forFeature([Media]), BullModule.registerQueue({ name: MEDIA_QUEUE }), UsersModule],
  controllers: [MediaController],
  providers: [MediaService, MediaRepository, MediaStorage, MediaProcessor],
  exports: [MediaService],
})
export class MediaModule {}
