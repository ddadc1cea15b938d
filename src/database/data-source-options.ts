import { join } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/config';
import { SnakeNamingStrategy } from './snake-naming.strategy';

/**
 * The one DataSource definition, shared by the app, the migration runner and the TypeORM CLI.
 * Entities and migrations are found next to the compiled code; schema changes only ever come from migrations/.
 */
export function dataSourceOptions(config: AppConfig): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.database.url,
    entities: [join(__dirname, '..', '**', '*.entity.{js,ts}')],
    migrations: [join(__dirname, '..', '..', 'migrations', '*.{js,ts}')],
    migrationsTableName: 'migrations',
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
    migrationsRun: false,
    extra: {
      max: config.database.poolSize,
      statement_timeout: config.database.statementTimeoutMs,
      application_name: 'parley',
    },
  };
}
