/**
 * The queue service: durable jobs with a name, a JSON payload, a priority, a delay, retries
 * with backoff, progress, a result and cancellation; workers run jobs of a name with a
 * concurrency. Generation, asset ingestion and workflows hand long work to it.
 *
 * Two adapters behind one interface, picked by `app/`: embedded mode keeps jobs in the data
 * service's SQLite file (sqlite.ts), server mode in Redis through BullMQ (bullmq.ts). Both are
 * at-least-once: a job whose worker dies runs again once its lease runs out, so handlers must
 * be idempotent by job id. Both pass the same contract suite (contract.test.ts).
 */
import { EnsoulError } from "../../lib/errors.js";
import type {
  EnqueueOptions,
  JobEvent,
  JobHandler,
  JobInfo,
  JobState,
  JobWorker,
  Json,
  WorkerOptions,
} from "./job.js";
import { isFinished } from "./job.js";
import type { QueueSqlStore } from "./sqlite.js";

export * from "./job.js";
export { callerProject, wireJobInfo } from "./wire.js";

export interface JobListFilter {
  /** Only this project's jobs (undefined: every project). */
  project?: string;
  name?: string;
  states?: JobState[];
  /** At most this many, newest first (default 100, at most 1000). */
  limit?: number;
}

/** What an adapter provides; the service adds watching on top. */
export interface QueueBackend {
  readonly kind: "sqlite" | "bullmq";
  /** Stores a job; it runs once a worker for its name is free (and its delay has passed). */
  enqueue(name: string, payload: Json, options?: EnqueueOptions): Promise<JobInfo>;
  get(id: string): Promise<JobInfo | undefined>;
  list(filter?: JobListFilter): Promise<JobInfo[]>;
  /**
   * Cancels a job: a waiting one at once; a running one is asked to stop (its handler's signal
   * aborts) and ends as cancelled. A finished job is left as it is. NOT_FOUND if unknown.
   */
  cancel(id: string): Promise<JobInfo>;
  /**
   * Deletes the finished jobs (completed, failed or cancelled) that finished before this time
   * (ms since the epoch), with everything kept about them; returns how many. Jobs still waiting
   * or running are never touched.
   */
  prune(finishedBeforeMs: number): Promise<number>;
  /** Runs jobs of this name in this process until the worker is closed. */
  process(name: string, handler: JobHandler, options?: WorkerOptions): JobWorker;
  /** Hears every event of every job, from this process and (where the store can say) others. */
  onEvent(listener: (event: JobEvent) => void): () => void;
  /** Closes workers and connections. */
  close(): Promise<void>;
}

export interface WatchOptions {
  signal?: AbortSignal;
  /**
   * How often the job is re-read while watched, to catch what events cannot carry (a job
   * finished by another process, a worker that died). Default 1000.
   */
  pollMs?: number;
}

export interface QueueService extends QueueBackend {
  /**
   * Calls onEvent with the job's events (progress, retries, the end) until it finishes, and
   * resolves with the finished job. NOT_FOUND if there is no such job; CANCELLED if the signal
   * aborts first.
   */
  watch(id: string, onEvent: (event: JobEvent) => void, options?: WatchOptions): Promise<JobInfo>;
}

/** Listeners of job events, for one adapter. */
export class JobEventHub {
  private readonly listeners = new Set<(event: JobEvent) => void>();

