/**
 * The queue's methods over the real gateway (WebSocket and the HTTP mirror), on the embedded
 * queue; the contract suite covers both adapters underneath. Tokens here map to principals of
 * different roles and projects, to check who sees which jobs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MethodTable, type Principal } from "../../gateway/methods.js";
import { createGateway, type Gateway } from "../../gateway/server.js";
import type { Envelope } from "../../generated/ensoul_v1.js";
import { EnsoulClient } from "../../lib/client.js";
import { DEFAULT_LIMITS } from "../../lib/config.js";
import { EnsoulError } from "../../lib/errors.js";
import { createLogger } from "../../lib/logger.js";
import { openTestQueue, type OpenedQueue } from "./contract.testkit.js";
import type { JobContext, QueueService } from "./index.js";
import { queueMethods } from "./rpc.js";
import { AccessPolicy } from "../auth/index.js";

const PRINCIPALS: Record<string, Principal> = {
  admin: { subject: "root", roles: ["admin"] },
  designerP1: { subject: "dana", roles: ["designer"], project: "p1" },
  viewerP1: { subject: "vic", roles: ["viewer"], project: "p1" },
  designerP2: { subject: "dora", roles: ["designer"], project: "p2" },
};

let opened: OpenedQueue;
let queue: QueueService;
let gateway: Gateway;
let url: string;
let httpBase: string;
const clients: EnsoulClient[] = [];

async function connect(token: keyof typeof PRINCIPALS): Promise<EnsoulClient> {
  const client = await EnsoulClient.connect(url, { token });
  clients.push(client);
  return client;
}

async function refusal(call: Promise<unknown>): Promise<{ code: string; field?: string }> {
  try {
    await call;
  } catch (err) {
    return { code: (err as EnsoulError).code, field: (err as EnsoulError).field };
  }
  throw new Error("expected a refusal");
}

async function watch(client: EnsoulClient, jobId: string): Promise<NonNullable<Envelope["jobEvent"]>[]> {
  const frames: NonNullable<Envelope["jobEvent"]>[] = [];
  await client.stream("jobWatch", { jobId }, (env) => frames.push(env.jobEvent!), { timeoutMs: 10_000 });
  return frames;
}

/** The sidecar's own access table decides the roles, as it does in the gateway. */
const access = new AccessPolicy();

beforeAll(async () => {
  opened = await openTestQueue("sqlite");
  queue = opened.queue;
  gateway = createGateway({
    methods: new MethodTable(queueMethods(queue)),
    auth: {
      authenticate: async (token) => {
        const principal = PRINCIPALS[token];
        if (!principal) throw new EnsoulError("UNAUTHENTICATED", "unknown token");
        return principal;
      },
      authorize: (principal, method) => access.check(principal, method),
    },
    limits: DEFAULT_LIMITS,
    log: createLogger("silent"),
  });
  const address = await gateway.listen("127.0.0.1", 0);
  url = `ws://127.0.0.1:${address.port}/v1/ws`;
  httpBase = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  for (const c of clients) await c.close();
  await gateway?.close();
  await opened?.cleanup();
});

describe("JobWatch", () => {
  it("streams the snapshot, each progress report and the end with the finished job and its result", async () => {
    const client = await connect("designerP1");
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const worker = queue.process("rpc.steps", async (ctx: JobContext) => {
      await ctx.reportProgress(0.25, { step: "first" });
      await gate;
      await ctx.reportProgress(0.75, { step: "second" });
      return { done: true };
    });
    const job = await queue.enqueue("rpc.steps", { n: 1 }, { owner: { project: "p1", subject: "dana" } });
    const watched = watch(client, job.id);
    await new Promise((r) => setTimeout(r, 100));
    release();
    const frames = await watched;
    await worker.close();
    expect(frames[0]).toMatchObject({ type: "snapshot", jobId: job.id, job: { jobId: job.id, name: "rpc.steps", project: "p1", subject: "dana", payloadJson: '{"n":1}' } });
    const progress = frames.filter((f) => f.type === "progress").map((f) => [f.progress, f.progressDetailJson]);
    expect(progress).toContainEqual([0.75, '{"step":"second"}']);
    const last = frames[frames.length - 1]!;
    expect(last).toMatchObject({ type: "completed", jobId: job.id, job: { state: "completed", resultJson: '{"done":true}', progress: 0.75, attemptsMade: 1 } });
  });

  it("gives a job that has already ended its snapshot and its end", async () => {
    const client = await connect("admin");
    const worker = queue.process("rpc.quick", async () => {
      throw new EnsoulError("INVALID_ARGUMENT", "nothing to do");
    });
    const job = await queue.enqueue("rpc.quick", {});
    await queue.watch(job.id, () => undefined, { pollMs: 20 });
    await worker.close();
    const frames = await watch(client, job.id);
    expect(frames.map((f) => f.type)).toEqual(["snapshot", "failed"]);
    expect(frames[1]).toMatchObject({ error: { message: "nothing to do" }, job: { state: "failed" } });
  });

  it("ends with cancelled when the job is cancelled through JobCancel while watched", async () => {
    const client = await connect("designerP1");
    let started = false;
    const worker = queue.process("rpc.long", async (ctx) => {
      started = true;
      await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
      throw new Error("aborted");
    });
    const job = await queue.enqueue("rpc.long", {}, { owner: { project: "p1", subject: "dana" } });
    while (!started) await new Promise((r) => setTimeout(r, 10));
    const watched = watch(client, job.id);
    const reply = await client.call("jobCancel", { jobId: job.id });
    expect(reply.jobInfo?.jobId).toBe(job.id);
    const frames = await watched;
    await worker.close();
    expect(frames[frames.length - 1]).toMatchObject({ type: "cancelled", job: { state: "cancelled", error: { message: "the job was cancelled" } } });
  });
});

