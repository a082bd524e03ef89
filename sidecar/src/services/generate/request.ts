/**
 * What a caller asks a character generator for, and the one place that checks it: a request
 * that passes `checkCharacterRequest` is safe to hand to any generator.
 */
import { EnsoulError } from "../../lib/errors.js";
import { PRONOUNS, type Pronouns } from "./character.js";

export type GeneratorKind = "procedural" | "llm";
export const GENERATOR_KINDS: readonly GeneratorKind[] = ["procedural", "llm"];

export const MAX_PROMPT_CHARS = 2000;
/** Seeds are unsigned integers up to 2^53 − 1 (what JSON and protobuf uint64 carry safely). */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;

export interface CharacterRequest {
  /** The designer's description, e.g. "a cowardly dwarven blacksmith who owes money to the thieves' guild". */
  prompt: string;
  /** Same seed + same request fields → the same character (byte for byte for "procedural"). */
  seed: number;
  generator: GeneratorKind;
  /** Optional hints; each one wins over what the prompt suggests. */
  name?: string;
  species?: string;
  role?: string;
  pronouns?: Pronouns;
  level?: number;
}

/**
 * Checks an untrusted request (e.g. decoded JSON) and returns it typed, with only the known
 * fields. Throws INVALID_ARGUMENT naming the field at fault.
 */
export function checkCharacterRequest(input: unknown): CharacterRequest {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new EnsoulError("INVALID_ARGUMENT", "a character request must be an object", { field: "request" });
  }
  const raw = input as Record<string, unknown>;
  const known = new Set(["prompt", "seed", "generator", "name", "species", "role", "pronouns", "level"]);
  const unknown = Object.keys(raw).find((k) => !known.has(k));
  if (unknown !== undefined) {
    throw new EnsoulError("INVALID_ARGUMENT", `unknown request field "${unknown}"`, { field: unknown });
  }
  const prompt = raw.prompt ?? "";
  if (typeof prompt !== "string" || prompt.length > MAX_PROMPT_CHARS) {
    throw new EnsoulError("INVALID_ARGUMENT", `prompt must be a string of at most ${MAX_PROMPT_CHARS} characters`, { field: "prompt" });
  }
  const seed = raw.seed ?? 0;
  if (typeof seed !== "number" || !Number.isSafeInteger(seed) || seed < 0) {
    throw new EnsoulError("INVALID_ARGUMENT", `seed must be an integer from 0 to ${MAX_SEED}`, { field: "seed" });
  }
  const generator = raw.generator ?? "procedural";
  if (typeof generator !== "string" || !(GENERATOR_KINDS as readonly string[]).includes(generator)) {
    throw new EnsoulError("INVALID_ARGUMENT", `generator must be one of ${GENERATOR_KINDS.join(", ")}`, { field: "generator" });
  }
  const request: CharacterRequest = { prompt, seed, generator: generator as GeneratorKind };
  const name = optionalText(raw, "name", 60);
  if (name !== undefined) request.name = name;
  const species = optionalText(raw, "species", 40);
  if (species !== undefined) request.species = species.toLowerCase();
  const role = optionalText(raw, "role", 40);
  if (role !== undefined) request.role = role.toLowerCase();
  if (raw.pronouns !== undefined) {
    if (typeof raw.pronouns !== "string" || !(PRONOUNS as readonly string[]).includes(raw.pronouns)) {
      throw new EnsoulError("INVALID_ARGUMENT", `pronouns must be one of ${PRONOUNS.join(", ")}`, { field: "pronouns" });
    }
    request.pronouns = raw.pronouns as Pronouns;
  }
  if (raw.level !== undefined) {
    if (typeof raw.level !== "number" || !Number.isInteger(raw.level) || raw.level < 1 || raw.level > 20) {
      throw new EnsoulError("INVALID_ARGUMENT", "level must be an integer from 1 to 20", { field: "level" });
    }
    request.level = raw.level;
  }
  return request;
}

function optionalText(raw: Record<string, unknown>, field: string, maxChars: number): string | undefined {
  const value = raw[field];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.trim().length === 0 || value.trim().length > maxChars) {
    throw new EnsoulError("INVALID_ARGUMENT", `${field} must be a non-empty string of at most ${maxChars} characters`, { field });
  }
  return value.trim();
}
