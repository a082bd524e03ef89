import { describe, expect, it } from "vitest";
import { EnsoulError } from "../../lib/errors.js";
import { Alternatives, Domain, m_split_multigoal } from "./domain.js";
import { findPlan, seekPlan } from "./search.js";
import { Multigoal, State } from "./state.js";

/** A counter domain: `count n` ticks n times, one refinement per tick (deep on purpose). */
function counterDomain(): Domain {
  return new Domain("counter")
    .declareActions(function tick(s: State) {
      return s.set("ticks", "", ((s.get("ticks") as number) ?? 0) + 1);
    })
    .declareTaskMethods("count", function m_count(_s: State, n: number) {
      return n === 0 ? [] : [["tick"], ["count", n - 1]];
    });
}

function expectEnsoulError(f: () => unknown, code: string, field?: string): EnsoulError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(EnsoulError);
    const e = err as EnsoulError;
    expect(e.code).toBe(code);
    if (field !== undefined) expect(e.field).toBe(field);
    return e;
  }
  throw new Error("expected an EnsoulError");
}

describe("findPlan", () => {
  it("tells failure (false) from an empty plan ([])", () => {
    const d = counterDomain().declareTaskMethods("never", function m_never() { return false; });
    expect(findPlan(d, new State("s"), [])).toEqual([]);
    expect(findPlan(d, new State("s"), [["count", 0]])).toEqual([]);
    expect(findPlan(d, new State("s"), [["never"]])).toBe(false);
  });

  it("finds a 10,000-action plan without growing the JS stack", () => {
    const outcome = seekPlan(counterDomain(), new State("s", { ticks: { "": 0 } }), [["count", 10_000]]);
    expect(outcome.plan).not.toBe(false);
    expect((outcome.plan as unknown[]).length).toBe(10_000);
    expect(outcome.finalState!.get("ticks")).toBe(10_000);
  });

  it("leaves the caller's state unchanged", () => {
    const s = new State("s", { ticks: { "": 0 } });
    findPlan(counterDomain(), s, [["count", 5]]);
    expect(s.get("ticks")).toBe(0);
  });

  it("backtracks over methods in declared order and undoes the writes of abandoned branches", () => {
    const d = new Domain("bt")
      .declareActions(function put(s: State, v: number) { return s.set("flag", "", v); })
      .declareActions(function check(s: State, v: number) { return s.get("flag") === v ? s : false; })
      .declareTaskMethods("choose", function a() { return [["put", 1]]; }, function b() { return [["put", 2]]; }, function c() { return [["put", 3]]; })
      .declareTaskMethods("want", function w(_s: State, v: number) { return [["check", v]]; });
    expect(findPlan(d, new State("s"), [["choose"], ["want", 3]])).toEqual([["put", 3], ["check", 3]]);
    expect(findPlan(d, new State("s"), [["choose"], ["want", 4]])).toBe(false);
  });

  it("tries a method's Alternatives one at a time, lazily, before the next method", () => {
    const pulled: number[] = [];
    const d = new Domain("alts")
      .declareActions(function put(s: State, v: number) { return s.set("flag", "", v); })
      .declareActions(function check(s: State, v: number) { return s.get("flag") === v ? s : false; })
      .declareTaskMethods("choose", function m_each() {
        return new Alternatives((function* () {
          for (const v of [1, 2, 3]) {
            pulled.push(v);
            yield [["put", v]];
          }
        })());
      }, function m_last() { return [["put", 9]]; })
      .declareTaskMethods("want", function w(_s: State, v: number) { return [["check", v]]; });
    expect(findPlan(d, new State("s"), [["choose"], ["want", 2]])).toEqual([["put", 2], ["check", 2]]);
    expect(pulled).toEqual([1, 2]);
    expect(findPlan(d, new State("s"), [["choose"], ["want", 9]])).toEqual([["put", 9], ["check", 9]]);
  });

  it("undoes the writes of an action that changes the state and then fails", () => {
    const d = new Domain("undo")
      .declareActions(function half(s: State) { s.set("x", "", 1); return false; })
      .declareActions(function read(s: State) { return s.get("x") === 0 ? s : false; })
      .declareTaskMethods("t", function viaHalf() { return [["half"]]; }, function direct() { return [["read"]]; });
    expect(findPlan(d, new State("s", { x: { "": 0 } }), [["t"]])).toEqual([["read"]]);
  });

  it("skips a unigoal that already holds and refines one that does not", () => {
    const d = new Domain("g")
      .declareActions(function move(s: State, x: string, to: string) { return s.set("loc", x, to); })
      .declareUnigoalMethods("loc", function m_move(_s: State, x: string, to: string) { return [["move", x, to]]; });
    const s = new State("s", { loc: { a: "home" } });
    expect(findPlan(d, s, [["loc", "a", "home"]])).toEqual([]);
    expect(findPlan(d, s, [["loc", "a", "park"]])).toEqual([["move", "a", "park"]]);
  });

  it("achieves a multigoal with m_split_multigoal", () => {
    const d = new Domain("g")
      .declareActions(function move(s: State, x: string, to: string) { return s.set("loc", x, to); })
      .declareUnigoalMethods("loc", function m_move(_s: State, x: string, to: string) { return [["move", x, to]]; })
      .declareMultigoalMethods(m_split_multigoal);
    const goal = new Multigoal("g1", { loc: { a: "park", b: "home", c: "zoo" } });
    expect(findPlan(d, new State("s", { loc: { a: "home", b: "home", c: "home" } }), [goal])).toEqual([["move", "a", "park"], ["move", "c", "zoo"]]);
  });

  it("raises FAILED_PRECONDITION naming the method when a goal method does not achieve its goal, unless verifyGoals is off", () => {
    const d = new Domain("liar")
      .declareActions(function noop(s: State) { return s; })
      .declareUnigoalMethods("loc", function m_lie() { return [["noop"]]; });
    const e = expectEnsoulError(() => findPlan(d, new State("s", { loc: { a: "home" } }), [["loc", "a", "park"]]), "FAILED_PRECONDITION");
    expect(e.message).toContain("m_lie");
    expect(e.message).toContain("loc[a] = park");
    expect(findPlan(d, new State("s", { loc: { a: "home" } }), [["loc", "a", "park"]], { verifyGoals: false })).toEqual([["noop"]]);
  });

  it("raises FAILED_PRECONDITION when a multigoal method does not achieve its multigoal", () => {
    const d = new Domain("mg_liar").declareMultigoalMethods(function m_claim() { return []; });
    const e = expectEnsoulError(() => findPlan(d, new State("s", { loc: { a: "home" } }), [new Multigoal("g", { loc: { a: "park" } })]), "FAILED_PRECONDITION");
    expect(e.message).toContain("m_claim didn't achieve <Multigoal g>");
  });

  it("rejects a todo item the domain does not know", () => {
    const e = expectEnsoulError(() => findPlan(counterDomain(), new State("s"), [["fly", "me"]]), "INVALID_ARGUMENT");
    expect(e.message).toContain("(fly, me) isn't an action, task, unigoal, or multigoal");
  });

  it("stops a method that tries to write the state", () => {
    const d = new Domain("w").declareTaskMethods("t", function m_writes(s: State) { s.set("x", "", 1); return []; });
    const e = expectEnsoulError(() => findPlan(d, new State("s"), [["t"]]), "FAILED_PRECONDITION");
    expect(e.message).toContain("m_writes");
  });

  it("wraps an exception thrown by domain code in an INTERNAL error naming the function", () => {
    const d = new Domain("t").declareActions(function boom(): State { throw new Error("kaput"); });
    const e = expectEnsoulError(() => findPlan(d, new State("s"), [["boom"]]), "INTERNAL");
    expect(e.message).toContain("boom threw: kaput");
  });

  it("rejects an action that returns a different state object", () => {
    const d = new Domain("t").declareActions(function fresh() { return new State("other"); });
    expectEnsoulError(() => findPlan(d, new State("s"), [["fresh"]]), "INVALID_ARGUMENT");
  });
});

