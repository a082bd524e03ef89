/**
 * A character's embedding without a model: the words of its descriptive fields, hashed into a
 * fixed number of signed buckets (feature hashing). Cosine similarity of two such vectors is
 * how much vocabulary they share, weighted toward who a character is (role, species, traits).
 * Crude next to a sentence-embedding model, but deterministic, instant and the same on every
 * replica; the collection stores whatever vector it is given, so a model can replace this
 * function without touching the data service.
 */

export const EMBEDDING_DIMENSIONS = 256;

/** Words too common to say anything about a character. */
const STOP_WORDS = new Set(
  "a an and are as at be but by for from has have he her his i in is it its of on or our she that the their them they this to was were who will with you your".split(" "),
);

/** 32-bit FNV-1a: a fast, well-spread hash of a word. */
function fnv1a(word: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < word.length; i++) {
    h ^= word.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Adds `text`'s words, each with `weight`, into `vector`. */
export function addWords(vector: Float64Array, text: string, weight: number): void {
  for (const match of text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) {
    const word = match[0];
    if (word.length < 2 || STOP_WORDS.has(word)) continue;
    const h = fnv1a(word);
    // The top bit picks the sign, so colliding words cancel out on average instead of adding up.
    vector[h % vector.length]! += h & 0x80000000 ? -weight : weight;
  }
}

/** The embedding of free text (a search query). All zeros when it has no words. */
export function embedText(text: string): Float64Array {
  const vector = new Float64Array(EMBEDDING_DIMENSIONS);
  addWords(vector, text, 1);
  return vector;
}

function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (typeof value === "object" && value !== null) return Object.values(value).flatMap(strings);
  return [];
}

/** Which parts of a character count, and how much. */
const CHARACTER_WEIGHTS: Array<[string, number]> = [
  ["role", 3],
  ["species", 3],
  ["personality", 2],
  ["name", 1],
  ["backstory", 1],
  ["goals", 1],
  ["skills", 1],
  ["abilities", 1],
  ["equipment", 0.5],
];

/** The embedding of a character document (any JSON object with the character's fields). */
export function embedCharacter(character: Record<string, unknown>): Float64Array {
  const vector = new Float64Array(EMBEDDING_DIMENSIONS);
  for (const [field, weight] of CHARACTER_WEIGHTS) addWords(vector, strings(character[field]).join(" "), weight);
  return vector;
}

export function isZero(vector: ArrayLike<number>): boolean {
  for (let i = 0; i < vector.length; i++) if (vector[i] !== 0) return false;
  return true;
}
