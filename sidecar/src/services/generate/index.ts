/**
 * The generate service: turns a designer's prompt into a complete, schema-valid character,
 * streamed as it is written. Two generators stand behind one interface: "procedural" (rules and
 * word lists, always available, here) and "llm" (a Qwen3 ONNX model with schema-constrained
 * decoding, in llm/, loaded on demand by `loadLlmGenerator`) with the same delta stream.
 */
import { EnsoulError } from "../../lib/errors.js";
import type { Character } from "./character.js";
import { composeCharacter } from "./procedural/compose.js";
import type { CharacterRequest, GeneratorKind } from "./request.js";
import { checkCharacterRequest } from "./request.js";
import { validateCharacter } from "./schema.js";
import { characterDeltas, collectCharacter, throwIfCancelled, type GenerateDelta } from "./stream.js";
import type { LlmGenerator, LlmGeneratorOptions } from "./llm/index.js";

export type { Character } from "./character.js";
export { CHARACTER_FIELDS, CHARACTER_SCHEMA_VERSION } from "./character.js";
export type { CharacterRequest, GeneratorKind } from "./request.js";
export { checkCharacterRequest, GENERATOR_KINDS } from "./request.js";
export { characterSchema, isValidCharacter, validateCharacter } from "./schema.js";
export type { PlannerTodoItem, PlannerValue } from "./planning.js";
export { goalTodo, methodPreferences, plannerValue, routineAt } from "./planning.js";
export type { GenerateDelta } from "./stream.js";
export { characterDeltas, collectCharacter, TopLevelFieldReader } from "./stream.js";

export interface GenerateOptions {
  /** Aborting stops the stream with an EnsoulError CANCELLED. */
  signal?: AbortSignal;
}

/**
 * A character generator. `generate` returns a stream of deltas (see stream.ts) that ends with
 * exactly one `done` carrying a character that has passed `validateCharacter`; a failure ends
 * the stream by throwing an EnsoulError. An LLM generator yields a `text` delta per decoded
 * token (or a few) and a `field` delta as each top-level field closes.
 */
export interface CharacterGenerator {
  readonly kind: GeneratorKind;
  generate(request: CharacterRequest, options?: GenerateOptions): AsyncIterable<GenerateDelta>;
}

/** The offline default: deterministic characters from rules and our own word lists. */
export function createProceduralGenerator(): CharacterGenerator {
  return {
    kind: "procedural",
    async *generate(request: CharacterRequest, options: GenerateOptions = {}): AsyncGenerator<GenerateDelta> {
      const checked = checkCharacterRequest(request);
      throwIfCancelled(options.signal);
      const character = generateProceduralCharacter(checked);
      for (const delta of characterDeltas(character)) {
        throwIfCancelled(options.signal);
        yield delta;
      }
    },
  };
}

/** The same character as the procedural stream's `done`, without streaming. */
export function generateProceduralCharacter(request: CharacterRequest): Character {
  return validateCharacter(composeCharacter(checkCharacterRequest(request)));
}

export type { LlmGenerateOptions, LlmGenerator, LlmGeneratorOptions } from "./llm/index.js";

/**
 * The "llm" generator for a Qwen3 ONNX model folder (see models/README.md and llm/index.ts).
 * Imported on demand, so the procedural path never loads onnxruntime or the tokenizer.
 */
export async function loadLlmGenerator(options: LlmGeneratorOptions): Promise<LlmGenerator> {
  const { createLlmGenerator } = await import("./llm/index.js");
  return createLlmGenerator(options);
}

/** The generators a deployment has; "llm" is absent where no model is configured. */
export type CharacterGenerators = Partial<Record<GeneratorKind, CharacterGenerator>>;

/**
 * Runs a request on the generator it names. Asking for "llm" where none is configured is
 * FAILED_PRECONDITION (the caller can retry with "procedural").
 */
export function generateCharacter(
  generators: CharacterGenerators,
  request: CharacterRequest,
  options?: GenerateOptions,
): AsyncIterable<GenerateDelta> {
  const checked = checkCharacterRequest(request);
  const generator = generators[checked.generator];
  if (generator === undefined) {
    throw new EnsoulError("FAILED_PRECONDITION", `the "${checked.generator}" generator is not configured here (try "procedural")`, {
      field: "generator",
    });
  }
  return generator.generate(checked, options);
}

/** Convenience for callers that want the finished character only. */
export async function generateToEnd(
  generators: CharacterGenerators,
  request: CharacterRequest,
  options?: GenerateOptions,
): Promise<Character> {
  return collectCharacter(generateCharacter(generators, request, options));
}
