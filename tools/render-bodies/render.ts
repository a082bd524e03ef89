/**
 * Renders a few generated bodies to PNG so a person can look at them:
 *   npx tsx tools/render-bodies/render.ts [outDir]     (default docs/bodies)
 *
 * Front and side views of the rest pose, head-and-shoulders close-ups, plus a posed view (arms down, elbows, knees and fingers
 * bent, head turned) that shows whether the skin weights bend cleanly. The bodies are loaded by
 * three.js's GLTFLoader (from npm, served to the page from node_modules: no network) in headless
 * Debian chromium with SwiftShader WebGL.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS } from "../../godot-addon/test/harness/godot.js";
import { buildBody } from "../../sidecar/src/services/generate/body/index.js";
import { LINEUP } from "./lineup.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const THREE_DIR = join(ROOT, "node_modules/three");
const ORIGIN = "http://bodies.invalid";

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><style>html,body{margin:0;background:#dfe3e8}</style>
<script type="importmap">{"imports":{"three":"/three/build/three.module.js","three/addons/":"/three/examples/jsm/"}}</script>
</head><body><canvas id="c" width="1500" height="460"></canvas>
<script type="module">
import * as THREE from "three";
import { GLTFLoader } from "three/addons/loaders/GLTFLoader.js";
const canvas = document.getElementById("c");
const renderer = new THREE.WebGLRenderer({ canvas, antialias: true, preserveDrawingBuffer: true });
renderer.setClearColor(0xdfe3e8);
const scene = new THREE.Scene();
scene.add(new THREE.HemisphereLight(0xffffff, 0x6a6055, 1.6));
const key = new THREE.DirectionalLight(0xffffff, 2.2);
key.position.set(2, 4, 5);
scene.add(key);
const rim = new THREE.DirectionalLight(0xffffff, 0.8);
rim.position.set(-3, 2, -4);
scene.add(rim);
const loader = new GLTFLoader();
const bodies = [];
window.loadBodies = async (count) => {
  for (let i = 0; i < count; i++) {
    const gltf = await loader.loadAsync("/body/" + i + ".glb");
    scene.add(gltf.scene);
    const skinned = [];
    gltf.scene.traverse((o) => { if (o.isSkinnedMesh) skinned.push(o); });
    bodies.push({ root: gltf.scene, skinned });
  }
  return bodies.map((b) => b.skinned.length);
};
const POSE = {
  LeftUpperArm: [0, 0, -1.2], RightUpperArm: [0, 0, 1.2],
  LeftLowerArm: [0, -1.0, 0], RightLowerArm: [0, 1.0, 0],
  LeftUpperLeg: [-0.7, 0, 0], LeftLowerLeg: [1.1, 0, 0],
  RightUpperLeg: [0.25, 0, 0],
  Spine: [0, 0.25, 0], Neck: [0.15, 0.3, 0], Head: [0, 0.3, 0.1],
};
for (const side of ["Left", "Right"]) for (const f of ["Index", "Middle", "Ring", "Little"]) for (const s of ["Proximal", "Intermediate", "Distal"])
  POSE[side + f + s] = [0, 0, side === "Left" ? -0.7 : 0.7];
window.show = (view) => {
  // One tile per body, all at the same scale (metres per pixel) so sizes compare.
  const tileW = canvas.width / bodies.length;
  const tileH = canvas.height;
  const boxes = bodies.map((b) => {
    b.root.position.set(0, 0, 0);
    b.root.rotation.set(0, view === "side" ? Math.PI / 2 : view === "posed" ? 0.5 : view === "face" ? 0.45 : 0, 0);
    for (const m of b.skinned) {
      for (const bone of m.skeleton.bones) {
        const r = view === "posed" ? POSE[bone.name] : undefined;
        bone.rotation.set(r ? r[0] : 0, r ? r[1] : 0, r ? r[2] : 0);
      }
    }
    b.root.updateMatrixWorld(true);
    return new THREE.Box3().setFromObject(b.root, true);
  });
  if (view === "face") {
    // Head and shoulders of each body, each filling its tile.
    renderer.setScissorTest(true);
    bodies.forEach((b, i) => {
      bodies.forEach((o, j) => { o.root.visible = i === j; });
      const top = boxes[i].max.y;
      const h = top * 0.24;
      const halfW = (h * tileW) / tileH / 2;
      const cam = new THREE.OrthographicCamera(-halfW, halfW, top + h * 0.04, top - h * 0.96, -50, 50);
      renderer.setViewport(i * tileW, 0, tileW, tileH);
      renderer.setScissor(i * tileW, 0, tileW, tileH);
      renderer.render(scene, cam);
    });
    return 0;
  }
  const mpp = Math.max(...boxes.map((x) => Math.max((x.max.x - x.min.x) / (tileW * 0.94), x.max.y / (tileH * 0.94))));
  renderer.setScissorTest(true);
  bodies.forEach((b, i) => {
    bodies.forEach((o, j) => { o.root.visible = i === j; });
    const cx = (boxes[i].min.x + boxes[i].max.x) / 2;
    const halfW = (tileW * mpp) / 2;
    const cam = new THREE.OrthographicCamera(cx - halfW, cx + halfW, tileH * mpp * 0.97, -tileH * mpp * 0.03, -50, 50);
    renderer.setViewport(i * tileW, 0, tileW, tileH);
    renderer.setScissor(i * tileW, 0, tileW, tileH);
    renderer.render(scene, cam);
  });
  // Rows of pixels from the top that no body reaches (cropped away in the screenshot).
  const tallest = Math.max(...boxes.map((x) => x.max.y));
  return Math.max(0, Math.floor(tileH - (tallest / mpp + tileH * 0.03) - 8));
};
window.ready = true;
</script></body></html>`;

async function main(): Promise<void> {
  const outDir = resolve(process.argv[2] ?? join(ROOT, "docs/bodies"));
  await mkdir(outDir, { recursive: true });
  const glbs = await Promise.all(LINEUP.map((b) => buildBody(b.params)));
  const browser = await chromium.launch({
    // Debian's chromium; playwright never downloads a browser here.
    executablePath: process.env.ENSOUL_CHROMIUM ?? "/usr/bin/chromium",
    args: [...CHROMIUM_ARGS],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1500, height: 460 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    await page.route(`${ORIGIN}/**`, async (route) => {
      const path = new URL(route.request().url()).pathname;
      if (path === "/") return route.fulfill({ contentType: "text/html", body: PAGE });
      const body = /^\/body\/(\d+)\.glb$/.exec(path);
      if (body !== null) {
        const glb = glbs[Number(body[1])];
        if (glb !== undefined) return route.fulfill({ contentType: "model/gltf-binary", body: Buffer.from(glb) });
      }
      if (path.startsWith("/three/") && !path.includes("..")) {
        const file = join(THREE_DIR, path.slice("/three/".length));
        return route.fulfill({ contentType: "text/javascript", body: await readFile(file) });
      }
      return route.fulfill({ status: 404, body: "not found" });
    });
    await page.goto(`${ORIGIN}/`);
    await page.waitForFunction(() => (globalThis as unknown as { ready?: boolean }).ready === true);
    const skinnedCounts = await page.evaluate((n) => (globalThis as unknown as { loadBodies: (n: number) => Promise<number[]> }).loadBodies(n), glbs.length);
    if (skinnedCounts.some((c) => c < 1)) throw new Error(`a body loaded without a skinned mesh: ${skinnedCounts.join(",")}`);
    for (const view of ["front", "side", "posed", "face"]) {
      const top = await page.evaluate((v) => (globalThis as unknown as { show: (v: string) => number }).show(v), view);
      const png = await page.screenshot({ clip: { x: 0, y: top, width: 1500, height: 460 - top } });
      const file = join(outDir, `${view}.png`);
      await writeFile(file, png);
      process.stdout.write(`wrote ${file} (${png.byteLength} bytes)\n`);
    }
    if (errors.length > 0) throw new Error(`page errors:\n${errors.join("\n")}`);
    process.stdout.write(`bodies: ${LINEUP.map((b, i) => `${b.label} ${glbs[i]?.byteLength} B`).join("; ")}\n`);
  } finally {
    await browser.close();
  }
}

await main();
