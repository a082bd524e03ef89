import { describe, expect, it } from "vitest";
import { Domain } from "./domain.js";
import { runLazyLookahead } from "./lookahead.js";
import { State } from "./state.js";

function walkDomain(): Domain {
  return new Domain("walk")
    .declareActions(function step(s: State, to: string) { return s.set("loc", "me", to); })
    .declareTaskMethods("go", function m_there(s: State, to: string) {
      return s.get("loc", "me") === to ? [] : [["step", to]];
    });
}

describe("runLazyLookahead", () => {
  it("acts the plan, then stops when the next plan is empty", async () => {
    const o = await runLazyLookahead(walkDomain(), new State("s", { loc: { me: "home" } }), [["go", "park"]]);
    expect(o.status).toBe("achieved");
    expect(o.state.get("loc", "me")).toBe("park");
    expect(o.tries).toBe(2);
    expect(o.performed).toEqual([["step", "park"]]);
  });

  it("replans after an action fails in the world", async () => {
    let failures = 1;
    const o = await runLazyLookahead(walkDomain(), new State("s", { loc: { me: "home" } }), [["go", "park"]], {
      act: async (action, state) => (failures-- > 0 ? false : state.set("loc", "me", action[1] as string)),
    });
    expect(o.status).toBe("achieved");
    expect(o.tries).toBe(3);
    expect(o.outcomes).toHaveLength(3);
  });

  it("gives up after maxTries when the world never goes along", async () => {
    const o = await runLazyLookahead(walkDomain(), new State("s", { loc: { me: "home" } }), [["go", "park"]], { maxTries: 4, act: () => false });
    expect(o.status).toBe("gave_up");
    expect(o.tries).toBe(4);
    expect(o.state.get("loc", "me")).toBe("home");
  });

  it("reports no_plan when the planner finds none", async () => {
    const d = walkDomain().declareTaskMethods("fly", function m_never() { return false; });
    const o = await runLazyLookahead(d, new State("s"), [["fly"]]);
    expect(o.status).toBe("no_plan");
    expect(o.tries).toBe(1);
  });

  it("uses the domain's command c_<action> in place of the action when there is one", async () => {
    const d = walkDomain().declareCommands(function c_step(s: State, to: string) { return s.set("loc", "me", to).set("steps", "me", 1); });
    const o = await runLazyLookahead(d, new State("s", { loc: { me: "home" } }), [["go", "park"]]);
    expect(o.state.get("steps", "me")).toBe(1);
  });
});
