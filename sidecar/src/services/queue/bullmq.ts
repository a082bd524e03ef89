/**
 * The server-mode queue: BullMQ on Redis (ENSOUL_REDIS_URL), one BullMQ queue per job name so
 * a worker of a name pulls only that name. BullMQ keeps the job, its retries with backoff, its
 * lock (our lease) and stalled-job recovery; this adapter adds what BullMQ does not keep:
 *   - `~jobs` (hash id → name) and `~all` / `~project:<p>` (sorted sets in enqueue order, by the
 *     `~seq` counter), so a job can be found by id alone and listed per project;
 *   - `~cancelled` (hash id → the job as it was when cancelled before it ran; BullMQ removes it);
 *   - `~cancel-requested` (set of running jobs asked to stop), read by whichever replica runs it;
 *   - the `~events` pub/sub channel: every replica hears every job's events and cancel requests.
 * Every key starts with the configured prefix, so test runs and deployments do not mix.
 */
import { Queue, UnrecoverableError, WaitingError, Worker, type Job } from "bullmq";
import { Redis } from "ioredis";
import { EnsoulError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import {
  CANCELLED_FAILURE,
  checkJobSpec,
  checkProgress,
  encodeJson,
  failureFromText,
  failureOf,
  failureToText,
  isFinished,
  MAX_PRIORITY,
  type EnqueueOptions,
  type JobEvent,
  type JobHandler,
  type JobInfo,
  type JobOwner,
  type JobProgress,
  type JobState,
  type JobWorker,
  type Json,
  type WorkerOptions,
} from "./job.js";
import { JobEventHub, type JobListFilter, type QueueBackend } from "./index.js";

export interface BullmqQueueOptions {
  /** A redis:// URL (ENSOUL_REDIS_URL). */
  redisUrl: string;
  /** Starts every Redis key of this queue (default "ensoul"). */
  prefix?: string;
  /** BullMQ's lock duration: a dead worker's job is taken back within about twice this (default 30000). */
  leaseMs?: number;
  /** Times a job may lose its worker before it fails instead of running again (default 5). */
  maxStalls?: number;
}

/** What BullMQ stores as a job's data. */
interface StoredData {
  payload: Json;
  owner: JobOwner;
}

/**
 * Indexes a new job in one step: id → name, and its place in the lists, ordered by a counter
 * (jobs created in the same millisecond keep their enqueue order).
 * KEYS: seq counter, id→name hash, all-jobs list, project list; ARGV: id, name.
 */
const INDEX_JOB = `
local seq = redis.call("INCR", KEYS[1])
redis.call("HSET", KEYS[2], ARGV[1], ARGV[2])
redis.call("ZADD", KEYS[3], seq, ARGV[1])
redis.call("ZADD", KEYS[4], seq, ARGV[1])
return seq`;

type ChannelMessage = { kind: "event"; event: JobEvent } | { kind: "cancel"; jobId: string };

/**
 * A message from the shared events channel, or undefined for one this code cannot read (another
 * version, or anyone else publishing there): it is dropped, never thrown inside Redis's event
 * handler, where it would take the whole sidecar down.
 */
function parseChannelMessage(text: string): ChannelMessage | undefined {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return undefined;
  }
  const m = message as Partial<{ kind: unknown; event: unknown; jobId: unknown }> | null;
  if (m?.kind === "event" && typeof m.event === "object" && m.event !== null) return m as ChannelMessage;
  if (m?.kind === "cancel" && typeof m.jobId === "string") return m as ChannelMessage;
  return undefined;
}

/** The URL without its password, for messages. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(not a URL)";
  }
}

/** Connects once to prove Redis answers; UNAVAILABLE naming ENSOUL_REDIS_URL otherwise. */
export async function checkRedisReachable(redisUrl: string, timeoutMs = 3000): Promise<void> {
  const probe = new Redis(redisUrl, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null });
  let socketError: Error | undefined; // says why (ECONNREFUSED…) where connect() only says "closed"
  probe.on("error", (err: Error) => (socketError ??= err));
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    throw new EnsoulError(
      "UNAVAILABLE",
      `Redis at ${redactedUrl(redisUrl)} (ENSOUL_REDIS_URL) cannot be reached: ${(socketError ?? (err as Error)).message}; ` +
        "server mode queues jobs there, so start Redis or point ENSOUL_REDIS_URL at one that runs",
      { field: "ENSOUL_REDIS_URL", cause: err },
    );
  } finally {
    probe.disconnect();
  }
}

