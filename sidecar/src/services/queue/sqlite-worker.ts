/**
 * One embedded worker: claims jobs of one name from `queue_jobs`, runs up to `concurrency`
 * handlers at once, keeps their leases alive, and writes each try's outcome, all guarded by the
 * try's lease token (see sqlite.ts for why).
 */
import { newId } from "../../lib/ids.js";
import {
  backoffDelayMs,
  checkProgress,
  encodeJson,
  failureOf,
  type Backoff,
  type JobContext,
  type JobFailure,
  type JobHandler,
  type JobWorker,
  type Json,
} from "./job.js";
import type { JobEventHub } from "./index.js";
import type { JobRow, QueueSqlStore } from "./sqlite.js";

export interface LeaseSettings {
  /** How long a claimed job stays a worker's without renewal; a dead worker's jobs return after it. */
  leaseMs: number;
  /** Times a job may lose its worker (lease ran out) before it fails instead of running again. */
  maxStalls: number;
}

interface WorkerSettings extends LeaseSettings {
  concurrency: number;
  pollMs: number;
  onClosed(): void;
  /** Where a failure of the worker's own bookkeeping goes (the loop carries on). */
  onError(err: unknown): void;
}

/** Why a running handler's signal was aborted. */
type StopReason = "cancelled" | "closing" | "lease-lost";

interface Running {
  token: string;
  controller: AbortController;
  stop?: StopReason;
}

type Outcome = { ok: true; result: Json } | { ok: false; error: unknown };

