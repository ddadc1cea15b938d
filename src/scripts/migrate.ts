import { migrate } from '../database/migrate';
import { cliConfig } from './cli-config';

/** `npm run migration:run`: create the database if missing and apply pending migrations. */
async function main(): Promise<void> {
  const applied = await migrate(cliConfig());
  process.stdout.write(
    applied.length ? `Applied migrations: ${applied.join(', ')}\n` : 'Database schema is up to date\n',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`Migration failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
