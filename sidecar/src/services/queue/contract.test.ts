/**
 * The queue's contract: one suite, run against the embedded adapter (a real SQLite file) and
 * the server adapter (BullMQ on the real Redis at ENSOUL_REDIS_URL). Without that Redis the
 * bullmq half fails, naming the variable.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnsoulError } from "../../lib/errors.js";
import { openTestQueue, type AdapterKind, type OpenedQueue } from "./contract.testkit.js";
import type { JobContext, JobEvent, JobInfo, Json, QueueService } from "./index.js";
import { MAX_JSON_BYTES, withRetention } from "./index.js";

/** Resolves when `predicate` holds, polling; fails the test after `timeoutMs`. */
async function until(predicate: () => boolean | Promise<boolean>, timeoutMs = 5000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function refusal(call: () => Promise<unknown>): Promise<{ code: string; field?: string; message: string }> {
  try {
    await call();
  } catch (err) {
    if (!(err instanceof EnsoulError)) throw err;
    return { code: err.code, field: err.field, message: err.message };
  }
  throw new Error("expected a refusal");
}

/** Each test uses its own job names, so workers of one test never take another's jobs. */
let nameCounter = 0;
const freshName = (): string => `test.job-${++nameCounter}`;

describe.each<AdapterKind>(["sqlite", "bullmq"])("queue contract (%s)", (kind) => {
  let opened: OpenedQueue;
  let queue: QueueService;

  beforeAll(async () => {
    opened = await openTestQueue(kind, { sqlite: { leaseMs: 2000 }, bullmq: { leaseMs: 2000 } });
    queue = opened.queue;
  });
  afterAll(async () => {
    await opened?.cleanup();
  });

  it("stores an enqueued job with its defaults and reads it back by id", async () => {
    const job = await queue.enqueue(freshName(), { prompt: "a dwarf", n: [1, 2] }, { owner: { project: "p1", subject: "alice" } });
    expect(job.id).toMatch(/^job_/);
    expect(job).toMatchObject({ state: "waiting", priority: 0, attempts: 1, attemptsMade: 0, cancelRequested: false });
    const read = await queue.get(job.id);
    expect(read).toMatchObject({ id: job.id, name: job.name, payload: { prompt: "a dwarf", n: [1, 2] }, owner: { project: "p1", subject: "alice" }, state: "waiting" });
    expect(await queue.get("job_nope")).toBeUndefined();
  });

  it("refuses bad input with INVALID_ARGUMENT naming the field, and stores nothing", async () => {
    const name = freshName();
    expect(await refusal(() => queue.enqueue("Bad Name", {}))).toMatchObject({ code: "INVALID_ARGUMENT", field: "name" });
    expect(await refusal(() => queue.enqueue(name, { f: () => 1 } as unknown as Json))).toMatchObject({ code: "INVALID_ARGUMENT", field: "payload" });
    expect(await refusal(() => queue.enqueue(name, { x: Number.NaN }))).toMatchObject({ code: "INVALID_ARGUMENT", field: "payload" });
    const big = await refusal(() => queue.enqueue(name, "x".repeat(MAX_JSON_BYTES + 1)));
    expect(big).toMatchObject({ code: "INVALID_ARGUMENT", field: "payload" });
    expect(big.message).toMatch(/bytes/);
    expect(await refusal(() => queue.enqueue(name, {}, { priority: -1 }))).toMatchObject({ code: "INVALID_ARGUMENT", field: "priority" });
    expect(await refusal(() => queue.enqueue(name, {}, { attempts: 0 }))).toMatchObject({ code: "INVALID_ARGUMENT", field: "attempts" });
    expect(await refusal(() => queue.enqueue(name, {}, { delayMs: 1.5 }))).toMatchObject({ code: "INVALID_ARGUMENT", field: "delayMs" });
    expect(await refusal(() => queue.enqueue(name, {}, { backoff: { type: "linear" as "fixed", delayMs: 1 } }))).toMatchObject({ field: "backoff.type" });
    expect(await queue.list({ name })).toEqual([]);
  });

  it("runs a job, stores its result and tells a watcher progress then completion", async () => {
    const name = freshName();
    const job = await queue.enqueue(name, { n: 21 });
    const events: JobEvent[] = [];
    const watched = queue.watch(job.id, (e) => events.push(e));
    const worker = queue.process(name, async (ctx) => {
      await ctx.reportProgress(0.5, { half: true });
      return { doubled: (ctx.payload as { n: number }).n * 2, attempt: ctx.attempt };
    });
    const finished = await watched;
    await worker.close();
    expect(finished).toMatchObject({ state: "completed", result: { doubled: 42, attempt: 1 }, attemptsMade: 1, progress: { fraction: 0.5, detail: { half: true } } });
    expect(finished.finishedAtMs).toBeGreaterThanOrEqual(job.createdAtMs);
    const types = events.map((e) => e.type);
    expect(types).toContain("progress");
    expect(types[types.length - 1]).toBe("completed");
    expect(events.find((e) => e.type === "progress")).toMatchObject({ progress: { fraction: 0.5, detail: { half: true } } });
    expect(await queue.get(job.id)).toMatchObject({ state: "completed", result: { doubled: 42, attempt: 1 } });
  });

  it("runs higher priorities first and equal priorities in enqueue order", async () => {
    const name = freshName();
    const order: string[] = [];
    const low1 = await queue.enqueue(name, "low1");
    const high = await queue.enqueue(name, "high", { priority: 10 });
    const low2 = await queue.enqueue(name, "low2");
    const mid = await queue.enqueue(name, "mid", { priority: 5 });
    const worker = queue.process(name, async (ctx) => void order.push(ctx.payload as string));
    await Promise.all([low1, high, low2, mid].map((j) => queue.watch(j.id, () => undefined, { pollMs: 50 })));
    await worker.close();
    expect(order).toEqual(["high", "mid", "low1", "low2"]);
  });

  it("holds a delayed job until its time", async () => {
    const name = freshName();
    let ranAtMs = 0;
    const worker = queue.process(name, async () => void (ranAtMs = Date.now()));
    const job = await queue.enqueue(name, null, { delayMs: 400 });
    expect(job.state).toBe("delayed");
    expect((await queue.get(job.id))?.state).toBe("delayed");
    await queue.watch(job.id, () => undefined, { pollMs: 50 });
    await worker.close();
    expect(ranAtMs - job.createdAtMs).toBeGreaterThanOrEqual(400);
  });

  it("retries a failing job with backoff and completes it when a later try succeeds", async () => {
    const name = freshName();
    const triesAtMs: number[] = [];
    const worker = queue.process(name, async (ctx) => {
      triesAtMs.push(Date.now());
      if (ctx.attempt < 3) throw new EnsoulError("UNAVAILABLE", `try ${ctx.attempt} failed`);
      return "third time";
    });
    const events: JobEvent[] = [];
    const job = await queue.enqueue(name, {}, { attempts: 3, backoff: { type: "exponential", delayMs: 100 } });
    const finished = await queue.watch(job.id, (e) => events.push(e), { pollMs: 50 });
    await worker.close();
    expect(finished).toMatchObject({ state: "completed", result: "third time", attemptsMade: 3 });
    expect(triesAtMs).toHaveLength(3);
    // exponential: 100 ms, then 200 ms
    expect(triesAtMs[1]! - triesAtMs[0]!).toBeGreaterThanOrEqual(95);
    expect(triesAtMs[2]! - triesAtMs[1]!).toBeGreaterThanOrEqual(195);
    expect(events.filter((e) => e.type === "retrying")).toHaveLength(2);
    expect(events.find((e) => e.type === "retrying")).toMatchObject({ error: { code: "UNAVAILABLE", message: "try 1 failed" } });
  });

  it("fails a job once its attempts are spent, keeping the last error's code and message", async () => {
    const name = freshName();
    const worker = queue.process(name, async (ctx) => {
      throw new Error(`boom ${ctx.attempt}`);
    });
    const job = await queue.enqueue(name, {}, { attempts: 2 });
    const finished = await queue.watch(job.id, () => undefined, { pollMs: 50 });
    await worker.close();
    expect(finished).toMatchObject({ state: "failed", attemptsMade: 2, error: { code: "INTERNAL", message: "internal error: boom 2" } });
  });

  it("does not retry a job whose handler says its input is invalid", async () => {
    const name = freshName();
    let tries = 0;
    const worker = queue.process(name, async () => {
      tries++;
      throw new EnsoulError("INVALID_ARGUMENT", "no prompt");
    });
    const job = await queue.enqueue(name, {}, { attempts: 5 });
    const finished = await queue.watch(job.id, () => undefined, { pollMs: 50 });
    await worker.close();
    expect(tries).toBe(1);
    expect(finished).toMatchObject({ state: "failed", error: { code: "INVALID_ARGUMENT", message: "no prompt" } });
  });

  it("cancels a waiting job before it runs", async () => {
    const name = freshName();
    const job = await queue.enqueue(name, {}, { delayMs: 300 });
    const cancelled = await queue.cancel(job.id);
    expect(cancelled).toMatchObject({ state: "cancelled", error: { code: "CANCELLED" } });
    let ran = false;
    const worker = queue.process(name, async () => void (ran = true));
    await new Promise((r) => setTimeout(r, 500));
    await worker.close();
    expect(ran).toBe(false);
    expect(await queue.get(job.id)).toMatchObject({ state: "cancelled", payload: {} });
    // Cancelling again changes nothing.
    expect((await queue.cancel(job.id)).state).toBe("cancelled");
  });

  it("cancels a running job by aborting its handler's signal", async () => {
    const name = freshName();
    let started = false;
    let abortedWith: unknown;
    const worker = queue.process(name, async (ctx: JobContext) => {
      started = true;
      await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
      abortedWith = ctx.signal.reason;
      throw new Error("stopped");
    });
    const job = await queue.enqueue(name, {}, { attempts: 3 });
    await until(() => started, 5000, "the handler to start");
    const events: JobEvent[] = [];
    const watched = queue.watch(job.id, (e) => events.push(e), { pollMs: 50 });
    const asked = await queue.cancel(job.id);
    expect(["active", "cancelled"], `state right after cancel`).toContain(asked.state);
    const finished = await watched;
    await worker.close();
    expect(abortedWith).toBe("cancelled");
    expect(finished).toMatchObject({ state: "cancelled", attemptsMade: 1, error: { code: "CANCELLED" } });
    expect(events[events.length - 1]).toEqual({ type: "cancelled", jobId: job.id });
  });

  it("answers NOT_FOUND for cancelling or watching a job that does not exist", async () => {
    expect(await refusal(() => queue.cancel("job_missing"))).toMatchObject({ code: "NOT_FOUND", field: "jobId" });
    expect(await refusal(() => queue.watch("job_missing", () => undefined))).toMatchObject({ code: "NOT_FOUND" });
  });

  it("leaves a finished job as it is when cancelled, and a watch of it resolves at once", async () => {
    const name = freshName();
    const worker = queue.process(name, async () => "done");
    const job = await queue.enqueue(name, {});
    await queue.watch(job.id, () => undefined, { pollMs: 50 });
    await worker.close();
    expect(await queue.cancel(job.id)).toMatchObject({ state: "completed", result: "done" });
    const events: JobEvent[] = [];
    expect(await queue.watch(job.id, (e) => events.push(e))).toMatchObject({ state: "completed" });
    expect(events).toEqual([]);
  });

  it("runs up to `concurrency` jobs of a name at once, and no more", async () => {
    const name = freshName();
    let runningNow = 0;
    let most = 0;
    const worker = queue.process(
      name,
      async () => {
        runningNow++;
        most = Math.max(most, runningNow);
        await new Promise((r) => setTimeout(r, 150));
        runningNow--;
      },
      { concurrency: 3 },
    );
    const jobs = await Promise.all(Array.from({ length: 7 }, (_, i) => queue.enqueue(name, i)));
    await Promise.all(jobs.map((j) => queue.watch(j.id, () => undefined, { pollMs: 50 })));
    await worker.close();
    expect(most).toBe(3);
  });

  it("puts a running job back when its worker closes, and another worker completes it", async () => {
    const name = freshName();
    let firstSignal: AbortSignal | undefined;
    const first = queue.process(name, async (ctx) => {
      firstSignal = ctx.signal;
      await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
      throw new Error("interrupted");
    });
    const job = await queue.enqueue(name, {});
    await until(() => firstSignal !== undefined, 5000, "the first worker to take the job");
    await first.close();
    expect(firstSignal!.aborted).toBe(true);
    expect((await queue.get(job.id))?.state).toBe("waiting");
    const second = queue.process(name, async (ctx) => `done on try ${ctx.attempt}`);
    const finished = await queue.watch(job.id, () => undefined, { pollMs: 50 });
    await second.close();
    expect(finished).toMatchObject({ state: "completed", result: "done on try 2" });
  });

  it("lets another instance on the same store run, watch and cancel jobs (another process or replica)", async () => {
    const peer = await opened.openPeer();
    const name = freshName();
    const job = await queue.enqueue(name, { from: "first" });
    const events: JobEvent[] = [];
    const watched = queue.watch(job.id, (e) => events.push(e), { pollMs: 50 });
    const worker = peer.process(name, async (ctx) => {
      await ctx.reportProgress(1);
      return ctx.payload;
    });
    const finished = await watched;
    expect(finished).toMatchObject({ state: "completed", result: { from: "first" } });
    expect(events[events.length - 1]?.type).toBe("completed");
    // A job running on the peer, cancelled through the first instance.
    const slow = freshName();
    let started = false;
    const slowWorker = peer.process(slow, async (ctx) => {
      started = true;
      await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
      throw new Error("aborted");
    });
    const long = await queue.enqueue(slow, {});
    await until(() => started, 5000, "the peer to take the job");
    await queue.cancel(long.id);
    expect(await queue.watch(long.id, () => undefined, { pollMs: 50 })).toMatchObject({ state: "cancelled" });
    await worker.close();
    await slowWorker.close();
  });

  it("lists jobs newest first, filtered by project, name and state", async () => {
    const name = freshName();
    const project = `proj-${kind}-${Date.now()}`;
    const a = await queue.enqueue(name, "a", { owner: { project, subject: "s" } });
    const b = await queue.enqueue(name, "b", { owner: { project, subject: "s" } });
    const other = await queue.enqueue(name, "c", { owner: { project: `${project}-other`, subject: "s" } });
    await queue.cancel(a.id);
    const mine = await queue.list({ project });
    expect(mine.map((j) => j.id)).toEqual([b.id, a.id]);
    expect((await queue.list({ project, states: ["cancelled"] })).map((j) => j.id)).toEqual([a.id]);
    expect((await queue.list({ project, states: ["waiting"] })).map((j) => j.id)).toEqual([b.id]);
    expect((await queue.list({ project, limit: 1 })).map((j) => j.id)).toEqual([b.id]);
    expect((await queue.list({ name })).map((j) => j.id)).toEqual([other.id, b.id, a.id]);
    const all: JobInfo[] = await queue.list({ limit: 1000 });
    expect(all.map((j) => j.id)).toEqual(expect.arrayContaining([a.id, b.id, other.id]));
  });

  // Last: pruning up to now also removes the other tests' finished jobs.
  it("prunes jobs finished before a time, with their place in lists, and never waiting ones", async () => {
    const name = freshName();
    const owner = { project: `prune-${kind}-${Date.now()}`, subject: "s" };
    const done = await queue.enqueue(name, "ok", { owner });
    const failed = await queue.enqueue(name, "fail", { owner });
    const worker = queue.process(name, async (ctx) => {
      if (ctx.payload === "fail") throw new EnsoulError("INVALID_ARGUMENT", "not this one");
      return "fine";
    });
    await Promise.all([done, failed].map((j) => queue.watch(j.id, () => undefined, { pollMs: 50 })));
    await worker.close();
    const cancelled = await queue.enqueue(freshName(), "c", { owner });
    await queue.cancel(cancelled.id);
    const waiting = await queue.enqueue(freshName(), "w", { owner });
    const finished = await Promise.all([done, failed, cancelled].map(async (j) => (await queue.get(j.id))!));
    expect(finished.map((j) => j.state)).toEqual(["completed", "failed", "cancelled"]);
    const earliest = Math.min(...finished.map((j) => j.finishedAtMs!));
    const latest = Math.max(...finished.map((j) => j.finishedAtMs!));

    await queue.prune(earliest); // finished at that time or later: kept
    for (const job of finished) expect(await queue.get(job.id)).toBeDefined();
    expect(await queue.prune(latest + 1)).toBeGreaterThanOrEqual(3);
    for (const job of finished) expect(await queue.get(job.id)).toBeUndefined();
    expect(await queue.get(waiting.id)).toMatchObject({ state: "waiting" });
    expect((await queue.list({ project: owner.project })).map((j) => j.id)).toEqual([waiting.id]);
    expect(await queue.prune(Date.now() + 1)).toBe(0);
  });
});

describe("job retention", () => {
  it("prunes finished jobs older than the retention on its own, and stops when the queue closes", async () => {
    const opened = await openTestQueue("sqlite");
    const queue = withRetention(opened.queue, 200);
    try {
      const name = freshName();
      const worker = queue.process(name, async () => "done");
      const job = await queue.enqueue(name, null);
      await queue.watch(job.id, () => undefined, { pollMs: 20 });
      await worker.close();
      const waiting = await queue.enqueue(freshName(), null);
      await until(async () => (await queue.get(job.id)) === undefined, 3000, "the finished job to be pruned");
      expect(await queue.get(waiting.id)).toMatchObject({ state: "waiting" });
    } finally {
      await queue.close();
      await opened.cleanup();
    }
  });
});