function bullState(state: string): JobState {
  if (state === "prioritized" || state === "waiting-children" || state === "wait") return "waiting";
  if (state === "delayed" || state === "active" || state === "completed" || state === "failed") return state;
  return "waiting";
}

class BullmqQueue implements QueueBackend {
  readonly kind = "bullmq" as const;
  private readonly events = new JobEventHub();
  private readonly queues = new Map<string, Queue>();
  private readonly workers = new Set<BullmqWorker>();
  private readonly channel: string;
  private closed = false;

  constructor(
    readonly redis: Redis,
    private readonly subscriber: Redis,
    readonly options: Required<BullmqQueueOptions>,
  ) {
    this.channel = this.key("events");
    subscriber.on("message", (channel: string, text: string) => {
      if (channel !== this.channel) return;
      const message = parseChannelMessage(text);
      if (message) this.onChannelMessage(message);
    });
  }

  /** One of this adapter's own keys (the "~" keeps them apart from BullMQ's, whose queue names cannot start with it). */
  key(name: string): string {
    return `${this.options.prefix}:~${name}`;
  }

  async start(): Promise<void> {
    await this.subscriber.subscribe(this.channel);
  }

  queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.redis, prefix: this.options.prefix });
      this.queues.set(name, queue);
    }
    return queue;
  }

  async publish(message: ChannelMessage): Promise<void> {
    await this.redis.publish(this.channel, JSON.stringify(message));
  }

  private onChannelMessage(message: ChannelMessage): void {
    if (message.kind === "event") this.events.emit(message.event);
    else for (const worker of this.workers) worker.abortJob(message.jobId, "cancelled");
  }

  async enqueue(name: string, payload: Json, options: EnqueueOptions = {}): Promise<JobInfo> {
    if (this.closed) throw new EnsoulError("UNAVAILABLE", "the queue is closed");
    const spec = checkJobSpec(newId("job"), name, payload, options, Date.now());
    // Index first: a crash between the two leaves an id that finds nothing, never a job that cannot be found.
    await this.redis.eval(INDEX_JOB, 4, this.key("seq"), this.key("jobs"), this.key("all"), this.key(`project:${spec.owner.project}`), spec.id, name);
    const data: StoredData = { payload: spec.payload, owner: spec.owner };
    const job = await this.queue(name).add(name, data, {
      jobId: spec.id,
      // BullMQ: 1 is the highest priority; ours: higher runs sooner.
      priority: MAX_PRIORITY + 1 - spec.priority,
      delay: spec.delayMs,
      attempts: spec.attempts,
      backoff: { type: spec.backoff.type, delay: spec.backoff.delayMs },
      timestamp: spec.createdAtMs,
      removeOnComplete: false,
      removeOnFail: false,
    });
    return this.infoOf(job, spec.delayMs > 0 ? "delayed" : "waiting", false);
  }

  async get(id: string): Promise<JobInfo | undefined> {
    const [[, name], [, tombstone], [, requested]] = (await this.redis
      .multi()
      .hget(this.key("jobs"), id)
      .hget(this.key("cancelled"), id)
      .sismember(this.key("cancel-requested"), id)
      .exec()) as [[unknown, string | null], [unknown, string | null], [unknown, number]];
    if (tombstone) return JSON.parse(tombstone) as JobInfo;
    if (!name) return undefined;
    // State first, then the job's fields: a job that finishes between the two reads then shows as
    // still active (stale but whole), never as failed without its reason.
    const state = await this.queue(name).getJobState(id);
    const job = (await this.queue(name).getJob(id)) as Job<StoredData> | undefined;
    if (!job) return undefined;
    return this.infoOf(job, bullState(state), requested === 1);
  }

  private infoOf(job: Job<StoredData>, bull: JobState, cancelRequested: boolean): JobInfo {
    const failure = job.failedReason ? failureFromText(job.failedReason) : undefined;
    const state: JobState = bull === "failed" && failure?.code === "CANCELLED" ? "cancelled" : bull;
    const info: JobInfo = {
      id: job.id!,
      name: job.name,
      payload: job.data.payload,
      owner: job.data.owner,
      state,
      priority: MAX_PRIORITY + 1 - (job.opts.priority ?? MAX_PRIORITY + 1),
      attempts: job.opts.attempts ?? 1,
      attemptsMade: job.attemptsStarted ?? 0,
      cancelRequested: cancelRequested && state === "active",
      createdAtMs: job.timestamp,
      runAtMs: job.timestamp + (job.delay ?? 0),
    };
    if (typeof job.progress === "object" && job.progress !== null) info.progress = job.progress as unknown as JobProgress;
    if (state === "completed") info.result = (job.returnvalue ?? null) as Json;
    if (failure) info.error = failure;
    if (job.finishedOn !== undefined && state !== "active") info.finishedAtMs = job.finishedOn;
    return info;
  }

  async list(filter: JobListFilter = {}): Promise<JobInfo[]> {
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
    const index = filter.project === undefined ? this.key("all") : this.key(`project:${filter.project}`);
    const states = filter.states && filter.states.length > 0 ? new Set(filter.states) : undefined;
    const out: JobInfo[] = [];
    const page = Math.max(limit, 100); // filters may skip many: read in pages, not one by one
    for (let start = 0; out.length < limit; start += page) {
      const ids = await this.redis.zrevrange(index, start, start + page - 1);
      const jobs = await Promise.all(ids.map((id) => this.get(id)));
      for (const job of jobs) {
        if (!job || (filter.name !== undefined && job.name !== filter.name) || (states && !states.has(job.state))) continue;
        out.push(job);
        if (out.length === limit) break;
      }
      if (ids.length < page) break;
    }
    return out;
  }

  async prune(finishedBeforeMs: number): Promise<number> {
    let pruned = 0;
    // Oldest first through the enqueue-order index, a page at a time; a job is finished when
    // its BullMQ record (or cancel tombstone) says so. Removing shifts the index, so the next
    // page starts after the ids kept.
    const page = 200;
    for (let kept = 0; ; ) {
      const ids = await this.redis.zrange(this.key("all"), kept, kept + page - 1);
      for (const id of ids) {
        const job = await this.get(id);
        // An id whose job cannot be read may be one being enqueued right now: leave it.
        if (!job || !isFinished(job.state) || job.finishedAtMs === undefined || job.finishedAtMs >= finishedBeforeMs) {
          kept++;
          continue;
        }
        await this.queue(job.name).remove(id); // 0 when BullMQ has no record (cancelled before it ran)
        await this.redis
          .multi()
          .hdel(this.key("jobs"), id)
          .hdel(this.key("cancelled"), id)
          .srem(this.key("cancel-requested"), id)
          .zrem(this.key("all"), id)
          .zrem(this.key(`project:${job.owner.project}`), id)
          .exec();
        pruned++;
      }
      if (ids.length < page) return pruned;
    }
  }

  async cancel(id: string): Promise<JobInfo> {
    const info = await this.get(id);
    if (!info) throw new EnsoulError("NOT_FOUND", `no job ${id}`, { field: "jobId" });
    if (info.state === "waiting" || info.state === "delayed") {
      const job = await this.queue(info.name).getJob(id);
      const removed = await job?.remove().then(
        () => true,
        () => false, // a worker took it meanwhile: ask that worker instead
      );
      if (removed) {
        const cancelled: JobInfo = { ...info, state: "cancelled", error: CANCELLED_FAILURE, finishedAtMs: Date.now() };
        await this.redis.hset(this.key("cancelled"), id, JSON.stringify(cancelled));
        await this.publish({ kind: "event", event: { type: "cancelled", jobId: id } });
        return cancelled;
      }
    } else if (info.state !== "active") {
      return info;
    }
    await this.redis.sadd(this.key("cancel-requested"), id);
    await this.publish({ kind: "cancel", jobId: id });
    return (await this.get(id)) ?? info;
  }

  process(name: string, handler: JobHandler, options: WorkerOptions = {}): JobWorker {
    if (this.closed) throw new EnsoulError("UNAVAILABLE", "the queue is closed");
    const worker = new BullmqWorker(this, name, handler, options.concurrency ?? 1, () => this.workers.delete(worker));
    this.workers.add(worker);
    return worker;
  }

  onEvent(listener: (event: JobEvent) => void): () => void {
    return this.events.on(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.workers].map((w) => w.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.subscriber.disconnect();
    await this.redis.quit().catch(() => undefined);
  }
}

