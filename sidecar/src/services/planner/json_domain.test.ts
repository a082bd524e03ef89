import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EnsoulError } from "../../lib/errors.js";
import { planToJson, stateFromGtpyhop, todoFromGtpyhop, type GtpyhopGolden } from "./gtpyhop_json.js";
import { loadJsonDomain } from "./json_domain.js";
import { stateFromJson, todoFromJson } from "./json_state.js";
import { runLazyLookahead } from "./lookahead.js";
import { findPlan } from "./search.js";

const read = (rel: string): unknown => JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8"));

/** Loads `doc` and returns the EnsoulError it throws. */
function loadError(doc: unknown): EnsoulError {
  try {
    loadJsonDomain(doc);
  } catch (err) {
    expect(err).toBeInstanceOf(EnsoulError);
    return err as EnsoulError;
  }
  throw new Error("expected the domain to be rejected");
}

const tiny = (action: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ name: "tiny", actions: { act: { params: ["x"], ...action } }, ...extra });

describe("JSON domains give GTPyhop's plans", () => {
  for (const [file, golden] of [
    ["blocks_htn.domain.json", "blocks_htn"], ["blocks_gtn.domain.json", "blocks_gtn"],
    ["simple_htn.domain.json", "simple_htn"], ["simple_hgn.domain.json", "simple_hgn"],
  ] as const) {
    const domain = loadJsonDomain(read(`./examples/${file}`));
    const calls = (read(`./golden/${golden}.json`) as GtpyhopGolden).calls;
    calls.forEach((call, i) => {
      if (call.call === "find_plan") {
        it(`${file}: call ${i} gives GTPyhop's plan`, () => {
          expect(planToJson(findPlan(domain, stateFromGtpyhop(call.state), todoFromGtpyhop(call.todo)))).toEqual(call.result);
        });
      } else {
        it(`${file}: call ${i} (run_lazy_lookahead) ends in GTPyhop's final state`, async () => {
          const o = await runLazyLookahead(domain, stateFromGtpyhop(call.state), todoFromGtpyhop(call.todo));
          expect(o.state.toJSON()).toEqual(stateFromGtpyhop(call.final_state!).toJSON());
        });
      }
    });
  }

  it("plans from a wire-format state and todo list", () => {
    const domain = loadJsonDomain(read("./examples/simple_htn.domain.json"));
    const state = stateFromJson({ loc: { alice: "home_a", bob: "home_b", taxi1: "park", taxi2: "station" }, cash: { alice: 20, bob: 15 }, owe: { alice: 0, bob: 0 } });
    expect(findPlan(domain, state, todoFromJson([["travel", "bob", "park"]]))).toEqual([["walk", "bob", "home_b", "park"]]);
  });
});

describe("JSON domain errors", () => {
  it("names the action, the place and the column of a syntax error", () => {
    const e = loadError(tiny({ pre: ["true", "pos[x] == )"] }));
    expect(e.code).toBe("INVALID_ARGUMENT");
    expect(e.message).toContain("domain tiny");
    expect(e.message).toContain("actions.act.pre[1], column 11");
    expect(e.message).toContain('"pos[x] == )"');
  });

  it("names the method of an unknown function", () => {
    const e = loadError({ name: "t", taskMethods: { go: [{ name: "m_go", params: ["a"], pre: "far(a)" }] } });
    expect(e.message).toContain("taskMethods.go[0].pre, column 1: unknown function far");
  });

  it("rejects a call with the wrong number of arguments", () => {
    const e = loadError(tiny({ pre: "f(x, x)" }, { functions: { f: { params: ["a"], body: "a" } } }));
    expect(e.message).toContain("f takes 1 argument, not 2");
  });

  it("rejects an effect that assigns to a parameter", () => {
    const e = loadError(tiny({ effects: ["x = 1"] }));
    expect(e.message).toContain("actions.act.effects[0], column 1: x is not a state variable");
  });

  it("points at '=' used as a comparison", () => {
    expect(loadError(tiny({ pre: "loc[x] = 1" })).message).toContain("column 8: '=' assigns; compare with '=='");
  });

  it("reports a document that breaks the schema with its path", () => {
    const e = loadError({ name: "t", actions: { act: { pre: 5 } } });
    expect(e.field).toBe("domain.actions.act.pre");
    expect(loadError({ name: "bad name" }).field).toBe("domain.name");
  });

  it("rejects a unigoal method without exactly two params", () => {
    expect(loadError({ name: "t", unigoalMethods: { loc: [{ name: "m", params: ["a"] }] } }).message).toContain("must take 2 params");
  });

  it("names the action and expression of a type error at planning time", () => {
    const d = loadJsonDomain(tiny({ pre: "cash[x] < 'many'" }));
    try {
      findPlan(d, stateFromJson({ cash: { a: 3 } }), [["act", "a"]]);
      throw new Error("expected an error");
    } catch (err) {
      expect(err).toBeInstanceOf(EnsoulError);
      expect((err as EnsoulError).message).toContain("actions.act.pre, column 9: cannot compare 3 < \"many\"");
    }
  });

  it("stops runaway recursion with RESOURCE_EXHAUSTED", () => {
    const d = loadJsonDomain(tiny({ pre: "loop(x)" }, { functions: { loop: { params: ["a"], body: "loop(a)" } } }));
    try {
      findPlan(d, stateFromJson({}), [["act", 1]]);
      throw new Error("expected an error");
    } catch (err) {
      expect((err as EnsoulError).code).toBe("RESOURCE_EXHAUSTED");
      expect((err as EnsoulError).message).toMatch(/calls to loop nest (deeper than|too deep)/);
    }
  });
});

describe("the expression language", () => {
  const evalPre = (pre: string, state: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
    findPlan(loadJsonDomain(tiny({ pre }, extra)), stateFromJson(state), [["act", "a"]]) !== false;

  it("follows Python's truthiness and short-circuit and/or", () => {
    expect(evalPre("0 or ''")).toBe(false);
    expect(evalPre("missing[x] or 3")).toBe(true);
    expect(evalPre("not (1 and 0)")).toBe(true);
  });

  it("does arithmetic with precedence and Python's modulo", () => {
    expect(evalPre("1 + 2 * 3 == 7 and -7 % 3 == 2 and (1 + 2) * 3 == 9")).toBe(true);
  });

  it("tests membership in variables, constants and lists", () => {
    expect(evalPre("x in loc and 'b' not in loc and 2 in [1, 2]", { loc: { a: 1 } })).toBe(true);
    expect(evalPre("x in people", {}, { constants: { people: { a: true } } })).toBe(true);
  });

  it("finds, and quantifies over, a variable's arguments in order", () => {
    const state = { loc: { a: "park", b: "home", c: "home" } };
    expect(evalPre("(find p in loc where loc[p] == 'home') == 'b'", state)).toBe(true);
    expect(evalPre("some p in loc where loc[p] == 'park'", state)).toBe(true);
    expect(evalPre("every p in loc where loc[p] == 'home'", state)).toBe(false);
    expect(evalPre("len(loc) == 3 and len(keys(loc)) == 3", state)).toBe(true);
  });

  it("reads multi-argument constants as joined arguments", () => {
    expect(evalPre("d[x, 'b'] == 4", {}, { constants: { d: { "a,b": 4 } } })).toBe(true);
  });
});
