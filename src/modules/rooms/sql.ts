import type { Pool, PoolClient, QueryConfig } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/** Runs hand-written SQL and returns the rows (RETURNING rows for INSERT, UPDATE and DELETE too). */
export interface Sql {
  rows<T>(sql: string | Statement, params?: unknown[]): Promise<T[]>;
  /** The first row, or null. */
  one<T>(sql: string | Statement, params?: unknown[]): Promise<T | null>;
}

/** A statement runner inside one transaction. */
export interface Tx extends Sql {
  /** End with ROLLBACK instead of COMMIT, e.g. when the change turned out to be a no-op and must not keep a rev. */
  discard(): void;
}

/**
 * A hot statement with a fixed text, prepared once per pooled connection under `name` (pg keeps the prepared
 * statement per connection), so PostgreSQL parses and plans it once instead of on every call.
 */
export interface Statement {
  name: string;
  text: string;
}

function toQuery(sql: string | Statement, params: unknown[]): QueryConfig {
  return typeof sql === 'string' ? { text: sql, values: params } : { ...sql, values: params };
}

async function run<T>(
  client: Pool | PoolClient,
  sql: string | Statement,
  params: unknown[] = [],
): Promise<T[]> {
  const result = await client.query(toQuery(sql, params));
  return result.rows as T[];
}

/**
 * The repositories' thin SQL layer: plain parameterised SQL that a reviewer can read, and transactions that can
 * be discarded without throwing. It runs on the pg pool under TypeORM's DataSource (same connections, same
 * settings) but skips TypeORM's per-query query-runner, logger and subscriber machinery, which cost more CPU than
 * the hot paths' queries themselves. Errors are pg's own `DatabaseError`s (with `code` and `constraint`).
 */
export class SqlRunner implements Sql {
  /** On TypeORM's pool (a DataSource), or on a pool of its own. */
  constructor(private readonly source: DataSource | Pool) {}

  /** TypeORM's pool is created when the DataSource initialises, after repositories are constructed. */
  private get pool(): Pool {
    const { source } = this;
    return source instanceof DataSource ? ((source.driver as PostgresDriver).master as Pool) : source;
  }

  rows<T>(sql: string | Statement, params: unknown[] = []): Promise<T[]> {
    return run<T>(this.pool, sql, params);
  }

  async one<T>(sql: string | Statement, params: unknown[] = []): Promise<T | null> {
    return (await this.rows<T>(sql, params))[0] ?? null;
  }

  async transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let discarded = false;
    const tx: Tx = {
      rows: <R>(sql: string | Statement, params?: unknown[]) => run<R>(client, sql, params),
      one: async <R>(sql: string | Statement, params?: unknown[]) =>
        (await run<R>(client, sql, params))[0] ?? null,
      discard: () => {
        discarded = true;
      },
    };
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const value = await work(tx);
      await client.query(discarded ? 'ROLLBACK' : 'COMMIT');
      return value;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        // The connection is unusable (e.g. it died mid-transaction): drop it instead of returning it to the pool.
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }
}
