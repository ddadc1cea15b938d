export const MAINTENANCE_QUEUE = 'maintenance';

/** Repeating job: delete sessions (and their spent refresh tokens) that ended more than the retention ago. */
export const PURGE_SESSIONS_JOB = 'purge-sessions';

/** Rows deleted per statement, so a large backlog never holds long locks or one huge transaction. */
export const PURGE_CHUNK_SIZE = 1000;
