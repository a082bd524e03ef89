/**
 * Crash test of the embedded data store and queue together: a child process (crash-child.ts)
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
import { afterAll, beforeAll, expect, it } from "vitest";
import { openDataStore, type DataStore } from "../data/index.js";
import type { JobInfo } from "./index.js";
import { openSqliteQueue } from "./sqlite.js";

const KILLS = 20;
const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../../../..");
let bundleDir: string;
let childScript: string;
let dataDir: string;

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
  dataDir = mkdtempSync(path.join(tmpdir(), "ensoul-crash-"));
});

afterAll(() => {
  rmSync(bundleDir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

interface ChildRun {
  child: ChildProcess;
  lines: string[];
  /** Resolves when the child printed `line`. */
  saw(line: string): Promise<void>;
  exited: Promise<number | null>;
}

function startChild(mode: "work" | "drain"): ChildRun {
  const child = spawn(process.execPath, [childScript, dataDir, mode], { stdio: ["ignore", "pipe", "pipe"] });
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

/** What the children said had committed, over all runs. */
const committedJobs = new Map<string, number>();
const committedRecords = new Map<string, string>();

function collect(lines: string[]): void {
  for (const line of lines) {
    const [kind, id, value] = line.split(" ");
    if (kind === "job") committedJobs.set(id!, Number(value));
    if (kind === "rec") committedRecords.set(id!, value!);
  }
}

async function withStore<R>(work: (store: DataStore) => Promise<R>): Promise<R> {
  const store = await openDataStore({ mode: "embedded", dataDir });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/** Every record and job reported as committed is there, and every record is whole. */
async function checkCommitted(store: DataStore): Promise<void> {
  const records = await store.define<{ text: string; sha256: string }>({ name: "crash_records" });
  for (const [id, sha] of committedRecords) {
    const record = await records.get(id);
    expect(record, `record ${id}`).toBeDefined();
    expect(record!.doc.sha256).toBe(sha);
    expect(createHash("sha256").update(record!.doc.text).digest("hex"), `record ${id} is whole`).toBe(sha);
  }
  const queue = await openSqliteQueue(store);
  for (const id of committedJobs.keys()) expect(await queue.get(id), `job ${id}`).toBeDefined();
  await queue.close();
}

it(`loses no committed record and no job across ${KILLS} SIGKILLs, and runs every job's effect exactly once`, async () => {
  for (let kill = 0; kill < KILLS; kill++) {
    const run = startChild("work");
    await run.saw("ready");
    await new Promise((r) => setTimeout(r, randomInt(20, 250)));
    run.child.kill("SIGKILL");
    await run.exited;
    collect(run.lines);
    await withStore(checkCommitted);
  }
  expect(committedJobs.size).toBeGreaterThan(KILLS);

  const drain = startChild("drain");
  await drain.saw("drained");
  expect(await drain.exited).toBe(0);

  await withStore(async (store) => {
    await checkCommitted(store);
    // Every job the store holds, read whole (more than a list call returns at once).
    const queue = await openSqliteQueue(store);
    const ids = await store.sql.query<{ id: string }>("SELECT id FROM queue_jobs WHERE name = ?", ["crash.add"]);
    const jobs = (await Promise.all(ids.map((row) => queue.get(row.id)))) as JobInfo[];
    await queue.close();
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
}, 120_000);
