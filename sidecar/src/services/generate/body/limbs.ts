/** Arms, hands with thumbs, legs and shoes. */
import type { BodyParams } from "./params.js";
import { MAT, X, Y, Z, cell, sampleKeys, joint, ring, type PartBuilder, type ShapeState } from "./part-kit.js";
import { boneIndex, type BodyFrame, type Vec3 } from "./skeleton.js";
import { chainInfluences, interpolateStations, scaleInfluences, smoothstep, type RingShape } from "./surface.js";

// ---------------------------------------------------------------------------------------------
// Arms: along ±X from inside the shoulder to inside the hand; short sleeves of the top colour.

export function arm(f: BodyFrame, sh: ShapeState, side: 1 | -1): PartBuilder {
  const s = f.scale;
  const ga = 0.87 + 0.25 * sh.fat + 0.2 * sh.muscle;
  const names = side === 1 ? ["LeftShoulder", "LeftUpperArm", "LeftLowerArm", "LeftHand"] : ["RightShoulder", "RightUpperArm", "RightLowerArm", "RightHand"];
  const [shoulder, upper, lower, handJ] = names.map((n) => joint(f, n)) as [Vec3, Vec3, Vec3, Vec3];
  const x0 = Math.abs(upper[0]);
  const elbow = Math.abs(lower[0]) - x0;
  const wrist = Math.abs(handJ[0]) - x0;
  const y = upper[1];
  const bic = 1 + 0.12 * sh.muscle;
  // key (distance along the arm from the shoulder joint), half height, half depth
  const stations: number[][] = [
    [-0.04 * s, 0.018 * s, 0.018 * s],
    [-0.025 * s, 0.032 * ga * s, 0.032 * ga * s],
    [0.005 * s, 0.037 * ga * bic * s, 0.036 * ga * bic * s],
    [0.05 * s, 0.037 * ga * bic * s, 0.035 * ga * bic * s],
    [elbow * 0.6, 0.033 * ga * bic * s, 0.034 * ga * s],
    [elbow, 0.027 * ga * s, 0.029 * ga * s],
    [elbow + 0.04 * s, 0.03 * ga * s, 0.032 * ga * s],
    [wrist - 0.012 * s, 0.019 * (0.8 + 0.2 * ga) * s, 0.024 * (0.8 + 0.2 * ga) * s],
    [wrist + 0.012 * s, 0.016 * s, 0.021 * s],
  ];
  const keys = sampleKeys(
    stations.map((st) => st[0] as number),
    [0, 1, 1, 1, 1, 1, 2, 1],
  );
  const tmp: number[] = [];
  const rings = keys.map((d) => {
    const [hh, hd] = interpolateStations(stations, d, tmp) as [number, number];
    return ring([(x0 + d) * side, y, 0], hh, hh, hd, hd, 2);
  });
  const sleeve = elbow * 0.55;
  const bones = names.map((n) => boneIndex(n));
  const starts = [0, 0, elbow, wrist];
  const blends = [0, 0.035 * s, 0.03 * s, 0.015 * s];
  void shoulder;
  return {
    spec: {
      rings,
      u: Y,
      v: Z,
      segments: 12,
      seamAngle: -Math.PI / 2,
      startPole: [(x0 - 0.045 * s) * side, y, 0],
      endPole: [(x0 + wrist + 0.02 * s) * side, y, 0],
      materialOfBand: (band) => {
        if (band < 0) return MAT.top;
        if (band >= rings.length - 1) return MAT.skin;
        const d = Math.abs((rings[band] as RingShape).center[0]) - x0;
        return d < sleeve ? MAT.top : MAT.skin;
      },
      uvRect: cell(side === 1 ? 0 : 1, 1),
    },
    influences: (q) => chainInfluences(Math.abs(q[0]) - x0, bones, starts, blends),
  };
}

// ---------------------------------------------------------------------------------------------
// Hands: a palm (palm down, fingers along ±X) whose knuckle edge follows the finger bones,
// a thumb that points forwards, and four fingers, each a tube along its own three bones.

const FINGERS = ["Index", "Middle", "Ring", "Little"] as const;

