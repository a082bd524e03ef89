/**
 * The "llm" character generator: a Qwen3 ONNX export (see models/README.md) run by
 * onnxruntime-node, decoding under the character schema so every streamed character is valid.
 *
 *   const llm = await createLlmGenerator({ modelDir: "models/qwen3-0.6b" });
 *   for await (const delta of llm.generate({ prompt, seed: 7, generator: "llm" }, { sampling: { temperature: 0.7 } })) …
 *   await llm.close();
 *
 * Sampling defaults come from the model's generation_config.json, then `options.sampling`, then
 * each call's `sampling`; the request's seed seeds the sampler, so the same request, settings
 * and model give the same character.
 */
import { EnsoulError } from "../../../lib/errors.js";
import type { CharacterGenerator, GenerateOptions } from "../index.js";
import { checkCharacterRequest, type CharacterRequest } from "../request.js";
import type { GenerateDelta } from "../stream.js";
import { LlmEngine, type GenerationStats } from "./engine.js";
import { loadModel, type ModelOptions } from "./model.js";
import type { SamplingOptions } from "./sampler.js";
import { QwenTokenizer } from "./tokenizer.js";

export type { GenerationStats } from "./engine.js";
export type { ExecutionProvider, ModelOptions } from "./model.js";
export type { SamplingOptions } from "./sampler.js";

/** Sampling settings a caller may set (the seed is the request's). */
export type SamplingSettings = Partial<Omit<SamplingOptions, "seed">>;

export interface LlmGeneratorOptions extends ModelOptions {
  /** The model folder: config.json, tokenizer files and the ONNX graph. */
  modelDir: string;
  /** The most tokens a character may take (default 2048); the document is completed within it. */
  maxTokens?: number;
  sampling?: SamplingSettings;
  /**
   * Generations run together in one forward pass (default 1: one at a time). Above 1, requests
   * that wait while the model is busy are batched; a character is then the same for the same
   * seed only when it ran in the same company (batched arithmetic rounds differently).
   */
  maxBatch?: number;
}

export interface LlmGenerateOptions extends GenerateOptions {
  sampling?: SamplingSettings;
  maxTokens?: number;
  /** Called once per finished generation with its timings and token counts. */
  onStats?: (stats: GenerationStats) => void;
}

export interface LlmGenerator extends CharacterGenerator {
  readonly kind: "llm";
  readonly engine: LlmEngine;
  generate(request: CharacterRequest, options?: LlmGenerateOptions): AsyncIterable<GenerateDelta>;
  /** Releases the onnxruntime session. */
  close(): Promise<void>;
}

export const DEFAULT_MAX_TOKENS = 2048;
const MAX_TOKENS_LIMIT = 32_768;

function checkMaxTokens(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > MAX_TOKENS_LIMIT) {
    throw new EnsoulError("INVALID_ARGUMENT", `maxTokens must be an integer from 1 to ${MAX_TOKENS_LIMIT}`, { field: "maxTokens" });
  }
  return value;
}

function checkMaxBatch(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 64) {
    throw new EnsoulError("INVALID_ARGUMENT", "maxBatch must be an integer from 1 to 64", { field: "maxBatch" });
  }
  return value;
}

/** Loads the model folder and returns the generator (FAILED_PRECONDITION if the folder is not a usable export). */
export async function createLlmGenerator(options: LlmGeneratorOptions): Promise<LlmGenerator> {
  const maxBatch = checkMaxBatch(options.maxBatch ?? 1);
  const maxTokens = checkMaxTokens(options.maxTokens ?? DEFAULT_MAX_TOKENS);
  const model = await loadModel(options.modelDir, options);
  let engine: LlmEngine;
  try {
    engine = new LlmEngine(model, QwenTokenizer.load(options.modelDir), maxBatch);
  } catch (error) {
    await model.session.release();
    throw error;
  }
  const g = model.generation;
  const defaults: SamplingSettings = {
    ...(g.temperature !== undefined && { temperature: g.temperature }),
    ...(g.topK !== undefined && { topK: g.topK }),
    ...(g.topP !== undefined && { topP: g.topP }),
    ...(g.minP !== undefined && { minP: g.minP }),
    ...(g.repetitionPenalty !== undefined && { repetitionPenalty: g.repetitionPenalty }),
    ...options.sampling,
  };
  return {
    kind: "llm",
    engine,
    generate(request: CharacterRequest, call: LlmGenerateOptions = {}): AsyncIterable<GenerateDelta> {
      const checked = checkCharacterRequest(request);
      return engine.generate(checked, {
        sampling: { ...defaults, ...call.sampling, seed: checked.seed } as SamplingOptions,
        maxTokens: checkMaxTokens(call.maxTokens ?? maxTokens),
        ...(call.signal !== undefined && { signal: call.signal }),
        ...(call.onStats !== undefined && { onStats: call.onStats }),
      });
    },
    close: () => model.session.release(),
  };
}
