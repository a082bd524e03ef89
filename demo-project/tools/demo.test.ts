/**
 * The village demo in the real Godot 4.6 engine (web build, headless Chromium) against a real
 * sidecar: three generated villagers with bodies plan their day, the test blocks the farmer's
 * road and takes the field's tool through the mouse, and the game runs 60 s of game time (at
 * 4× speed) in which the villagers replan around both.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSidecar, type RunningSidecar } from "../../sidecar/src/app/index.js";
import { loadConfig } from "../../sidecar/src/lib/config.js";
import { createLogger } from "../../sidecar/src/lib/logger.js";
import { assertRunPassed, GodotHarness, type RunSession } from "../../godot-addon/test/harness/index.js";
import { demoPackOptions, packFilesBytes } from "./demo_pack.js";
import { createDemoToken, type DemoToken } from "./demo_token.js";

/** Where the real-engine tests leave their screenshots (ignored by git). */
const SCREENSHOT_DIR = path.resolve(import.meta.dirname, "../../godot-addon/test/.out");
const BLOCKED_ROAD = "house_farmer,field";
const TAKEN_ITEM = "tool@field";

let godot: GodotHarness;
let sidecar: RunningSidecar;
let token: DemoToken;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "ensoul-demo-"));
  sidecar = await startSidecar(loadConfig({ port: 0, dataDir }, {}), createLogger("silent"));
  token = await createDemoToken(sidecar.httpUrl, sidecar.adminToken.token);
  godot = await GodotHarness.start();
});

afterAll(async () => {
  await godot?.close();
  await sidecar?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** The screen position the demo announced for a clickable road or item ("DEMO-TARGET kind name x y"). */
function target(lines: readonly string[], kind: string, name: string): { x: number; y: number } {
  const line = lines.find((l) => l.startsWith(`DEMO-TARGET ${kind} ${name} `));
  if (!line) throw new Error(`the demo announced no ${kind} ${name}`);
  const [x, y] = line.split(" ").slice(3).map(Number);
  return { x: x!, y: y! };
}

/** The farmer's plans as printed ("DEMO-PLAN farmer <revision> <reason> <actions…>"). */
function farmerPlans(stdout: readonly string[]): { revision: number; reason: string; actions: string[] }[] {
  return stdout
    .filter((l) => l.startsWith("DEMO-PLAN farmer "))
    .map((l) => {
      const [, , revision, reason, ...actions] = l.split(" ");
      return { revision: Number(revision), reason: reason!, actions };
    });
}

describe("the village demo", () => {
  it("keeps the pack small: the demo's files and the addon's run-time code under 1 MB", async () => {
    const options = await demoPackOptions();
    expect(packFilesBytes(options.files)).toBeLessThan(1024 * 1024);
    expect(options.files.map((f) => f.path)).toContain("addons/ensoul/client/ensoul_client.gd");
  });

  it("says why when the sidecar refuses it, and quits with 1 instead of waiting", async () => {
    const run = await godot.run({
      ...(await demoPackOptions()),
      args: ["--headless"],
      timeoutMs: 60_000,
      userArgs: [`--ensoul-url=${sidecar.url}`, "--ensoul-token=ens_not_a_token", "--demo-seconds=60"],
    });
    expect(run.exitCode).toBe(1);
    expect(run.scriptErrors).toEqual([]);
    expect(run.stderr.some((l) => l.startsWith(`DEMO-ERROR the sidecar at ${sidecar.url} refused the token`))).toBe(true);
  }, 90_000);

  it("runs 60 s of game time; villagers with bodies replan around a barrier and a taken tool", async () => {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const screenshot = path.join(SCREENSHOT_DIR, "demo-village.png");
    const interact = async ({ page, stdout, waitForLine, screenshot: shoot }: RunSession): Promise<void> => {
      await waitForLine(/^DEMO-READY$/, 90_000);
      // The player's moves while the village waits (started paused): block the farmer's road
      // to the field and take the tool lying there.
      const road = target(stdout, "road", BLOCKED_ROAD);
      await page.mouse.click(road.x, road.y);
      const tool = target(stdout, "item", TAKEN_ITEM);
      await page.mouse.click(tool.x, tool.y);
      await waitForLine(/^DEMO-LOG .* took a tool from the field$/);
      await waitForLine(/^DEMO-LOG .* Barrier put up on the road house_farmer – field$/);
      await page.keyboard.press("Space");
      await waitForLine(/^DEMO-PAUSED false$/);
      await waitForLine(/^DEMO-LOG \[ *2\d\.\d\]/, 60_000);
      await shoot(screenshot);
    };
    const run = await godot.run({
      ...(await demoPackOptions()),
      // Software WebGL under load: a smaller page draws faster (the HUD scales with it).
      viewport: { width: 640, height: 360 },
      timeoutMs: 180_000,
      // The game's roles are enough: the same kind of token `npm run demo` gives the page.
      userArgs: [`--ensoul-url=${sidecar.url}`, `--ensoul-token=${token.secret}`, "--demo-seconds=60", "--time-scale=4", "--start-paused"],
      interact,
    });
    assertRunPassed(run);

    const summaryLine = run.stdout.find((l) => l.startsWith("DEMO-SUMMARY "));
    expect(summaryLine, "the demo printed its summary").toBeDefined();
    const summary = JSON.parse(summaryLine!.slice("DEMO-SUMMARY ".length)) as {
      game_seconds: number;
      villagers: string[];
      bodies: number;
      plans: Record<string, number>;
      actions_done: number;
      errors: string[];
    };
    expect(summary.errors).toEqual([]);
    expect(summary.game_seconds).toBeGreaterThanOrEqual(60);
    expect(summary.villagers).toHaveLength(3);
    expect(summary.bodies).toBe(3);
    expect(summary.plans.opened).toBe(3);
    expect(summary.actions_done).toBeGreaterThan(10);

    // The farmer meant to walk straight to the field, found the barrier, went round it,
    // found the tool gone and bought one at the forge.
    const plans = farmerPlans(run.stdout);
    expect(plans[0]!.actions[0]).toBe(`walk(farmer,${BLOCKED_ROAD})`);
    const replans = plans.filter((p) => p.reason === "action_failed" || p.reason === "state_changed");
    expect(replans.length).toBeGreaterThanOrEqual(2);
    expect(run.stdout.some((l) => /^DEMO-LOG .*FAILED: the road to Field is blocked$/.test(l)), "the barrier was met").toBe(true);
    for (const plan of replans) {
      expect(plan.actions).not.toContain(`walk(farmer,${BLOCKED_ROAD})`);
      expect(plan.actions).not.toContain("walk(farmer,field,house_farmer)");
    }
    expect(replans.some((p) => p.actions.includes("buy_tool(farmer)")), "a replan buys a tool").toBe(true);
    expect(existsSync(screenshot), `a screenshot at ${screenshot}`).toBe(true);
  }, 240_000);
});
