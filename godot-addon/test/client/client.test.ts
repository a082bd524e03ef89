/**
 * The GDScript EnsoulClient in the real Godot 4.6 engine against a real sidecar: Hello, Ping →
 * Pong, requests matched by id, errors as values, a streamed generation, bodies, assets,
 * planning, agent sessions, and a reconnect after the sidecar restarts.
 */
import { describe, expect, it } from "vitest";
import { generateProceduralCharacter } from "../../../sidecar/src/services/generate/index.js";
import { assertRunPassed } from "../harness/index.js";
import { clientPackFiles, useSidecarAndEngine, type TestSidecar } from "./sidecar_fixture.js";

const fixture = useSidecarAndEngine();

describe("EnsoulClient (GDScript) against the real sidecar", () => {
  it("says Hello, plans, streams a generation, builds bodies, moves assets, runs agent sessions, reports errors as values and reconnects", async () => {
    const expected = generateProceduralCharacter({ prompt: "a grumpy dwarf blacksmith", seed: 7, generator: "procedural", level: 4, name: "Borin" });
    const sidecar = fixture.sidecar();
    let generationsBefore: Record<string, number> = {};
    let generationsAfter: Record<string, number> = {};
    const run = await fixture.godot().run({
      timeoutMs: 120_000,
      testPaths: ["res://test/client"],
      userArgs: [...sidecar.userArgs(), `--expected_name=${expected.name}`, `--expected_json=${JSON.stringify(expected)}`],
      files: await clientPackFiles(),
      interact: async (session) => {
        // test_generate.gd cancels an llm generation between two CHECK lines: the sidecar's
        // metrics then say how the generation's handler ended.
        await session.waitForLine(/^CHECK-METRICS-BEFORE-CANCEL$/, 110_000);
        generationsBefore = await generationOutcomes(sidecar);
        await session.waitForLine(/^CHECK-METRICS-AFTER-CANCEL$/, 30_000);
        generationsAfter = await generationOutcomes(sidecar);
        // test_reconnect.gd asks for a restart: the sidecar goes away and comes back on its port.
        await sidecar.restartOn(/^RESTART-SIDECAR$/, 110_000)(session);
      },
    });
    assertRunPassed(run);
    // The cancelled generation's handler stopped with CANCELLED on the sidecar, not at its end.
    expect(generationsAfter.CANCELLED ?? 0).toBe((generationsBefore.CANCELLED ?? 0) + 1);
    expect(generationsAfter.OK ?? 0).toBe(generationsBefore.OK ?? 0);
    expect(sidecar.restarts).toBe(1);
    const names = run.tests.filter((t) => t.passed).map((t) => t.name);
    expect(names).toContain("test_a_generation_streams_deltas_and_fields_before_done");
    expect(names).toContain("test_the_client_reconnects_after_the_sidecar_restarts");
    expect(names).toContain("test_an_uploaded_asset_downloads_byte_for_byte");
    expect(run.tests.every((t) => t.passed)).toBe(true);
    expect(run.tests.length).toBeGreaterThanOrEqual(22);
  }, 150_000);
});

/** The sidecar's count of WebSocket generate requests by outcome code, from its /metrics. */
async function generationOutcomes(sidecar: TestSidecar): Promise<Record<string, number>> {
  const httpBase = sidecar.running.url.replace(/^ws/, "http").replace(/\/v1\/ws$/, "");
  const text = await (await fetch(`${httpBase}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(/^ensoul_requests_total\{service="generate",method="generate",transport="ws",code="(\w+)"\} (\d+)$/gm)) {
    counts[m[1]!] = Number(m[2]);
  }
  return counts;
}
