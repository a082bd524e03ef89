import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EnsoulError } from "../../lib/errors.js";
import type { Character } from "./character.js";
import { CHARACTER_FIELDS } from "./character.js";
import { generateProceduralCharacter } from "./index.js";
import { characterSchema, isValidCharacter, validateCharacter } from "./schema.js";

function sample(seed = 7): Character {
  return generateProceduralCharacter({ prompt: "a greedy merchant who owes money to the crown", seed, generator: "procedural" });
}

/** Runs `validateCharacter` on a changed copy and returns the error it throws. */
function rejection(change: (doc: Record<string, any>) => void): EnsoulError {
  const doc = structuredClone(sample()) as Record<string, any>;
  change(doc);
  try {
    validateCharacter(doc);
  } catch (err) {
    expect(err).toBeInstanceOf(EnsoulError);
    return err as EnsoulError;
  }
  throw new Error("the document was accepted");
}

describe("character schema", () => {
  it("is JSON Schema 2020-12 with an $id and a schemaVersion constant", () => {
    const schema = characterSchema();
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(String(schema.$id)).toMatch(/^https:\/\//);
    const props = schema.properties as Record<string, { const?: unknown }>;
    expect(props.schemaVersion?.const).toBe(1);
    expect(Object.keys(props)).toEqual([...CHARACTER_FIELDS]);
    expect(schema.required).toEqual([...CHARACTER_FIELDS]);
  });

  it("keeps to keywords a constrained decoder can compile and closes every object", () => {
    const allowed = new Set(["$schema", "$id", "title", "description", "type", "properties", "required", "additionalProperties", "enum", "const", "minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems", "items", "pattern"]);
    const schemaFile = JSON.parse(
      readFileSync(new URL("../../../../shared-schema/json/character.schema.json", import.meta.url), "utf8"),
    ) as unknown;
    let objects = 0;
    const walk = (node: Record<string, unknown>, path: string): void => {
      for (const key of Object.keys(node)) expect(allowed.has(key), `${path}: keyword ${key}`).toBe(true);
      if (node.type === "object") {
        objects++;
        expect(node.additionalProperties, path).toBe(false);
        const props = node.properties as Record<string, Record<string, unknown>>;
        for (const req of node.required as string[]) expect(props[req], `${path}.${req}`).toBeDefined();
        for (const [name, sub] of Object.entries(props)) walk(sub, `${path}.${name}`);
      }
      if (node.type === "array") walk(node.items as Record<string, unknown>, `${path}[]`);
      if (node.type === undefined && node.const === undefined) throw new Error(`${path}: no type`);
    };
    walk(schemaFile as Record<string, unknown>, "$");
    expect(objects).toBeGreaterThanOrEqual(12);
  });

  it("names the appearance fields the body generator reads", () => {
    const appearance = (characterSchema().properties as Record<string, { properties: object }>).appearance!;
    expect(Object.keys(appearance.properties)).toEqual(["heightM", "build", "shoulderWidth", "hipWidth", "armLength", "legLength", "headSize", "skinColor", "hairColor", "eyeColor", "clothingColors"]);
  });
});

describe("validateCharacter", () => {
  it("returns a valid character unchanged", () => {
    const doc = sample();
    expect(validateCharacter(doc)).toBe(doc);
    expect(isValidCharacter(doc)).toBe(true);
  });

  it("rejects what is not an object", () => {
    for (const doc of [null, 3, "character", [], undefined]) {
      expect(isValidCharacter(doc)).toBe(false);
    }
    expect(() => validateCharacter([])).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT", field: "character" }));
  });

  it("names a field the schema does not know", () => {
    const err = rejection((doc) => {
      doc.appearance.wings = 2;
    });
    expect(err.code).toBe("INVALID_ARGUMENT");
    expect(err.field).toBe("appearance.wings");
    expect(err.message).toContain("appearance.wings");
  });

  it("names a missing field by its path", () => {
    expect(rejection((doc) => delete doc.appearance.eyeColor).field).toBe("appearance.eyeColor");
    expect(rejection((doc) => delete doc.name).field).toBe("name");
  });

  it("names an array element by index", () => {
    const err = rejection((doc) => {
      doc.skills[1].rank = 9;
    });
    expect(err.field).toBe("skills[1].rank");
  });

  it("rejects a colour that is not #rrggbb", () => {
    expect(rejection((doc) => (doc.appearance.skinColor = "tan")).field).toBe("appearance.skinColor");
    expect(rejection((doc) => (doc.appearance.clothingColors[0] = "#FFF")).field).toBe("appearance.clothingColors[0]");
  });

  it("lists the allowed values of an enum", () => {
    const err = rejection((doc) => (doc.pronouns = "xe/xem"));
    expect(err.field).toBe("pronouns");
    expect(err.message).toContain('"they/them"');
  });

  it("rejects a wrong schemaVersion", () => {
    expect(rejection((doc) => (doc.schemaVersion = 2)).field).toBe("schemaVersion");
  });

  it("requires task on a goal of kind task and forbids it on kind goal", () => {
    const taskGoal = { description: "Do it", kind: "task", priority: 2 };
    expect(rejection((doc) => (doc.goals = [taskGoal])).field).toBe("goals[0].task");
    expect(
      rejection((doc) => (doc.goals = [{ ...taskGoal, task: ["do_it"], variable: "x" }])).field,
    ).toBe("goals[0].variable");
    const stateGoal = { description: "Be rich", kind: "goal", priority: 2, variable: "gold", argument: "me" };
    expect(rejection((doc) => (doc.goals = [stateGoal])).field).toBe("goals[0].value");
    expect(
      rejection((doc) => (doc.goals = [{ ...stateGoal, value: "100", task: ["get_rich"] }])).field,
    ).toBe("goals[0].task");
  });

  it("rejects a planner task whose name is not an identifier", () => {
    const err = rejection((doc) => (doc.behaviour.routine[0].task = ["Go Home"]));
    expect(err.field).toBe("behaviour.routine[0].task[0]");
    expect(rejection((doc) => (doc.behaviour.reactions[0].task[0] = "9lives")).field).toBe("behaviour.reactions[0].task[0]");
  });
});
