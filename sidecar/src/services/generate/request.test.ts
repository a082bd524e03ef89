import { describe, expect, it } from "vitest";
import { EnsoulError } from "../../lib/errors.js";
import { createProceduralGenerator, generateCharacter, generateToEnd } from "./index.js";
import { checkCharacterRequest } from "./request.js";

function fieldOf(input: unknown): string | undefined {
  try {
    checkCharacterRequest(input);
  } catch (err) {
    expect(err).toBeInstanceOf(EnsoulError);
    expect((err as EnsoulError).code).toBe("INVALID_ARGUMENT");
    return (err as EnsoulError).field;
  }
  return undefined;
}

describe("checkCharacterRequest", () => {
  it("accepts a full request and keeps only known fields, trimmed and lower-cased where the schema wants", () => {
    expect(
      checkCharacterRequest({ prompt: "a smith", seed: 2 ** 40, generator: "llm", name: " Bo ", species: "Dwarf", role: "Smith", pronouns: "he/him", level: 3 }),
    ).toEqual({ prompt: "a smith", seed: 2 ** 40, generator: "llm", name: "Bo", species: "dwarf", role: "smith", pronouns: "he/him", level: 3 });
  });

  it("fills the defaults: empty prompt, seed 0, procedural", () => {
    expect(checkCharacterRequest({})).toEqual({ prompt: "", seed: 0, generator: "procedural" });
  });

  it("names the field of a bad request", () => {
    expect(fieldOf(null)).toBe("request");
    expect(fieldOf({ seed: -1 })).toBe("seed");
    expect(fieldOf({ seed: 1.5 })).toBe("seed");
    expect(fieldOf({ seed: "7" })).toBe("seed");
    expect(fieldOf({ seed: 2 ** 53 })).toBe("seed");
    expect(fieldOf({ prompt: "x".repeat(2001) })).toBe("prompt");
    expect(fieldOf({ prompt: 5 })).toBe("prompt");
    expect(fieldOf({ generator: "gpt" })).toBe("generator");
    expect(fieldOf({ name: "" })).toBe("name");
    expect(fieldOf({ species: "x".repeat(41) })).toBe("species");
    expect(fieldOf({ pronouns: "xe/xem" })).toBe("pronouns");
    expect(fieldOf({ level: 21 })).toBe("level");
    expect(fieldOf({ temperature: 1 })).toBe("temperature");
  });
});

describe("generateCharacter", () => {
  it("runs the generator the request names", async () => {
    const character = await generateToEnd({ procedural: createProceduralGenerator() }, { prompt: "a bard", seed: 4, generator: "procedural" });
    expect(character.role).toBe("bard");
  });

  it("refuses llm where no model is configured, naming the field", () => {
    expect(() => generateCharacter({ procedural: createProceduralGenerator() }, { prompt: "", seed: 1, generator: "llm" })).toThrow(
      expect.objectContaining({ code: "FAILED_PRECONDITION", field: "generator" }),
    );
  });
});
