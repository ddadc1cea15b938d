import { DataSource, QueryRunner } from 'typeorm';

/** Runs hand-written SQL and returns the rows (RETURNING rows for INSERT, UPDATE and DELETE too). */
export interface Sql {
  rows<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /** The first row, or null. */
  one<T>(sql: string, params?: unknown[]): Promise<T | null>;
}

/** A statement runner inside one transaction. */
export interface Tx extends Sql {
  /** End with ROLLBACK instead of COMMIT, e.g. when the change turned out to be a no-op and must not keep a rev. */
  discard(): void;
}

async function run<T>(runner: QueryRunner, sql: string, params: unknown[] = []): Promise<T[]> {
  // The structured result gives the same `records` for SELECT and for DML ... RETURNING.
  const result = await runner.query(sql, params, true);
  return result.records as T[];
}

/**
 * The repositories' thin SQL layer over TypeORM's pool: plain parameterised SQL that a reviewer can read, and
 * transactions that can be discarded without throwing.
 */
export class SqlRunner implements Sql {
  constructor(private readonly dataSource: DataSource) {}

  async rows<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    const runner = this.dataSource.createQueryRunner();
    try {
      return await run<T>(runner, sql, params);
    } finally {
      await runner.release();
    }
  }

  async one<T>(sql: string, params: unknown[] = []): Promise<T | null> {
    return (await this.rows<T>(sql, params))[0] ?? null;
  }

  async transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    let discarded = false;
    const tx: Tx = {
      rows: <R>(sql: string, params?: unknown[]) => run<R>(runner, sql, params),
      one: async <R>(sql: string, params?: unknown[]) => (await run<R>(runner, sql, params))[0] ?? null,
      discard: () => {
        discarded = true;
      },
    };
    try {
      await runner.startTransaction();
      const value = await work(tx);
      if (discarded) await runner.rollbackTransaction();
      else await runner.commitTransaction();
      return value;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }
}
