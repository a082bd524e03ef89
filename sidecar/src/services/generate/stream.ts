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

/**
 * Finds the top-level fields of a JSON object as its text arrives in arbitrary pieces (e.g. an
 * LLM's tokens), so a generator can send a `field` delta the moment a field's value closes.
 * It scans each character once, tracking nesting and strings; it does not validate, it only
 * splits (the final document is validated whole).
 */
export class TopLevelFieldReader {
  private text = "";
  private scanned = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private keyStart = -1;
  private valueStart = -1;
  private key: string | undefined;

  /** Feeds more text; returns the known character fields completed by it, in order. */
  push(piece: string): { field: CharacterField; value: unknown }[] {
    this.text += piece;
    const done: { field: CharacterField; value: unknown }[] = [];
    const text = this.text;
    for (let i = this.scanned; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c /* \ */) this.escaped = true;
        else if (c === 0x22 /* " */) this.inString = false;
        continue;
      }
      if (c === 0x22) this.inString = true;
      else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
        this.depth++;
        if (this.depth === 1) this.keyStart = i + 1;
      } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
        if (this.depth === 1) this.finishField(i, done);
        this.depth--;
      } else if (this.depth === 1 && c === 0x3a /* : */) {
        this.key = JSON.parse(text.slice(this.keyStart, i)) as string;
        this.valueStart = i + 1;
      } else if (this.depth === 1 && c === 0x2c /* , */) {
        this.finishField(i, done);
        this.keyStart = i + 1;
      }
    }
    this.scanned = text.length;
    return done;
  }

  private finishField(end: number, done: { field: CharacterField; value: unknown }[]): void {
    if (this.key === undefined || this.valueStart < 0) return;
    const key = this.key;
    const value = JSON.parse(this.text.slice(this.valueStart, end)) as unknown;
    this.key = undefined;
    this.valueStart = -1;
    if ((CHARACTER_FIELDS as readonly string[]).includes(key)) done.push({ field: key as CharacterField, value });
  }
}
