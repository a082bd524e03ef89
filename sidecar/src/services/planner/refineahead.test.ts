import { describe, expect, it } from "vitest";
import { Domain } from "./domain.js";
import { runLazyRefineahead } from "./refineahead.js";
import { findPlan } from "./search.js";
import { State } from "./state.js";

/** Visiting a friend: walk to the door, then get in by the bell or by phoning. */
function visitDomain(): Domain {
  return new Domain("visit")
    .declareActions(function walk(s: State, to: string) { return s.set("at", "me", to); })
    .declareActions(function ring(s: State) { return s.set("inside", "me", true); })
    .declareActions(function phone(s: State) { return s.set("inside", "me", true); })
    .declareTaskMethods("visit", function m_visit(_s: State, place: string) { return [["walk", place], ["get_in"]]; })
    .declareTaskMethods("get_in",
      function by_bell(s: State) { return s.get("at", "me") === "door" ? [["ring"]] : false; },
      function by_phone(s: State) { return s.get("at", "me") === "door" ? [["phone"]] : false; });
}

const home = () => new State("s", { at: { me: "home" }, inside: { me: false } });

describe("runLazyRefineahead", () => {
  it("acts what the planner would plan when the world goes along", async () => {
    const o = await runLazyRefineahead(visitDomain(), home(), [["visit", "door"]]);
    expect(o.status).toBe("achieved");
    expect(o.performed).toEqual(findPlan(visitDomain(), home(), [["visit", "door"]]));
    expect(o.graph.map((n) => [n.item, n.kind, n.method, n.status])).toEqual([
      ["(visit, door)", "task", "m_visit", "done"],
      ["(walk, door)", "action", null, "done"],
      ["(get_in)", "task", "by_bell", "done"],
      ["(ring)", "action", null, "done"],
    ]);
  });

  it("re-refines only the failed part, from the world's current state, and blacklists the failed action", async () => {
    const o = await runLazyRefineahead(visitDomain(), home(), [["visit", "door"]], {
      act: (action, state) => (action[0] === "ring" ? false : state.set(action[0] === "walk" ? "at" : "inside", "me", action[0] === "walk" ? (action[1] as string) : true)),
    });
    expect(o.status).toBe("achieved");
    expect(o.performed).toEqual([["walk", "door"], ["phone"]]); // the walk is not redone
    expect(o.blacklisted).toEqual([["ring"]]);
    expect(o.failures).toBe(1);
    expect(o.graph.find((n) => n.item === "(ring)")!.status).toBe("failed");
    expect(o.graph.find((n) => n.item === "(get_in)")!.method).toBe("by_phone");
  });

  it("fails when every method of the failed part is used up", async () => {
    const o = await runLazyRefineahead(visitDomain(), home(), [["visit", "door"]], {
      act: (action, state) => (action[0] === "walk" ? state.set("at", "me", "door") : false),
    });
    expect(o.status).toBe("failed");
    expect(o.performed).toEqual([["walk", "door"]]);
    expect(o.blacklisted).toEqual([["ring"], ["phone"]]);
  });

  it("gives up after maxFailures", async () => {
    const o = await runLazyRefineahead(visitDomain(), home(), [["visit", "door"]], { maxFailures: 0, act: () => false });
    expect(o.status).toBe("gave_up");
  });
});
