/**
 * The generate service over the protocol: `generate` takes a GenerateRequest and streams
 * GenerateDelta frames (the character's JSON text as it is written, and each top-level field as
 * it completes), then one GenerateDone with the validated character. The llm model is loaded on
 * the first llm request, from the configured model folder, and shared by later ones.
 */
import type { GenerateDone, GenerateOptions as WireGenerateOptions, GenerateRequest } from "../../generated/ensoul_v1.js";
import type { QueueService } from "../queue/index.js";
import { streaming, type Method } from "../../gateway/methods.js";
import { EnsoulError } from "../../lib/errors.js";
import type { LlmGenerateOptions, LlmGenerator, LlmGeneratorOptions, SamplingSettings } from "./llm/index.js";
import { createProceduralGenerator, loadLlmGenerator, type CharacterGenerator, type GenerateDelta } from "./index.js";
import { queuedGeneration } from "./queued.js";
import { checkCharacterRequest, type CharacterRequest } from "./request.js";

/** The hints a GenerateRequest's hints_json may carry (the rest of the request has its own fields). */
const HINT_FIELDS = ["name", "species", "role", "pronouns", "level"] as const;

/** Request fields as checkCharacterRequest and the llm generator name them → their wire names. */
const WIRE_FIELD: Record<string, string> = {
  prompt: "generateRequest.prompt",
  seed: "generateRequest.seed",
  generator: "generateRequest.generator",
  ...Object.fromEntries(HINT_FIELDS.map((f) => [f, `generateRequest.hintsJson.${f}`])),
  temperature: "generateRequest.options.temperature",
  topK: "generateRequest.options.topK",
  topP: "generateRequest.options.topP",
  minP: "generateRequest.options.minP",
  repetitionPenalty: "generateRequest.options.repetitionPenalty",
  maxTokens: "generateRequest.options.maxTokens",
};

export interface GenerateServiceOptions {
  /** A Qwen3 ONNX export for the "llm" generator (config modelDir); without it "llm" is refused. */
  modelDir?: string;
  /** Further model settings (threads, execution provider, batching) for the llm generator. */
  llm?: Omit<LlmGeneratorOptions, "modelDir">;
  /**
   * The queue: with it the service also takes GenerateJobSubmit (a generation run as a job that
   * JobWatch follows) and runs those jobs in this process.
   */
  queue?: QueueService;
}

export interface GenerateService {
  methods: Method[];
  /** Releases the llm model if one was loaded. */
  close(): Promise<void>;
}

/** The llm generator, loaded once on first use; a failed load is retried by the next request. */
class LazyLlm {
  private loading: Promise<LlmGenerator> | undefined;

  constructor(private readonly options: GenerateServiceOptions) {}

  /** Throws FAILED_PRECONDITION when no model folder is configured. */
  checkConfigured(): string {
    const modelDir = this.options.modelDir;
    if (modelDir === undefined) {
      throw new EnsoulError(
        "FAILED_PRECONDITION",
        'the "llm" generator has no model here: start the sidecar with `ensoul serve --model DIR` or ENSOUL_MODEL_DIR=DIR ' +
          '(a Qwen3 ONNX export, see models/README.md), or ask for the "procedural" generator',
        { field: "generateRequest.generator" },
      );
    }
    return modelDir;
  }

  get(): Promise<LlmGenerator> {
    const modelDir = this.checkConfigured();
    if (this.loading === undefined) {
      const loading = loadLlmGenerator({ ...this.options.llm, modelDir });
      this.loading = loading;
      loading.catch(() => {
        if (this.loading === loading) this.loading = undefined;
      });
    }
    return this.loading;
  }

  async close(): Promise<void> {
    const loading = this.loading;
    this.loading = undefined;
    if (loading === undefined) return;
    const llm = await loading.catch(() => undefined);
    await llm?.close();
  }
}

/** One piece of a generation as it happens: the generator's delta, before it goes on the wire. */
export type GenerationDelta = Exclude<GenerateDelta, { type: "done" }>;

/**
 * Runs a wire GenerateRequest to its end: checks it, picks the generator (loading the llm on
 * first use), hands every text and field delta to `onDelta` (awaited, so a slow consumer slows
 * the generator rather than piling up) and returns the GenerateDone.
 */
export type RunGeneration = (
  wire: GenerateRequest,
  signal: AbortSignal,
  onDelta: (delta: GenerationDelta) => void | Promise<void>,
) => Promise<GenerateDone>;

