/**
 * Crash test of the data store and the queue together, in both modes (embedded: one SQLite
 * file; server: PostgreSQL and BullMQ on Redis): a child process (crash-child.ts)
 * writes records and enqueues and runs jobs, and is killed with SIGKILL at a random moment, 20
 * times. After every kill, each record and job the child reported as committed is there and
 * whole; at the end a last child drains the queue and every job has completed, its effect
 * applied exactly once (the children's total equals the sum over all jobs).
 *
 * The child is bundled once with esbuild so each start costs a plain `node` start, not a
 * TypeScript compile: twenty restarts stay within seconds.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomInt } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../lib/ids.js";
import { databaseUrl } from "../data/contract.testkit.js";
import { openDataStore, type DataStore } from "../data/index.js";
import { openPostgresStore } from "../data/postgres.js";
import { openBullmqQueue } from "./bullmq.js";
import { deleteRedisPrefix, testRedisUrl } from "./contract.testkit.js";
import type { JobInfo, QueueBackend } from "./index.js";
import { openSqliteQueue } from "./sqlite.js";

const KILLS = 20;
const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../../../..");
let bundleDir: string;
let childScript: string;

beforeAll(async () => {
  // Inside the repository, so the bundle's bare imports (better-sqlite3, …) resolve from node_modules.
  bundleDir = path.join(repoRoot, "node_modules", ".cache", `ensoul-crash-${process.pid}-${randomInt(1e9)}`);
  mkdirSync(bundleDir, { recursive: true });
  childScript = path.join(bundleDir, "crash-child.mjs");
  await build({
    entryPoints: [path.join(here, "crash-child.ts")],
    outfile: childScript,
    bundle: true,
    platform: "node",
    format: "esm",
    packages: "external",
    logLevel: "silent",
  });
});

afterAll(() => {
  rmSync(bundleDir, { recursive: true, force: true });
});

/** Where one mode's child keeps its records and jobs, and how the test reads them back. */
interface CrashSetup {
  childArgs: string[];
  openStore(): Promise<DataStore>;
  openQueue(store: DataStore): Promise<QueueBackend>;
  /** Every crash job's id the store holds. */
  jobIds(store: DataStore): Promise<string[]>;
  cleanup(): Promise<void>;
}