export function hand(p: BodyParams, f: BodyFrame, side: 1 | -1): PartBuilder {
  const s = f.scale;
  const prefix = side === 1 ? "Left" : "Right";
  const h = joint(f, `${prefix}Hand`);
  const L = f.handLength;
  const wx = Math.abs(h[0]);
  const a = p.armLength;
  // The palm, from inside the wrist to just past the knuckles, where the fingers take over.
  // key (distance from the wrist), half width (z), half thickness (y)
  const stations: number[][] = [
    [-0.012 * s, 0.018 * a * s, 0.014 * s],
    [0, 0.022 * a * s, 0.0135 * s],
    [0.25 * L, 0.026 * a * s, 0.015 * s],
    [0.47 * L, 0.026 * a * s, 0.012 * s],
    [0.5 * L + 0.006 * s, 0.021 * a * s, 0.008 * s],
  ];
  const keys = sampleKeys(
    stations.map((st) => st[0] as number),
    [0, 1, 1, 0],
  );
  const tmp: number[] = [];
  const y = h[1] - 0.003 * s;
  const rings = keys.map((d) => {
    const [hw, ht] = interpolateStations(stations, d, tmp) as [number, number];
    return ring([(wx + d) * side, y, 0], hw, hw, ht, ht, 2.4);
  });
  const handBone = boneIndex(`${prefix}Hand`);
  const fingerZ = FINGERS.map((fn) => joint(f, `${prefix}${fn}Proximal`)[2]);
  const fingerChains = FINGERS.map((fn) => {
    const segs = ["Proximal", "Intermediate", "Distal"].map((sg) => `${prefix}${fn}${sg}`);
    return {
      bones: [handBone, ...segs.map((n) => boneIndex(n))],
      starts: [0, ...segs.map((n) => Math.abs(joint(f, n)[0]) - wx)],
    };
  });
  const blends = [0, 0.012 * s, 0.008 * s, 0.006 * s];
  return {
    spec: {
      rings,
      u: Z,
      v: Y,
      segments: 10,
      seamAngle: Math.PI,
      startPole: [(wx - 0.016 * s) * side, y, 0],
      endPole: [(wx + 0.5 * L + 0.01 * s) * side, y, 0],
      materialOfBand: () => MAT.skin,
      uvRect: cell(side === 1 ? 2 : 3, 1),
    },
    influences: (q) => {
      const d = Math.abs(q[0]) - wx;
      // Between which two fingers (by z) does this point lie?
      let k = 0;
      while (k < fingerZ.length - 2 && q[2] < (fingerZ[k + 1] as number)) k++;
      const za = fingerZ[k] as number;
      const zb = fingerZ[k + 1] as number;
      const t = smoothstep(za, zb, q[2]);
      const ca = fingerChains[k] as { bones: number[]; starts: number[] };
      const cb = fingerChains[k + 1] as { bones: number[]; starts: number[] };
      return [
        ...scaleInfluences(chainInfluences(d, ca.bones, ca.starts, blends), 1 - t),
        ...scaleInfluences(chainInfluences(d, cb.bones, cb.starts, blends), t),
      ];
    },
  };
}

/** Strip k of 5 across an atlas cell: the thumb and the four fingers of a hand. */
function strip(col: number, row: number, k: number): readonly [number, number, number, number] {
  const [u0, v0, u1, v1] = cell(col, row);
  const w = (u1 - u0) / 5;
  return [u0 + k * w, v0, u0 + (k + 1) * w, v1];
}

/** Relative thickness of each finger (index, middle, ring, little). */
const FINGER_GIRTH = [0.97, 1, 0.94, 0.82];

/** One finger: a slim tube along ±X from inside the palm, bending at its three joints. */
export function finger(p: BodyParams, f: BodyFrame, side: 1 | -1, index: number): PartBuilder {
  const s = f.scale;
  const prefix = side === 1 ? "Left" : "Right";
  const name = FINGERS[index] as string;
  const names = ["Proximal", "Intermediate", "Distal"].map((sg) => `${prefix}${name}${sg}`);
  const [pr, im, di] = names.map((n) => joint(f, n)) as [Vec3, Vec3, Vec3];
  const x0 = Math.abs(pr[0]);
  // The distal joint sits three quarters along the finger.
  const len = (Math.abs(di[0]) - x0) / 0.75;
  const k = (FINGER_GIRTH[index] as number) * p.armLength * s;
  // key (distance from the knuckle), half width (z), half thickness (y)
  const stations: number[][] = [
    [-0.012 * s, 0.005 * k, 0.0045 * k],
    [0, 0.0058 * k, 0.0052 * k],
    [0.45 * len, 0.0053 * k, 0.0047 * k],
    [0.75 * len, 0.0048 * k, 0.0042 * k],
    [len - 0.004 * s, 0.0042 * k, 0.0036 * k],
  ];
  const keys = sampleKeys(
    stations.map((st) => st[0] as number),
    [0, 1, 1, 0],
  );
  const tmp: number[] = [];
  const y = pr[1];
  const z = pr[2];
  const rings = keys.map((d) => {
    const [hw, ht] = interpolateStations(stations, d, tmp) as [number, number];
    return ring([(x0 + d) * side, y, z], hw, hw, ht, ht, 2.2);
  });
  const bones = [boneIndex(`${prefix}Hand`), ...names.map((n) => boneIndex(n))];
  const starts = [-Infinity, 0, Math.abs(im[0]) - x0, Math.abs(di[0]) - x0];
  const blends = [0, 0.006 * s, 0.005 * s, 0.004 * s];
  return {
    spec: {
      rings,
      u: Z,
      v: Y,
      segments: 6,
      seamAngle: Math.PI,
      startPole: [(x0 - 0.016 * s) * side, y, z],
      endPole: [(x0 + len) * side, y, z],
      materialOfBand: () => MAT.skin,
      uvRect: strip(side === 1 ? 2 : 3, 2, index + 1),
    },
    influences: (q) => chainInfluences(Math.abs(q[0]) - x0, bones, starts, blends),
  };
}

