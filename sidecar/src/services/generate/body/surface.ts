/**
 * Lofted surfaces: a ring of points swept along an axis, closed at either end by a pole.
 * Every body part (torso, head, limbs, hands, feet, hair, eyes) is one of these. The grid shape
 * gives UVs for free, and smooth normals come from the faces around each vertex, summed across
 * the seam so no crease shows where the ring wraps around.
 */
import type { Vec3 } from "./skeleton.js";

/** Up to four (bone, weight) pairs; finalizeInfluences makes them sum to 1. */
export type Influences = Array<[bone: number, weight: number]>;

/** The cross-section of one ring: a superellipse in the plane of axes u and v around center. */
export interface RingShape {
  center: Vec3;
  /** Half-extent along +u and -u. */
  uPos: number;
  uNeg: number;
  /** Half-extent along +v and -v. */
  vPos: number;
  vNeg: number;
  /** Superellipse exponent: 2 is an ellipse, larger is boxier. */
  exponent: number;
}

export interface LoftSpec {
  rings: RingShape[];
  /** Unit axes of the cross-section plane. */
  u: Vec3;
  v: Vec3;
  /** Points around each ring (the seam column is duplicated for UVs). */
  segments: number;
  /** Angle (radians from +u towards +v) where the seam sits. */
  seamAngle: number;
  /** Optional poles closing the first and last ring. */
  startPole?: Vec3;
  endPole?: Vec3;
  /** Material of each band: -1 is the start cap, i joins ring i and i+1, rings-1 the end cap. */
  materialOfBand: (band: number) => number;
  /** Rectangle [u0, v0, u1, v1] of the UV atlas this part maps onto. */
  uvRect: readonly [number, number, number, number];
  /** Places ring points itself instead of the ring's superellipse (rings that are not planar). */
  place?: (ring: number, angle: number, out: Vec3) => void;
  /** Moves any point (ring or pole) after placement: bumps that are not cross-sections. */
  sculpt?: (p: Vec3) => void;
}

/** A triangle mesh with per-vertex skin influences and one material per triangle. */
export interface Surface {
  positions: Float64Array;
  normals: Float64Array;
  uvs: Float64Array;
  triangles: Uint32Array;
  triangleMaterial: Uint8Array;
  /** Four joints and four weights (normalised unsigned shorts) per vertex, from skinSurface. */
  joints: Uint8Array;
  weights: Uint16Array;
  vertexCount: number;
}

function superCos(angle: number, exponent: number): number {
  const c = Math.cos(angle);
  return Math.sign(c) * Math.pow(Math.abs(c), 2 / exponent);
}

function superSin(angle: number, exponent: number): number {
  const s = Math.sin(angle);
  return Math.sign(s) * Math.pow(Math.abs(s), 2 / exponent);
}

