import { describe, expect, it } from "vitest";
import { entities, getEntityCapability, getPredicate, hasEntity, hasPredicate, hasSubject, matchEntities, setEntityCapability, setPredicate, subjects, triples } from "./entities.js";
import { State } from "./state.js";

describe("predicate–subject–object triples", () => {
  it("reads and writes triples as state variables", () => {
    const s = new State("s");
    setPredicate(s, "alice", "at", "kitchen");
    setPredicate(s, "bob", "holding", "knife");
    expect(getPredicate(s, "alice", "at")).toBe("kitchen");
    expect(s.get("at", "alice")).toBe("kitchen");
    expect(hasPredicate(s, "bob", "at")).toBe(false);
    expect(hasSubject(s, "bob")).toBe(true);
    expect(subjects(s)).toEqual(["alice", "bob"]);
    expect(triples(s)).toEqual([["alice", "at", "kitchen"], ["bob", "holding", "knife"]]);
  });
});

describe("entities with capabilities", () => {
  const world = () => {
    const s = new State("s");
    setEntityCapability(s, "r1", "type", "robot");
    setEntityCapability(s, "r1", "cleaning", true);
    setEntityCapability(s, "chef", "type", "agent");
    setEntityCapability(s, "chef", "cooking", true);
    setEntityCapability(s, "r2", "type", "robot");
    setEntityCapability(s, "r2", "cooking", true);
    setEntityCapability(s, "r2", "cleaning", false);
    return s;
  };

  it("knows its entities and their capabilities", () => {
    const s = world();
    expect(entities(s)).toEqual(["r1", "chef", "r2"]);
    expect(hasEntity(s, "chef")).toBe(true);
    expect(getEntityCapability(s, "r2", "type")).toBe("robot");
    expect(getEntityCapability(s, "r2", "cleaning")).toBe(false);
  });

  it("binds each requirement to the first entity of its type with every capability", () => {
    const s = world();
    expect(matchEntities(s, [{ type: "robot", capabilities: ["cooking"] }])).toEqual(["r2"]);
    expect(matchEntities(s, [{ type: "robot", capabilities: ["cleaning"] }, { type: "agent", capabilities: ["cooking"] }])).toEqual(["r1", "chef"]);
    expect(matchEntities(s, [{ type: "robot", capabilities: ["cooking", "cleaning"] }])).toBeNull();
    expect(matchEntities(s, [{ type: "agent", capabilities: ["cleaning"] }])).toBeNull();
  });
});
