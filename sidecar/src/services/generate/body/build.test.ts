import { describe, expect, it } from "vitest";
import { buildBody } from "./build.js";
import { inspectBody, type InspectedBody } from "./inspect.js";
import { MORPH_NAMES, type BodyParams } from "./params.js";
import { extremeBodyParams } from "./samples.js";
import { HUMANOID_BONES } from "./skeleton.js";

async function body(params: Partial<BodyParams>): Promise<{ glb: Uint8Array; b: InspectedBody }> {
  const glb = await buildBody(params);
  return { glb, b: await inspectBody(glb) };
}

function bounds(b: InspectedBody, only?: string): { min: number[]; max: number[] } {
  const min = [Infinity, Infinity, Infinity];
  const max = [-Infinity, -Infinity, -Infinity];
  for (const p of b.primitives) {
    if (only !== undefined && p.material !== only) continue;
    for (let i = 0; i < p.positions.length; i++) {
      const v = p.positions[i] as number;
      const c = i % 3;
      if (v < (min[c] as number)) min[c] = v;
      if (v > (max[c] as number)) max[c] = v;
    }
  }
  return { min, max };
}

// ---- A tiny linear-blend skinning, enough to pose a body the way an engine would. ----
type Mat = number[]; // 4x4, column-major like glTF

function mul(a: Mat, b: Mat): Mat {
  const out = new Array<number>(16).fill(0);
  for (let c = 0; c < 4; c++) for (let r = 0; r < 4; r++) for (let k = 0; k < 4; k++) out[c * 4 + r]! += a[k * 4 + r]! * b[c * 4 + k]!;
  return out;
}

function trs(t: readonly number[], axis: readonly number[], angle: number): Mat {
  const [x, y, z] = axis as [number, number, number];
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const C = 1 - c;
  return [
    c + x * x * C, y * x * C + z * s, z * x * C - y * s, 0,
    x * y * C - z * s, c + y * y * C, z * y * C + x * s, 0,
    x * z * C + y * s, y * z * C - x * s, c + z * z * C, 0,
    t[0]!, t[1]!, t[2]!, 1,
  ];
}

/** Skins every vertex for a pose given as bone name → [axis, angle]; returns posed positions. */
function pose(b: InspectedBody, rotations: Record<string, [number[], number]>): Float32Array[] {
  const globals: Mat[] = [];
  b.bones.forEach((bone, i) => {
    const r = rotations[bone.name] ?? [[1, 0, 0], 0];
    const local = trs(bone.translation, r[0], r[1]);
    globals.push(bone.parent < 0 ? local : mul(globals[bone.parent]!, local));
  });
  const skinning = globals.map((g, i) => mul(g, Array.from(b.inverseBindMatrices.subarray(i * 16, i * 16 + 16))));
  return b.primitives.map((p) => {
    const out = new Float32Array(p.positions.length);
    for (let v = 0; v < p.positions.length / 3; v++) {
      const x = p.positions[v * 3]!, y = p.positions[v * 3 + 1]!, z = p.positions[v * 3 + 2]!;
      let px = 0, py = 0, pz = 0;
      for (let k = 0; k < 4; k++) {
        const w = p.weights[v * 4 + k]!;
        if (w === 0) continue;
        const m = skinning[p.joints[v * 4 + k]!]!;
        px += w * (m[0]! * x + m[4]! * y + m[8]! * z + m[12]!);
        py += w * (m[1]! * x + m[5]! * y + m[9]! * z + m[13]!);
        pz += w * (m[2]! * x + m[6]! * y + m[10]! * z + m[14]!);
      }
      out[v * 3] = px;
      out[v * 3 + 1] = py;
      out[v * 3 + 2] = pz;
    }
    return out;
  });
}

