/** Every size and duration of a run: the full benchmark, or the smoke version CI runs to keep the harness working. */
export interface Sizes {
  users: number;
  stepMs: number;
  warmupMs: number;
  maxSearchSteps: number;
  pgSeconds: number;
  throughput: { clients: number };
  latency: { clients: number; rate: number; durationMs: number };
  /** Every member sends now and then (one busy sender would hit the per-socket event rate limit). */
  fanout: { members: number; maxP99Ms: number };
  idle: { sockets: number };
  history: { messages: number; autocannonSec: number; connections: number; rate: number; durationMs: number };
  /** sockets = users × socketsPerUser (several devices per user keep the seeding short). */
  reconnect: { sockets: number; socketsPerUser: number; missedPerRoom: number; deadlineMs: number };
  scale: { clients: number };
}

export const FULL: Sizes = {
  users: 5000,
  stepMs: 5000,
  warmupMs: 3000,
  maxSearchSteps: 10,
  pgSeconds: 10,
  throughput: { clients: 1000 },
  latency: { clients: 1000, rate: 1000, durationMs: 20_000 },
  fanout: { members: 5000, maxP99Ms: 1000 },
  idle: { sockets: 20_000 },
  history: { messages: 1000, autocannonSec: 10, connections: 10, rate: 1000, durationMs: 10_000 },
  reconnect: { sockets: 10_000, socketsPerUser: 2, missedPerRoom: 2, deadlineMs: 60_000 },
  scale: { clients: 1000 },
};

export const SMOKE: Sizes = {
  users: 60,
  stepMs: 1500,
  warmupMs: 500,
  maxSearchSteps: 2,
  pgSeconds: 2,
  throughput: { clients: 40 },
  latency: { clients: 40, rate: 100, durationMs: 2000 },
  fanout: { members: 50, maxP99Ms: 1000 },
  idle: { sockets: 200 },
  history: { messages: 120, autocannonSec: 2, connections: 4, rate: 100, durationMs: 2000 },
  reconnect: { sockets: 60, socketsPerUser: 2, missedPerRoom: 2, deadlineMs: 15_000 },
  scale: { clients: 40 },
};
