import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, runScript, testEnv } from '../support/app';
import { ROOT } from '../support/run-env';
import { adminQuery, databaseUrlNamed, queryDatabase, runNode, waitFor } from './helpers';

/** The migrations in the repository (each compiles to one the CLI and the migrate script load). */
function migrationCount(): number {
  const dir = join(ROOT, 'migrations');
  return existsSync(dir) ? readdirSync(dir).filter((file) => file.endsWith('.ts')).length : 0;
}

/** Tables in the public schema other than TypeORM's bookkeeping tables. */
async function appTables(url: string): Promise<string[]> {
  const rows = await queryDatabase<{ table_name: string }>(
    url,
    `SELECT table_name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_name NOT IN ('migrations', 'typeorm_metadata')
      ORDER BY table_name`,
  );
  return rows.map((row) => row.table_name);
}

async function databaseExists(name: string): Promise<boolean> {
  return (await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [name])).length > 0;
}

function typeormCli(args: string[], databaseUrl: string) {
  return runNode(
    join('..', 'node_modules', 'typeorm', 'cli.js'),
    ['-d', join(ROOT, 'dist', 'src', 'database', 'data-source.js'), ...args],
    testEnv({ DATABASE_URL: databaseUrl }),
  );
}

describe('migrations', () => {
  it('entities and migrations agree (a generated migration would be empty)', async () => {
    const result = await runScript('check-schema');
    expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({
      code: 0,
      stdout: 'Entities and migrations agree\n',
      stderr: '',
    });
  });

  it('reports drift, with the SQL that would fix it, when the migrations are missing', async () => {
    const name = `parley_drift_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
    await adminQuery(`CREATE DATABASE "${name}"`);
    try {
      const result = await runScript('check-schema', [], { DATABASE_URL: databaseUrlNamed(name) });
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/^Entities and migrations disagree/);
      expect(result.stdout).toMatch(/CREATE TABLE/);
    } finally {
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  });

  it('instances starting together create and migrate the database once, without failing', async () => {
    const name = `parley_race_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
    const url = databaseUrlNamed(name);
    try {
      const results = await Promise.all([1, 2, 3].map(() => runScript('migrate', [], { DATABASE_URL: url })));
      expect(results.map((result) => ({ code: result.code, stderr: result.stderr }))).toEqual(
        results.map(() => ({ code: 0, stderr: '' })),
      );
      const applied = await queryDatabase<{ name: string }>(url, 'SELECT name FROM migrations');
      expect(applied).toHaveLength(migrationCount());
    } finally {
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  });

  describe('on a scratch database', () => {
    const name = `parley_scratch_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
    const url = databaseUrlNamed(name);
    afterAll(async () => {
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    });

    it('the migrate script creates the database when it does not exist', async () => {
      expect(await databaseExists(name)).toBe(false);
      const result = await runScript('migrate', [], { DATABASE_URL: url });
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      expect(await databaseExists(name)).toBe(true);
      const applied = await queryDatabase<{ name: string }>(url, 'SELECT name FROM migrations');
      expect(applied).toHaveLength(migrationCount());
    });

    it('a second run has nothing to do', async () => {
      const result = await runScript('migrate', [], { DATABASE_URL: url });
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('Database schema is up to date\n');
    });

    it('every migration reverts, leaving no table behind', async () => {
      const count = migrationCount();
      for (let i = 0; i < count; i++) {
        const result = await typeormCli(['migration:revert'], url);
        expect({ step: i + 1, code: result.code, stderr: result.stderr }).toEqual({
          step: i + 1,
          code: 0,
          stderr: '',
        });
      }
      expect(await queryDatabase(url, 'SELECT name FROM migrations')).toEqual([]);
      expect(await appTables(url)).toEqual([]);
    });

    it('migrates up again after a full revert and matches the entities', async () => {
      const result = await runScript('migrate', [], { DATABASE_URL: url });
      expect(result.code).toBe(0);
      const check = await runScript('check-schema', [], { DATABASE_URL: url });
      expect({ code: check.code, stdout: check.stdout }).toEqual({
        code: 0,
        stdout: 'Entities and migrations agree\n',
      });
    });
  });

  describe('the README run command (npm start, minus its build step)', () => {
    const name = `parley_start_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
    const url = databaseUrlNamed(name);
    afterAll(async () => {
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    });

    it('creates the database, migrates as its own step, then serves', async () => {
      const port = await freePort();
      const child = spawn('npm', ['run', 'start:prod'], {
        cwd: ROOT,
        env: testEnv({ DATABASE_URL: url, PORT: String(port) }),
        stdio: 'pipe',
        detached: true,
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      try {
        const ready = await waitFor(
          'the server to become ready',
          async () => {
            if (child.exitCode !== null) throw new Error(`npm run start:prod exited early:\n${output}`);
            const res = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined);
            return res?.status === 200 ? res : undefined;
          },
          45_000,
        );
        expect(await ready.json()).toMatchObject({ status: 'ok' });
        expect(await databaseExists(name)).toBe(true);
        const applied = await queryDatabase<{ name: string }>(url, 'SELECT name FROM migrations');
        expect(applied).toHaveLength(migrationCount());
        // The migrate step reports before the server starts logging.
        const migrateLine = output.search(/Applied migrations|Database schema is up to date/);
        const listenLine = output.indexOf('Parley listening');
        expect(migrateLine).toBeGreaterThanOrEqual(0);
        expect(listenLine).toBeGreaterThan(migrateLine);
      } finally {
        if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGTERM');
        await exited;
      }
    });
  });
});
