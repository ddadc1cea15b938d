import { Client } from 'pg';

export interface ActivitySample {
  /** "state / wait_event_type:wait_event" of the server's connections, summed over the samples. */
  states: Record<string, number>;
  samples: number;
  /** Mean connections per state: how many of the pool's connections were doing what, on average. */
  mean: Record<string, number>;
}

/**
 * Samples pg_stat_activity of the bench database every `intervalMs` while `task` runs: whether the app's
 * connections wait on locks, on WAL flushes (commits), on the app itself (idle in transaction = PostgreSQL waiting
 * for the next statement), or sit idle.
 */
export async function sampleActivity<T>(
  url: string,
  database: string,
  task: () => Promise<T>,
  intervalMs = 50,
): Promise<{ result: T; activity: ActivitySample }> {
  const client = new Client({ connectionString: url, application_name: 'parley-bench-sampler' });
  await client.connect();
  const states: Record<string, number> = {};
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await client.query<{ state: string | null; wait: string | null }>(
        `SELECT state, wait_event_type || ':' || wait_event AS wait FROM pg_stat_activity
          WHERE datname = $1 AND pid <> pg_backend_pid() AND application_name <> 'parley-bench-sampler'
            AND backend_type = 'client backend'`,
        [database],
      );
      samples++;
      for (const row of rows) {
        const key = `${row.state ?? '?'}${row.wait ? ` / ${row.wait}` : ''}`;
        states[key] = (states[key] ?? 0) + 1;
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  try {
    const result = await task();
    return { result, activity: summarize(states, samples) };
  } finally {
    running = false;
    await loop.catch(() => undefined);
    await client.end();
  }
}

function summarize(states: Record<string, number>, samples: number): ActivitySample {
  const mean: Record<string, number> = {};
  for (const [key, count] of Object.entries(states).sort((a, b) => b[1] - a[1])) {
    mean[key] = Math.round((count / Math.max(1, samples)) * 100) / 100;
  }
  return { states, samples, mean };
}
