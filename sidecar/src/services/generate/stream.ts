/**
 * The streaming shape every character generator speaks. A stream is a sequence of deltas:
 * `text` fragments which, joined, are the character's JSON exactly as written (an LLM streams its
 * tokens here); a `field` delta each time a top-level field is complete (a client can show it at
 * once); and one final `done` with the validated character.
 */
import { EnsoulError } from "../../lib/errors.js";
import { CHARACTER_FIELDS, type Character, type CharacterField } from "./character.js";

export type GenerateDelta =
  | { type: "text"; text: string }
  | { type: "field"; field: CharacterField; value: unknown }
  | { type: "done"; character: Character };

/**
 * Writes a finished character as a stream: for each top-level field one text fragment and then
 * the field delta, and last the done delta. The text joins to `JSON.stringify(character)` when
 * the character's keys are in schema order (the procedural generator builds them so).
 */
export function* characterDeltas(character: Character): Generator<GenerateDelta> {
  let first = true;
  for (const field of CHARACTER_FIELDS) {
    const value = character[field];
    yield { type: "text", text: `${first ? "{" : ","}${JSON.stringify(field)}:${JSON.stringify(value)}` };
    yield { type: "field", field, value };
    first = false;
  }
  yield { type: "text", text: "}" };
  yield { type: "done", character };
}

/** Reads a stream to its end and returns the character; throws INTERNAL if it ends without one. */
export async function collectCharacter(stream: AsyncIterable<GenerateDelta>): Promise<Character> {
  for await (const delta of stream) {
    if (delta.type === "done") return delta.character;
  }
  throw new EnsoulError("INTERNAL", "the generator's stream ended without a character");
}

/** Throws CANCELLED if `signal` has been aborted; generators call it between deltas. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new EnsoulError("CANCELLED", "character generation was cancelled");
}
