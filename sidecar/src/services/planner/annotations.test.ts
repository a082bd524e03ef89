/** Temporal constraints and entity requirements on todo items (godot-goal-task-planner's additions). */
import { describe, expect, it } from "vitest";
import { Annotated, Domain } from "./domain.js";
import { setEntityCapability } from "./entities.js";
import { loadJsonDomain } from "./json_domain.js";
import { stateFromJson, todoFromJson } from "./json_state.js";
import { seekPlan } from "./search.js";
import { State } from "./state.js";

const NOW = 1_700_000_000_000_000; // µs since the epoch
const MIN = 60_000_000;

/** Cooking: `cook dish` is a timed `prepare` then a timed `serve`; two methods with different durations. */
function kitchen(): Domain {
  return new Domain("kitchen")
    .declareActions(function prepare(s: State, dish: string) { return s.set("ready", dish, true); })
    .declareActions(function serve(s: State, dish: string) { return s.get("ready", dish) === true ? s.set("served", dish, true) : false; })
    .declareTaskMethods(
      "cook",
      function slow_cook(_s: State, dish: string) {
        return [new Annotated(["prepare", dish], { durationUs: 60 * MIN }), new Annotated(["serve", dish], { durationUs: 5 * MIN })];
      },
      function quick_cook(_s: State, dish: string) {
        return [new Annotated(["prepare", dish], { durationUs: 10 * MIN }), new Annotated(["serve", dish], { durationUs: 5 * MIN })];
      },
    );
}

describe("temporal constraints", () => {
  it("fixes the earliest times of timed actions, one after another from now", () => {
    const o = seekPlan(kitchen(), new State("s"), [["cook", "soup"]], { startUs: NOW });
    expect(o.plan).toEqual([["prepare", "soup"], ["serve", "soup"]]);
    expect(o.steps).toEqual([
      { startUs: NOW, endUs: NOW + 60 * MIN },
      { startUs: NOW + 60 * MIN, endUs: NOW + 65 * MIN },
    ]);
  });

  it("backtracks to another method when a deadline on the task cannot be met", () => {
    const o = seekPlan(kitchen(), new State("s"), [new Annotated(["cook", "soup"], { endUs: NOW + 20 * MIN })], { startUs: NOW });
    expect(o.plan).toEqual([["prepare", "soup"], ["serve", "soup"]]);
    expect(o.steps![1]).toEqual({ startUs: NOW + 10 * MIN, endUs: NOW + 15 * MIN });
  });

  it("fails when no refinement fits the time allowed", () => {
    const o = seekPlan(kitchen(), new State("s"), [new Annotated(["cook", "soup"], { durationUs: 5 * MIN })], { startUs: NOW });
    expect(o.plan).toBe(false);
  });

  it("fails an item asked to start before now", () => {
    const o = seekPlan(kitchen(), new State("s"), [new Annotated(["prepare", "tea"], { startUs: NOW - MIN })], { startUs: NOW });
    expect(o.plan).toBe(false);
  });

  it("leaves steps null when nothing is annotated", () => {
    expect(seekPlan(kitchen(), new State("s"), [["prepare", "tea"]]).steps).toBeNull();
  });
});

describe("entity requirements", () => {
  function chores(): Domain {
    return new Domain("chores")
      .declareActions(function clean(s: State, room: string) { return s.set("clean", room, true); })
      .declareTaskMethods(
        "tidy",
        function by_robot(_s: State, room: string) { return [new Annotated(["clean", room], undefined, [{ type: "robot", capabilities: ["cleaning"] }])]; },
        function by_person(_s: State, room: string) { return [new Annotated(["clean", room], undefined, [{ type: "agent", capabilities: ["cleaning"] }])]; },
      );
  }

  it("binds the first capable entity and records it on the plan step", () => {
    const s = new State("s");
    setEntityCapability(s, "r1", "type", "robot");
    setEntityCapability(s, "r1", "cleaning", true);
    const o = seekPlan(chores(), s, [["tidy", "hall"]]);
    expect(o.plan).toEqual([["clean", "hall"]]);
    expect(o.steps).toEqual([{ entities: ["r1"] }]);
  });

  it("backtracks to a method whose requirement some entity meets", () => {
    const s = new State("s");
    setEntityCapability(s, "r1", "type", "robot");
    setEntityCapability(s, "ann", "type", "agent");
    setEntityCapability(s, "ann", "cleaning", true);
    expect(seekPlan(chores(), s, [["tidy", "hall"]]).steps).toEqual([{ entities: ["ann"] }]);
  });

  it("fails when no entity has the capability", () => {
    expect(seekPlan(chores(), new State("s"), [["tidy", "hall"]]).plan).toBe(false);
  });
});

describe("annotations in JSON", () => {
  const doc = {
    name: "kitchen_json",
    constants: { minutes: { prepare: 10, serve: 5 } },
    actions: {
      prepare: { params: ["dish"], effects: ["ready[dish] = true"] },
      serve: { params: ["dish"], pre: "ready[dish] == true", effects: ["served[dish] = true"] },
    },
    taskMethods: {
      cook: [{
        name: "m_cook",
        params: ["dish"],
        subtasks: [
          { item: ["prepare", "dish"], time: { durationUs: "minutes['prepare'] * 60000000" }, requires: [{ type: "agent", capabilities: ["cooking"] }] },
          { item: ["serve", "dish"], time: { durationUs: "minutes['serve'] * 60000000" } },
        ],
      }],
    },
  };

  it("times and binds subtasks a JSON method annotates", () => {
    const state = stateFromJson({ entity_type: { ann: "agent" }, "capability:cooking": { ann: true } });
    const o = seekPlan(loadJsonDomain(doc), state, todoFromJson([{ item: ["cook", "soup"], time: { endUs: NOW + 15 * MIN } }]), { startUs: NOW });
    expect(o.plan).toEqual([["prepare", "soup"], ["serve", "soup"]]);
    expect(o.steps).toEqual([
      { startUs: NOW, endUs: NOW + 10 * MIN, entities: ["ann"] },
      { startUs: NOW + 10 * MIN, endUs: NOW + 15 * MIN },
    ]);
    expect(seekPlan(loadJsonDomain(doc), state, todoFromJson([{ item: ["cook", "soup"], time: { endUs: NOW + 14 * MIN } }]), { startUs: NOW }).plan).toBe(false);
  });

  it("rejects a negative duration on the wire", () => {
    expect(() => todoFromJson([{ item: ["cook", "soup"], time: { durationUs: -1 } }])).toThrowError(/todo\[0\]\.time\.durationUs/);
  });
});