describe("who sees which jobs", () => {
  it("hides another project's jobs as NOT_FOUND and lists only the caller's project", async () => {
    const mine = await queue.enqueue("rpc.listed", { p: 1 }, { owner: { project: "p1", subject: "dana" } });
    const theirs = await queue.enqueue("rpc.listed", { p: 2 }, { owner: { project: "p2", subject: "dora" } });
    const p1 = await connect("viewerP1");
    expect((await p1.call("jobGet", { jobId: mine.id })).jobInfo?.jobId).toBe(mine.id);
    expect(await refusal(p1.call("jobGet", { jobId: theirs.id }))).toEqual({ code: "NOT_FOUND", field: "jobGet.jobId" });
    expect(await refusal(p1.call("jobWatch", { jobId: theirs.id }))).toMatchObject({ code: "NOT_FOUND" });
    const listed = (await p1.call("jobList", { name: "rpc.listed" })).jobListReply!.jobs!;
    expect(listed.map((j) => j.jobId)).toEqual([mine.id]);
    expect(await refusal(p1.call("jobList", { project: "p2" }))).toEqual({ code: "PERMISSION_DENIED", field: "jobList.project" });
    const p2 = await connect("designerP2");
    expect(await refusal(p2.call("jobCancel", { jobId: mine.id }))).toMatchObject({ code: "NOT_FOUND" });
    const admin = await connect("admin");
    const all = (await admin.call("jobList", { name: "rpc.listed" })).jobListReply!.jobs!;
    expect(all.map((j) => j.jobId)).toEqual([theirs.id, mine.id]);
    expect((await admin.call("jobList", { name: "rpc.listed", project: "p2" })).jobListReply!.jobs!.map((j) => j.jobId)).toEqual([theirs.id]);
  });

  it("lets a viewer read but not cancel", async () => {
    const job = await queue.enqueue("rpc.viewed", {}, { owner: { project: "p1", subject: "dana" } });
    const viewer = await connect("viewerP1");
    expect(await refusal(viewer.call("jobCancel", { jobId: job.id }))).toMatchObject({ code: "PERMISSION_DENIED" });
    expect((await queue.get(job.id))?.state).toBe("waiting");
  });
});

describe("bad requests", () => {
  it("answers INVALID_ARGUMENT naming the field", async () => {
    const client = await connect("admin");
    expect(await refusal(client.call("jobGet", {}))).toEqual({ code: "INVALID_ARGUMENT", field: "jobGet.jobId" });
    expect(await refusal(client.call("jobList", { states: ["waiting", "sleeping"] }))).toEqual({ code: "INVALID_ARGUMENT", field: "jobList.states[1]" });
    expect(await refusal(client.call("jobList", { name: "Not A Name" }))).toEqual({ code: "INVALID_ARGUMENT", field: "jobList.name" });
    expect(await refusal(client.call("jobList", { limit: 5000 }))).toEqual({ code: "INVALID_ARGUMENT", field: "jobList.limit" });
  });
});

describe("HTTP mirror", () => {
  it("serves JobGet and JobList as JSON", async () => {
    const job = await queue.enqueue("rpc.http", { via: "http" }, { owner: { project: "p1", subject: "dana" } });
    const post = (method: string, body: object) =>
      fetch(`${httpBase}/v1/queue/${method}`, {
        method: "POST",
        headers: { authorization: "Bearer designerP1", "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const got = await post("get", { jobId: job.id });
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({ jobId: job.id, state: "waiting", payloadJson: '{"via":"http"}' });
    const missing = await post("get", { jobId: "job_none" });
    expect(missing.status).toBe(404);
  });
});