export function thumb(f: BodyFrame, side: 1 | -1): PartBuilder {
  const s = f.scale;
  const prefix = side === 1 ? "Left" : "Right";
  const names = ["ThumbMetacarpal", "ThumbProximal", "ThumbDistal"].map((n) => `${prefix}${n}`);
  const [m, pr, di] = names.map((n) => joint(f, n)) as [Vec3, Vec3, Vec3];
  const dir: Vec3 = [di[0] - m[0], 0, di[2] - m[2]];
  const len = Math.hypot(dir[0], dir[2]);
  dir[0] /= len;
  dir[2] /= len;
  const total = len + 0.022 * s;
  // Cross-section plane: vertical (Y) and horizontal perpendicular to the thumb's direction.
  const across: Vec3 = [dir[2], 0, -dir[0]];
  const at = (d: number): Vec3 => [m[0] + dir[0] * d, m[1], m[2] + dir[2] * d];
  const stations: number[][] = [
    [-0.008 * s, 0.009 * s],
    [0.004 * s, 0.011 * s],
    [total * 0.55, 0.0095 * s],
    [total - 0.006 * s, 0.0075 * s],
  ];
  const keys = sampleKeys(
    stations.map((st) => st[0] as number),
    [0, 1, 1],
  );
  const tmp: number[] = [];
  const rings = keys.map((d) => {
    const [r] = interpolateStations(stations, d, tmp) as [number];
    return ring(at(d), r * 0.85, r * 0.85, r, r, 2);
  });
  const bones = names.map((n) => boneIndex(n));
  const proj = (q: Vec3): number => (q[0] - m[0]) * dir[0] + (q[2] - m[2]) * dir[2];
  const starts = [0, proj(pr), proj(di)];
  const blends = [0, 0.008 * s, 0.006 * s];
  return {
    spec: {
      rings,
      u: Y,
      v: across,
      segments: 8,
      seamAngle: -Math.PI / 2,
      startPole: at(-0.012 * s),
      endPole: at(total),
      materialOfBand: () => MAT.skin,
      uvRect: strip(side === 1 ? 2 : 3, 2, 0),
    },
    influences: (q) => chainInfluences(proj(q), bones, starts, blends),
  };
}


// ---------------------------------------------------------------------------------------------
// Legs: down the Y axis from inside the pelvis to inside the shoe, in the bottom colour.

