/**
 * What a job is, independent of where it is stored: the options a caller may give, their
 * checks (bad input is INVALID_ARGUMENT naming the field, before anything is stored), the
 * record both adapters return, and the retry arithmetic both follow so that embedded and
 * server mode behave alike.
 */
import { EnsoulError, isErrorCode, toEnsoulError, type ErrorCode } from "../../lib/errors.js";

/** Any value JSON can carry. Payloads, progress details and results are JSON. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * waiting: ready to run (or "delayed" until its run time); active: a worker holds it;
 * completed / failed / cancelled: finished for good.
 */
export type JobState = "waiting" | "delayed" | "active" | "completed" | "failed" | "cancelled";
export const FINISHED_STATES: readonly JobState[] = ["completed", "failed", "cancelled"];

export interface Backoff {
  /** fixed: every retry waits delayMs; exponential: delayMs, 2·delayMs, 4·delayMs, … */
  type: "fixed" | "exponential";
  delayMs: number;
}

/** Who a job belongs to: callers see only their own project's jobs. */
export interface JobOwner {
  /** The project the job works for ("" when none). */
  project: string;
  /** The principal that asked for it. */
  subject: string;
}

export interface EnqueueOptions {
  owner?: Partial<JobOwner>;
  /** Higher runs sooner; 0 (default) to MAX_PRIORITY. Equal priorities run in enqueue order. */
  priority?: number;
  /** Runs no sooner than this many ms from now. */
  delayMs?: number;
  /** How many times the handler may be tried in all (default 1: no retry). */
  attempts?: number;
  backoff?: Backoff;
}

/** A checked enqueue: everything an adapter stores. */
export interface JobSpec {
  id: string;
  name: string;
  payload: Json;
  owner: JobOwner;
  priority: number;
  delayMs: number;
  attempts: number;
  backoff: Backoff;
  createdAtMs: number;
}

export interface JobProgress {
  /** How far along, 0 to 1. */
  fraction: number;
  /** Anything the handler wants a watcher to see (e.g. the text generated so far). */
  detail?: Json;
}

export interface JobFailure {
  code: ErrorCode;
  message: string;
}

/** A job as a reader sees it. */
export interface JobInfo {
  id: string;
  name: string;
  payload: Json;
  owner: JobOwner;
  state: JobState;
  priority: number;
  /** Tries allowed in all, and tries started so far (a try cut short by a dead worker counts). */
  attempts: number;
  attemptsMade: number;
  progress?: JobProgress;
  result?: Json;
  /** Why it failed or was cancelled (the last try's error while it waits for a retry). */
  error?: JobFailure;
  /** A cancel was asked for while a worker held the job; it ends as cancelled. */
  cancelRequested: boolean;
  createdAtMs: number;
  /** When it may run next (enqueue time plus delay, or the retry time). */
  runAtMs: number;
  finishedAtMs?: number;
}

/** What a handler gets for one try of a job. */
export interface JobContext {
  id: string;
  name: string;
  payload: Json;
  owner: JobOwner;
  /** 1 on the first try. */
  attempt: number;
  /** Aborted when the job is cancelled or the worker is closing. */
  signal: AbortSignal;
  /** Records progress and tells the job's watchers. */
  reportProgress(fraction: number, detail?: Json): Promise<void>;
}

/** Does one try of a job; what it returns (JSON) is the job's result. Must be idempotent by job id. */
export type JobHandler = (job: JobContext) => Promise<Json | undefined | void>;

export interface WorkerOptions {
  /** Jobs of this name one worker runs at once (default 1). */
  concurrency?: number;
}

export interface JobWorker {
  /** Stops taking jobs, aborts the ones running and waits for their handlers to return. */
  close(): Promise<void>;
}

/** Something that happened to a job, as its watchers hear it. */
export type JobEvent =
  | { type: "active"; jobId: string; attempt: number }
  | { type: "progress"; jobId: string; progress: JobProgress }
  | { type: "retrying"; jobId: string; error: JobFailure; runAtMs: number }
  | { type: "completed"; jobId: string; result: Json }
  | { type: "failed"; jobId: string; error: JobFailure }
  | { type: "cancelled"; jobId: string };

export const MAX_PRIORITY = 1_000_000;
export const MAX_ATTEMPTS = 100;
export const MAX_DELAY_MS = 365 * 24 * 3600_000;
/** Payloads and results are stored whole with the job; bulk data belongs in the asset store. */
export const MAX_JSON_BYTES = 1024 * 1024;
const JOB_NAME = /^[a-z][a-z0-9._-]{0,63}$/;

function wholeNumber(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new EnsoulError("INVALID_ARGUMENT", `${field} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`, { field });
  }
  return value;
}

export function checkJobName(name: unknown, field = "name"): string {
  if (typeof name !== "string" || !JOB_NAME.test(name)) {
    throw new EnsoulError(
      "INVALID_ARGUMENT",
      `${field} must be 1-64 characters of a-z, 0-9, ".", "_" or "-", starting with a letter; got ${JSON.stringify(name)}`,
      { field },
    );
  }
  return name;
}

