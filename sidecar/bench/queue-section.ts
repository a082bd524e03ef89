/**
 * The queue's section of `npm run bench:data`: the embedded queue (SQLite file) against BullMQ
 * (the Redis of ENSOUL_REDIS_URL, a prefix of its own removed afterwards), in the same run.
 *   - enqueue→done latency: one job at a time, from enqueue until its completion event reaches
 *     the enqueuing process (median and p95);
 *   - enqueue: jobs stored per second, no worker running;
 *   - jobs/s: a worker with concurrency 8 draining those jobs, enqueue of the first to
 *     completion of the last.
 * The handler does nothing, so the figures are the queue's own cost. The reference row is the
 * floor each store puts under one job, measured in the same run with the bare client: SQLite's
 * insert + claim + complete as three prepared statements; Redis's LPUSH answered by a BRPOP on
 * a second connection.
 * BENCH_QUEUE_N sets the jobs per throughput measure (default 1000).
 */
import { mkdtempSync, rmSync } from "node:fs";
import Database from "better-sqlite3";
import { Redis } from "ioredis";
import { tmpdir } from "node:os";
import path from "node:path";
import { openDataStore } from "../src/services/data/index.js";
import { openBullmqQueue } from "../src/services/queue/bullmq.js";
import { queueServiceOver, type QueueService } from "../src/services/queue/index.js";
import { openSqliteQueue } from "../src/services/queue/sqlite.js";
import { deleteRedisPrefix } from "../src/services/queue/contract.testkit.js";

const N = Number(process.env["BENCH_QUEUE_N"] ?? 1000);
const LATENCY_SAMPLES = 200;

/** One row of the side-by-side table (as bench:data prints them). */
export interface QueueBenchRow {
  measure: string;
  unit: "ops/s" | "ms";
  embedded: number;
  server: number;
}

/** Resolves with each job's completion, by id, as the queue announces it. */
function completions(queue: QueueService): { done(id: string): Promise<void>; stop(): void } {
  const waiting = new Map<string, () => void>();
  const finished = new Set<string>();
  const stop = queue.onEvent((event) => {
    if (event.type !== "completed") return;
    const resolve = waiting.get(event.jobId);
    if (resolve) {
      waiting.delete(event.jobId);
      resolve();
    } else finished.add(event.jobId);
  });
  return {
    done: (id) => (finished.delete(id) ? Promise.resolve() : new Promise<void>((resolve) => waiting.set(id, resolve))),
    stop,
  };
}

function percentile(sortedMs: number[], p: number): number {
  return sortedMs[Math.min(sortedMs.length - 1, Math.floor((p / 100) * sortedMs.length))]!;
}

async function medianMs(samples: number, op: (i: number) => Promise<unknown> | unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await op(i);
    times.push(performance.now() - t0);
  }
  return percentile(times.sort((a, b) => a - b), 50);
}

/** A bare better-sqlite3 connection set up as the data service sets up its own: the reference it is held to. */
export function rawSqlite(file: string): Database.Database {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  return db;
}

/** One job's floor on SQLite: insert, claim, complete, each a prepared statement on a bare connection. */
function rawSqliteRoundTripMs(file: string): Promise<number> {
  const db = rawSqlite(file);
  db.exec("CREATE TABLE raw_jobs (id INTEGER PRIMARY KEY, state TEXT NOT NULL, payload TEXT NOT NULL, result TEXT)");
  const insert = db.prepare("INSERT INTO raw_jobs (state, payload) VALUES ('waiting', ?)");
  const claim = db.prepare("UPDATE raw_jobs SET state = 'active' WHERE id = (SELECT id FROM raw_jobs WHERE state = 'waiting' LIMIT 1) RETURNING id, payload");
  const complete = db.prepare("UPDATE raw_jobs SET state = 'completed', result = ? WHERE id = ?");
  return medianMs(LATENCY_SAMPLES, (i) => {
    insert.run(JSON.stringify({ i }));
    const job = claim.get() as { id: number; payload: string };
    complete.run(job.payload, job.id);
  }).finally(() => db.close());
}

