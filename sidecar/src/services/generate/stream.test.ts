import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generateProceduralCharacter } from "./index.js";
import { characterDeltas, TopLevelFieldReader } from "./stream.js";

describe("TopLevelFieldReader", () => {
  it("finds each top-level field of a streamed character, however the text is cut", () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 20 }), (seed, cuts) => {
        const character = generateProceduralCharacter({ prompt: "a cowardly dwarven blacksmith who owes money to the thieves' guild", seed, generator: "procedural" });
        const text = JSON.stringify(character, null, seed % 2 === 0 ? undefined : 1);
        const reader = new TopLevelFieldReader();
        const found: { field: string; value: unknown }[] = [];
        for (let at = 0, k = 0; at < text.length; k++) {
          const size = cuts[k % cuts.length]!;
          found.push(...reader.push(text.slice(at, at + size)));
          at += size;
        }
        const expected = [...characterDeltas(character)].flatMap((d) => (d.type === "field" ? [{ field: d.field, value: d.value }] : []));
        expect(found).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });

  it("is not fooled by braces, commas and quotes inside strings", () => {
    const reader = new TopLevelFieldReader();
    const text = '{"name":"a, {b} [c] \\"d\\"","level":3,"skills":[{"name":"x,y"}]}';
    const found = [...text].flatMap((ch) => reader.push(ch));
    expect(found).toEqual([
      { field: "name", value: 'a, {b} [c] "d"' },
      { field: "level", value: 3 },
      { field: "skills", value: [{ name: "x,y" }] },
    ]);
  });

  it("says nothing about a field until its value closes, and skips unknown keys", () => {
    const reader = new TopLevelFieldReader();
    expect(reader.push('{"junk":1,"age":4')).toEqual([]);
    expect(reader.push("2")).toEqual([]);
    expect(reader.push("}")).toEqual([{ field: "age", value: 42 }]);
  });
});