/**
 * The JSON text of a payload or result, refused when it is not plain JSON (undefined, a
 * function, a cycle, NaN) or larger than MAX_JSON_BYTES.
 */
export function encodeJson(value: unknown, field: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === "number" && !Number.isFinite(v)) throw new Error(`${v} is not a JSON number`);
      if (typeof v === "bigint" || typeof v === "function" || typeof v === "symbol") throw new Error(`a ${typeof v} is not JSON`);
      return v;
    });
  } catch (err) {
    throw new EnsoulError("INVALID_ARGUMENT", `${field} is not JSON: ${(err as Error).message}`, { field, cause: err });
  }
  if (text === undefined) throw new EnsoulError("INVALID_ARGUMENT", `${field} is not JSON (undefined)`, { field });
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_JSON_BYTES) {
    throw new EnsoulError("INVALID_ARGUMENT", `${field} is ${bytes} bytes as JSON; the most a job carries is ${MAX_JSON_BYTES}`, { field });
  }
  return text;
}

/** Checks an enqueue and fills in the defaults. */
export function checkJobSpec(id: string, name: string, payload: unknown, options: EnqueueOptions, nowMs: number): JobSpec {
  checkJobName(name);
  const payloadJson = encodeJson(payload, "payload");
  const backoff = options.backoff ?? { type: "fixed", delayMs: 0 };
  if (backoff.type !== "fixed" && backoff.type !== "exponential") {
    throw new EnsoulError("INVALID_ARGUMENT", `backoff.type must be "fixed" or "exponential", got ${JSON.stringify(backoff.type)}`, {
      field: "backoff.type",
    });
  }
  const owner = options.owner ?? {};
  for (const key of ["project", "subject"] as const) {
    const v = owner[key] ?? "";
    if (typeof v !== "string" || v.length > 200) {
      throw new EnsoulError("INVALID_ARGUMENT", `owner.${key} must be a string of at most 200 characters`, { field: `owner.${key}` });
    }
  }
  return {
    id,
    name,
    payload: JSON.parse(payloadJson) as Json,
    owner: { project: owner.project ?? "", subject: owner.subject ?? "" },
    priority: wholeNumber(options.priority ?? 0, "priority", 0, MAX_PRIORITY),
    delayMs: wholeNumber(options.delayMs ?? 0, "delayMs", 0, MAX_DELAY_MS),
    attempts: wholeNumber(options.attempts ?? 1, "attempts", 1, MAX_ATTEMPTS),
    backoff: { type: backoff.type, delayMs: wholeNumber(backoff.delayMs, "backoff.delayMs", 0, MAX_DELAY_MS) },
    createdAtMs: nowMs,
  };
}

export function checkProgress(fraction: unknown, detail: unknown): JobProgress {
  if (typeof fraction !== "number" || !(fraction >= 0 && fraction <= 1)) {
    throw new EnsoulError("INVALID_ARGUMENT", `progress must be a fraction from 0 to 1, got ${JSON.stringify(fraction)}`, { field: "fraction" });
  }
  if (detail === undefined) return { fraction };
  return { fraction, detail: JSON.parse(encodeJson(detail, "detail")) as Json };
}

/** How long to wait before try number `attemptsMade + 1`, as BullMQ computes it too. */
export function backoffDelayMs(backoff: Backoff, attemptsMade: number): number {
  if (backoff.type === "fixed") return backoff.delayMs;
  return Math.round(Math.pow(2, attemptsMade - 1) * backoff.delayMs);
}

/** Codes that say "this input will never work": such a failure is not retried. */
const FINAL_CODES: ReadonlySet<ErrorCode> = new Set(["INVALID_ARGUMENT", "CANCELLED", "PERMISSION_DENIED", "NOT_FOUND", "UNIMPLEMENTED"]);

/** The failure a handler's throw becomes, and whether another try could help. */
export function failureOf(err: unknown): { failure: JobFailure; retryable: boolean } {
  const e = toEnsoulError(err);
  return { failure: { code: e.code, message: e.message }, retryable: !FINAL_CODES.has(e.code) };
}

/** "CODE: message", the form failures take where a store keeps only a string (BullMQ's failedReason). */
export function failureToText(failure: JobFailure): string {
  return `${failure.code}: ${failure.message}`;
}

export function failureFromText(text: string): JobFailure {
  const colon = text.indexOf(": ");
  const code = colon > 0 ? text.slice(0, colon) : "";
  if (isErrorCode(code)) return { code, message: text.slice(colon + 2) };
  return { code: "INTERNAL", message: text };
}

export const CANCELLED_FAILURE: JobFailure = { code: "CANCELLED", message: "the job was cancelled" };

export function isFinished(state: JobState): boolean {
  return FINISHED_STATES.includes(state);
}
