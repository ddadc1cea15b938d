import { readFileSync } from 'node:fs';
import { withPg } from './infra';

/** Jiffies the CPUs spent busy and in all, summed over every core (the first line of /proc/stat). */
function cpuTimes(): { busy: number; total: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((sum, value) => sum + value, 0);
    // idle and iowait
    return { busy: total - fields[3] - (fields[4] ?? 0), total };
  } catch {
    return undefined;
  }
}

export interface SettleOptions {
  /** Quiet means the CPUs were busy less than this share (of all cores) over one window. */
  quietPercent: number;
  windowMs: number;
  /** Give up waiting after this long and start anyway: a shared machine may never go quiet. */
  maxMs: number;
}

export interface Settled {
  /** From the start of the CHECKPOINT until quiet (or until maxMs). */
  waitedMs: number;
  /** CPU busy share (all cores) in the last window: below quietPercent unless the wait gave up. */
  busyPercent: number | null;
  quiet: boolean;
  /** False when PostgreSQL refused the CHECKPOINT (it needs a superuser or pg_checkpoint). */
  checkpoint: boolean;
}

export const SETTLE: SettleOptions = { quietPercent: 10, windowMs: 1_000, maxMs: 30_000 };

/**
 * Lets the machine go quiet before a scenario, so that one does not measure what the previous one left running.
 * A CHECKPOINT first writes out what it left dirty in PostgreSQL (otherwise the checkpointer does it during the
 * next scenario); then the wait lasts until the CPUs were busy less than `quietPercent` over two windows in a
 * row: PostgreSQL's background work, a previous server's exit, another tenant of the machine. The ceilings are
 * measured on a quiet machine too.
 */
export async function settle(databaseUrl: string, options: SettleOptions = SETTLE): Promise<Settled> {
  const started = Date.now();
  const checkpoint = await withPg(databaseUrl, (client) => client.query('CHECKPOINT')).then(
    () => true,
    () => false,
  );
  let quietWindows = 0;
  let busyPercent: number | null = null;
  const outcome = (quiet: boolean): Settled => ({
    waitedMs: Date.now() - started,
    busyPercent,
    quiet,
    checkpoint,
  });
  let before = cpuTimes();
  while (before && Date.now() - started < options.maxMs) {
    await new Promise((resolve) => setTimeout(resolve, options.windowMs));
    const after = cpuTimes();
    if (!after) break;
    const total = after.total - before.total;
    busyPercent = total > 0 ? Math.round((1000 * (after.busy - before.busy)) / total) / 10 : 0;
    before = after;
    quietWindows = busyPercent < options.quietPercent ? quietWindows + 1 : 0;
    if (quietWindows >= 2) return outcome(true);
  }
  return outcome(false);
}

/** One line for the step log. */
export function describeSettled(settled: Settled): string {
  const seconds = (settled.waitedMs / 1000).toFixed(1);
  const busy = settled.busyPercent === null ? 'CPU use unknown' : `CPUs ${settled.busyPercent} % busy`;
  const checkpoint = settled.checkpoint ? 'CHECKPOINT, then ' : 'no CHECKPOINT (refused), ';
  return settled.quiet
    ? `${checkpoint}quiet after ${seconds} s (${busy})`
    : `${checkpoint}not quiet after ${seconds} s (${busy}); starting anyway`;
}

/** The report's line on how each scenario started: empty for smoke runs, which do not wait. */
export function settledLine(outcomes: Array<{ name: string; settled?: Settled }>): string[] {
  const waited = outcomes.filter((outcome) => outcome.settled);
  if (waited.length === 0) return [];
  const parts = waited.map(({ name, settled }) => {
    const seconds = `${((settled?.waitedMs ?? 0) / 1000).toFixed(1)} s`;
    return settled?.quiet
      ? `${name} ${seconds}`
      : `${name} ${seconds} (not quiet: ${settled?.busyPercent} % busy)`;
  });
  return [
    `Wait for a quiet machine before each scenario (CHECKPOINT, then CPUs < ${SETTLE.quietPercent} % busy for ` +
      `two ${SETTLE.windowMs / 1000} s windows, at most ${SETTLE.maxMs / 1000} s): ${parts.join(', ')}.`,
    '',
  ];
}
