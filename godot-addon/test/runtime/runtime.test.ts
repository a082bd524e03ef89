/**
 * The runtime nodes in the real Godot 4.6 engine: EnsoulAgent under an NPC in a scene plans
 * with the real sidecar, replans after failures, resumes after a dropped connection and after the
 * sidecar restarted, and opens anew when the sidecar forgot it; EnsoulDomain and EnsoulSettings.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { assertRunPassed, filesFromDir } from "../harness/index.js";
import { clientPackFiles, REPO, SIMPLE_DOMAIN_PATH, useSidecarAndEngine } from "../client/sidecar_fixture.js";

const fixture = useSidecarAndEngine();

describe("EnsoulAgent and the runtime resources (GDScript)", () => {
  it("plans an NPC's steps, replans after a failure and survives lost connections", async () => {
    const sidecar = fixture.sidecar();
    const run = await fixture.godot().run({
      timeoutMs: 120_000,
      testPaths: ["res://test/runtime"],
      userArgs: sidecar.userArgs(),
      // The agent that is given no client makes one from these.
      settings: { ensoul: { "sidecar/url": sidecar.running.url, "sidecar/token": sidecar.running.adminToken.token } },
      files: [
        ...(await clientPackFiles()),
        ...(await filesFromDir(path.join(REPO, "godot-addon/addons/ensoul/runtime"), "addons/ensoul/runtime")),
        ...(await filesFromDir(import.meta.dirname, "test/runtime")).filter((f) => !f.path.endsWith(".ts")),
        { path: "test/runtime/simple_htn.domain.json", data: readFileSync(SIMPLE_DOMAIN_PATH, "utf8") },
      ],
      interact: sidecar.restartOn(/^RESTART-SIDECAR$/, 110_000),
    });
    assertRunPassed(run);
    expect(sidecar.restarts).toBe(1);
    const names = run.tests.filter((t) => t.passed).map((t) => t.name);
    expect(names).toContain("test_the_plan_arrives_and_a_reported_failure_brings_a_new_plan");
    expect(names).toContain("test_the_agent_takes_up_its_plan_again_after_the_sidecar_restarted");
    expect(names).toContain("test_the_agent_plans_anew_when_the_sidecar_forgot_it");
    expect(run.tests.length).toBeGreaterThanOrEqual(10);
  }, 120_000);
});
