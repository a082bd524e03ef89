import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generateProceduralCharacter } from "../index.js";
import { validateCharacter } from "../schema.js";
import { composeCharacter } from "./compose.js";
import { readPrompt } from "./prompt.js";

describe("readPrompt", () => {
  it("reads the example prompt: dwarf, blacksmith, cowardly, a debt to the Thieves' Guild", () => {
    const facts = readPrompt("A cowardly dwarven blacksmith who owes money to the thieves’ guild");
    expect(facts.species?.id).toBe("dwarf");
    expect(facts.role?.id).toBe("blacksmith");
    expect(facts.traits.map((t) => t.id)).toEqual(["cowardly"]);
    expect(facts.motifs).toEqual([{ kind: "debt", target: "the Thieves' Guild" }]);
  });

  it("takes the role mentioned first and ignores roles hidden in other words", () => {
    expect(readPrompt("a farmer who was robbed by a thief").role?.id).toBe("farmer");
    expect(readPrompt("a guard who hates the thieves' guild").role?.id).toBe("guard");
    expect(readPrompt("a half-elf bard").species?.id).toBe("half-elf");
    expect(readPrompt("an elf").species?.id).toBe("elf");
  });

  it("drops a trait that contradicts one named earlier", () => {
    expect(readPrompt("a brave but cowardly knight").traits.map((t) => t.id)).toEqual(["brave"]);
  });

  it("reads pronouns from the words that describe the character", () => {
    expect(readPrompt("a woman who runs the inn").pronouns).toBe("she/her");
    expect(readPrompt("a knight who avenges his brother").pronouns).toBe("he/him");
    expect(readPrompt("a priestess who misses her brother").pronouns).toBe("she/her");
    expect(readPrompt("a smith; they are kind").pronouns).toBe("they/them");
    expect(readPrompt("a smith").pronouns).toBeUndefined();
  });

  it("reads a name, an age band and motif targets", () => {
    const facts = readPrompt("an elderly sailor called Marta Quill who is in love with the lighthouse keeper and seeks the sunken bell");
    expect(facts.name).toBe("Marta Quill");
    expect(facts.age).toBe("old");
    expect(facts.motifs).toEqual([
      { kind: "search", target: "the sunken bell" },
      { kind: "love", target: "the lighthouse keeper" },
    ]);
    expect(readPrompt("a young thief").age).toBe("young");
    expect(readPrompt("a thief with a secret").motifs).toEqual([{ kind: "secret" }]);
    expect(readPrompt("a cook secretly in love with the duke's daughter").motifs).toEqual([{ kind: "love", target: "the duke's daughter" }]);
    expect(readPrompt("a guard sworn to the Iron Council").motifs).toEqual([{ kind: "loyalty", target: "the Iron Council" }]);
    expect(readPrompt("an orc seeking revenge on his old captain").motifs).toEqual([{ kind: "revenge", target: "old captain", own: true }]);
  });

  it("shortens a long target to at most 40 characters", () => {
    const [debt] = readPrompt(`a smith who owes money to the ${"very ".repeat(3)}${"x".repeat(90)} guild`).motifs;
    expect(debt!.target!.length).toBeLessThanOrEqual(40);
    expect(debt!.target).toBe("the Very Very Very");
  });

  it("finds a debt without a named creditor", () => {
    expect(readPrompt("a miner deep in debt").motifs).toEqual([{ kind: "debt" }]);
  });
});

describe("procedural characters from arbitrary prompts", () => {
  it("are always schema-valid, whatever the prompt says", () => {
    const words = ["a", "the", "who", "owes", "to", "dwarf", "elven", "thief", "named", "Zed", "guild", "revenge", "on", "her", "lost", "in love with", "afraid of", "secret", "old", "young", "cowardly", "brave", "'", ",", "."];
    const prompt = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.array(fc.oneof(fc.constantFrom(...words), fc.stringMatching(/^[a-zA-Z]{1,80}$/)), { maxLength: 40 }).map((w) => w.join(" ")),
    );
    fc.assert(
      fc.property(prompt, fc.nat(), (text, seed) => {
        validateCharacter(composeCharacter({ prompt: text, seed, generator: "procedural" }));
      }),
      { numRuns: 300 },
    );
  });

  it("are always schema-valid with any hints a request may carry", () => {
    const text = (max: number) => fc.string({ minLength: 1, maxLength: max }).filter((t) => t.trim().length > 0);
    const hints = fc.record(
      {
        name: text(60),
        species: text(40),
        role: text(40),
        pronouns: fc.constantFrom("he/him", "she/her", "they/them", "it/its"),
        level: fc.integer({ min: 1, max: 20 }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), fc.nat(), hints, (prompt, seed, extra) => {
        validateCharacter(generateProceduralCharacter({ prompt, seed, generator: "procedural", ...extra }));
      }),
      { numRuns: 300 },
    );
  });
});