/** One job's floor on Redis: LPUSH on one connection, taken by a BRPOP waiting on another. */
async function rawRedisRoundTripMs(redisUrl: string, key: string): Promise<number> {
  const producer = new Redis(redisUrl);
  const consumer = new Redis(redisUrl);
  try {
    return await medianMs(LATENCY_SAMPLES, async (i) => {
      const taken = consumer.brpop(key, 5);
      await producer.lpush(key, JSON.stringify({ i }));
      await taken;
    });
  } finally {
    producer.disconnect();
    consumer.disconnect();
  }
}

/** [latency median ms, latency p95 ms, enqueue ops/s, jobs/s] for one queue. */
async function measure(queue: QueueService): Promise<number[]> {
  const seen = completions(queue);
  const latencyWorker = queue.process("bench.latency", async (job) => job.payload);
  const samples: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES + 20; i++) {
    const t0 = performance.now();
    const job = await queue.enqueue("bench.latency", { i });
    await seen.done(job.id);
    if (i >= 20) samples.push(performance.now() - t0); // the first few warm up connections and statements
  }
  await latencyWorker.close();
  samples.sort((a, b) => a - b);

  const t0 = performance.now();
  const ids: string[] = [];
  for (let i = 0; i < N; i++) ids.push((await queue.enqueue("bench.throughput", { i })).id);
  const enqueueSeconds = (performance.now() - t0) / 1000;
  const all = Promise.all(ids.map((id) => seen.done(id)));
  const drainStart = performance.now();
  const worker = queue.process("bench.throughput", async (job) => job.payload, { concurrency: 8 });
  await all;
  const drainSeconds = (performance.now() - drainStart) / 1000;
  await worker.close();
  seen.stop();
  return [percentile(samples, 50), percentile(samples, 95), N / enqueueSeconds, N / drainSeconds];
}

export const queueSection = {
  title: `queue: ${LATENCY_SAMPLES} jobs one at a time, then ${N} queued and drained (concurrency 8); embedded = SQLite, server = BullMQ`,
  async run(): Promise<QueueBenchRow[]> {
    const redisUrl = process.env["ENSOUL_REDIS_URL"];
    if (!redisUrl) throw new Error("ENSOUL_REDIS_URL is not set: bench:data compares the queue against BullMQ on a real Redis (e.g. redis://127.0.0.1:6379)");
    const dir = mkdtempSync(path.join(tmpdir(), "ensoul-bench-queue-"));
    const prefix = `ensoul-bench-${process.pid}`;
    try {
      const store = await openDataStore({ mode: "embedded", dataDir: dir });
      const embeddedQueue = queueServiceOver(await openSqliteQueue(store));
      const e = await measure(embeddedQueue).finally(async () => {
        await embeddedQueue.close();
        await store.close();
      });
      const serverQueue = queueServiceOver(await openBullmqQueue({ redisUrl, prefix }));
      const s = await measure(serverQueue).finally(() => serverQueue.close());
      e.splice(1, 0, await rawSqliteRoundTripMs(path.join(dir, "raw.db")));
      s.splice(1, 0, await rawRedisRoundTripMs(redisUrl, `${prefix}:raw`));
      const rows: [string, QueueBenchRow["unit"]][] = [
        ["enqueue→done latency, median", "ms"],
        ["  bare store round trip, median (reference)", "ms"],
        ["enqueue→done latency, p95", "ms"],
        ["enqueue (no worker)", "ops/s"],
        ["jobs/s (enqueued, then drained)", "ops/s"],
      ];
      return rows.map(([measureName, unit], i) => ({ measure: measureName, unit, embedded: e[i]!, server: s[i]! }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await deleteRedisPrefix(redisUrl, prefix);
    }
  },
};
