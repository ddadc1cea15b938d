import { Process, Processor } from '@nestjs/bull';
import type { Job } from 'bull';
import { ACCOUNTS_QUEUE, FINISH_DELETION_JOB } from './account-deletion.constants';
import { UsersService } from './users.service';

/** Finishes interrupted account deletions on whichever instance takes the job (see UsersService.deleteMe). */
@Processor(ACCOUNTS_QUEUE)
export class AccountDeletionProcessor {
  constructor(private readonly users: UsersService) {}

  @Process(FINISH_DELETION_JOB)
  finishDeletion(job: Job<{ userId: string }>): Promise<void> {
    return this.users.finishDeletion(job.data.userId);
  }
}