function embeddedSetup(): CrashSetup {
  const dataDir = mkdtempSync(path.join(tmpdir(), "ensoul-crash-"));
  return {
    childArgs: [dataDir, "embedded"],
    openStore: () => openDataStore({ mode: "embedded", dataDir }),
    openQueue: (store) => openSqliteQueue(store),
    jobIds: async (store) => (await store.sql.query<{ id: string }>("SELECT id FROM queue_jobs WHERE name = ?", [CRASH_JOB])).map((r) => r.id),
    cleanup: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

function serverSetup(): CrashSetup {
  const url = databaseUrl();
  const redisUrl = testRedisUrl();
  const dataDir = mkdtempSync(path.join(tmpdir(), "ensoul-crash-"));
  const schema = `ensoul_crash_${randomInt(1e9)}`;
  const prefix = `ensoul-crash-${newId("q", 6)}`;
  return {
    childArgs: [dataDir, "server", schema, prefix],
    openStore: () => openDataStore({ mode: "server", dataDir, databaseUrl: url, schema }),
    openQueue: () => openBullmqQueue({ redisUrl, prefix }),
    jobIds: async () => {
      const redis = new Redis(redisUrl);
      try {
        return await redis.zrange(`${prefix}:~all`, 0, -1);
      } finally {
        redis.disconnect();
      }
    },
    cleanup: async () => {
      await (await openPostgresStore({ url, schema, dropSchemaOnClose: true })).close();
      await deleteRedisPrefix(redisUrl, prefix);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const CRASH_JOB = "crash.add";

interface ChildRun {
  child: ChildProcess;
  lines: string[];
  /** Resolves when the child printed `line`. */
  saw(line: string): Promise<void>;
  exited: Promise<number | null>;
}

function startChild(setup: CrashSetup, mode: "work" | "drain"): ChildRun {
  const [dataDir, ...adapterArgs] = setup.childArgs;
  const child = spawn(process.execPath, [childScript, dataDir!, mode, ...adapterArgs], { stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  const waiters: { line: string; resolve: () => void }[] = [];
  let partial = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split("\n");
    partial = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      for (const w of waiters.filter((w) => w.line === line)) w.resolve();
    }
  });
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    lines,
    exited,
    saw: (line) =>
      new Promise<void>((resolve, reject) => {
        if (lines.includes(line)) return resolve();
        waiters.push({ line, resolve });
        void exited.then((code) => reject(new Error(`the child exited (${code}) before "${line}": ${stderr}`)));
      }),
  };
}

describe.each([
  ["embedded (SQLite)", embeddedSetup],
  ["server (PostgreSQL + BullMQ)", serverSetup],
] as const)("crash test, %s", (_mode, makeSetup) => {
  let setup: CrashSetup;
  /** What the children said had committed, over all runs. */
  const committedJobs = new Map<string, number>();
  const committedRecords = new Map<string, string>();

  beforeAll(() => {
    setup = makeSetup();
  });
  afterAll(async () => {
    await setup?.cleanup();
  });

  /** Adds what a run reported to the totals; returns that run's own part. */
  function collect(lines: string[]): { jobs: Map<string, number>; records: Map<string, string> } {
    const run = { jobs: new Map<string, number>(), records: new Map<string, string>() };
    for (const line of lines) {
      const [kind, id, value] = line.split(" ");
      if (kind === "job") run.jobs.set(id!, Number(value)), committedJobs.set(id!, Number(value));
      if (kind === "rec") run.records.set(id!, value!), committedRecords.set(id!, value!);
    }
    return run;
  }

  async function withStore<R>(work: (store: DataStore, queue: QueueBackend) => Promise<R>): Promise<R> {
    const store = await setup.openStore();
    const queue = await setup.openQueue(store);
    try {
      return await work(store, queue);
    } finally {
      await queue.close();
      await store.close();
    }
  }

  /** Every record and job reported as committed is there, and every record is whole. */
  async function checkCommitted(
    store: DataStore,
    queue: QueueBackend,
    committed = { jobs: committedJobs, records: committedRecords },
  ): Promise<void> {
    const records = await store.define<{ text: string; sha256: string }>({ name: "crash_records" });
    for (const [id, sha] of committed.records) {
      const record = await records.get(id);
      expect(record, `record ${id}`).toBeDefined();
      expect(record!.doc.sha256).toBe(sha);
      expect(createHash("sha256").update(record!.doc.text).digest("hex"), `record ${id} is whole`).toBe(sha);
    }
    for (const id of committed.jobs.keys()) expect(await queue.get(id), `job ${id}`).toBeDefined();
  }

  it(`loses no committed record and no job across ${KILLS} SIGKILLs, and runs every job's effect exactly once`, async () => {
    for (let kill = 0; kill < KILLS; kill++) {
      const run = startChild(setup, "work");
      await run.saw("ready");
      await new Promise((r) => setTimeout(r, randomInt(20, 250)));
      run.child.kill("SIGKILL");
      await run.exited;
      // What this run reported is there after its kill; the end checks everything again.
      const reported = collect(run.lines);
      await withStore((store, queue) => checkCommitted(store, queue, reported));
    }
    expect(committedJobs.size).toBeGreaterThan(KILLS);

    const drain = startChild(setup, "drain");
    await drain.saw("drained");
    expect(await drain.exited).toBe(0);

    await withStore(async (store, queue) => {
      await checkCommitted(store, queue);
      // Every job the store holds, read whole (more than a list call returns at once).
      // (BullMQ: an id indexed by an enqueue killed before BullMQ stored the job finds nothing; it never ran.)
      const found = await Promise.all((await setup.jobIds(store)).map((id) => queue.get(id)));
      const jobs = found.filter((job): job is JobInfo => job !== undefined);
      const notCompleted = jobs.filter((j) => j.state !== "completed");
      expect(notCompleted.map((j) => `${j.id}: ${j.state}`)).toEqual([]);
      for (const id of committedJobs.keys()) expect(jobs.some((j) => j.id === id)).toBe(true);
      // Jobs enqueued but killed before the child could say so still count: the store has them.
      const expectedSum = jobs.reduce((sum, j) => sum + (j.payload as { n: number }).n, 0);
      const totals = await store.define<{ sum: number; count: number }>({ name: "crash_totals" });
      expect((await totals.get("total"))?.doc).toEqual({ sum: expectedSum, count: jobs.length });
      const markers = await store.define({ name: "crash_markers" });
      expect(await markers.count()).toBe(jobs.length);
    });
  }, 180_000);
});