/** Builds the surface of a loft: positions, UVs, triangles (outward-facing) and normals. */
export function loft(spec: LoftSpec): Surface {
  const { rings, u, v, segments } = spec;
  const cols = segments + 1;
  const ringCount = rings.length;
  const hasStart = spec.startPole !== undefined;
  const hasEnd = spec.endPole !== undefined;
  const vertexCount = ringCount * cols + (hasStart ? 1 : 0) + (hasEnd ? 1 : 0);
  const positions = new Float64Array(vertexCount * 3);
  const uvs = new Float64Array(vertexCount * 2);
  const [u0, v0, u1, v1] = spec.uvRect;
  const q: Vec3 = [0, 0, 0];

  for (let i = 0; i < ringCount; i++) {
    const r = rings[i] as RingShape;
    const vt = ringCount === 1 ? 0.5 : (i + (hasStart ? 1 : 0)) / (ringCount - 1 + (hasStart ? 1 : 0) + (hasEnd ? 1 : 0));
    for (let j = 0; j < cols; j++) {
      const a = spec.seamAngle + (2 * Math.PI * (j % segments)) / segments;
      if (spec.place !== undefined) {
        spec.place(i, a, q);
      } else {
        const cu = superCos(a, r.exponent);
        const sv = superSin(a, r.exponent);
        const du = cu >= 0 ? cu * r.uPos : cu * r.uNeg;
        const dv = sv >= 0 ? sv * r.vPos : sv * r.vNeg;
        q[0] = r.center[0] + u[0] * du + v[0] * dv;
        q[1] = r.center[1] + u[1] * du + v[1] * dv;
        q[2] = r.center[2] + u[2] * du + v[2] * dv;
      }
      if (spec.sculpt !== undefined) spec.sculpt(q);
      const k = i * cols + j;
      positions[k * 3] = q[0];
      positions[k * 3 + 1] = q[1];
      positions[k * 3 + 2] = q[2];
      uvs[k * 2] = u0 + (u1 - u0) * (j / segments);
      uvs[k * 2 + 1] = v0 + (v1 - v0) * vt;
    }
  }
  let next = ringCount * cols;
  const startIndex = hasStart ? next++ : -1;
  const endIndex = hasEnd ? next++ : -1;
  const placePole = (pole: Vec3 | undefined, index: number, v: number): void => {
    if (pole === undefined) return;
    q[0] = pole[0];
    q[1] = pole[1];
    q[2] = pole[2];
    if (spec.sculpt !== undefined) spec.sculpt(q);
    positions.set(q, index * 3);
    uvs[index * 2] = (u0 + u1) / 2;
    uvs[index * 2 + 1] = v;
  };
  placePole(spec.startPole, startIndex, v0);
  placePole(spec.endPole, endIndex, v1);

  // Winding is chosen for a loft that runs along u×v and flipped when it runs against it, so
  // triangles always face outwards.
  const first = (rings[0] as RingShape).center;
  const last = (rings[ringCount - 1] as RingShape).center;
  const axis: Vec3 = [last[0] - first[0], last[1] - first[1], last[2] - first[2]];
  const uxv: Vec3 = [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
  const flip = axis[0] * uxv[0] + axis[1] * uxv[1] + axis[2] * uxv[2] < 0;

  const triCount = (ringCount - 1) * segments * 2 + (hasStart ? segments : 0) + (hasEnd ? segments : 0);
  const triangles = new Uint32Array(triCount * 3);
  const triangleMaterial = new Uint8Array(triCount);
  let t = 0;
  const tri = (a: number, b: number, c: number, material: number): void => {
    if (flip) {
      triangles[t * 3] = a;
      triangles[t * 3 + 1] = c;
      triangles[t * 3 + 2] = b;
    } else {
      triangles[t * 3] = a;
      triangles[t * 3 + 1] = b;
      triangles[t * 3 + 2] = c;
    }
    triangleMaterial[t] = material;
    t++;
  };
  if (hasStart) {
    const m = spec.materialOfBand(-1);
    for (let j = 0; j < segments; j++) tri(startIndex, j + 1, j, m);
  }
  for (let i = 0; i < ringCount - 1; i++) {
    const m = spec.materialOfBand(i);
    for (let j = 0; j < segments; j++) {
      const a = i * cols + j;
      const b = a + 1;
      const c = a + cols;
      const d = c + 1;
      // (i,j) (i,j+1) (i+1,j) faces outwards when the loft runs along u×v.
      tri(a, b, c, m);
      tri(b, d, c, m);
    }
  }
  if (hasEnd) {
    const m = spec.materialOfBand(ringCount - 1);
    const base = (ringCount - 1) * cols;
    for (let j = 0; j < segments; j++) tri(base + j, base + j + 1, endIndex, m);
  }

  const surface: Surface = {
    positions,
    normals: new Float64Array(vertexCount * 3),
    uvs,
    triangles,
    triangleMaterial,
    joints: new Uint8Array(vertexCount * 4),
    weights: new Uint16Array(vertexCount * 4),
    vertexCount,
  };
  computeNormals(surface, (k) => {
    // The seam column j = segments is the same point as j = 0.
    if (k >= ringCount * cols) return k;
    const j = k % cols;
    return j === segments ? k - segments : k;
  });
  return surface;
}

/**
 * Area-weighted smooth normals. `canonical` maps each vertex to the one it shares a position
 * with (seam duplicates), so both copies get the same normal.
 */
export function computeNormals(s: Surface, canonical: (k: number) => number): void {
  const n = s.normals;
  n.fill(0);
  const p = s.positions;
  const tris = s.triangles;
  for (let t = 0; t < tris.length; t += 3) {
    const a = canonical(tris[t] as number) * 3;
    const b = canonical(tris[t + 1] as number) * 3;
    const c = canonical(tris[t + 2] as number) * 3;
    const ia = (tris[t] as number) * 3;
    const ib = (tris[t + 1] as number) * 3;
    const ic = (tris[t + 2] as number) * 3;
    const e1x = (p[ib] as number) - (p[ia] as number);
    const e1y = (p[ib + 1] as number) - (p[ia + 1] as number);
    const e1z = (p[ib + 2] as number) - (p[ia + 2] as number);
    const e2x = (p[ic] as number) - (p[ia] as number);
    const e2y = (p[ic + 1] as number) - (p[ia + 1] as number);
    const e2z = (p[ic + 2] as number) - (p[ia + 2] as number);
    const nx = e1y * e2z - e1z * e2y;
    const ny = e1z * e2x - e1x * e2z;
    const nz = e1x * e2y - e1y * e2x;
    n[a] = (n[a] as number) + nx;
    n[a + 1] = (n[a + 1] as number) + ny;
    n[a + 2] = (n[a + 2] as number) + nz;
    n[b] = (n[b] as number) + nx;
    n[b + 1] = (n[b + 1] as number) + ny;
    n[b + 2] = (n[b + 2] as number) + nz;
    n[c] = (n[c] as number) + nx;
    n[c + 1] = (n[c + 1] as number) + ny;
    n[c + 2] = (n[c + 2] as number) + nz;
  }
  for (let k = 0; k < s.vertexCount; k++) {
    const src = canonical(k) * 3;
    const x = n[src] as number;
    const y = n[src + 1] as number;
    const z = n[src + 2] as number;
    const len = Math.hypot(x, y, z);
    const o = k * 3;
    if (len > 1e-12) {
      n[o] = x / len;
      n[o + 1] = y / len;
      n[o + 2] = z / len;
    } else {
      n[o] = 0;
      n[o + 1] = 1;
      n[o + 2] = 0;
    }
  }
}

/** The stored weight sum: weights are unsigned shorts normalised to 0..1. */
export const WEIGHT_ONE = 65535;

const scratchBones = new Int32Array(16);
const scratchWeights = new Float64Array(16);

/**
 * Merges repeated bones, keeps the four strongest influences (ties broken by bone index so the
 * result is deterministic), drops any under 0.1 %, and quantises them to unsigned shorts whose
 * sum is exactly WEIGHT_ONE (the rounding error goes to the strongest).
 */
export function finalizeInfluences(list: Influences, joints: Uint8Array, weights: Uint16Array, vertex: number): void {
  let n = 0;
  for (const [bone, w] of list) {
    if (!(w > 0)) continue;
    let i = 0;
    while (i < n && scratchBones[i] !== bone) i++;
    if (i === n) {
      scratchBones[n] = bone;
      scratchWeights[n] = 0;
      n++;
    }
    scratchWeights[i] = (scratchWeights[i] as number) + w;
  }
  if (n === 0) throw new Error("vertex without influences");
  // Insertion sort: strongest first, then lower bone index.
  for (let i = 1; i < n; i++) {
    const b = scratchBones[i] as number;
    const w = scratchWeights[i] as number;
    let j = i - 1;
    while (j >= 0 && ((scratchWeights[j] as number) < w || ((scratchWeights[j] as number) === w && (scratchBones[j] as number) > b))) {
      scratchBones[j + 1] = scratchBones[j] as number;
      scratchWeights[j + 1] = scratchWeights[j] as number;
      j--;
    }
    scratchBones[j + 1] = b;
    scratchWeights[j + 1] = w;
  }
  let kept = Math.min(4, n);
  let total = 0;
  for (let i = 0; i < kept; i++) total += scratchWeights[i] as number;
  while (kept > 1 && (scratchWeights[kept - 1] as number) / total < 1e-3) kept--;
  total = 0;
  for (let i = 0; i < kept; i++) total += scratchWeights[i] as number;
  const o = vertex * 4;
  let rest = 0;
  for (let i = 0; i < 4; i++) {
    if (i < kept) {
      joints[o + i] = scratchBones[i] as number;
      const q = i === 0 ? 0 : Math.round(((scratchWeights[i] as number) / total) * WEIGHT_ONE);
      weights[o + i] = q;
      rest += q;
    } else {
      joints[o + i] = 0;
      weights[o + i] = 0;
    }
  }
  weights[o] = WEIGHT_ONE - rest;
}

/** Fills a surface's joints and weights from a per-vertex influence function. */
export function skinSurface(s: Surface, influencesAt: (p: Vec3) => Influences): void {
  const p: Vec3 = [0, 0, 0];
  for (let k = 0; k < s.vertexCount; k++) {
    p[0] = s.positions[k * 3] as number;
    p[1] = s.positions[k * 3 + 1] as number;
    p[2] = s.positions[k * 3 + 2] as number;
    finalizeInfluences(influencesAt(p), s.joints, s.weights, k);
  }
}

/** Hermite smoothstep of x between edge0 and edge1 (edge0 may be above edge1). */
export function smoothstep(edge0: number, edge1: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - edge0) / (edge1 - edge0)));
  return t * t * (3 - 2 * t);
}

