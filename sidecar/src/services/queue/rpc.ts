/**
 * The queue over the protocol: JobGet, JobCancel, JobList and the JobWatch stream. Clients do
 * not enqueue arbitrary work here; services that take long requests (generate's
 * GenerateJobSubmit) enqueue their own jobs and answer with the job, which these methods follow.
 *
 * A project-scoped caller reaches only its own project's jobs; anyone else's are NOT_FOUND, as
 * if they did not exist.
 */
import { streaming, unary, type Method, type Principal } from "../../gateway/methods.js";
import { EnsoulError } from "../../lib/errors.js";
import { checkJobName, jobEndEvent, type JobInfo, type JobState, type QueueService } from "./index.js";
import { callerProject, JOB_STATES, wireEvent, wireJobInfo } from "./wire.js";

/** The job, if it exists and this caller may see it; NOT_FOUND otherwise. */
export async function visibleJob(queue: QueueService, jobId: string | undefined, principal: Principal, field: string): Promise<JobInfo> {
  if (!jobId) throw new EnsoulError("INVALID_ARGUMENT", "a job id is required", { field });
  const job = await queue.get(jobId);
  if (!job || (principal.project !== undefined && job.owner.project !== principal.project)) {
    throw new EnsoulError("NOT_FOUND", `no job ${jobId}`, { field });
  }
  return job;
}


function checkStates(states: string[] | undefined): JobState[] {
  return (states ?? []).map((s, i) => {
    if (!JOB_STATES.includes(s as JobState)) {
      throw new EnsoulError("INVALID_ARGUMENT", `a job state is one of ${JOB_STATES.join(", ")}; got ${JSON.stringify(s)}`, { field: `jobList.states[${i}]` });
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
