/**
 * Body benchmark: builds bodies from seeded parameter sets (the same extremes + random sets the
 * validator test uses) and prints bodies per second, ms per body (wall and CPU) and bytes per
 * body. The budget is 50 ms and 300 KB per body.
 *
 * Reference, measured in the same run: @gltf-transform writing a plain static mesh with the same
 * vertex and triangle count (positions, normals, UVs, indices; no skin, no morph targets, no
 * materials). The ratio says how much the body costs over just serialising that much geometry.
 *
 *   npm run bench:body
 */
import { performance } from "node:perf_hooks";
import { Document, NodeIO, VertexLayout } from "@gltf-transform/core";
import { buildBody } from "../src/services/generate/body/index.js";
import { inspectBody } from "../src/services/generate/body/inspect.js";
import { bodyParamSamples } from "../src/services/generate/body/samples.js";

const BODIES = 200;
const WARMUP = 20;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

async function plainMeshGlb(vertices: number, triangles: number): Promise<Uint8Array> {
  const doc = new Document();
  const buffer = doc.createBuffer();
  const positions = new Float32Array(vertices * 3);
  const normals = new Float32Array(vertices * 3);
  const uvs = new Float32Array(vertices * 2);
  const indices = new Uint16Array(triangles * 3);
  for (let i = 0; i < vertices; i++) {
    positions[i * 3] = Math.sin(i);
    positions[i * 3 + 1] = Math.cos(i * 0.7);
    positions[i * 3 + 2] = (i % 97) / 97;
    normals[i * 3 + 1] = 1;
    uvs[i * 2] = (i % 31) / 31;
  }
  for (let i = 0; i < indices.length; i++) indices[i] = (i * 7) % vertices;
  const prim = doc
    .createPrimitive()
    .setIndices(doc.createAccessor().setBuffer(buffer).setType("SCALAR").setArray(indices))
    .setAttribute("POSITION", doc.createAccessor().setBuffer(buffer).setType("VEC3").setArray(positions))
    .setAttribute("NORMAL", doc.createAccessor().setBuffer(buffer).setType("VEC3").setArray(normals))
    .setAttribute("TEXCOORD_0", doc.createAccessor().setBuffer(buffer).setType("VEC2").setArray(uvs));
  doc.createScene().addChild(doc.createNode().setMesh(doc.createMesh().addPrimitive(prim)));
  return new NodeIO().setVertexLayout(VertexLayout.SEPARATE).writeBinary(doc);
}

async function main(): Promise<void> {
  const samples = bodyParamSamples(BODIES, 20261126);
  for (let i = 0; i < WARMUP; i++) await buildBody(samples[i % samples.length] ?? {});

  const times: number[] = [];
  const sizes: number[] = [];
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  for (const params of samples) {
    const t0 = performance.now();
    const glb = await buildBody(params);
    times.push(performance.now() - t0);
    sizes.push(glb.byteLength);
  }
  const totalMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMsPerBody = (cpu.user + cpu.system) / 1000 / BODIES;

  // Same geometry size as the default body, written plainly.
  const inspected = await inspectBody(await buildBody({}));
  let vertices = 0;
  let triangles = 0;
  for (const p of inspected.primitives) {
    vertices += p.positions.length / 3;
    triangles += p.indices.length / 3;
  }
  for (let i = 0; i < WARMUP; i++) await plainMeshGlb(vertices, triangles);
  const refTimes: number[] = [];
  let refBytes = 0;
  for (let i = 0; i < BODIES; i++) {
    const t0 = performance.now();
    refBytes = (await plainMeshGlb(vertices, triangles)).byteLength;
    refTimes.push(performance.now() - t0);
  }

  times.sort((a, b) => a - b);
  refTimes.sort((a, b) => a - b);
  const mean = totalMs / BODIES;
  const refMean = refTimes.reduce((a, b) => a + b, 0) / refTimes.length;
  const meanBytes = sizes.reduce((a, b) => a + b, 0) / sizes.length;
  const line = (label: string, value: string): void => {
    process.stdout.write(`${label.padEnd(34)} ${value}\n`);
  };
  line("bodies built", `${BODIES} (seeded: extremes of every range, then random)`);
  line("geometry (default body)", `${vertices} vertices, ${triangles} triangles, 56 joints, 3 morph targets`);
  line("bodies/s", (1000 / mean).toFixed(1));
  line("ms per body: mean / p50 / p95 / max", [mean, percentile(times, 0.5), percentile(times, 0.95), times[times.length - 1] as number].map((x) => x.toFixed(1)).join(" / "));
  // Wall time suffers when other processes share the 2 cores; CPU time is the steadier figure.
  line("CPU ms per body (this process)", cpuMsPerBody.toFixed(1));
  line("bytes per body: mean / max", `${Math.round(meanBytes)} / ${Math.max(...sizes)} (limit 307200)`);
  line("reference: plain mesh write, ms", `${refMean.toFixed(1)} (${refBytes} bytes)`);
  line("ratio body / plain mesh (time)", `${(mean / refMean).toFixed(2)}x`);
  line("ratio body / plain mesh (bytes)", `${(meanBytes / refBytes).toFixed(2)}x`);
}

await main();
