import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EnsoulError } from "../../lib/errors.js";
import { createPlanner, loadJsonDomain, stateFromJson, todoFromJson } from "./index.js";

const travel = () => loadJsonDomain(JSON.parse(readFileSync(new URL("./examples/simple_htn.domain.json", import.meta.url), "utf8")));
const state = () => stateFromJson({ loc: { alice: "home_a", taxi1: "park" }, cash: { alice: 20 }, owe: { alice: 0 } });

describe("createPlanner", () => {
  it("plans in a domain registered by id", () => {
    const planner = createPlanner();
    planner.putDomain("travel", travel());
    expect(planner.listDomains()).toEqual(["travel"]);
    expect(planner.findPlan("travel", state(), todoFromJson([["travel", "alice", "park"]]))).toEqual([
      ["call_taxi", "alice", "home_a"], ["ride_taxi", "alice", "park"], ["pay_driver", "alice", "park"],
    ]);
  });

  it("registers a JSON domain and plans in wire form", () => {
    const planner = createPlanner();
    planner.putJsonDomain("travel", JSON.parse(readFileSync(new URL("./examples/simple_htn.domain.json", import.meta.url), "utf8")));
    const o = planner.planJson("travel", { loc: { alice: "home_a", taxi1: "park" }, cash: { alice: 20 }, owe: { alice: 0 } }, [["travel", "alice", "park"]], { planId: "p1" });
    expect(o.planId).toBe("p1");
    expect(o.plan).toEqual([["call_taxi", "alice", "home_a"], ["ride_taxi", "alice", "park"], ["pay_driver", "alice", "park"]]);
    expect(() => planner.planJson("travel", "not a state", [])).toThrowError(/state must be an object/);
  });

  it("answers NOT_FOUND for a domain never registered", () => {
    try {
      createPlanner().plan("nope", state(), []);
      throw new Error("expected NOT_FOUND");
    } catch (err) {
      expect((err as EnsoulError).code).toBe("NOT_FOUND");
      expect((err as EnsoulError).field).toBe("domain");
    }
  });

  it("never lets a request raise a bound above the service's limit", () => {
    const planner = createPlanner({ maxExpansions: 3 });
    planner.putDomain("travel", travel());
    expect(() => planner.plan("travel", state(), todoFromJson([["travel", "alice", "park"]]), { maxExpansions: 1_000_000 })).toThrowError(/maxExpansions \(3\)/);
    expect(() => planner.plan("travel", state(), [], { timeoutMs: -1 })).toThrowError(/timeoutMs must be/);
  });
});
