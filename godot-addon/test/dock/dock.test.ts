/**
 * The Characters dock in the real Godot 4.6 engine against a real sidecar, driven by simulated
 * input: a prompt and a seed are typed, Generate is clicked, the text streams into the view, the
 * fields fill, the body from the sidecar's body service shows in the 3D preview (its skeleton
 * maps onto SkeletonProfileHumanoid), a drag orbits it and Save writes the .tres and .glb.
 * Screenshots land in godot-addon/test/.out/dock/ for a person to look at.
 */
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateProceduralCharacter } from "../../../sidecar/src/services/generate/index.js";
import { assertRunPassed, filesFromDir, GodotHarness, startTestSidecar, type PackFile, type TestSidecar } from "../harness/index.js";

const ADDON = path.resolve(import.meta.dirname, "../../addons/ensoul");
const OUT = path.resolve(import.meta.dirname, "../.out/dock");
const VIEWPORT = { width: 960, height: 640 };
const PROMPT = "a cowardly dwarven blacksmith who owes money to the thieves' guild";
const SEED = 4242;

let godot: GodotHarness;
let sidecar: TestSidecar;

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  sidecar = await startTestSidecar("ensoul-gd-dock-");
  godot = await GodotHarness.start();
});

afterAll(async () => {
  await godot?.close();
  await sidecar?.close();
});

async function dockFiles(): Promise<PackFile[]> {
  return [
    ...(await filesFromDir(path.join(ADDON, "generated"), "addons/ensoul/generated")),
    ...(await filesFromDir(path.join(ADDON, "client"), "addons/ensoul/client")),
    ...(await filesFromDir(path.join(ADDON, "runtime"), "addons/ensoul/runtime")),
    ...(await filesFromDir(path.join(ADDON, "dock"), "addons/ensoul/dock")),
    ...(await filesFromDir(import.meta.dirname, "test/dock")).filter((f) => !f.path.endsWith(".ts")),
  ];
}

/** The JSON after a `PREFIX ` line the dock scene printed. */
function printed<T>(stdout: readonly string[], prefix: string): T {
  const line = stdout.find((l) => l.startsWith(`${prefix} `));
  if (line === undefined) throw new Error(`the dock scene printed no ${prefix} line`);
  return JSON.parse(line.slice(prefix.length + 1)) as T;
}

describe("Characters dock (GDScript)", () => {
  it("without a sidecar: offers to start one, saves, keeps history, previews a .glb", async () => {
    const character = generateProceduralCharacter({ prompt: "a nervous elven archivist", seed: 99, generator: "procedural" });
    const run = await godot.run({
      args: ["--headless"],
      files: [
        ...(await dockFiles()),
        { path: "fixtures/character.json", data: JSON.stringify(character) },
      ],
      testPaths: ["res://test/dock"],
      timeoutMs: 60_000,
    });
    assertRunPassed(run);
    expect(run.summary?.passed).toBe(8);
  }, 90_000);


  it("in a window: generates from typed input, streams, fills the fields, previews the body and saves", async () => {
    const shots = {
      generated: path.join(OUT, "dock-generated.png"),
      saved: path.join(OUT, "dock-saved.png"),
      error: path.join(OUT, "dock-error.png"),
    };
    const run = await godot.run({
      files: await dockFiles(),
      mainScene: "res://test/dock/dock_scene.tscn",
      viewport: VIEWPORT,
      settings: { display: { "window/size/viewport_width": VIEWPORT.width, "window/size/viewport_height": VIEWPORT.height } },
      userArgs: [`--url=${sidecar.url}`, `--token=${sidecar.token}`, "--timeout-s=45"],
      timeoutMs: 60_000,
      screenshotPath: path.join(OUT, "dock-end.png"),
      interact: async ({ page, waitForLine, screenshot }) => {
        const ready = await waitForLine(/^DOCK-READY /, 30_000);
        const at = JSON.parse(ready.slice("DOCK-READY ".length)) as Record<string, [number, number]>;
        // The web build queues keys and mouse buttons apart: wait until the typing has landed
        // before clicking elsewhere.
        const typed = (what: string, value: string | number): Promise<string> =>
          waitForLine(new RegExp(`^DOCK-INPUT ${what}=${String(value).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`), 15_000);
        await page.mouse.click(...at.prompt!);
        await page.keyboard.type(PROMPT);
        await typed("prompt", PROMPT);
        await page.mouse.click(...at.seed!);
        await page.keyboard.press("Control+A");
        await page.keyboard.type(String(SEED));
        await page.keyboard.press("Enter");
        await typed("seed", SEED);
        await page.mouse.click(...at.generate!);
        await waitForLine(/^DOCK-GENERATED$/, 40_000);
        await screenshot(shots.generated);
        const [x, y] = at.preview!;
        await page.mouse.move(x, y);
        await page.mouse.down();
        await page.mouse.move(x + 60, y + 10, { steps: 6 });
        await page.mouse.up();
        await page.mouse.click(...at.save!);
        await waitForLine(/^DOCK-SAVED /, 20_000);
        await screenshot(shots.saved);
        // The model generator: this sidecar has no model, so the dock must show why.
        await page.mouse.click(...at.generator!);
        const menu = await waitForLine(/^DOCK-INPUT generator-menu=\d+,\d+$/, 15_000);
        const [mx, my] = menu.split("=")[1]!.split(",").map(Number);
        await page.mouse.click(mx!, my!);
        await typed("generator", 1);
        await page.mouse.click(...at.generate!);
        await waitForLine(/^DOCK-ERROR-SHOWN /, 20_000);
        await screenshot(shots.error);
      },
    });
    if (!run.ok) console.log(run.stdout.filter((l) => l.startsWith("DOCK-")).join("\n"));
    const fails = run.stdout.filter((l) => l.startsWith("DOCK-FAIL"));
    expect(fails).toEqual([]);
    assertRunPassed(run);

    // The character the dock got is the one the TypeScript side makes from the same input.
    const expected = generateProceduralCharacter({ prompt: PROMPT, seed: SEED, generator: "procedural" });
    expect(printed(run.stdout, "DOCK-CHARACTER")).toEqual(expected);
    const fields = printed<Record<string, string>>(run.stdout, "DOCK-FIELDS");
    expect(fields.name).toBe(expected.name);
    expect(fields.role).toBe(expected.role);
    expect(fields.level).toBe(String(expected.level));
    expect(fields.skills).toBe(`${expected.skills.length} skill${expected.skills.length === 1 ? "" : "s"}`);
    expect(fields.backstory).toBe(expected.backstory[0]);
    expect(run.stdout.some((l) => /^DOCK-BONES \d+ of \d+ profile bones, \d+ required$/.test(l))).toBe(true);
    expect(printed<string>(run.stdout.map((l) => l.replace(/^(DOCK-ERROR-SHOWN) (.*)$/, (_, p, t) => `${p} ${JSON.stringify(t)}`)), "DOCK-ERROR-SHOWN")).toMatch(
      /FAILED_PRECONDITION/,
    );
    expect(readFileSync(shots.generated).length).toBeGreaterThan(10_000);
  }, 120_000);
});
