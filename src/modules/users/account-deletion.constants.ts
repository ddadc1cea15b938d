/** Queue of the accounts feature: jobs that finish what DELETE /users/me started. */
export const ACCOUNTS_QUEUE = 'accounts';

/** Job `{ userId }`: runs every deletion step for an account (idempotent), retried until they all succeed. */
export const FINISH_DELETION_JOB = 'finish-deletion';

/**
 * How long the job waits: DELETE /users/me runs the steps itself before it answers, so the job only matters when
 * that was interrupted (the process died, a dependency was down); it then starts after this delay.
 */
export const FINISH_DELETION_DELAY_MS = 60_000;

/** Retries with exponential backoff from 5 s: about 85 minutes in all, to outlast an outage of a dependency. */
export const FINISH_DELETION_ATTEMPTS = 10;
export const FINISH_DELETION_BACKOFF_MS = 5_000;