function generationRunner(procedural: CharacterGenerator, llm: LazyLlm): RunGeneration {
  return async (wire, signal, onDelta) => {
    const startedMs = performance.now();
    try {
      const request = characterRequestFromWire(wire);
      let generator: CharacterGenerator = procedural;
      const call: LlmGenerateOptions = { signal };
      let tokens = 0;
      if (request.generator === "llm") {
        generator = await llm.get();
        Object.assign(call, samplingFromWire(wire.options ?? undefined));
        call.onStats = (stats) => (tokens = stats.sampledTokens + stats.forcedTokens);
      }
      for await (const delta of generator.generate(request, call)) {
        if (delta.type !== "done") {
          await onDelta(delta);
          continue;
        }
        return {
          characterJson: JSON.stringify(delta.character),
          generator: request.generator,
          tokens,
          elapsedMs: performance.now() - startedMs,
        };
      }
      throw new EnsoulError("INTERNAL", "the generator ended without a character");
    } catch (error) {
      throw withWireField(error);
    }
  };
}

/** The generate service's method table and its shutdown hook. */
export function createGenerateService(options: GenerateServiceOptions = {}): GenerateService {
  const procedural = createProceduralGenerator();
  const llm = new LazyLlm(options);
  const run = generationRunner(procedural, llm);
  const queued = options.queue ? queuedGeneration(options.queue, run, { checkRequest: (wire) => checkQueuedRequest(wire, llm) }) : undefined;
  return {
    methods: [
      streaming({
        service: "generate",
        name: "generate",
        request: "generateRequest",
        response: "generateDelta",
        handle: async (wire, ctx, sink) => {
          const done = await run(wire, ctx.signal, (delta) => {
            if (delta.type === "text") sink.send("generateDelta", { text: delta.text });
            else sink.send("generateDelta", { field: delta.field, fieldJson: JSON.stringify(delta.value) });
          });
          sink.send("generateDone", done);
        },
      }),
      ...(queued ? [queued.method] : []),
    ],
    close: async () => {
      await queued?.close();
      await llm.close();
    },
  };
}

/** Refuses at submit time what the job would only fail on later: bad fields, or "llm" with no model. */
function checkQueuedRequest(wire: GenerateRequest, llm: LazyLlm): void {
  try {
    const request = characterRequestFromWire(wire);
    if (request.generator === "llm") llm.checkConfigured();
  } catch (error) {
    throw withWireField(error);
  }
}

/**
 * Maps the wire request onto a checked CharacterRequest. Its INVALID_ARGUMENT names the
 * request's field ("seed"); the handler's withWireField turns that into the wire's.
 */
function characterRequestFromWire(wire: GenerateRequest): CharacterRequest {
  return checkCharacterRequest({
    ...parseHints(wire.hintsJson ?? ""),
    prompt: wire.prompt ?? "",
    seed: Number(wire.seed ?? 0),
    generator: wire.generator === undefined || wire.generator === "" ? "procedural" : wire.generator,
  });
}

function parseHints(text: string): Record<string, unknown> {
  if (text.trim() === "") return {};
  let hints: unknown;
  try {
    hints = JSON.parse(text);
  } catch (error) {
    throw new EnsoulError("INVALID_ARGUMENT", `hintsJson is not valid JSON: ${(error as Error).message}`, {
      field: "generateRequest.hintsJson",
      cause: error,
    });
  }
  if (typeof hints !== "object" || hints === null || Array.isArray(hints)) {
    throw new EnsoulError("INVALID_ARGUMENT", `hintsJson must be a JSON object with any of ${HINT_FIELDS.join(", ")}`, {
      field: "generateRequest.hintsJson",
    });
  }
  const unknown = Object.keys(hints).find((k) => !(HINT_FIELDS as readonly string[]).includes(k));
  if (unknown !== undefined) {
    throw new EnsoulError("INVALID_ARGUMENT", `hintsJson has "${unknown}"; the hints are ${HINT_FIELDS.join(", ")}`, {
      field: `generateRequest.hintsJson.${unknown}`,
    });
  }
  return hints as Record<string, unknown>;
}

/** The wire's sampling options, where zero means the generator's default. */
function samplingFromWire(options: WireGenerateOptions | undefined): Pick<LlmGenerateOptions, "sampling" | "maxTokens"> {
  if (options === undefined) return {};
  const sampling: SamplingSettings = {};
  if (options.temperature) sampling.temperature = options.temperature;
  if (options.topK) sampling.topK = options.topK;
  if (options.topP) sampling.topP = options.topP;
  if (options.minP) sampling.minP = options.minP;
  if (options.repetitionPenalty) sampling.repetitionPenalty = options.repetitionPenalty;
  return { sampling, ...(options.maxTokens ? { maxTokens: options.maxTokens } : {}) };
}

/** Renames a generator's field ("seed", "topK") to the wire request's ("generateRequest.seed"). */
function withWireField(error: unknown): unknown {
  if (!(error instanceof EnsoulError) || error.field === undefined) return error;
  const wireField = WIRE_FIELD[error.field];
  if (wireField === undefined) return error;
  return new EnsoulError(error.code, error.message, { field: wireField, cause: error });
}
