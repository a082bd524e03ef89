/**
 * Renders the render script's line-up in the real engine: Godot 4.6 (the web build, headless
 * chromium) imports each .glb with its own GLTFDocument, poses it through the humanoid bone
 * names, and the page is photographed:
 *   npx tsx tools/render-bodies/godot.ts [out.png]     (default docs/bodies/godot-posed.png)
 */
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { assertRunPassed, GodotHarness, type PackFile } from "../../godot-addon/test/harness/index.js";
import { buildBody, resolveBodyParams } from "../../sidecar/src/services/generate/body/index.js";
import { inspectBody } from "../../sidecar/src/services/generate/body/inspect.js";
import { LINEUP } from "./lineup.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "../..");
const VIEWPORT = { width: 1200, height: 460 };

const SCENE = `[gd_scene load_steps=2 format=3]

[ext_resource type="Script" path="res://godot_view.gd" id="1_view"]

[node name="BodyView" type="Node3D"]
script = ExtResource("1_view")
`;

async function main(): Promise<void> {
  const out = resolve(process.argv[2] ?? join(ROOT, "docs/bodies/godot-posed.png"));
  // Godot aborts while booting a pack of about 1 MB, so show three bodies (one pack).
  const lineup = LINEUP.slice(0, 3);
  const files: PackFile[] = [
    { path: "godot_view.gd", data: await readFile(join(HERE, "godot_view.gd"), "utf8") },
    { path: "body_view.tscn", data: SCENE },
  ];
  const index: Array<{ file: string; x: number; heightM: number }> = [];
  const widths: number[] = [];
  for (const [i, entry] of lineup.entries()) {
    const glb = await buildBody(entry.params);
    files.push({ path: `bodies/body_${i}.glb`, data: glb });
    let maxX = 0;
    for (const p of (await inspectBody(glb)).primitives) for (let k = 0; k < p.positions.length; k += 3) maxX = Math.max(maxX, Math.abs(p.positions[k]!));
    widths.push(maxX * 1.1);
    index.push({ file: `body_${i}.glb`, x: 0, heightM: resolveBodyParams(entry.params).heightM });
  }
  // Posed (arms down) the bodies are narrow: space them by a fraction of their T-pose span.
  let x = 0;
  index.forEach((e, i) => {
    e.x = x + widths[i]! * 0.45;
    x += widths[i]! * 0.9;
  });
  for (const e of index) e.x -= x / 2;
  files.push({ path: "bodies/index.json", data: JSON.stringify(index) });
  const godot = await GodotHarness.start();
  try {
    const run = await godot.run({
      files,
      mainScene: "res://body_view.tscn",
      viewport: VIEWPORT,
      timeoutMs: 60_000,
      interact: async ({ waitForLine, screenshot }) => {
        await waitForLine(/^BODY-VIEW-READY$/);
        await screenshot(out);
      },
    });
    assertRunPassed(run);
    process.stdout.write(`wrote ${out}\n`);
  } finally {
    await godot.close();
  }
}

await main();
