import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Command, CommanderError } from "commander";
import { afterAll, describe, expect, it } from "vitest";
import { registerGenerateCommand } from "./cli.js";
import { generateProceduralCharacter, validateCharacter } from "./index.js";

const dir = mkdtempSync(path.join(tmpdir(), "ensoul-generate-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `args` on a program with only the generate command; returns what it printed. */
async function run(args: string[]): Promise<string[]> {
  const lines: string[] = [];
  const program = new Command().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerGenerateCommand(program, (line) => lines.push(line)).exitOverride();
  await program.parseAsync(["generate", ...args], { from: "user" });
  return lines;
}

const PROMPT = "a cowardly dwarven blacksmith who owes money to the thieves' guild";

describe("ensoul generate", () => {
  it("writes the same character the generator makes for that prompt and seed", async () => {
    const file = path.join(dir, "smith.json");
    const lines = await run([PROMPT, "--seed", "12", "--out", file]);
    const expected = generateProceduralCharacter({ prompt: PROMPT, seed: 12, generator: "procedural" });
    const written = JSON.parse(readFileSync(file, "utf8")) as unknown;
    expect(written).toEqual(expected);
    expect(validateCharacter(written).species).toBe("dwarf");
    expect(lines).toEqual([`wrote ${file}: ${expected.name}, dwarf blacksmith (seed 12)`]);
  });

  it("prints the JSON to stdout without --out, seed 0 by default", async () => {
    const [json] = await run(["a gnome"]);
    expect(JSON.parse(json!)).toEqual(generateProceduralCharacter({ prompt: "a gnome", seed: 0, generator: "procedural" }));
  });

  it("passes hints through", async () => {
    const [json] = await run(["", "--species", "elf", "--role", "bard", "--name", "Lira Fen", "--pronouns", "she/her", "--level", "7"]);
    const character = JSON.parse(json!) as Record<string, unknown>;
    expect([character.species, character.role, character.name, character.pronouns, character.level]).toEqual(["elf", "bard", "Lira Fen", "she/her", 7]);
  });

  it("refuses a seed that is not a whole number, naming it", async () => {
    await expect(run(["a smith", "--seed", "-3"])).rejects.toMatchObject({ code: "INVALID_ARGUMENT", field: "seed" });
    await expect(run(["a smith", "--seed", "1e5"])).rejects.toMatchObject({ code: "INVALID_ARGUMENT", field: "seed" });
    await expect(run(["a smith", "--level", "30"])).rejects.toMatchObject({ code: "INVALID_ARGUMENT", field: "level" });
  });

  it("says llm is not configured rather than falling back silently", async () => {
    await expect(run(["a smith", "--generator", "llm"])).rejects.toMatchObject({ code: "FAILED_PRECONDITION", field: "generator" });
  });

  it("is a usage error without a prompt", async () => {
    await expect(run([])).rejects.toBeInstanceOf(CommanderError);
  });

  it("names --out when the file cannot be written", async () => {
    await expect(run(["a smith", "--out", path.join(dir, "missing", "x.json")])).rejects.toMatchObject({ code: "INVALID_ARGUMENT", field: "out" });
  });
});
