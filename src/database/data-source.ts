import { DataSource } from 'typeorm';
import { loadConfig } from '../config/config';
import { dataSourceOptions } from './data-source-options';

/** Entry point for the TypeORM CLI (`typeorm -d dist/src/database/data-source.js ...`). */
export default new DataSource(dataSourceOptions(loadConfig()));