describe("search bounds", () => {
  it("ends in RESOURCE_EXHAUSTED naming maxDepth when the refinement chain is too deep", () => {
    const e = expectEnsoulError(() => findPlan(counterDomain(), new State("s"), [["count", 100]], { maxDepth: 50 }), "RESOURCE_EXHAUSTED", "maxDepth");
    expect(e.message).toContain("maxDepth (50)");
  });

  it("ends in RESOURCE_EXHAUSTED naming maxExpansions when the search is too long", () => {
    expectEnsoulError(() => findPlan(counterDomain(), new State("s"), [["count", 100]], { maxExpansions: 120 }), "RESOURCE_EXHAUSTED", "maxExpansions");
  });

  it("ends in DEADLINE_EXCEEDED naming timeoutMs when the search runs past its deadline", () => {
    // An endless search: a task that always refines to itself through a no-op action.
    const d = new Domain("loop")
      .declareActions(function noop(s: State) { return s; })
      .declareTaskMethods("forever", function again() { return [["noop"], ["forever"]]; });
    expectEnsoulError(() => findPlan(d, new State("s"), [["forever"]], { timeoutMs: 20, maxDepth: Infinity, maxExpansions: Infinity }), "DEADLINE_EXCEEDED", "timeoutMs");
  });
});

describe("plan ids and traces", () => {
  it("gives each plan a fresh id unless one is passed", () => {
    const a = seekPlan(counterDomain(), new State("s"), [["count", 1]]);
    const b = seekPlan(counterDomain(), new State("s"), [["count", 1]]);
    expect(a.planId).not.toBe(b.planId);
    expect(seekPlan(counterDomain(), new State("s"), [], { planId: "p-1" }).planId).toBe("p-1");
  });

  it("records more at each verbose level, as GTPyhop prints more", () => {
    const run = (verbose: 0 | 1 | 2 | 3) => seekPlan(counterDomain(), new State("s"), [["count", 2]], { verbose }).trace;
    expect(run(0)).toEqual([]);
    expect(run(1).map((e) => e.event)).toEqual(["find_plan", "result"]);
    const t2 = run(2);
    expect(t2.filter((e) => e.event === "todo")).toHaveLength(6);
    expect(t2.find((e) => e.event === "todo")).toEqual({ level: 2, event: "todo", depth: 0, todo: ["(count, 2)"] });
    const t3 = run(3);
    expect(t3.some((e) => e.event === "method" && e.method === "m_count" && e.applicable)).toBe(true);
    expect(t3.some((e) => e.event === "action" && e.applied)).toBe(true);
    expect(t3.length).toBeGreaterThan(t2.length);
  });

  it("caps the trace and says so", () => {
    const o = seekPlan(counterDomain(), new State("s"), [["count", 50]], { verbose: 3, maxTraceEvents: 10 });
    expect(o.trace).toHaveLength(10);
    expect(o.traceTruncated).toBe(true);
  });
});
