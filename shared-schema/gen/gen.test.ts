import { describe, expect, it } from "vitest";
import { generateAll, staleFiles } from "./main.js";

describe("npm run gen", () => {
  it("leaves the committed generated files exactly as the generator writes them", () => {
    const stale = staleFiles(generateAll());
    expect(stale, "generated files differ from the generator's output: run npm run gen").toEqual([]);
  });

  it("is deterministic: two runs give the same bytes", () => {
    const a = generateAll().files;
    const b = generateAll().files;
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [name, content] of a) expect(Buffer.from(b.get(name)!).equals(Buffer.from(content)), name).toBe(true);
  });
});