/**
 * Weights along a chain of bones laid out on one axis: bone k owns [starts[k], starts[k+1]),
 * and the weight passes smoothly to the next bone within `blend[k]` either side of its start.
 * Never more than two bones get weight, so a bend at one joint moves only its neighbours.
 */
export function chainInfluences(s: number, bones: readonly number[], starts: readonly number[], blend: readonly number[]): Influences {
  const n = bones.length;
  for (let k = 1; k < n; k++) {
    const edge = starts[k] as number;
    const b = blend[k] as number;
    if (s < edge + b) {
      if (s <= edge - b) return [[bones[k - 1] as number, 1]];
      const t = smoothstep(edge - b, edge + b, s);
      return [
        [bones[k - 1] as number, 1 - t],
        [bones[k] as number, t],
      ];
    }
  }
  return [[bones[n - 1] as number, 1]];
}

/** Scales every influence in a list by f (for mixing lists). */
export function scaleInfluences(list: Influences, f: number): Influences {
  return list.map(([b, w]) => [b, w * f]);
}

/**
 * Monotone cubic interpolation through keyed stations (key, value...) at position x: no
 * overshoot, so radii that are positive at the stations stay positive in between.
 */
export function interpolateStations(stations: readonly (readonly number[])[], x: number, out: number[]): number[] {
  const n = stations.length;
  const width = (stations[0] as readonly number[]).length;
  out.length = width - 1;
  if (x <= (stations[0] as readonly number[])[0]!) {
    for (let c = 1; c < width; c++) out[c - 1] = (stations[0] as readonly number[])[c] as number;
    return out;
  }
  if (x >= (stations[n - 1] as readonly number[])[0]!) {
    for (let c = 1; c < width; c++) out[c - 1] = (stations[n - 1] as readonly number[])[c] as number;
    return out;
  }
  let k = 0;
  while (k < n - 2 && x > (stations[k + 1] as readonly number[])[0]!) k++;
  const a = stations[k] as readonly number[];
  const b = stations[k + 1] as readonly number[];
  const prev = stations[Math.max(0, k - 1)] as readonly number[];
  const nextS = stations[Math.min(n - 1, k + 2)] as readonly number[];
  const h = (b[0] as number) - (a[0] as number);
  const t = (x - (a[0] as number)) / h;
  const t2 = t * t;
  const t3 = t2 * t;
  for (let c = 1; c < width; c++) {
    const ya = a[c] as number;
    const yb = b[c] as number;
    const slope = (yb - ya) / h;
    const tangent = (p: readonly number[], q: readonly number[], own: number): number => {
      if (p === q) return 0;
      const s2 = ((q[c] as number) - (p[c] as number)) / ((q[0] as number) - (p[0] as number));
      // Flat at local extrema (Fritsch–Carlson style), so nothing overshoots.
      if (s2 * own <= 0) return 0;
      return Math.sign(own) * Math.min(Math.abs(s2), 3 * Math.abs(own));
    };
    const slopePrev = k === 0 ? slope : (ya - (prev[c] as number)) / ((a[0] as number) - (prev[0] as number));
    const slopeNext = k + 2 > n - 1 ? slope : ((nextS[c] as number) - yb) / ((nextS[0] as number) - (b[0] as number));
    const ma = k === 0 ? slope : slopePrev * slope <= 0 ? 0 : tangent(prev, b, slope);
    const mb = k + 2 > n - 1 ? slope : slopeNext * slope <= 0 ? 0 : tangent(a, nextS, slope);
    out[c - 1] =
      (2 * t3 - 3 * t2 + 1) * ya + (t3 - 2 * t2 + t) * h * ma + (-2 * t3 + 3 * t2) * yb + (t3 - t2) * h * mb;
  }
  return out;
}
