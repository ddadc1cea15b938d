import { DataSource } from 'typeorm';
import { cliConfig } from '../scripts/cli-config';
import { dataSourceOptions } from './data-source-options';

/**
 * Entry point for the TypeORM CLI (`typeorm -d dist/src/database/data-source.js ...`). A bad variable stops it
 * with one line naming it, as it stops the server and the other scripts (the CLI printed a stack).
 */
export default new DataSource(dataSourceOptions(cliConfig()));
