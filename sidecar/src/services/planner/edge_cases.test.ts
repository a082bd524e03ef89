/**
 * GTPyhop 1.1's behaviour at the edges (golden/edge_cases.json, recorded by
 * golden/capture_edge_cases.py from a GTPyhop checkout): failure vs empty plan, errors, multigoals
 * without methods, verification off, and the goal-retry bug, reproduced only when asked.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EnsoulError } from "../../lib/errors.js";
import { Domain, m_split_multigoal } from "./domain.js";
import { planToJson, type Json } from "./gtpyhop_json.js";
import { seekPlan, type SearchOptions } from "./search.js";
import { Multigoal, State, type Value } from "./state.js";
import type { TodoItem } from "./domain.js";

interface EdgeCase { case: string; result?: Json[] | false; error?: string }
const golden = JSON.parse(readFileSync(new URL("./golden/edge_cases.json", import.meta.url), "utf8")) as { cases: EdgeCase[] };

/** The domain of capture_edge_cases.py, declared the same way. */
function edgeDomain(withMultigoalMethods: boolean): Domain {
  const d = new Domain("edge")
    .declareActions(function setv(s: State, v: Value) { return s.set("x", "v", v); })
    .declareActions(function need(s: State, v: Value) { return s.get("x", "v") === v ? s : false; })
    .declareUnigoalMethods("x", function m_first() { return [["setv", 1], ["need", 2]]; }, function m_second(_s: State, _a: string, v: Value) { return [["setv", v]]; })
    .declareTaskMethods("nothing", function m_empty() { return []; })
    .declareTaskMethods("never", function m_false() { return false; })
    .declareUnigoalMethods("y", function m_liar() { return []; });
  return withMultigoalMethods ? d.declareMultigoalMethods(m_split_multigoal) : d;
}

const CASES: Record<string, { todo: TodoItem[]; multigoalMethods?: boolean; options?: SearchOptions }> = {
  "second unigoal method after the first fails": { todo: [["x", "v", 2]] },
  "empty refinement is success": { todo: [["nothing"]] },
  "false refinement is failure": { todo: [["never"]] },
  "unknown item raises": { todo: [["fly"]] },
  "goal method that does not achieve raises": { todo: [["y", "v", 5]] },
  "multigoal without multigoal methods fails": { todo: [new Multigoal("g", { x: { v: 3 } })] },
  "achieved multigoal splits to nothing": { todo: [new Multigoal("g", { x: { v: 0 } })], multigoalMethods: true },
  "split multigoal": { todo: [new Multigoal("g", { x: { v: 2 } })], multigoalMethods: true },
  "without verification the liar passes": { todo: [["y", "v", 5]], options: { verifyGoals: false } },
};

function outcome(name: string, compat: boolean): { result?: Json[] | false; error?: string } {
  const c = CASES[name]!;
  try {
    const o = seekPlan(edgeDomain(c.multigoalMethods ?? false), new State("s0", { x: { v: 0 }, y: { v: 0 } }), c.todo, { ...c.options, gtpyhop11GoalRetry: compat });
    return { result: planToJson(o.plan) };
  } catch (err) {
    if (!(err instanceof EnsoulError)) throw err;
    return { error: err.message };
  }
}

describe("GTPyhop 1.1 edge cases", () => {
  for (const g of golden.cases) {
    it(`${g.case}: as GTPyhop (gtpyhop11GoalRetry on)`, () => {
      const o = outcome(g.case, true);
      // Items print as (fly) here, as ('fly',) in Python; the messages are otherwise the same.
      if (g.error !== undefined) expect(o.error).toBe(g.error.trim().replace(/'(\w+)'/g, "$1").replace(/,\)/g, ")"));
      else expect(o.result).toEqual(g.result);
    });
  }

  it("by default a goal's next method starts from the original todo list (GTPyhop's retry bug fixed)", () => {
    expect(outcome("second unigoal method after the first fails", false).result).toEqual([["setv", 2]]);
    expect(outcome("split multigoal", false).result).toEqual([["setv", 2]]);
  });
});
