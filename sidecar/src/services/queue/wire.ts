/**
 * The queue's records on the wire, and who may reach which: shared by the queue's own methods
 * and by services that answer a request with the job they queued (GenerateJobSubmit).
 */
import type { Error as WireError, JobEvent as WireJobEvent, JobInfo as WireJobInfo } from "../../generated/ensoul_v1.js";
import { ErrorCode as WireErrorCode } from "../../generated/ensoul_v1.js";
import type { Principal } from "../../gateway/methods.js";
import { EnsoulError } from "../../lib/errors.js";
import type { JobEvent, JobFailure, JobInfo, JobState } from "./job.js";

/** Every state a job can be in, as the wire names them. */
export const JOB_STATES: readonly JobState[] = ["waiting", "delayed", "active", "completed", "failed", "cancelled"];

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

export function wireEvent(event: JobEvent): WireJobEvent {
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

/** The project a caller works in: its token's project, or the one it names if its token has none. */
export function callerProject(principal: Principal, requested: string | undefined, field: string): string | undefined {
  const project = requested ?? "";
  if (principal.project === undefined) return project === "" ? undefined : project;
  if (project !== "" && project !== principal.project) {
    throw new EnsoulError("PERMISSION_DENIED", `this token reaches only project ${principal.project}`, { field });
  }
  return principal.project;
}

