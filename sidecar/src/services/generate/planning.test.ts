import { describe, expect, it } from "vitest";
import type { Character } from "./character.js";
import { generateProceduralCharacter } from "./index.js";
import { goalTodo, methodPreferences, plannerValue, routineAt } from "./planning.js";

const debtor = (seed: number): Character =>
  generateProceduralCharacter({ prompt: "a cowardly dwarven blacksmith who owes money to the thieves' guild", seed, generator: "procedural" });

describe("goalTodo", () => {
  it("turns the debt into a unigoal and the work into a task, most urgent first", () => {
    const character = debtor(5);
    const todo = goalTodo(character);
    expect(todo[0]).toEqual(["debt", "thieves_guild", 0]);
    const amount = Number(character.goals.find((g) => g.task?.[0] === "earn_gold")!.task![1]);
    expect(todo[1]).toEqual(["earn_gold", amount]);
    expect(todo).toContainEqual(["forge_item", "masterwork_blade"]);
    expect(goalTodo(character, 5)).toEqual([["debt", "thieves_guild", 0]]);
  });

  it("keeps every goal of every character, each a well-formed item", () => {
    for (let seed = 0; seed < 100; seed++) {
      const character = generateProceduralCharacter({ prompt: "", seed, generator: "procedural" });
      const todo = goalTodo(character);
      expect(todo.length).toBe(character.goals.length);
      for (const item of todo) expect(item[0]).toMatch(/^[a-z][a-z0-9_]*$/);
    }
  });
});

describe("plannerValue", () => {
  it("reads numbers and booleans and leaves other text alone", () => {
    expect([plannerValue("0"), plannerValue("-2.5"), plannerValue("true"), plannerValue("false")]).toEqual([0, -2.5, true, false]);
    expect([plannerValue("thieves_guild"), plannerValue("1e3"), plannerValue("")]).toEqual(["thieves_guild", "1e3", ""]);
  });
});

describe("routineAt", () => {
  it("finds the entry in force, wrapping past midnight", () => {
    const character = debtor(5);
    const routine = character.behaviour.routine;
    expect(routineAt(character, routine[1]!.time)).toBe(routine[1]);
    expect(routineAt(character, "12:30").task[0]).toBe("eat");
    expect(routineAt(character, "23:59")).toBe(routine[routine.length - 1]);
    expect(routineAt(character, "00:30")).toBe(routine[routine.length - 1]);
  });
});

describe("methodPreferences", () => {
  it("gives a coward's threat handling a non-fighting method first", () => {
    const preferences = methodPreferences(debtor(8));
    expect(["flee", "hide", "plead", "surrender", "pay", "call_guards"]).toContain(preferences["handle_threat"]![0]);
    expect(Object.keys(preferences)).toContain("face_creditor");
  });
});
