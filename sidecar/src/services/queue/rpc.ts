/**
 * The queue over the protocol: JobGet, JobCancel, JobList and the JobWatch stream. Clients do
 * not enqueue arbitrary work here; services that take long requests (generate's
 * GenerateJobSubmit) enqueue their own jobs and answer with the job, which these methods follow.
 *
 * A project-scoped caller reaches only its own project's jobs; anyone else's are NOT_FOUND, as
 * if they did not exist.
 */
import type { Error as WireError, JobEvent as WireJobEvent, JobInfo as WireJobInfo } from "../../generated/ensoul_v1.js";
import { ErrorCode as WireErrorCode } from "../../generated/ensoul_v1.js";
import { streaming, unary, type Method, type Principal } from "../../gateway/methods.js";
import { EnsoulError } from "../../lib/errors.js";
import { checkJobName, jobEndEvent, type JobEvent, type JobFailure, type JobInfo, type JobState, type QueueService } from "./index.js";

const STATES: readonly JobState[] = ["waiting", "delayed", "active", "completed", "failed", "cancelled"];

function wireError(failure: JobFailure): WireError {
  return { code: WireErrorCode[failure.code], message: failure.message };
}

export function wireJobInfo(job: JobInfo): WireJobInfo {
  const wire: WireJobInfo = {
    jobId: job.id,
    name: job.name,
    project: job.owner.project,
    subject: job.owner.subject,
    state: job.state,
    priority: job.priority,
    attempts: job.attempts,
    attemptsMade: job.attemptsMade,
    progress: job.progress?.fraction ?? 0,
    progressDetailJson: job.progress?.detail === undefined ? "" : JSON.stringify(job.progress.detail),
    resultJson: job.result === undefined ? "" : JSON.stringify(job.result),
    cancelRequested: job.cancelRequested,
    createdAtMs: job.createdAtMs,
    runAtMs: job.runAtMs,
    finishedAtMs: job.finishedAtMs ?? 0,
    payloadJson: JSON.stringify(job.payload),
  };
  if (job.error) wire.error = wireError(job.error);
  return wire;
}

function wireEvent(event: JobEvent): WireJobEvent {
  const wire: WireJobEvent = { type: event.type, jobId: event.jobId };
  if (event.type === "active") wire.attempt = event.attempt;
  if (event.type === "progress") {
    wire.progress = event.progress.fraction;
    if (event.progress.detail !== undefined) wire.progressDetailJson = JSON.stringify(event.progress.detail);
  }
  if (event.type === "retrying") (wire.error = wireError(event.error)), (wire.runAtMs = event.runAtMs);
  if (event.type === "failed") wire.error = wireError(event.error);
  return wire;
}

/** The job, if it exists and this caller may see it; NOT_FOUND otherwise. */
export async function visibleJob(queue: QueueService, jobId: string | undefined, principal: Principal, field: string): Promise<JobInfo> {
  if (!jobId) throw new EnsoulError("INVALID_ARGUMENT", "a job id is required", { field });
  const job = await queue.get(jobId);
  if (!job || (principal.project !== undefined && job.owner.project !== principal.project)) {
    throw new EnsoulError("NOT_FOUND", `no job ${jobId}`, { field });
  }
  return job;
}

/** The project a caller works in: its token's project, or the one it names if its token has none. */
export function callerProject(principal: Principal, requested: string | undefined, field: string): string | undefined {
  const project = requested ?? "";
  if (principal.project === undefined) return project === "" ? undefined : project;
  if (project !== "" && project !== principal.project) {
    throw new EnsoulError("PERMISSION_DENIED", `this token reaches only project ${principal.project}`, { field });
  }
  return principal.project;
}

function checkStates(states: string[] | undefined): JobState[] {
  return (states ?? []).map((s, i) => {
    if (!STATES.includes(s as JobState)) {
      throw new EnsoulError("INVALID_ARGUMENT", `a job state is one of ${STATES.join(", ")}; got ${JSON.stringify(s)}`, { field: `jobList.states[${i}]` });
    }
    return s as JobState;
  });
}

export function queueMethods(queue: QueueService): Method[] {
  return [
    unary({
      service: "queue",
      name: "get",
      request: "jobGet",
      response: "jobInfo",
      handle: async (req, ctx) => wireJobInfo(await visibleJob(queue, req.jobId, ctx.principal, "jobGet.jobId")),
    }),
    unary({
      service: "queue",
      name: "cancel",
      request: "jobCancel",
      response: "jobInfo",
      handle: async (req, ctx) => {
        const job = await visibleJob(queue, req.jobId, ctx.principal, "jobCancel.jobId");
        return wireJobInfo(await queue.cancel(job.id));
      },
    }),
    unary({
      service: "queue",
      name: "list",
      request: "jobList",
      response: "jobListReply",
      handle: async (req, ctx) => {
        const project = callerProject(ctx.principal, req.project, "jobList.project");
        const name = req.name ? checkJobName(req.name, "jobList.name") : undefined;
        const limit = req.limit ?? 0;
        if (limit > 1000) throw new EnsoulError("INVALID_ARGUMENT", `limit is at most 1000, got ${limit}`, { field: "jobList.limit" });
        const jobs = await queue.list({
          ...(project === undefined ? {} : { project }),
          ...(name === undefined ? {} : { name }),
          states: checkStates(req.states),
          limit: limit || 100,
        });
        return { jobs: jobs.map(wireJobInfo) };
      },
    }),
    streaming({
      service: "queue",
      name: "watch",
      request: "jobWatch",
      response: "jobEvent",
      handle: async (req, ctx, sink) => {
        const job = await visibleJob(queue, req.jobId, ctx.principal, "jobWatch.jobId");
        sink.send("jobEvent", { type: "snapshot", jobId: job.id, job: wireJobInfo(job) });
        const finished = await queue.watch(
          job.id,
          (event) => {
            // The end goes out below, with the finished job.
            if (event.type !== "completed" && event.type !== "failed" && event.type !== "cancelled") sink.send("jobEvent", wireEvent(event));
          },
          { signal: ctx.signal },
        );
        sink.send("jobEvent", { ...wireEvent(jobEndEvent(finished)), job: wireJobInfo(finished) });
      },
    }),
  ];
}
