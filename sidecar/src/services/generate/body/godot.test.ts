/**
 * Bodies in the real engine: Godot 4.6's own GLTFDocument (web build, headless chromium) loads
 * each .glb, and the GDScript test beside this file checks the skeleton against Godot's
 * SkeletonProfileHumanoid, the skin, the blend shapes and the height.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertRunPassed, GodotHarness, type PackFile } from "../../../../../godot-addon/test/harness/index.js";
import { buildBody } from "./build.js";
import { inspectBody } from "./inspect.js";
import { resolveBodyParams, type BodyParams } from "./params.js";
import { extremeBodyParams } from "./samples.js";

let godot: GodotHarness;
beforeAll(async () => {
  godot = await GodotHarness.start();
});
afterAll(async () => {
  await godot?.close();
});

describe("bodies in Godot", () => {
  it("load through GLTFDocument with the humanoid profile's bones, a skin and the blend shapes", async () => {
    // Two bodies a run: a pack of about 1 MB (four bodies) makes this engine build abort while
    // booting ("null function"), so the bodies go in small packs.
    const groups: Array<Array<Partial<BodyParams>>> = [
      [{}, { hairLength: 0, heightM: 0.5 }],
      extremeBodyParams().slice(-2),
    ];
    for (const sets of groups) {
      const files: PackFile[] = [];
      const index: Array<{ file: string; heightM: number; surfaces: number }> = [];
      for (const [i, params] of sets.entries()) {
        const glb = await buildBody(params);
        const file = `body_${i}.glb`;
        files.push({ path: `bodies/${file}`, data: glb });
        index.push({ file, heightM: resolveBodyParams(params).heightM, surfaces: (await inspectBody(glb)).primitives.length });
      }
      files.push({ path: "bodies/index.json", data: JSON.stringify(index) });
      const run = await godot.run({
        args: ["--headless"],
        timeoutMs: 60_000,
        files: [
          { path: "tests/test_body_in_godot.gd", data: readFileSync(path.join(import.meta.dirname, "test_body_in_godot.gd"), "utf8") },
          ...files,
        ],
      });
      assertRunPassed(run);
      expect(run.summary?.failed).toBe(0);
      // The importer logs what it could not read (e.g. sparse morph data) and carries on.
      expect(run.engineErrors.filter((line) => /gltf|sparse|accessor|skin/i.test(line))).toEqual([]);
      expect(run.stdout.join("\n")).toContain(`ENSOUL-BODIES checked ${sets.length}`);
    }
  }, 120_000);
});
