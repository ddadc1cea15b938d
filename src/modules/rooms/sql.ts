import { Query, type Pool, type PoolClient, type QueryConfig, type QueryResult } from 'pg';
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

/** Runs a statement inside a transaction, on its connection. */
async function runOn<T>(client: PoolClient, sql: string | Statement, params: unknown[] = []): Promise<T[]> {
  const result = await client.query(toQuery(sql, params));
  return result.rows as T[];
}

/**
 * Runs a statement on any pooled connection, handing pg a ready Query instead of a config object: pg 8.23.1 copies
 * every config object through its property descriptors (node-postgres#3720), a path V8 runs slowly, ~3.5 µs per
 * query against ~0.25 µs for a Query built from its text (3 % of a history page's CPU). The Query is named
 * after it is built, as pg names it from a config. pool.query gives such a Query its own callback and returns a
 * promise of the result (its types say it returns the Query).
 */
async function runOnPool<T>(pool: Pool, sql: string | Statement, params: unknown[] = []): Promise<T[]> {
  const query: Query & { name?: string } = new Query(typeof sql === 'string' ? sql : sql.text, params);
  if (typeof sql !== 'string') query.name = sql.name;
  try {
    const result = await (pool.query(query) as unknown as Promise<QueryResult>);
    return result.rows as T[];
  } catch (error) {
    // pg re-captures the stack only for queries it built; without this it would end in its socket reader.
    if (error instanceof Error) Error.captureStackTrace(error);
    throw error;
  }
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
    return runOnPool<T>(this.pool, sql, params);
  }

  async one<T>(sql: string | Statement, params: unknown[] = []): Promise<T | null> {
    return (await this.rows<T>(sql, params))[0] ?? null;
  }

  async transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let discarded = false;
    const tx: Tx = {
      rows: <R>(sql: string | Statement, params?: unknown[]) => runOn<R>(client, sql, params),
      one: async <R>(sql: string | Statement, params?: unknown[]) =>
        (await runOn<R>(client, sql, params))[0] ?? null,
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
