import { pendingSchemaChanges } from '../database/migrate';
import { cliConfig } from './cli-config';

/** `npm run migration:check`: fails when the entities and the migrations disagree. */
async function main(): Promise<void> {
  const pending = await pendingSchemaChanges(cliConfig());
  if (pending.length === 0) {
    process.stdout.write('Entities and migrations agree\n');
    return;
  }
  process.stdout.write(
    `Entities and migrations disagree; a generated migration would run:\n${pending.join(';\n')};\n`,
  );
  process.exit(1);
}

main().catch((error: unknown) => {
  process.stderr.write(`Schema check failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