  on(listener: (event: JobEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: JobEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

/** The event that says a finished job has ended, built from its record (for watchers that learn by reading). */
export function jobEndEvent(job: JobInfo): JobEvent {
  if (job.state === "completed") return { type: "completed", jobId: job.id, result: job.result ?? null };
  if (job.state === "cancelled") return { type: "cancelled", jobId: job.id };
  return { type: "failed", jobId: job.id, error: job.error ?? { code: "INTERNAL", message: "the job failed" } };
}

async function watchJob(backend: QueueBackend, id: string, onEvent: (event: JobEvent) => void, options: WatchOptions): Promise<JobInfo> {
  const { signal, pollMs = 1000 } = options;
  signal?.throwIfAborted();
  return new Promise<JobInfo>((resolve, reject) => {
    let settled = false;
    let lastProgress = "";
    let timer: NodeJS.Timeout | undefined;
    // Subscribe before the first read, so nothing that happens after the read is missed.
    const unsubscribe = backend.onEvent((event) => {
      if (event.jobId !== id || settled) return;
      if (event.type === "progress") lastProgress = JSON.stringify(event.progress);
      onEvent(event);
      if (event.type === "completed" || event.type === "failed" || event.type === "cancelled") void finishFromStore();
    });
    const cleanup = (): void => {
      settled = true;
      unsubscribe();
      if (timer) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    const fail = (err: unknown): void => {
      if (settled) return;
      cleanup();
      reject(err);
    };
    const onAbort = (): void => fail(new EnsoulError("CANCELLED", "stopped watching the job"));
    signal?.addEventListener("abort", onAbort);
    /** Reads the job; ends the watch if it has finished, reporting what events did not. */
    const check = async (announceEnd: boolean): Promise<void> => {
      const job = await backend.get(id);
      if (settled) return;
      if (!job) return fail(new EnsoulError("NOT_FOUND", `no job ${id}`, { field: "jobId" }));
      const progress = job.progress ? JSON.stringify(job.progress) : "";
      if (progress !== lastProgress && job.progress && !isFinished(job.state)) {
        lastProgress = progress;
        onEvent({ type: "progress", jobId: id, progress: job.progress });
      }
      if (isFinished(job.state)) {
        if (announceEnd) onEvent(jobEndEvent(job));
        cleanup();
        resolve(job);
        return;
      }
      timer = setTimeout(() => void check(true).catch(fail), pollMs);
    };
    /** An end event arrived: resolve with the stored record (which holds the result). */
    async function finishFromStore(): Promise<void> {
      if (timer) clearTimeout(timer);
      timer = undefined;
      // The event may outrun the write that made it visible to other readers; re-read until it shows.
      for (let tries = 0; !settled; tries++) {
        const job = await backend.get(id).catch((err: unknown) => fail(err));
        if (settled) return;
        if (job && isFinished(job.state)) {
          cleanup();
          return resolve(job);
        }
        if (tries > 50) return fail(new EnsoulError("INTERNAL", `job ${id} ended but its record does not say so`));
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    check(false).catch(fail);
  });
}

/** Adds watching to an adapter; everything else goes straight to it. */
export function queueServiceOver(backend: QueueBackend): QueueService {
  return {
    kind: backend.kind,
    enqueue: (name, payload, options) => backend.enqueue(name, payload, options),
    get: (id) => backend.get(id),
    list: (filter) => backend.list(filter),
    cancel: (id) => backend.cancel(id),
    prune: (finishedBeforeMs) => backend.prune(finishedBeforeMs),
    process: (name, handler, options) => backend.process(name, handler, options),
    onEvent: (listener) => backend.onEvent(listener),
    close: () => backend.close(),
    watch: (id, onEvent, options = {}) => watchJob(backend, id, onEvent, options),
  };
}

export interface QueueServiceOptions {
  mode: "embedded" | "server";
  /**
   * How long finished jobs are kept, in ms (default DEFAULT_JOB_RETENTION_MS; 0 keeps them for
   * ever). Older ones are pruned at start and then every PRUNE_INTERVAL_MS.
   */
  retentionMs?: number;
  /** Told when a periodic prune fails (it is tried again at the next interval). */
  onPruneError?: (err: unknown) => void;
  /** Embedded: the data service's store; the queue keeps its tables in the same SQLite file. */
  data: QueueSqlStore;
  /** Server: a redis:// URL (ENSOUL_REDIS_URL). */
  redisUrl?: string;
  /** Server: what every Redis key of the queue starts with (default "ensoul"). */
  prefix?: string;
}

/**
 * Opens the queue the mode asks for. Server mode without ENSOUL_REDIS_URL is
 * FAILED_PRECONDITION; with one that does not answer, UNAVAILABLE naming it.
 */
export async function openQueueService(options: QueueServiceOptions): Promise<QueueService> {
  const service = queueServiceOver(await openBackend(options));
  return withRetention(service, options.retentionMs ?? DEFAULT_JOB_RETENTION_MS, options.onPruneError);
}

/** Finished jobs are kept a week unless configured otherwise (ENSOUL_JOB_RETENTION_DAYS). */
export const DEFAULT_JOB_RETENTION_MS = 7 * 24 * 3600 * 1000;
export const PRUNE_INTERVAL_MS = 3600 * 1000;

/**
 * Prunes jobs finished more than retentionMs ago, now and every PRUNE_INTERVAL_MS (or retentionMs,
 * if shorter) until the service is closed. The timer never keeps the process alive.
 */
export function withRetention(service: QueueService, retentionMs: number, onError: (err: unknown) => void = () => {}): QueueService {
  if (!(retentionMs > 0)) return service;
  let running: Promise<unknown> = Promise.resolve();
  const prune = (): void => {
    running = service.prune(Date.now() - retentionMs).catch(onError);
  };
  prune();
  const timer = setInterval(prune, Math.min(PRUNE_INTERVAL_MS, retentionMs));
  timer.unref();
  return {
    ...service,
    close: async () => {
      clearInterval(timer);
      await running;
      await service.close();
    },
  };
}

async function openBackend(options: QueueServiceOptions): Promise<QueueBackend> {
  if (options.mode === "embedded") {
    const { openSqliteQueue } = await import("./sqlite.js");
    return openSqliteQueue(options.data);
  }
  if (!options.redisUrl) {
    throw new EnsoulError("FAILED_PRECONDITION", "server mode needs Redis for the queue: set ENSOUL_REDIS_URL to a redis:// URL", {
      field: "ENSOUL_REDIS_URL",
    });
  }
  const { openBullmqQueue } = await import("./bullmq.js");
  return openBullmqQueue({ redisUrl: options.redisUrl, ...(options.prefix ? { prefix: options.prefix } : {}) });
}
