/**
 * The embedded queue: jobs are rows of `queue_jobs` in the data service's SQLite file, so a
 * job and the records its handler writes live in one database and survive the same crashes.
 *
 * A worker claims a job with one UPDATE … RETURNING that also sets a lease (owner + expiry) and
 * renews the lease while the handler runs. Every later write about that try (progress, result,
 * failure) is conditional on still holding the lease, so a worker that lost its lease (it was
 * too slow, or presumed dead) cannot overwrite the try that replaced it. Any worker of the same
 * name reclaims jobs whose lease ran out: that is how a job survives its worker's death.
 */
import { EnsoulError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import {
  CANCELLED_FAILURE,
  checkJobSpec,
  type EnqueueOptions,
  type JobFailure,
  type JobHandler,
  type JobInfo,
  type JobState,
  type JobWorker,
  type Json,
  type WorkerOptions,
} from "./job.js";
import { JobEventHub, type JobListFilter, type QueueBackend } from "./index.js";
import { SqliteWorker, type LeaseSettings } from "./sqlite-worker.js";

/** The part of the data service this adapter uses (a DataStore in sqlite mode fits). */
export interface QueueSqlStore {
  readonly sql: {
    readonly dialect: "sqlite" | "postgres";
    query<R extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
    execute(sql: string, params?: unknown[]): Promise<number>;
  };
  migrate(owner: string, migrations: readonly { version: number; description: string; up: string }[]): Promise<void>;
}

export const QUEUE_MIGRATIONS = [
  {
    version: 1,
    description: "queue_jobs: one row per job, with its lease while a worker holds it",
    up: `
      CREATE TABLE queue_jobs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        payload TEXT NOT NULL,
        project TEXT NOT NULL,
        subject TEXT NOT NULL,
        state TEXT NOT NULL,
        priority INTEGER NOT NULL,
        run_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL,
        started INTEGER NOT NULL DEFAULT 0,
        failures INTEGER NOT NULL DEFAULT 0,
        stalls INTEGER NOT NULL DEFAULT 0,
        backoff_type TEXT NOT NULL,
        backoff_ms INTEGER NOT NULL,
        lease_owner TEXT,
        lease_until INTEGER,
        cancel_requested INTEGER NOT NULL DEFAULT 0,
        progress TEXT,
        result TEXT,
        error_code TEXT,
        error_message TEXT,
        created_at INTEGER NOT NULL,
        finished_at INTEGER
      );
      CREATE INDEX queue_jobs_ready ON queue_jobs (name, priority DESC, run_at, seq) WHERE state = 'waiting';
      CREATE INDEX queue_jobs_leased ON queue_jobs (name, lease_until) WHERE state = 'active';
      CREATE INDEX queue_jobs_project ON queue_jobs (project, seq)
    `,
  },
] as const;

/** A row of queue_jobs. */
export interface JobRow {
  [column: string]: unknown;
  id: string;
  name: string;
  payload: string;
  project: string;
  subject: string;
  state: string;
  priority: number;
  run_at: number;
  attempts: number;
  started: number;
  failures: number;
  stalls: number;
  backoff_type: string;
  backoff_ms: number;
  lease_owner: string | null;
  cancel_requested: number;
  progress: string | null;
  result: string | null;
  error_code: string | null;
  error_message: string | null;
  created_at: number;
  finished_at: number | null;
}

export function jobFromRow(row: JobRow, nowMs = Date.now()): JobInfo {
  let state = row.state as JobState;
  if (state === "waiting" && row.run_at > nowMs) state = "delayed";
  const job: JobInfo = {
    id: row.id,
    name: row.name,
    payload: JSON.parse(row.payload) as Json,
    owner: { project: row.project, subject: row.subject },
    state,
    priority: row.priority,
    attempts: row.attempts,
    attemptsMade: row.started,
    cancelRequested: row.cancel_requested !== 0,
    createdAtMs: row.created_at,
    runAtMs: row.run_at,
  };
  if (row.progress !== null) job.progress = JSON.parse(row.progress) as JobInfo["progress"];
  if (row.result !== null) job.result = JSON.parse(row.result) as Json;
  if (row.error_code !== null) job.error = { code: row.error_code, message: row.error_message ?? "" } as JobFailure;
  if (row.finished_at !== null) job.finishedAtMs = row.finished_at;
  return job;
}

export interface SqliteQueueOptions extends Partial<LeaseSettings> {
  /** How often an idle worker looks for jobs another process enqueued, or leases that ran out (default 200). */
  pollMs?: number;
  /** Where a failure of a worker's own bookkeeping goes (default: a process warning); the worker carries on. */
  onError?: (err: unknown) => void;
}

const LIST_LIMIT = 1000;

class SqliteQueue implements QueueBackend {
  readonly kind = "sqlite" as const;
  readonly events = new JobEventHub();
  private readonly workers = new Set<SqliteWorker>();
  private closed = false;

  constructor(
    private readonly store: QueueSqlStore,
    private readonly settings: LeaseSettings & Required<Pick<SqliteQueueOptions, "pollMs" | "onError">>,
  ) {}

  async enqueue(name: string, payload: Json, options: EnqueueOptions = {}): Promise<JobInfo> {
    this.throwIfClosed();
    const spec = checkJobSpec(newId("job"), name, payload, options, Date.now());
    const rows = await this.store.sql.query<JobRow>(
      `INSERT INTO queue_jobs (id, name, payload, project, subject, state, priority, run_at, attempts, backoff_type, backoff_ms, created_at)
       VALUES (?, ?, ?, ?, ?, 'waiting', ?, ?, ?, ?, ?, ?) RETURNING *`,
      [spec.id, spec.name, JSON.stringify(spec.payload), spec.owner.project, spec.owner.subject, spec.priority,
        spec.createdAtMs + spec.delayMs, spec.attempts, spec.backoff.type, spec.backoff.delayMs, spec.createdAtMs],
    );
    for (const worker of this.workers) if (worker.name === name) worker.wake();
    return jobFromRow(rows[0]!);
  }

  async get(id: string): Promise<JobInfo | undefined> {
    const rows = await this.store.sql.query<JobRow>("SELECT * FROM queue_jobs WHERE id = ?", [id]);
    return rows[0] ? jobFromRow(rows[0]) : undefined;
  }

  async list(filter: JobListFilter = {}): Promise<JobInfo[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.project !== undefined) (where.push("project = ?"), params.push(filter.project));
    if (filter.name !== undefined) (where.push("name = ?"), params.push(filter.name));
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), LIST_LIMIT);
    // "delayed" is a waiting job whose run time is ahead; filter states after reading.
    const states = filter.states && filter.states.length > 0 ? new Set(filter.states) : undefined;
    if (states) {
      const stored = [...states].map((s) => (s === "delayed" ? "waiting" : s));
      where.push(`state IN (${stored.map(() => "?").join(", ")})`);
      params.push(...stored);
    }
    const out: JobInfo[] = [];
    const nowMs = Date.now();
    // Page through newest first until `limit` jobs pass the state filter.
    for (let beforeSeq = Number.MAX_SAFE_INTEGER; out.length < limit; ) {
      const rows = await this.store.sql.query<JobRow>(
        `SELECT * FROM queue_jobs WHERE ${[...where, "seq < ?"].join(" AND ")} ORDER BY seq DESC LIMIT ?`,
        [...params, beforeSeq, limit],
      );
      for (const row of rows) {
        const job = jobFromRow(row, nowMs);
        if (!states || states.has(job.state)) out.push(job);
        if (out.length === limit) break;
      }
      if (rows.length < limit) break;
      beforeSeq = rows[rows.length - 1]!["seq"] as number;
    }
    return out;
  }

  async prune(finishedBeforeMs: number): Promise<number> {
    const gone = await this.store.sql.query<{ id: string }>(
      "DELETE FROM queue_jobs WHERE state IN ('completed', 'failed', 'cancelled') AND finished_at < ? RETURNING id",
      [finishedBeforeMs],
    );
    return gone.length;
  }

  async cancel(id: string): Promise<JobInfo> {
    const nowMs = Date.now();
    const cancelled = await this.store.sql.query<JobRow>(
      `UPDATE queue_jobs SET state = 'cancelled', finished_at = ?, error_code = ?, error_message = ?
       WHERE id = ? AND state = 'waiting' RETURNING *`,
      [nowMs, CANCELLED_FAILURE.code, CANCELLED_FAILURE.message, id],
    );
    if (cancelled[0]) {
      this.events.emit({ type: "cancelled", jobId: id });
      return jobFromRow(cancelled[0], nowMs);
    }
    // Running: ask its worker to stop. A worker in this process hears it now, one in another
    // process when it next renews its lease.
    const asked = await this.store.sql.query<JobRow>(
      "UPDATE queue_jobs SET cancel_requested = 1 WHERE id = ? AND state = 'active' RETURNING *",
      [id],
    );
    if (asked[0]) {
      for (const worker of this.workers) worker.abortJob(id, "cancelled");
      return jobFromRow(asked[0], nowMs);
    }
    const job = await this.get(id);
    if (!job) throw new EnsoulError("NOT_FOUND", `no job ${id}`, { field: "jobId" });
    return job;
  }

  process(name: string, handler: JobHandler, options: WorkerOptions = {}): JobWorker {
    this.throwIfClosed();
    const worker = new SqliteWorker(this.store.sql, this.events, name, handler, {
      ...this.settings,
      concurrency: options.concurrency ?? 1,
      onClosed: () => this.workers.delete(worker),
    });
    this.workers.add(worker);
    worker.start();
    return worker;
  }

  onEvent(listener: Parameters<JobEventHub["on"]>[0]): () => void {
    return this.events.on(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.workers].map((w) => w.close()));
  }

  private throwIfClosed(): void {
    if (this.closed) throw new EnsoulError("UNAVAILABLE", "the queue is closed");
  }
}

/**
 * The embedded queue over the data service's store (its SQLite file). Creates the queue's
 * tables through the store's migrations.
 */
export async function openSqliteQueue(store: QueueSqlStore, options: SqliteQueueOptions = {}): Promise<QueueBackend> {
  if (store.sql.dialect !== "sqlite") {
    throw new EnsoulError("FAILED_PRECONDITION", "the embedded queue needs the embedded (SQLite) data store; server mode queues on Redis");
  }
  await store.migrate("queue", QUEUE_MIGRATIONS);
  return new SqliteQueue(store, {
    leaseMs: options.leaseMs ?? 30_000,
    maxStalls: options.maxStalls ?? 5,
    pollMs: options.pollMs ?? 200,
    onError: options.onError ?? ((err) => process.emitWarning(`queue worker: ${(err as Error).message}`)),
  });
}

