/**
 * plugin.gd in the real Godot 4.6 engine. The web build has no editor classes, so the test
 * compiles plugin.gd against a stand-in for EditorPlugin that records its calls: the settings,
 * custom types and dock are registered, and removed again on _exit_tree.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertRunPassed, filesFromDir, GodotHarness } from "../harness/index.js";

const REPO = path.resolve(import.meta.dirname, "../../..");

let godot: GodotHarness;

beforeAll(async () => {
  godot = await GodotHarness.start();
});

afterAll(async () => {
  await godot?.close();
});

describe("the editor plugin (GDScript)", () => {
  it("compiles, registers settings, types and the dock, and undoes them on exit", async () => {
    const addon = path.join(REPO, "godot-addon/addons/ensoul");
    const run = await godot.run({
      testPaths: ["res://test/plugin"],
      files: [
        ...(await filesFromDir(addon, "addons/ensoul")).filter((f) => !f.path.startsWith("addons/ensoul/dock/")),
        // A stand-in dock: this test is about the plugin, not the dock.
        ...(await filesFromDir(import.meta.dirname, "test/plugin"))
          .filter((f) => !f.path.endsWith(".ts"))
          .map((f) => (f.path.endsWith("characters_dock_stub.tscn") ? { ...f, path: "addons/ensoul/dock/characters_dock.tscn" } : f)),
      ],
    });
    assertRunPassed(run);
    expect(run.tests.map((t) => t.name)).toEqual(["test_the_plugin_registers_settings_types_and_the_dock_and_undoes_them"]);
  }, 120_000);
});
