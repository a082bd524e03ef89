/**
 * Scenarios from godot-goal-task-planner's own tests (tests/test_*.h), restated for this planner:
 * the same situations and the same checks on the outcome, with our API.
 */
import { describe, expect, it } from "vitest";
import { Annotated, Domain } from "./domain.js";
import { runLazyRefineahead } from "./refineahead.js";
import { seekPlan } from "./search.js";
import { State } from "./state.js";

const HOUR = 3_600_000_000;
const NOW = 1_750_000_000_000_000;

/** test_planner_features.h, "Hard temporal puzzle: cooking with shared oven and dependencies". */
function kitchen(): Domain {
  return new Domain("kitchen")
    .declareActions(function prep_ingredients(s: State, dish: string) { return s.get("prepared", dish) ? false : s.set("prepared", dish, true); })
    .declareActions(function cook_dish(s: State, dish: string) {
      if (!s.get("prepared", dish) || s.get("oven_in_use", "oven")) return false;
      return s.set("cooked", dish, true);
    })
    .declareActions(function finish_cooking(s: State, dish: string) { return s.get("cooked", dish) ? s.set("finished", dish, true) : false; })
    .declareTaskMethods("prepare", function method_prep_dish(_s: State, dish: string) { return [["prep_ingredients", dish]]; })
    .declareTaskMethods("cook", function method_cook_dish(s: State, dish: string) {
      return [new Annotated(["cook_dish", dish], { durationUs: s.get("cooking_times", dish) as number })];
    })
    .declareUnigoalMethods("finished", function method_finish_dish(_s: State, dish: string) {
      return [["prepare", dish], ["cook", dish], ["finish_cooking", dish]];
    });
}

describe("godot-goal-task-planner scenarios", () => {
  it("cooks three dishes in one oven, in the order asked, with durations that never overlap", () => {
    const state = new State("kitchen", {
      cooking_times: { roast: 2 * HOUR, casserole: 1.5 * HOUR, bread: 0.5 * HOUR },
      oven_in_use: { oven: false },
    });
    const o = seekPlan(kitchen(), state, [["finished", "roast", true], ["finished", "casserole", true], ["finished", "bread", true]], { startUs: NOW, verbose: 3 });
    expect(o.plan).not.toBe(false);
    const plan = o.plan as ReadonlyArray<readonly unknown[]>;
    const cooked = plan.map((a, i) => [a, i] as const).filter(([a]) => a[0] === "cook_dish").map(([a, i]) => ({ dish: a[1], ...o.steps![i]! }));
    expect(cooked.map((c) => c.dish)).toEqual(["roast", "casserole", "bread"]);
    for (let i = 1; i < cooked.length; i++) expect(cooked[i]!.startUs!).toBeGreaterThanOrEqual(cooked[i - 1]!.endUs!);
    expect(cooked.map((c) => c.endUs! - c.startUs!)).toEqual([2 * HOUR, 1.5 * HOUR, 0.5 * HOUR]);
    expect(cooked[2]!.endUs).toBe(NOW + 4 * HOUR);
    expect(["roast", "casserole", "bread"].every((d) => o.finalState!.get("finished", d) === true)).toBe(true);
    expect(o.trace.some((e) => e.event === "constraint" && e.kind === "time" && e.ok)).toBe(true);
  });

  it("fails the cooking when the bread must be out before the roast could be done", () => {
    const state = new State("kitchen", { cooking_times: { roast: 2 * HOUR, bread: 0.5 * HOUR }, oven_in_use: { oven: false } });
    const todo = [["finished", "roast", true] as const, new Annotated(["finished", "bread", true], { endUs: NOW + 2 * HOUR })];
    expect(seekPlan(kitchen(), state, todo, { startUs: NOW }).plan).toBe(false);
  });

  it("gives every plan its own id (test_planner_features.h, ID generation)", () => {
    const ids = new Set(Array.from({ length: 20 }, () => seekPlan(kitchen(), new State("s"), []).planId));
    expect(ids.size).toBe(20);
  });

  it("refines ahead with an empty todo list: nothing to do, an empty graph (test_graph_backtracking.h)", async () => {
    const o = await runLazyRefineahead(kitchen(), new State("s"), []);
    expect(o.status).toBe("achieved");
    expect(o.graph).toEqual([]);
    expect(o.performed).toEqual([]);
  });

  it("refines ahead a goal already achieved without acting (test_graph_backtracking.h)", async () => {
    const o = await runLazyRefineahead(kitchen(), new State("s", { finished: { roast: true } }), [["finished", "roast", true]]);
    expect(o.status).toBe("achieved");
    expect(o.performed).toEqual([]);
  });

  it("progresses the state through the actions it performs (test_graph_backtracking.h, state snapshots)", async () => {
    const state = new State("kitchen", { cooking_times: { bread: 0.5 * HOUR }, oven_in_use: { oven: false } });
    const o = await runLazyRefineahead(kitchen(), state, [["finished", "bread", true]]);
    expect(o.performed.map((a) => a[0])).toEqual(["prep_ingredients", "cook_dish", "finish_cooking"]);
    expect(o.state.get("finished", "bread")).toBe(true);
    expect(state.get("finished", "bread")).toBeUndefined();
  });
});
