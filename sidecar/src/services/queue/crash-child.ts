/**
 * The process crash.test.ts kills: it opens a data store and a queue (embedded: the SQLite file
 * in a data dir; server: PostgreSQL in a schema and BullMQ under a Redis prefix, from
 * ENSOUL_DATABASE_URL and ENSOUL_REDIS_URL),
 * then, until killed, enqueues jobs and writes records, printing a line for each only once the
 * write has committed, while a worker runs the jobs. `drain` mode enqueues nothing and exits
 * once no job is left to run.
 *
 * Each job adds its n to a running total, in one transaction with a marker record named after
 * the job: a job that runs again after a crash finds its marker and changes nothing. That is the
 * idempotence by job id that at-least-once delivery asks of handlers; the test checks the total.
 *
 * Lines on stdout: "ready", "job <id> <n>", "rec <id> <sha256>", "drained".
 * Arguments: DATA_DIR work|drain [embedded | server SCHEMA PREFIX].
 */
import { createHash, randomInt } from "node:crypto";
import { openDataStore, type DataStore } from "../data/index.js";
import { openBullmqQueue } from "./bullmq.js";
import { queueServiceOver, type QueueBackend } from "./index.js";
import { openSqliteQueue } from "./sqlite.js";

const CRASH_JOB = "crash.add";

interface Total {
  sum: number;
  count: number;
}

interface RecordDoc {
  text: string;
  sha256: string;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

async function main(): Promise<void> {
  const [dataDir, mode, adapter = "embedded", schema = "", prefix = ""] = process.argv.slice(2);
  if (!dataDir) throw new Error("usage: crash-child DATA_DIR work|drain [embedded | server SCHEMA PREFIX]");
  const server = adapter === "server";
  const store: DataStore = server
    ? await openDataStore({ mode: "server", dataDir, databaseUrl: process.env["ENSOUL_DATABASE_URL"]!, schema })
    : await openDataStore({ mode: "embedded", dataDir });
  await store.define({ name: "crash_records" });
  await store.define({ name: "crash_markers" });
  await store.define({ name: "crash_totals" });
  // Short leases, so a killed child's jobs come back quickly; no limit on how often that may happen.
  const backend: QueueBackend = server
    ? await openBullmqQueue({ redisUrl: process.env["ENSOUL_REDIS_URL"]!, prefix, leaseMs: 600, maxStalls: 1000 })
    : await openSqliteQueue(store, { leaseMs: 600, pollMs: 10, maxStalls: 1000 });
  const queue = queueServiceOver(backend);
  queue.process(
    CRASH_JOB,
    async (job) => {
      const n = (job.payload as { n: number }).n;
      await job.reportProgress(0.5);
      await store.transaction(async (tx) => {
        const markers = tx.collection<{ n: number }>("crash_markers");
        if (await markers.get(job.id)) return;
        await markers.insert({ id: job.id, doc: { n } });
        // A read-modify-write: ifVersion makes a concurrent writer's update fail (and the job
        // retry) instead of being lost, whatever isolation the database runs at.
        const totals = tx.collection<Total>("crash_totals");
        const stored = await totals.get("total");
        const total = stored?.doc ?? { sum: 0, count: 0 };
        await totals.put({ id: "total", doc: { sum: total.sum + n, count: total.count + 1 } }, { ifVersion: stored?.version ?? 0 });
      });
      return { added: n };
    },
    { concurrency: 4 },
  );
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  say("ready");
  if (mode === "drain") {
    for (;;) {
      const left = await queue.list({ name: CRASH_JOB, states: ["waiting", "delayed", "active"], limit: 1 });
      if (left.length === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    say("drained");
    await queue.close();
    await store.close();
    return;
  }
  const records = store.collection<RecordDoc>("crash_records");
  for (let i = 0; ; i++) {
    const n = randomInt(1, 1000);
    const job = await queue.enqueue(CRASH_JOB, { n }, { attempts: 100, backoff: { type: "fixed", delayMs: 5 } });
    say(`job ${job.id} ${n}`);
    // Records of varied size, so a torn write would show as a wrong checksum or bad JSON.
    const text = `${process.pid}-${i}-`.padEnd(randomInt(10, 20_000), String.fromCharCode(97 + (i % 26)));
    const id = `rec-${process.pid}-${i}`;
    await records.put({ id, doc: { text, sha256: sha256(text) } });
    say(`rec ${id} ${sha256(text)}`);
    await new Promise((r) => setTimeout(r, randomInt(1, 6)));
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`crash-child: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