export function leg(f: BodyFrame, sh: ShapeState, side: 1 | -1): PartBuilder {
  const s = f.scale;
  const prefix = side === 1 ? "Left" : "Right";
  const hipJ = joint(f, `${prefix}UpperLeg`);
  const x = hipJ[0];
  const gl = 0.85 + 0.35 * sh.fat + 0.2 * sh.muscle;
  const gc = 0.9 + 0.15 * sh.fat + 0.2 * sh.muscle;
  const hip = f.hipJointY;
  const knee = f.kneeY;
  const ankle = f.ankleY;
  const kneeX = joint(f, `${prefix}LowerLeg`)[0];
  const ankleX = joint(f, `${prefix}Foot`)[0];
  const xAt = (y: number): number =>
    y >= knee ? kneeX + ((x - kneeX) * (y - knee)) / (hip - knee) : ankleX + ((kneeX - ankleX) * (y - ankle)) / (knee - ankle);
  // key (height, ascending), half width, half depth, z of centre
  const stations: number[][] = [
    [ankle + 0.01 * s, 0.026 * s, 0.028 * s, -0.003 * s],
    [ankle + 0.06 * s, 0.03 * s, 0.032 * s, -0.004 * s],
    [knee - 0.06 * s, 0.045 * gc * s, 0.05 * gc * s, -0.008 * s],
    [knee, 0.041 * (0.9 + 0.1 * gl) * s, 0.043 * (0.9 + 0.1 * gl) * s, 0],
    [knee + 0.03 * s, 0.043 * (0.9 + 0.1 * gl) * s, 0.045 * (0.9 + 0.1 * gl) * s, 0.003 * s],
    [(hip + knee) / 2, 0.052 * gl * s, 0.054 * gl * s, 0.002 * s],
    [hip - 0.03 * s, 0.058 * gl * s, 0.062 * gl * s, 0],
    [hip + 0.02 * s, 0.054 * gl * s, 0.058 * gl * s, 0],
    [hip + 0.045 * s, 0.03 * s, 0.03 * s, 0],
  ];
  const keys = sampleKeys(
    stations.map((st) => st[0] as number),
    [0, 2, 1, 0, 1, 2, 1, 0],
  ).reverse();
  const tmp: number[] = [];
  const rings = keys.map((y) => {
    const [hw, hd, zc] = interpolateStations(stations, y, tmp) as [number, number, number];
    return ring([xAt(y), y, zc], hw, hw, hd, hd, 2);
  });
  const bones = ["Hips", "UpperLeg", "LowerLeg", "Foot"].map((n, i) => boneIndex(i === 0 ? n : `${prefix}${n}`));
  // The chain runs downwards, so measure along -Y.
  const starts = [-Infinity, -hip, -knee, -ankle];
  const blends = [0, 0.05 * s, 0.035 * s, 0.02 * s];
  return {
    spec: {
      rings,
      u: X,
      v: Z,
      segments: 14,
      seamAngle: Math.PI,
      startPole: [x, hip + 0.05 * s, 0],
      endPole: [ankleX, ankle - 0.005 * s, -0.003 * s],
      materialOfBand: () => MAT.bottom,
      uvRect: cell(side === 1 ? 0 : 1, 2),
    },
    influences: (q) => chainInfluences(-q[1], bones, starts, blends),
  };
}

// ---------------------------------------------------------------------------------------------
// Feet: a shoe along +Z with a flat sole at y = 0.

export function foot(f: BodyFrame, side: 1 | -1): PartBuilder {
  const s = f.scale;
  const prefix = side === 1 ? "Left" : "Right";
  const footJ = joint(f, `${prefix}Foot`);
  const toesJ = joint(f, `${prefix}Toes`);
  const x = footJ[0];
  const k = 0.92;
  // key (z), half width, height
  const stations: number[][] = [
    [-0.05 * k * s, 0.02 * s, 0.045 * s],
    [-0.04 * k * s, 0.027 * s, 0.064 * s],
    [-0.01 * k * s, 0.03 * s, 0.075 * s],
    [0.03 * k * s, 0.035 * s, 0.056 * s],
    [0.07 * k * s, 0.038 * s, 0.036 * s],
    [0.095 * k * s, 0.037 * s, 0.029 * s],
    [0.115 * k * s, 0.029 * s, 0.022 * s],
  ];
  const keys = sampleKeys(
    stations.map((st) => st[0] as number),
    [0, 1, 1, 1, 0, 0],
  );
  const tmp: number[] = [];
  const rings = keys.map((z) => {
    const [hw, ht] = interpolateStations(stations, z, tmp) as [number, number];
    return ring([x, ht / 2, z], hw, hw, ht / 2, ht / 2, 2.6);
  });
  const bones = [boneIndex(`${prefix}Foot`), boneIndex(`${prefix}Toes`)];
  const starts = [-Infinity, toesJ[2]];
  const blends = [0, 0.015 * s];
  return {
    spec: {
      rings,
      u: X,
      v: Y,
      segments: 12,
      seamAngle: Math.PI,
      startPole: [x, 0.022 * s, -0.056 * k * s],
      endPole: [x, 0.011 * s, 0.123 * k * s],
      materialOfBand: () => MAT.shoes,
      uvRect: cell(side === 1 ? 0 : 1, 3),
    },
    influences: (q) => chainInfluences(q[2], bones, starts, blends),
  };
}