type StopReason = "cancelled" | "closing";

/** A BullMQ Worker for one job name that runs our handler with our context, cancel and close rules. */
class BullmqWorker implements JobWorker {
  private readonly worker: Worker<StoredData>;
  /** Ours, so ours to close: BullMQ leaves a connection it was given open. */
  private readonly connection: Redis;
  private readonly running = new Map<string, { controller: AbortController; stop?: StopReason }>();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly owner: BullmqQueue,
    readonly name: string,
    private readonly handler: JobHandler,
    concurrency: number,
    private readonly onClosed: () => void,
  ) {
    const { redisUrl, prefix, leaseMs, maxStalls } = owner.options;
    this.connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
    this.worker = new Worker<StoredData>(name, (job, token) => this.runTry(job, token), {
      connection: this.connection,
      prefix,
      concurrency,
      lockDuration: leaseMs,
      stalledInterval: leaseMs,
      maxStalledCount: maxStalls,
    });
    this.worker.on("completed", (job) => this.announce(job.id!, { type: "completed", jobId: job.id!, result: (job.returnvalue ?? null) as Json }));
    this.worker.on("failed", (job, err) => {
      if (!job) return;
      const failure = failureFromText(err.message);
      const retrying = !(err instanceof UnrecoverableError) && job.attemptsMade < (job.opts.attempts ?? 1);
      const event: JobEvent =
        failure.code === "CANCELLED"
          ? { type: "cancelled", jobId: job.id! }
          : retrying
            ? { type: "retrying", jobId: job.id!, error: failure, runAtMs: Date.now() + (job.delay ?? 0) }
            : { type: "failed", jobId: job.id!, error: failure };
      this.announce(job.id!, event);
    });
    this.worker.on("error", () => undefined); // connection trouble: BullMQ reconnects and retries
  }

  /** Tells every replica how a try ended (a failure to tell is a warning: the job's record is already right). */
  private announce(jobId: string, event: JobEvent): void {
    (async () => {
      if (event.type !== "retrying") await this.owner.redis.srem(this.owner.key("cancel-requested"), jobId);
      await this.owner.publish({ kind: "event", event });
    })().catch((err: unknown) => process.emitWarning(`queue: could not announce ${event.type} of job ${jobId}: ${(err as Error).message}`));
  }

  abortJob(jobId: string, reason: StopReason): void {
    const running = this.running.get(jobId);
    if (!running || running.stop) return;
    running.stop = reason;
    running.controller.abort(reason);
  }

  private async cancelRequested(jobId: string): Promise<boolean> {
    return (await this.owner.redis.sismember(this.owner.key("cancel-requested"), jobId)) === 1;
  }

  private async runTry(job: Job<StoredData>, token: string | undefined): Promise<Json> {
    const id = job.id!;
    const running: { controller: AbortController; stop?: StopReason } = { controller: new AbortController() };
    this.running.set(id, running);
    try {
      if (await this.cancelRequested(id)) throw new UnrecoverableError(failureToText(CANCELLED_FAILURE));
      await this.owner.publish({ kind: "event", event: { type: "active", jobId: id, attempt: job.attemptsStarted } });
      let result: Json;
      try {
        const value = await this.handler({
          id,
          name: job.name,
          payload: job.data.payload,
          owner: job.data.owner,
          attempt: job.attemptsStarted,
          signal: running.controller.signal,
          reportProgress: async (fraction, detail) => {
            const progress = checkProgress(fraction, detail);
            await job.updateProgress(progress as unknown as object);
            await this.owner.publish({ kind: "event", event: { type: "progress", jobId: id, progress } });
          },
        });
        result = JSON.parse(encodeJson(value ?? null, "result")) as Json;
      } catch (err) {
        if (running.stop === "closing") {
          // Back to waiting for another worker; not a failed try.
          await job.moveToWait(token);
          throw new WaitingError();
        }
        const { failure, retryable } = failureOf(err);
        if (running.stop === "cancelled" || (await this.cancelRequested(id))) throw new UnrecoverableError(failureToText(CANCELLED_FAILURE));
        throw retryable ? new Error(failureToText(failure)) : new UnrecoverableError(failureToText(failure));
      }
      if (await this.cancelRequested(id)) throw new UnrecoverableError(failureToText(CANCELLED_FAILURE));
      return result;
    } finally {
      this.running.delete(id);
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const id of this.running.keys()) this.abortJob(id, "closing");
      await this.worker.close();
      await this.connection.quit().catch(() => undefined);
      this.onClosed();
    })();
    return this.closing;
  }
}

/** Opens the server-mode queue; UNAVAILABLE naming ENSOUL_REDIS_URL when Redis does not answer. */
export async function openBullmqQueue(options: BullmqQueueOptions): Promise<QueueBackend> {
  await checkRedisReachable(options.redisUrl);
  const settings: Required<BullmqQueueOptions> = {
    redisUrl: options.redisUrl,
    prefix: options.prefix ?? "ensoul",
    leaseMs: options.leaseMs ?? 30_000,
    maxStalls: options.maxStalls ?? 5,
  };
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const subscriber = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const queue = new BullmqQueue(redis, subscriber, settings);
  await queue.start();
  return queue;
}
