/**
 * The GDScript EnsoulClient in the real Godot 4.6 engine against a real sidecar: Hello, Ping →
 * Pong, requests matched by id, errors as values, a streamed generation, planning, agent
 * sessions, and a reconnect after the sidecar restarts.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSidecar, type RunningSidecar } from "../../../sidecar/src/app/index.js";
import { loadConfig } from "../../../sidecar/src/lib/config.js";
import { createLogger } from "../../../sidecar/src/lib/logger.js";
import { generateProceduralCharacter } from "../../../sidecar/src/services/generate/index.js";
import { assertRunPassed, filesFromDir, GodotHarness, type PackFile } from "../harness/index.js";

const REPO = path.resolve(import.meta.dirname, "../../..");
let godot: GodotHarness;
let sidecar: RunningSidecar;
let dataDir: string;

function startOurSidecar(port: number): Promise<RunningSidecar> {
  return startSidecar(loadConfig({ port, dataDir }, {}), createLogger("silent"));
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "ensoul-gd-client-"));
  sidecar = await startOurSidecar(0);
  godot = await GodotHarness.start();
});

afterAll(async () => {
  await godot?.close();
  await sidecar?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The addon's client and codec, and this folder's scripts (tests and their base class). */
async function clientPack(): Promise<PackFile[]> {
  const tests = readdirSync(import.meta.dirname).filter((f) => f.endsWith(".gd"));
  return [
    ...(await filesFromDir(path.join(REPO, "godot-addon/addons/ensoul/generated"), "addons/ensoul/generated")),
    ...(await filesFromDir(path.join(REPO, "godot-addon/addons/ensoul/client"), "addons/ensoul/client")),
    ...tests.map((f) => ({ path: `tests/${f}`, data: readFileSync(path.join(import.meta.dirname, f), "utf8") })),
  ];
}

describe("EnsoulClient (GDScript) against the real sidecar", () => {
  it("says Hello, plans, streams a generation, runs agent sessions, reports errors as values and reconnects", async () => {
    const expected = generateProceduralCharacter({ prompt: "a grumpy dwarf blacksmith", seed: 7, generator: "procedural", level: 4, name: "Borin" });
    let restarts = 0;
    const run = await godot.run({
      args: ["--headless"],
      timeoutMs: 120_000,
      userArgs: [
        `--url=${sidecar.url}`,
        `--token=${sidecar.adminToken.token}`,
        `--expected_name=${expected.name}`,
        `--expected_json=${JSON.stringify(expected)}`,
        `--domain_json=${readFileSync(path.join(REPO, "sidecar/src/services/planner/examples/simple_htn.domain.json"), "utf8")}`,
      ],
      files: await clientPack(),
      // test_reconnect.gd asks for a restart: the sidecar goes away and comes back on its port.
      interact: async ({ waitForLine }) => {
        await waitForLine(/^RESTART-SIDECAR$/, 110_000);
        const port = sidecar.port;
        await sidecar.close();
        await new Promise((resolve) => setTimeout(resolve, 300));
        sidecar = await startOurSidecar(port);
        restarts++;
      },
    });
    assertRunPassed(run);
    expect(restarts).toBe(1);
    const names = run.tests.filter((t) => t.passed).map((t) => t.name);
    expect(names).toContain("test_a_generation_streams_deltas_and_fields_before_done");
    expect(names).toContain("test_the_client_reconnects_after_the_sidecar_restarts");
    expect(run.tests.every((t) => t.passed)).toBe(true);
    expect(run.tests.length).toBeGreaterThanOrEqual(12);
  });
});
