/**
 * Character generation as a queued job, for runs that should not hang on one connection (a
 * long llm generation, a batch from a script, a GPU worker elsewhere in server mode):
 * GenerateJobSubmit answers at once with the job; the job runs the same generation as the
 * `generate` stream and reports each top-level field as progress ({field, value}), so JobWatch
 * shows the character filling in; its result is the character.
 *
 * A job that runs again (its worker died) generates again; with the same seed the procedural
 * generator gives the same character, and nothing is stored on the way, so that is idempotent.
 */
import type { GenerateRequest } from "../../generated/ensoul_v1.js";
import { unary, type Method } from "../../gateway/methods.js";
import { EnsoulError } from "../../lib/errors.js";
import { callerProject, wireJobInfo, type Json, type QueueService } from "../queue/index.js";
import { CHARACTER_FIELDS } from "./character.js";
import type { RunGeneration } from "./rpc.js";

export const GENERATE_JOB = "generate.character";

/** What a generation job's result holds. */
export interface GenerationResult {
  [key: string]: Json;
  character: Json;
  generator: string;
  tokens: number;
  elapsedMs: number;
}

export interface QueuedGenerationOptions {
  /** Throws (with the wire request's field names) what the job would only fail on later. */
  checkRequest(wire: GenerateRequest): void;
  /** Generation jobs this process runs at once (default 1: a model is one compute-bound loop). */
  concurrency?: number;
}

export interface QueuedGeneration {
  method: Method;
  close(): Promise<void>;
}

/** The request as the job's payload: plain JSON with the wire's field names. */
function payloadOf(wire: GenerateRequest): Json {
  const o = wire.options ?? {};
  return {
    prompt: wire.prompt ?? "",
    generator: wire.generator ?? "",
    seed: wire.seed ?? 0,
    hintsJson: wire.hintsJson ?? "",
    options: {
      temperature: o.temperature ?? 0,
      topK: o.topK ?? 0,
      topP: o.topP ?? 0,
      minP: o.minP ?? 0,
      repetitionPenalty: o.repetitionPenalty ?? 0,
      maxTokens: o.maxTokens ?? 0,
    },
  };
}

/** "generateRequest.seed" → "generateJobSubmit.request.seed": the submit request's own path. */
function asSubmitField(error: unknown): unknown {
  if (!(error instanceof EnsoulError) || error.field === undefined) return error;
  const field = error.field.startsWith("generateRequest.")
    ? `generateJobSubmit.request.${error.field.slice("generateRequest.".length)}`
    : error.field === "priority"
      ? "generateJobSubmit.priority"
      : error.field;
  return new EnsoulError(error.code, error.message, { field, cause: error });
}

/** Runs generation jobs in this process and declares GenerateJobSubmit. */
export function queuedGeneration(queue: QueueService, run: RunGeneration, options: QueuedGenerationOptions): QueuedGeneration {
  const worker = queue.process(
    GENERATE_JOB,
    async (job): Promise<GenerationResult> => {
      let fields = 0;
      const done = await run(job.payload as GenerateRequest, job.signal, async (delta) => {
        if (delta.type !== "field") return;
        fields++;
        await job.reportProgress(Math.min(1, fields / CHARACTER_FIELDS.length), { field: delta.field, value: delta.value as Json });
      });
      return {
        character: JSON.parse(done.characterJson ?? "null") as Json,
        generator: done.generator ?? "",
        tokens: done.tokens ?? 0,
        elapsedMs: done.elapsedMs ?? 0,
      };
    },
    { concurrency: options.concurrency ?? 1 },
  );
  const method = unary({
    service: "generate",
    name: "submit",
    request: "generateJobSubmit",
    response: "jobInfo",
    handle: async (submit, ctx) => {
      const wire = submit.request ?? {};
      try {
        options.checkRequest(wire);
        const project = callerProject(ctx.principal, submit.project, "generateJobSubmit.project") ?? "";
        const job = await queue.enqueue(GENERATE_JOB, payloadOf(wire), {
          owner: { project, subject: ctx.principal.subject },
          priority: submit.priority ?? 0,
        });
        return wireJobInfo(job);
      } catch (error) {
        throw asSubmitField(error);
      }
    },
  });
  return { method, close: () => worker.close() };
}
