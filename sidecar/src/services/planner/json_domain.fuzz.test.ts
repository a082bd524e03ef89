/**
 * Fuzzing JSON domains: random documents (some well-formed, most not) and random expressions
 * must load and plan without a crash; the only thing that may be thrown is an EnsoulError.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EnsoulError } from "../../lib/errors.js";
import { parseExpression } from "./expr/parser.js";
import { loadJsonDomain } from "./json_domain.js";
import { stateFromJson, todoFromJson } from "./json_state.js";
import { seekPlan } from "./search.js";

const TOKENS = [
  "pos", "clear", "x", "y", "g", "f", "len", "keys", "[", "]", "(", ")", ",", ".", "==", "!=", "<", "<=", ">", ">=", "=",
  "+", "-", "*", "/", "%", "and", "or", "not", "in", "if", "then", "else", "find", "some", "every", "where",
  "true", "false", "null", "0", "1", "2.5", "'a'", "'table'", "\"b\"", "'", "@",
];

/** Well-formed expressions over the names the fuzzed domains use, so that many domains load. */
const validExpression = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom("x", "y", "1", "0", "'a'", "'table'", "true", "null", "pos[x]", "clear[y]", "len(pos)"),
    fc.tuple(tie("e"), fc.constantFrom("==", "!=", "and", "or", "+", "<", "in"), tie("e")).map(([a, op, b]) => `(${a} ${op} ${b})`),
    tie("e").map((a) => `not ${a}`),
    fc.tuple(tie("e"), tie("e"), tie("e")).map(([c, a, b]) => `(if ${c} then ${a} else ${b})`),
    tie("e").map((c) => `(find b in pos where ${c.replaceAll("x", "b")})`),
    tie("e").map((a) => `f(${a})`),
  ),
})).e;

const expression = fc.oneof(
  { weight: 6, arbitrary: validExpression },
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom("pos", "clear"), validExpression).map(([v, e]) => `${v}[x] = ${e}`) },
  { weight: 4, arbitrary: fc.array(fc.constantFrom(...TOKENS), { minLength: 1, maxLength: 12 }).map((t) => t.join(" ")) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.constantFrom("pos[x] == y", "clear[x]", "f(x)", "find b in pos where pos[b] == x", "x in pos", "pos[x] = y", "clear[x] = true", "g.pos[x]") },
);

const name = fc.oneof({ weight: 40, arbitrary: fc.constantFrom("a", "b", "t", "pos", "clear", "f", "act", "m") }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) });
const params = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(["x", "y"], ["x", "y"], ["x"]) }, { weight: 1, arbitrary: fc.array(name, { maxLength: 3 }) });
const item = fc.oneof({ weight: 4, arbitrary: fc.tuple(name, expression).map(([n, e]) => [n, e]) }, { weight: 4, arbitrary: fc.tuple(name).map(([n]) => [n]) }, { weight: 2, arbitrary: expression }, { weight: 1, arbitrary: fc.jsonValue() });
const method = fc.record(
  {
    name,
    params,
    pre: fc.oneof(expression, fc.array(expression, { maxLength: 2 })),
    subtasks: fc.array(item, { maxLength: 3 }),
    cases: fc.array(fc.record({ when: expression, subtasks: fc.array(item, { maxLength: 2 }) }, { requiredKeys: ["subtasks"] }), { maxLength: 2 }),
    let: fc.dictionary(name, expression, { maxKeys: 2 }),
  },
  { requiredKeys: ["name"] },
);
const action = fc.record({ params, pre: expression, effects: fc.array(expression, { maxLength: 3 }), let: fc.dictionary(name, expression, { maxKeys: 2 }) }, { requiredKeys: [] });

const domainDoc = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record(
      {
        name: fc.oneof(fc.constant("fuzz"), name),
        constants: fc.dictionary(name, fc.oneof({ weight: 9, arbitrary: fc.dictionary(name, fc.oneof(fc.integer(), fc.string({ maxLength: 3 }), fc.boolean())) }, { weight: 1, arbitrary: fc.jsonValue() }), { maxKeys: 2 }),
        functions: fc.oneof(fc.constant({ f: { params: ["x"], body: "x" } }), fc.dictionary(name, fc.record({ params, body: expression }), { maxKeys: 2 })),
        actions: fc.dictionary(name, action, { maxKeys: 3 }),
        taskMethods: fc.dictionary(name, fc.array(method, { maxLength: 2 }), { maxKeys: 2 }),
        unigoalMethods: fc.dictionary(name, fc.array(method, { maxLength: 2 }), { maxKeys: 2 }),
        multigoalMethods: fc.array(fc.oneof(fc.constant("m_split_multigoal"), method), { maxLength: 2 }),
      },
      { requiredKeys: ["name"] },
    ),
  },
  { weight: 1, arbitrary: fc.jsonValue() },
);

const todo = fc.array(fc.oneof(fc.tuple(name, fc.oneof(fc.integer({ min: -2, max: 3 }), fc.constantFrom("a", "b", "table"))), fc.tuple(name), fc.jsonValue()), { maxLength: 3 });
const state = fc.oneof({ weight: 5, arbitrary: fc.constant({ pos: { a: "table", b: "a" }, clear: { a: false, b: true } }) }, { weight: 1, arbitrary: fc.jsonValue() });

function onlyEnsoulErrors(f: () => unknown): void {
  try {
    f();
  } catch (err) {
    if (!(err instanceof EnsoulError)) throw err;

  }
}

describe("JSON domain fuzzing", () => {
  it("never crashes on random expressions", () => {
    fc.assert(
      fc.property(fc.oneof(expression, fc.string({ maxLength: 60 })), (src) => {
        onlyEnsoulErrors(() => parseExpression(src, "fuzz", { locals: new Map([["x", 0]]), slots: { count: 1 }, functions: new Map([["f", 1]]), constants: new Set() }));
      }),
      { numRuns: 2000 },
    );
  });

  it("loads and plans random domains with nothing thrown but EnsoulErrors", () => {
    let loaded = 0;
    fc.assert(
      fc.property(domainDoc, state, todo, (doc, s, t) => {
        onlyEnsoulErrors(() => {
          const domain = loadJsonDomain(doc);
          loaded++;
          seekPlan(domain, stateFromJson(s), todoFromJson(t), { maxExpansions: 2000, maxDepth: 200, timeoutMs: 200 });
        });
      }),
      { numRuns: 3000 },
    );
    expect(loaded).toBeGreaterThan(0); // the generator does reach the planner
  });
});
