/**
 * The GDScript EnsoulClient in the real Godot 4.6 engine against a real sidecar: Hello, Ping →
 * Pong, requests matched by id, errors as values.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSidecar, type RunningSidecar } from "../../../sidecar/src/app/index.js";
import { loadConfig } from "../../../sidecar/src/lib/config.js";
import { createLogger } from "../../../sidecar/src/lib/logger.js";
import { assertRunPassed, filesFromDir, GodotHarness } from "../harness/index.js";

const REPO = path.resolve(import.meta.dirname, "../../..");
let godot: GodotHarness;
let sidecar: RunningSidecar;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "ensoul-gd-client-"));
  sidecar = await startSidecar(loadConfig({ port: 0, dataDir }, {}), createLogger("silent"));
  godot = await GodotHarness.start();
});

afterAll(async () => {
  await godot?.close();
  await sidecar?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("EnsoulClient (GDScript) against the real sidecar", () => {
  it("opens with Hello, pings, matches replies by id and reports errors as values", async () => {
    const run = await godot.run({
      args: ["--headless"],
      timeoutMs: 60_000,
      userArgs: [`--url=${sidecar.url}`, `--token=${sidecar.adminToken.token}`],
      files: [
        ...(await filesFromDir(path.join(REPO, "godot-addon/addons/ensoul/generated"), "addons/ensoul/generated")),
        ...(await filesFromDir(path.join(REPO, "godot-addon/addons/ensoul/client"), "addons/ensoul/client")),
        { path: "tests/test_client.gd", data: readFileSync(path.join(import.meta.dirname, "test_client.gd"), "utf8") },
      ],
    });
    assertRunPassed(run);
    expect(run.tests.filter((t) => t.passed)).toHaveLength(5);
  });
});