export class SqliteWorker implements JobWorker {
  private readonly running = new Map<string, Running>();
  private readonly settled = new Set<Promise<void>>();
  private closed = false;
  private wakeUp: (() => void) | undefined;
  private loopDone: Promise<void> = Promise.resolve();
  private renewTimer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly sql: QueueSqlStore["sql"],
    private readonly events: JobEventHub,
    readonly name: string,
    private readonly handler: JobHandler,
    private readonly settings: WorkerSettings,
  ) {}

  start(): void {
    this.renewTimer = setInterval(() => void this.renewLeases().catch(this.settings.onError), Math.max(10, this.settings.leaseMs / 3));
    this.loopDone = this.loop();
  }

  /** Looks for work now rather than at the next poll. */
  wake(): void {
    this.wakeUp?.();
  }

  /** Aborts the handler of a job this worker runs (no-op otherwise). */
  abortJob(jobId: string, reason: StopReason): void {
    const running = this.running.get(jobId);
    if (!running || running.stop) return;
    running.stop = reason;
    running.controller.abort(reason);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      for (const id of this.running.keys()) this.abortJob(id, "closing");
      this.wake();
      await this.loopDone;
      await Promise.all(this.settled);
      clearInterval(this.renewTimer);
      this.settings.onClosed();
    })();
    return this.closing;
  }

  private async loop(): Promise<void> {
    while (!this.closed) {
      try {
        await this.reclaimExpired();
        while (!this.closed && this.running.size < this.settings.concurrency) {
          const row = await this.claim();
          if (!row) break;
          this.run(row);
        }
      } catch (err) {
        if (this.closed) break;
        this.settings.onError(err);
      }
      if (this.closed) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.settings.pollMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = undefined;
    }
  }

  private async claim(): Promise<JobRow | undefined> {
    const nowMs = Date.now();
    const rows = await this.sql.query<JobRow>(
      `UPDATE queue_jobs SET state = 'active', lease_owner = ?, lease_until = ?, started = started + 1
       WHERE id = (SELECT id FROM queue_jobs WHERE name = ? AND state = 'waiting' AND run_at <= ?
                   ORDER BY priority DESC, run_at, seq LIMIT 1)
       RETURNING *`,
      [newId("try", 12), nowMs + this.settings.leaseMs, this.name, nowMs],
    );
    return rows[0];
  }

  /** Puts back (or, past maxStalls, fails) jobs of this name whose worker stopped renewing. */
  private async reclaimExpired(): Promise<void> {
    const nowMs = Date.now();
    const stalled = `the worker running it stopped ${this.settings.maxStalls + 1} times (its lease ran out)`;
    const rows = await this.sql.query<JobRow>(
      `UPDATE queue_jobs SET
         stalls = stalls + 1,
         state = CASE WHEN cancel_requested = 1 THEN 'cancelled' WHEN stalls + 1 > ? THEN 'failed' ELSE 'waiting' END,
         error_code = CASE WHEN cancel_requested = 1 THEN 'CANCELLED' WHEN stalls + 1 > ? THEN 'UNAVAILABLE' ELSE error_code END,
         error_message = CASE WHEN cancel_requested = 1 THEN 'the job was cancelled' WHEN stalls + 1 > ? THEN ? ELSE error_message END,
         finished_at = CASE WHEN cancel_requested = 1 OR stalls + 1 > ? THEN ? ELSE NULL END,
         lease_owner = NULL, lease_until = NULL
       WHERE name = ? AND state = 'active' AND lease_until < ?
       RETURNING *`,
      [this.settings.maxStalls, this.settings.maxStalls, this.settings.maxStalls, stalled, this.settings.maxStalls, nowMs, this.name, nowMs],
    );
    for (const row of rows) this.announceEnd(row);
  }

  private async renewLeases(): Promise<void> {
    if (this.running.size === 0) return;
    const byToken = new Map([...this.running].map(([id, r]) => [r.token, id]));
    const tokens = [...byToken.keys()];
    const rows = await this.sql.query<{ id: string; lease_owner: string; cancel_requested: number }>(
      `UPDATE queue_jobs SET lease_until = ? WHERE state = 'active' AND lease_owner IN (${tokens.map(() => "?").join(", ")})
       RETURNING id, lease_owner, cancel_requested`,
      [Date.now() + this.settings.leaseMs, ...tokens],
    );
    const kept = new Set<string>();
    for (const row of rows) {
      kept.add(row.lease_owner);
      if (row.cancel_requested === 1) this.abortJob(row.id, "cancelled");
    }
    // A try whose lease is gone has been replaced; its outcome would be discarded anyway.
    for (const [token, id] of byToken) if (!kept.has(token) && this.running.get(id)?.token === token) this.abortJob(id, "lease-lost");
  }

  private run(row: JobRow): void {
    const token = row.lease_owner!;
    const running: Running = { token, controller: new AbortController() };
    this.running.set(row.id, running);
    const done = this.runTry(row, running)
      .catch(this.settings.onError)
      .finally(() => {
        this.running.delete(row.id);
        this.settled.delete(done);
        this.wake();
      });
    this.settled.add(done);
  }

  private async runTry(row: JobRow, running: Running): Promise<void> {
    const { id, name } = row;
    if (row.cancel_requested === 1) running.stop = "cancelled";
    let outcome: Outcome;
    if (running.stop) {
      outcome = { ok: false, error: new Error("cancelled before it started") };
    } else {
      this.events.emit({ type: "active", jobId: id, attempt: row.started });
      const context: JobContext = {
        id,
        name,
        payload: JSON.parse(row.payload) as Json,
        owner: { project: row.project, subject: row.subject },
        attempt: row.started,
        signal: running.controller.signal,
        reportProgress: async (fraction, detail) => {
          const progress = checkProgress(fraction, detail);
          const changed = await this.sql.execute(
            "UPDATE queue_jobs SET progress = ? WHERE id = ? AND lease_owner = ? AND state = 'active'",
            [JSON.stringify(progress), id, running.token],
          );
          if (changed > 0) this.events.emit({ type: "progress", jobId: id, progress });
        },
      };
      try {
        const result = (await this.handler(context)) ?? null;
        outcome = { ok: true, result: JSON.parse(encodeJson(result, "result")) as Json };
      } catch (error) {
        outcome = { ok: false, error };
      }
    }
    if (!outcome.ok && running.stop === "closing") await this.release(id, running.token);
    else if (outcome.ok) await this.complete(id, running.token, outcome.result);
    else await this.fail(row, running.token, failureOf(outcome.error));
  }

  /** The worker is closing: the job goes back to waiting for another worker, not counted as a failure. */
  private async release(id: string, token: string): Promise<void> {
    await this.sql.execute(
      "UPDATE queue_jobs SET state = 'waiting', lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ? AND state = 'active'",
      [id, token],
    );
  }

  private async complete(id: string, token: string, result: Json): Promise<void> {
    const rows = await this.sql.query<JobRow>(
      `UPDATE queue_jobs SET
         state = CASE WHEN cancel_requested = 1 THEN 'cancelled' ELSE 'completed' END,
         result = CASE WHEN cancel_requested = 1 THEN NULL ELSE ? END,
         error_code = CASE WHEN cancel_requested = 1 THEN 'CANCELLED' ELSE NULL END,
         error_message = CASE WHEN cancel_requested = 1 THEN 'the job was cancelled' ELSE NULL END,
         finished_at = ?, lease_owner = NULL, lease_until = NULL
       WHERE id = ? AND lease_owner = ? AND state = 'active'
       RETURNING *`,
      [JSON.stringify(result), Date.now(), id, token],
    );
    if (rows[0]) this.announceEnd(rows[0]);
  }

  private async fail(row: JobRow, token: string, { failure, retryable }: { failure: JobFailure; retryable: boolean }): Promise<void> {
    const nowMs = Date.now();
    const failures = row.failures + 1;
    const retry = retryable && failures < row.attempts;
    const backoff: Backoff = { type: row.backoff_type as Backoff["type"], delayMs: row.backoff_ms };
    const runAtMs = nowMs + backoffDelayMs(backoff, failures);
    const rows = await this.sql.query<JobRow>(
      `UPDATE queue_jobs SET
         failures = failures + 1,
         state = CASE WHEN cancel_requested = 1 THEN 'cancelled' WHEN ? THEN 'waiting' ELSE 'failed' END,
         run_at = CASE WHEN cancel_requested = 0 AND ? THEN ? ELSE run_at END,
         finished_at = CASE WHEN cancel_requested = 1 OR NOT ? THEN ? ELSE NULL END,
         error_code = CASE WHEN cancel_requested = 1 THEN 'CANCELLED' ELSE ? END,
         error_message = CASE WHEN cancel_requested = 1 THEN 'the job was cancelled' ELSE ? END,
         lease_owner = NULL, lease_until = NULL
       WHERE id = ? AND lease_owner = ? AND state = 'active'
       RETURNING *`,
      [retry ? 1 : 0, retry ? 1 : 0, runAtMs, retry ? 1 : 0, nowMs, failure.code, failure.message, row.id, token],
    );
    const after = rows[0];
    if (!after) return;
    if (after.state === "waiting") this.events.emit({ type: "retrying", jobId: row.id, error: failure, runAtMs });
    else this.announceEnd(after);
  }

  /** Tells watchers how a job ended (rows still waiting say nothing). */
  private announceEnd(row: JobRow): void {
    if (row.state === "completed") this.events.emit({ type: "completed", jobId: row.id, result: JSON.parse(row.result ?? "null") as Json });
    else if (row.state === "cancelled") this.events.emit({ type: "cancelled", jobId: row.id });
    else if (row.state === "failed") {
      this.events.emit({ type: "failed", jobId: row.id, error: { code: row.error_code, message: row.error_message ?? "" } as JobFailure });
    }
  }
}
