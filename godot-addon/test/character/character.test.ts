/**
 * EnsoulCharacter (GDScript) in the real Godot 4.6 engine: it reads a character the sidecar's
 * procedural generator wrote, gives the same document back, and saves and loads as a .tres.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateProceduralCharacter } from "../../../sidecar/src/services/generate/index.js";
import { assertRunPassed, filesFromDir, GodotHarness } from "../harness/index.js";

const ADDON = path.resolve(import.meta.dirname, "../../addons/ensoul");
let godot: GodotHarness;

beforeAll(async () => {
  godot = await GodotHarness.start();
});
afterAll(async () => {
  await godot?.close();
});

describe("EnsoulCharacter (GDScript)", () => {
  it("mirrors the sidecar's character field for field and round-trips through a .tres", async () => {
    const character = generateProceduralCharacter({ prompt: "a cowardly dwarven blacksmith who owes money", seed: 1234, generator: "procedural" });
    const run = await godot.run({
      args: ["--headless"],
      timeoutMs: 60_000,
      files: [
        ...(await filesFromDir(path.join(ADDON, "generated"), "addons/ensoul/generated")),
        ...(await filesFromDir(path.join(ADDON, "runtime"), "addons/ensoul/runtime")),
        { path: "fixtures/character.json", data: JSON.stringify(character) },
        { path: "tests/test_character.gd", data: readFileSync(path.join(import.meta.dirname, "test_character.gd"), "utf8") },
      ],
    });
    assertRunPassed(run);
    expect(run.summary?.passed).toBe(4);
    const line = run.stdout.find((l) => l.startsWith("ENSOUL-CHARACTER "));
    expect(line, "the GDScript test printed its document").toBeDefined();
    expect(JSON.parse(line!.slice("ENSOUL-CHARACTER ".length))).toEqual(character);
  }, 90_000);
});
