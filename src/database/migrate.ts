import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/config';
import { dataSourceOptions } from './data-source-options';
import { ensureDatabase } from './ensure-database';

// Arbitrary constant: one advisory lock id shared by every instance so only one migrates at a time.
const MIGRATION_LOCK_ID = 734_215_001;

/** Creates the database if needed and applies pending migrations, one instance at a time. Returns their names. */
export async function migrate(config: AppConfig): Promise<string[]> {
  await ensureDatabase(config.database.url);
  const dataSource = new DataSource({ ...dataSourceOptions(config), extra: { max: 2 } });
  await dataSource.initialize();
  const lock = dataSource.createQueryRunner();
  try {
    await lock.connect();
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    await lock.release();
    await dataSource.destroy();
  }
}

/** The SQL a generated migration would contain: empty when entities and migrations agree. */
export async function pendingSchemaChanges(config: AppConfig): Promise<string[]> {
  const dataSource = new DataSource({ ...dataSourceOptions(config), extra: { max: 1 } });
  await dataSource.initialize();
  try {
    const sql = await dataSource.driver.createSchemaBuilder().log();
    return sql.upQueries.map((query) => query.query);
  } finally {
    await dataSource.destroy();
  }
}
