import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, runScript, startApp, testEnv, type TestApp } from '../support/app';
import { Http } from '../support/http';
import { registerUser } from '../support/users';
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

  describe('upgrading a database that holds messages', () => {
    const name = `parley_upgrade_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
    const url = databaseUrlNamed(name);
    let app: TestApp | undefined;
    afterAll(async () => {
      await app?.stop();
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    });

    it('MessageDetailFlags: history shows the reactions and attachments sent before it', async () => {
      expect((await runScript('migrate', [], { DATABASE_URL: url })).code).toBe(0);
      app = await startApp({ DATABASE_URL: url });
      const http = Http.for(app);
      const [alice, bob] = await Promise.all([registerUser(app), registerUser(app)]);
      const room = await http.post(
        '/api/v1/rooms',
        { type: 'group', name: 'before the upgrade', memberIds: [bob.user.id] },
        { token: alice.accessToken },
      );
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(Buffer.from('notes'))]), 'notes.txt');
      const uploaded = await fetch(`${app.url}/api/v1/media`, {
        method: 'POST',
        headers: { authorization: `Bearer ${alice.accessToken}` },
        body: form,
      });
      const media = (await uploaded.json()) as { id: string };
      const send = async (content: string, attachmentIds: string[] = []): Promise<string> => {
        const sent = await http.post(
          `/api/v1/rooms/${room.body.id}/messages`,
          { clientMessageId: content, content, attachmentIds },
          { token: alice.accessToken },
        );
        expect(sent.status).toBe(201);
        return sent.body.id;
      };
      await send('plain');
      await send('with a file', [media.id]);
      const reacted = await send('reacted to');
      const unreacted = await send('reacted to, then not');
      const react = (id: string, method: 'put' | 'delete') =>
        http[method](`/api/v1/messages/${id}/reactions/ok`, undefined, { token: bob.accessToken });
      expect((await react(reacted, 'put')).status).toBe(204);
      expect((await react(unreacted, 'put')).status).toBe(204);
      expect((await react(unreacted, 'delete')).status).toBe(204);
      const page = async (server: TestApp) =>
        (await Http.for(server).get(`/api/v1/rooms/${room.body.id}/messages`, { token: alice.accessToken }))
          .body.items;
      const before = await page(app);
      await app.stop();
      app = undefined;

      // Back to the schema before the migration, then up again: its backfill must restore what the page showed.
      const reverted = await typeormCli(['migration:revert'], url);
      expect(reverted.stdout).toContain('MessageDetailFlags');
      expect((await runScript('migrate', [], { DATABASE_URL: url })).code).toBe(0);
      app = await startApp({ DATABASE_URL: url });
      const after = await page(app);
      expect(after).toEqual(before);
      expect(
        after.map((message: { content: string; reactions: unknown[]; attachments: unknown[] }) => [
          message.content,
          message.reactions.length,
          message.attachments.length,
        ]),
      ).toEqual([
        ['reacted to, then not', 0, 0],
        ['reacted to', 1, 0],
        ['with a file', 0, 1],
        ['plain', 0, 0],
      ]);
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