describe("buildBody", () => {
  it("carries the Godot humanoid skeleton as its skin, in rest pose with identity rotations", async () => {
    const { b } = await body({});
    expect(b.skinnedNodeCount).toBe(1);
    expect(b.bones.map((x) => x.name)).toEqual(HUMANOID_BONES.map((x) => x.name));
    expect(b.bones.map((x) => x.parent)).toEqual(HUMANOID_BONES.map((x) => x.parent));
    for (const bone of b.bones) expect(bone.rotation).toEqual([0, 0, 0, 1]);
    // Each inverse bind matrix undoes its joint's rest position (the sum of translations).
    const globals: number[][] = [];
    b.bones.forEach((bone, i) => {
      const p = bone.parent < 0 ? [0, 0, 0] : globals[bone.parent]!;
      globals.push([p[0]! + bone.translation[0], p[1]! + bone.translation[1], p[2]! + bone.translation[2]]);
      const m = b.inverseBindMatrices.subarray(i * 16, i * 16 + 16);
      for (let c = 0; c < 3; c++) expect(m[12 + c]!).toBeCloseTo(-globals[i]![c]!, 5);
    });
  });

  it("gives every vertex at most four influences that sum to 1, on distinct real joints", async () => {
    for (const params of [{}, ...extremeBodyParams().slice(-2)]) {
      const { b } = await body(params);
      let vertices = 0;
      for (const p of b.primitives) {
        for (let v = 0; v < p.weights.length / 4; v++) {
          let sum = 0;
          const used = new Set<number>();
          for (let k = 0; k < 4; k++) {
            const w = p.weights[v * 4 + k]!;
            expect(w).toBeGreaterThanOrEqual(0);
            sum += w;
            if (w > 0) {
              const j = p.joints[v * 4 + k]!;
              expect(j).toBeLessThan(HUMANOID_BONES.length);
              expect(used.has(j)).toBe(false);
              used.add(j);
            }
          }
          expect(Math.abs(sum - 1)).toBeLessThan(1e-6);
          vertices++;
        }
      }
      expect(vertices).toBeGreaterThan(1000);
    }
  });

  it("stands on y = 0 with the skull top at the requested height, for every height", async () => {
    for (const heightM of [0.5, 1.2, 1.75, 2.3, 3]) {
      for (const extra of [{}, { headSize: 1.3, legLength: 0.7 }, { hairLength: 1, build: "heavy" as const }]) {
        const { b } = await body({ heightM, ...extra });
        const all = bounds(b);
        const skin = bounds(b, "Skin");
        expect(Math.abs(all.min[1]!)).toBeLessThan(1e-4 * heightM);
        expect(skin.max[1]!).toBeCloseTo(heightM, 4);
        // Hair may add a little on top, never much.
        expect(all.max[1]!).toBeLessThan(heightM * 1.035);
        // Left and right mirror each other; the T-pose span is about the height.
        expect(all.max[0]! + all.min[0]!).toBeCloseTo(0, 4);
        const span = all.max[0]! - all.min[0]!;
        expect(span / heightM).toBeGreaterThan(0.85);
        expect(span / heightM).toBeLessThan(1.25);
      }
    }
  });

  it("bends cleanly: elbows, knees, hips, neck and fingers bent hard stretch no triangle edge badly", async () => {
    const { b } = await body({ build: "heavy", morphs: { belly: 0, muscle: 1, bust: 0 } });
    const posed = pose(b, {
      LeftUpperArm: [[0, 0, 1], -1.3],
      LeftLowerArm: [[0, 1, 0], -Math.PI / 2],
      RightLowerArm: [[0, 1, 0], Math.PI / 2],
      LeftUpperLeg: [[1, 0, 0], -Math.PI / 2],
      LeftLowerLeg: [[1, 0, 0], Math.PI / 2],
      Neck: [[0, 1, 0], 0.6],
      // A pointing hand: three fingers curl, the index stays straight.
      LeftMiddleProximal: [[0, 0, 1], -1.2],
      LeftMiddleIntermediate: [[0, 0, 1], -1.2],
      LeftRingProximal: [[0, 0, 1], -1.2],
      LeftRingIntermediate: [[0, 0, 1], -1.2],
      LeftLittleProximal: [[0, 0, 1], -1.2],
      LeftLittleIntermediate: [[0, 0, 1], -1.2],
    });
    let worstStretch = 0;
    let worstSquash = Infinity;
    b.primitives.forEach((p, pi) => {
      const q = posed[pi]!;
      for (let t = 0; t < p.indices.length; t += 3) {
        for (let e = 0; e < 3; e++) {
          const a = p.indices[t + e]!;
          const c = p.indices[t + ((e + 1) % 3)]!;
          const rest = Math.hypot(p.positions[a * 3]! - p.positions[c * 3]!, p.positions[a * 3 + 1]! - p.positions[c * 3 + 1]!, p.positions[a * 3 + 2]! - p.positions[c * 3 + 2]!);
          const now = Math.hypot(q[a * 3]! - q[c * 3]!, q[a * 3 + 1]! - q[c * 3 + 1]!, q[a * 3 + 2]! - q[c * 3 + 2]!);
          if (rest < 1e-5) continue;
          worstStretch = Math.max(worstStretch, now / rest);
          worstSquash = Math.min(worstSquash, now / rest);
        }
      }
    });
    expect(worstStretch).toBeLessThan(2.5);
    expect(worstSquash).toBeGreaterThan(0.15);
  });

  it("moves a hand rigidly with its forearm: a bent elbow carries the whole hand", async () => {
    const { b } = await body({});
    const posed = pose(b, { LeftLowerArm: [[0, 1, 0], -Math.PI / 2] });
    const skin = b.primitives.findIndex((p) => p.material === "Skin");
    const p = b.primitives[skin]!;
    const q = posed[skin]!;
    // Every skin vertex well beyond the elbow (x > 0.55 m at 1.75 m) swings to face forward (+z).
    let moved = 0;
    for (let v = 0; v < p.positions.length / 3; v++) {
      if (p.positions[v * 3]! > 0.6) {
        expect(q[v * 3 + 2]!).toBeGreaterThan(0.05);
        moved++;
      }
    }
    expect(moved).toBeGreaterThan(50);
  });

  it("is deterministic: the same parameters give the same bytes, different ones differ", async () => {
    const params: Partial<BodyParams> = { heightM: 1.66, build: "stocky", hairLength: 0.8, clothingColors: ["#123456"] };
    const a = await buildBody(params);
    const b = await buildBody({ clothingColors: ["#123456"], hairLength: 0.8, build: "stocky", heightM: 1.66 });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const c = await buildBody({ ...params, heightM: 1.67 });
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
  });

  it("stays under 300 KB even at the extremes", async () => {
    for (const params of extremeBodyParams()) {
      const glb = await buildBody(params);
      expect(glb.byteLength).toBeLessThan(300 * 1024);
    }
  });

  it("carries belly, muscle and bust morph targets on every primitive, weighted as asked", async () => {
    const { b } = await body({ morphs: { belly: 0.25, muscle: 0.5, bust: 1 } });
    expect(b.targetNames).toEqual([...MORPH_NAMES]);
    expect(b.defaultWeights).toEqual([0.25, 0.5, 1]);
    for (const p of b.primitives) expect([...p.targets.keys()]).toEqual([...MORPH_NAMES]);
    const largest = (material: string, target: string, axis: number): number => {
      const p = b.primitives.find((x) => x.material === material)!;
      const d = p.targets.get(target)!;
      let m = 0;
      for (let i = axis; i < d.length; i += 3) m = Math.max(m, d[i]!);
      return m;
    };
    // The belly pushes the shirt forwards by centimetres; it leaves the hair alone.
    expect(largest("Top", "belly", 2)).toBeGreaterThan(0.02);
    expect(largest("Hair", "belly", 2)).toBe(0);
    // Muscle widens the arms (skin of the forearms grows outwards in ±z).
    expect(largest("Skin", "muscle", 2)).toBeGreaterThan(0.002);
    expect(largest("Top", "bust", 2)).toBeGreaterThan(0.02);
  });

  it("gives each sparse accessor's indices a buffer view of exactly their size (Godot requires it)", async () => {
    const glb = await buildBody({ morphs: { belly: 1, muscle: 1, bust: 1 } });
    const jsonLength = new DataView(glb.buffer, glb.byteOffset).getUint32(12, true);
    const json = JSON.parse(new TextDecoder().decode(glb.subarray(20, 20 + jsonLength))) as {
      accessors: Array<{ sparse?: { count: number; indices: { bufferView: number; byteOffset?: number; componentType: number } } }>;
      bufferViews: Array<{ byteLength: number }>;
    };
    const sparse = json.accessors.filter((a) => a.sparse !== undefined);
    expect(sparse.length).toBeGreaterThan(10);
    const seen = new Set<number>();
    for (const a of sparse) {
      const { count, indices } = a.sparse!;
      expect(indices.byteOffset ?? 0).toBe(0);
      expect(json.bufferViews[indices.bufferView]!.byteLength).toBe(count * (indices.componentType === 5121 ? 1 : indices.componentType === 5123 ? 2 : 4));
      expect(seen.has(indices.bufferView)).toBe(false);
      seen.add(indices.bufferView);
    }
  });

  it("paints clothing and skin from the colour parameters (linear PBR factors)", async () => {
    const glb = await buildBody({ skinColor: "#ffffff", clothingColors: ["#000000"] });
    const { NodeIO } = await import("@gltf-transform/core");
    const doc = await new NodeIO().readBinary(glb);
    const byName = new Map(doc.getRoot().listMaterials().map((m) => [m.getName(), m]));
    expect(byName.get("Skin")?.getBaseColorFactor()).toEqual([1, 1, 1, 1]);
    expect(byName.get("Top")?.getBaseColorFactor()).toEqual([0, 0, 0, 1]);
    expect(byName.get("Skin")?.getMetallicFactor()).toBe(0);
    expect([...byName.keys()].sort()).toEqual(["Bottom", "EyeWhite", "Hair", "Iris", "Lips", "Pupil", "Shoes", "Skin", "Top"]);
  });
});
