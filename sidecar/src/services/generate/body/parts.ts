/**
 * The body's parts as lofts: torso (with the neck), head, eyes, hair, arms, hands, thumbs, legs
 * and feet. Each part knows its cross-sections (from the layout and the shape), the material of
 * each band (skin, or the clothing painted on it) and how its vertices follow the bones.
 *
 * Shapes are written in nominal units (an average adult about 1 tall) times `s`, the layout's
 * scale, so every number below reads as a fraction of body height.
 */
import type { BodyBuild, BodyParams } from "./params.js";
import { boneIndex, type BodyFrame, type Vec3 } from "./skeleton.js";
import {
  chainInfluences,
  interpolateStations,
  loft,
  scaleInfluences,
  skinSurface,
  smoothstep,
  type Influences,
  type LoftSpec,
  type RingShape,
  type Surface,
} from "./surface.js";

/** Materials, in primitive order. */
export const MATERIAL_NAMES = ["Skin", "Hair", "Top", "Bottom", "Shoes", "EyeWhite", "Iris", "Pupil", "Lips"] as const;
export const MAT = { skin: 0, hair: 1, top: 2, bottom: 3, shoes: 4, eyeWhite: 5, iris: 6, pupil: 7, lips: 8 } as const;

/**
 * What the morph targets vary. The base mesh has belly = bust = 0 and the build's fat and
 * muscle; each target is the same mesh built with one of these pushed up.
 */
export interface ShapeState {
  fat: number;
  muscle: number;
  belly: number;
  bust: number;
}

const BUILD_SHAPES: Record<BodyBuild, { fat: number; muscle: number }> = {
  slender: { fat: 0.05, muscle: 0.15 },
  lean: { fat: 0.15, muscle: 0.35 },
  average: { fat: 0.35, muscle: 0.4 },
  athletic: { fat: 0.2, muscle: 0.8 },
  stocky: { fat: 0.6, muscle: 0.7 },
  heavy: { fat: 0.95, muscle: 0.35 },
};

export function baseShape(build: BodyBuild): ShapeState {
  const b = BUILD_SHAPES[build];
  return { fat: b.fat, muscle: b.muscle, belly: 0, bust: 0 };
}

/** How much one unit of the "muscle" morph adds to the build's muscle. */
export const MUSCLE_MORPH_GAIN = 0.7;

const X: Vec3 = [1, 0, 0];
const Y: Vec3 = [0, 1, 0];
const Z: Vec3 = [0, 0, 1];

/** UV atlas cells (4 x 4 grid): each part maps onto its own rectangle. */
function cell(col: number, row: number): readonly [number, number, number, number] {
  return [col / 4, row / 4, (col + 1) / 4, (row + 1) / 4];
}

/** Keys at every station plus `between` evenly spaced keys inside each interval. */
function sampleKeys(stationKeys: readonly number[], between: readonly number[]): number[] {
  const keys: number[] = [];
  for (let k = 0; k < stationKeys.length - 1; k++) {
    const a = stationKeys[k] as number;
    const b = stationKeys[k + 1] as number;
    const n = (between[k] ?? 0) + 1;
    for (let i = 0; i < n; i++) keys.push(a + ((b - a) * i) / n);
  }
  keys.push(stationKeys[stationKeys.length - 1] as number);
  return keys;
}

interface PartBuilder {
  spec: LoftSpec;
  influences: (p: Vec3) => Influences;
}

function buildPart(part: PartBuilder, skin: boolean): Surface {
  const surface = loft(part.spec);
  if (skin) skinSurface(surface, part.influences);
  return surface;
}

/**
 * Builds every surface of the body. With `skin`, joints and weights are filled too. With
 * `unshapedFrom` (the base surfaces), parts whose form does not depend on the shape (head, eyes,
 * hair, hands, feet) are taken from it instead of being rebuilt: morph targets need only the
 * parts that move.
 */
export function buildBodySurfaces(
  params: BodyParams,
  frame: BodyFrame,
  shape: ShapeState,
  skin: boolean,
  unshapedFrom?: readonly Surface[],
): Surface[] {
  const parts: Array<[shaped: boolean, make: () => PartBuilder]> = [
    [true, () => torso(params, frame, shape)],
    [false, () => head(frame)],
    ...faceParts(frame).map((part): [boolean, () => PartBuilder] => [false, () => part]),
  ];
  for (const side of [1, -1] as const) {
    parts.push([false, () => eye(frame, side, "white")], [false, () => eye(frame, side, "iris")], [false, () => eye(frame, side, "pupil")]);
  }
  if (params.hairLength > 0) parts.push([false, () => hair(params, frame)]);
  for (const side of [1, -1] as const) {
    parts.push(
      [true, () => arm(frame, shape, side)],
      [false, () => hand(params, frame, side)],
      [false, () => thumb(frame, side)],
      [true, () => leg(frame, shape, side)],
      [false, () => foot(frame, side)],
    );
  }
  return parts.map(([shaped, make], i) => {
    const reused = unshapedFrom?.[i];
    if (!shaped && reused !== undefined) return reused;
    return buildPart(make(), skin);
  });
}

function joint(frame: BodyFrame, name: string): Vec3 {
  return frame.joints[boneIndex(name)] as Vec3;
}

function ring(center: Vec3, uPos: number, uNeg: number, vPos: number, vNeg: number, exponent: number): RingShape {
  return { center, uPos, uNeg, vPos, vNeg, exponent };
}

// ---------------------------------------------------------------------------------------------
// Torso and neck: one loft up the Y axis, from below the crotch to inside the head.

function torso(p: BodyParams, f: BodyFrame, sh: ShapeState): PartBuilder {
  const s = f.scale;
  const hipW = p.hipWidth;
  const shW = p.shoulderWidth;
  const g = 0.85 + 0.35 * sh.fat + 0.12 * sh.muscle;
  const hipsY = joint(f, "Hips")[1];
  const spineY = joint(f, "Spine")[1];
  const chestY = joint(f, "Chest")[1];
  const upperChestY = joint(f, "UpperChest")[1];
  const neckY = joint(f, "Neck")[1];
  const headY = joint(f, "Head")[1];
  const hipJ = f.hipJointY;
  const shY = f.shoulderY;
  const m = sh.muscle;
  const fat = sh.fat;
  const belly = sh.belly;
  // key y, half width, depth to the front, depth to the back, z of centre, exponent
  const stations: number[][] = [
    [hipJ - 0.045 * s, 0.045 * hipW * s, 0.03 * s, 0.035 * s, 0, 2],
    [hipJ - 0.02 * s, 0.085 * hipW * g * s, 0.05 * g * s, 0.062 * g * s, 0, 2.2],
    [hipJ + 0.035 * s, 0.1 * hipW * g * s, (0.055 * g + 0.012 * belly) * s, 0.066 * g * s, 0, 2.4],
    [
      spineY + 0.012 * s,
      (0.064 + 0.012 * (hipW + shW) + 0.03 * fat + 0.012 * belly) * s,
      (0.048 + 0.02 * fat + 0.03 * belly) * s,
      (0.05 + 0.006 * fat) * s,
      0,
      2.2,
    ],
    [
      chestY + 0.005 * s,
      (0.08 * shW * (1 + 0.06 * m) + 0.018 * fat + 0.006 * belly) * s,
      (0.056 + 0.012 * fat + 0.02 * belly + 0.006 * m) * s,
      (0.054 + 0.004 * fat) * s,
      0,
      2.3,
    ],
    [upperChestY, (0.09 * shW * (1 + 0.1 * m) + 0.01 * fat) * s, (0.06 + 0.014 * m + 0.006 * fat) * s, (0.057 + 0.006 * m) * s, 0, 2.6],
    [shY - 0.012 * s, 0.097 * shW * (1 + 0.08 * m) * s, (0.05 + 0.006 * m) * s, (0.05 + 0.006 * m) * s, 0, 2.6],
    [shY + 0.016 * s, 0.072 * shW * (1 + 0.08 * m) * s, 0.04 * s, 0.042 * s, 0, 2.6],
    [neckY, 0.032 * (1 + 0.15 * m) * s, 0.03 * s, 0.034 * s, 0.002 * s, 2],
    [headY, 0.028 * (1 + 0.1 * m) * s, 0.029 * s, 0.031 * s, 0.004 * s, 2],
    [headY + 0.02 * s, 0.022 * s, 0.022 * s, 0.024 * s, 0.004 * s, 2],
  ];
  const keys = sampleKeys(
    stations.map((st) => st[0] as number),
    [1, 2, 3, 2, 2, 2, 1, 2, 2, 1],
  );
  const tmp: number[] = [];
  const rings = keys.map((y) => {
    const [w, dF, dB, zc, n] = interpolateStations(stations, y, tmp) as [number, number, number, number, number];
    return ring([0, y, zc], w, w, dF, dB, n);
  });
  const waistY = spineY + 0.004 * s;
  const necklineY = shY + 0.012 * s;
  const materialOfBand = (band: number): number => {
    if (band < 0) return MAT.bottom;
    if (band >= rings.length - 1) return MAT.skin;
    const y = ((rings[band] as RingShape).center[1] + (rings[band + 1] as RingShape).center[1]) / 2;
    return y < waistY ? MAT.bottom : y < necklineY ? MAT.top : MAT.skin;
  };

  const chain = ["Hips", "Spine", "Chest", "UpperChest", "Neck", "Head"].map((n) => boneIndex(n));
  const starts = [0, spineY, chestY, upperChestY, neckY, headY];
  const blends = [0, 0.03 * s, 0.03 * s, 0.03 * s, 0.02 * s, 0.015 * s];
  const leftShoulder = boneIndex("LeftShoulder");
  const rightShoulder = boneIndex("RightShoulder");
  const leftLeg = boneIndex("LeftUpperLeg");
  const rightLeg = boneIndex("RightUpperLeg");
  const bustY = chestY + 0.6 * (upperChestY - chestY);
  const bustX = 0.045 * shW * s;
  const bustSigma = 0.028 * s;
  return {
    spec: {
      rings,
      u: X,
      v: Z,
      segments: 20,
      seamAngle: -Math.PI / 2,
      startPole: [0, hipJ - 0.05 * s, -0.002 * s],
      endPole: [0, headY + 0.025 * s, 0.004 * s],
      materialOfBand,
      uvRect: cell(0, 0),
      sculpt:
        sh.bust > 0
          ? (q) => {
              if (q[2] <= 0) return;
              const dx = Math.abs(q[0]) - bustX;
              const dy = q[1] - bustY;
              const bump = Math.exp(-(dx * dx + dy * dy) / (2 * bustSigma * bustSigma));
              q[2] += sh.bust * 0.03 * s * bump * smoothstep(0, 0.03 * s, q[2]);
              q[1] -= sh.bust * 0.006 * s * bump;
            }
          : undefined,
    },
    influences: (q) => {
      const ax = Math.abs(q[0]);
      const base = chainInfluences(q[1], chain, starts, blends);
      // Upper outer torso rides on the shoulder (clavicle) bones; lower outer torso on the thighs.
      const toShoulder =
        0.75 * smoothstep(0.045 * shW * s, 0.095 * shW * s, ax) * smoothstep(chestY + 0.02 * s, shY - 0.01 * s, q[1]);
      const toLeg = 0.7 * smoothstep(hipJ + 0.06 * s, hipJ - 0.05 * s, q[1]) * smoothstep(0.005 * s, 0.045 * s, ax);
      const out = scaleInfluences(base, 1 - toShoulder - toLeg);
      if (toShoulder > 0) out.push([q[0] >= 0 ? leftShoulder : rightShoulder, toShoulder]);
      if (toLeg > 0) out.push([q[0] >= 0 ? leftLeg : rightLeg, toLeg]);
      return out;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Head: an egg with a narrower jaw and a small nose, on rings from chin to crown.

/** Cross-section of the skull at polar angle theta (0 = crown, PI = chin). */
function headRing(f: BodyFrame, theta: number, grow: number, outset: number): RingShape {
  const [hx, hy, hzF] = f.headHalf;
  const hzB = hzF * 1.06;
  const c = Math.cos(theta);
  const sn = Math.sin(theta);
  const lower = Math.max(0, -c);
  const jaw = 1 - 0.28 * Math.pow(lower, 1.5);
  const chin = 1 - 0.12 * lower * lower;
  const nape = 1 - 0.35 * lower;
  const y = f.headCenterY + hy * c * grow;
  return ring(
    [0, y, f.headCenterZ],
    hx * sn * jaw * grow + outset,
    hx * sn * jaw * grow + outset,
    hzF * sn * chin * grow + outset,
    hzB * sn * nape * grow + outset,
    2.2,
  );
}

function head(f: BodyFrame): PartBuilder {
  const ringsCount = 14;
  const rings: RingShape[] = [];
  for (let i = 0; i < ringsCount; i++) rings.push(headRing(f, Math.PI * (1 - (i + 1) / (ringsCount + 1)), 1, 0));
  const [, hy] = f.headHalf;
  const headBone = boneIndex("Head");
  return {
    spec: {
      rings,
      u: X,
      v: Z,
      segments: 20,
      seamAngle: -Math.PI / 2,
      startPole: [0, f.headCenterY - hy, f.headCenterZ],
      endPole: [0, f.headCenterY + hy, f.headCenterZ],
      materialOfBand: () => MAT.skin,
      uvRect: cell(1, 0),
    },
    influences: () => [[headBone, 1]],
  };
}

// ---------------------------------------------------------------------------------------------
// Eyes: a white ball, an iris and a pupil, each a small sphere, all on the eye's bone.

/**
 * An ellipsoid lofted along `axes[2]`, with half-sizes `radii` along the three axes: eyes, nose,
 * lips, ears and brows. The whole part rides on one bone.
 */
function ellipsoid(
  center: Vec3,
  axes: readonly [Vec3, Vec3, Vec3],
  radii: readonly [number, number, number],
  rings: number,
  segments: number,
  material: number,
  uvRect: readonly [number, number, number, number],
  bone: number,
): PartBuilder {
  const [u, v, d] = axes;
  const [ru, rv, rd] = radii;
  const along = (t: number): Vec3 => [center[0] + d[0] * t, center[1] + d[1] * t, center[2] + d[2] * t];
  const list: RingShape[] = [];
  for (let i = 0; i < rings; i++) {
    const theta = Math.PI * ((i + 1) / (rings + 1));
    const sn = Math.sin(theta);
    list.push(ring(along(-rd * Math.cos(theta)), ru * sn, ru * sn, rv * sn, rv * sn, 2));
  }
  return {
    spec: {
      rings: list,
      u,
      v,
      segments,
      seamAngle: -Math.PI / 2,
      startPole: along(-rd),
      endPole: along(rd),
      materialOfBand: () => material,
      uvRect,
    },
    influences: () => [[bone, 1]],
  };
}

function sphere(center: Vec3, radius: number, squashZ: number, rings: number, segments: number, material: number, uvRect: readonly [number, number, number, number], bone: number): PartBuilder {
  return ellipsoid(center, [X, Y, Z], [radius, radius, radius * squashZ], rings, segments, material, uvRect, bone);
}

/** Quarter k (0..3) of an atlas cell, for the small face parts. */
function quarter(col: number, row: number, k: number): readonly [number, number, number, number] {
  const [u0, v0] = cell(col, row);
  const du = ((k % 2) * 1) / 8;
  const dv = (Math.floor(k / 2) * 1) / 8;
  return [u0 + du, v0 + dv, u0 + du + 1 / 8, v0 + dv + 1 / 8];
}

/** Front surface of the skull (z) at height y on the mid-line, and its half-width there. */
function skullFront(f: BodyFrame, y: number): { z: number; halfWidth: number } {
  const c = Math.max(-1, Math.min(1, (y - f.headCenterY) / f.headHalf[1]));
  const r = headRing(f, Math.acos(c), 1, 0);
  return { z: r.center[2] + r.vPos, halfWidth: r.uPos };
}

/** Nose, lips, ears and brows: small ellipsoids set into the skull's surface, on the head. */
function faceParts(f: BodyFrame): PartBuilder[] {
  const u = f.headHalf[1] / 0.066; // one nominal head unit in metres (headSize x scale)
  const headBone = boneIndex("Head");
  const eye = joint(f, "LeftEye");
  const noseY = f.headCenterY - 0.022 * u;
  const nose = skullFront(f, noseY);
  const lipsY = f.headCenterY - 0.041 * u;
  const lips = skullFront(f, lipsY);
  const browY = eye[1] + f.eyeRadius + 0.005 * u;
  const parts: PartBuilder[] = [
    ellipsoid([0, noseY, nose.z - 0.003 * u], [X, Y, Z], [0.0072 * u, 0.012 * u, 0.0085 * u], 5, 10, MAT.skin, quarter(3, 0, 0), headBone),
    ellipsoid([0, lipsY, lips.z - 0.0035 * u], [X, Y, Z], [0.012 * u, 0.0035 * u, 0.005 * u], 3, 10, MAT.lips, quarter(3, 0, 1), headBone),
  ];
  const earY = eye[1] - 0.006 * u;
  const ear = skullFront(f, earY);
  for (const side of [1, -1] as const) {
    parts.push(
      ellipsoid([side * ear.halfWidth * 0.97, earY, f.headCenterZ - 0.008 * u], [Y, Z, X], [0.015 * u, 0.009 * u, 0.006 * u], 4, 8, MAT.skin, quarter(3, 0, 2), headBone),
      ellipsoid([side * Math.abs(eye[0]), browY, skullFront(f, browY).z - 0.004 * u - (Math.abs(eye[0]) / f.headHalf[0]) ** 2 * 0.012 * u], [X, Y, Z], [0.011 * u, 0.0025 * u, 0.003 * u], 2, 8, MAT.hair, quarter(3, 0, 3), headBone),
    );
  }
  return parts;
}

function eye(f: BodyFrame, side: 1 | -1, layer: "white" | "iris" | "pupil"): PartBuilder {
  const bone = boneIndex(side === 1 ? "LeftEye" : "RightEye");
  const c = joint(f, side === 1 ? "LeftEye" : "RightEye");
  const r = f.eyeRadius;
  if (layer === "white") return sphere(c, r, 1, 6, 10, MAT.eyeWhite, cell(2, 3), bone);
  // The iris is a flattened ball whose front pokes just out of the white; the pupil likewise
  // just out of the iris.
  if (layer === "iris") return sphere([c[0], c[1], c[2] + 0.8 * r], 0.55 * r, 0.45, 3, 10, MAT.iris, cell(3, 3), bone);
  return sphere([c[0], c[1], c[2] + 0.96 * r], 0.25 * r, 0.45, 2, 8, MAT.pupil, cell(3, 3), bone);
}

// ---------------------------------------------------------------------------------------------
// Hair: a shell a little outside the skull, from the crown down to a hairline that sits high on
// the forehead and lower at the back; long hair hangs straight down past the skull.

function hair(p: BodyParams, f: BodyFrame): PartBuilder {
  const [, hy] = f.headHalf;
  const outset = 0.06 * hy;
  const grow = 1.06;
  const frontTheta = 0.3 * Math.PI;
  const backTheta = 0.56 * Math.PI + 0.1 * Math.PI * p.hairLength;
  // Hair longer than about 0.3 falls straight down past the skull at the back and sides; the
  // drop is counted in skull half-heights so it can share the polar-angle parameter.
  const hangTheta = Math.PI / 2 + (2.6 * Math.max(0, p.hairLength - 0.3));
  const rowsCount = 8;
  // Rows run from the hairline (first) up towards the crown (last). The hairline varies around
  // the head, so rows are not planar: `place` builds each point from the skull at its angle.
  const rings: RingShape[] = [];
  for (let i = 0; i < rowsCount; i++) rings.push(headRing(f, frontTheta * (1 - i / rowsCount), grow, outset));
  const place = (row: number, angle: number, q: Vec3): void => {
    const front = (1 + Math.sin(angle)) / 2; // 1 at the face (+Z), 0 at the back
    const lineTheta = backTheta + (frontTheta - backTheta) * Math.pow(front, 1.5);
    const behind = smoothstep(0.55, 0.2, front);
    const limit = lineTheta + behind * Math.max(0, hangTheta - lineTheta);
    const cap = hangTheta > Math.PI / 2 ? lineTheta + (Math.min(lineTheta, Math.PI / 2) - lineTheta) * behind : lineTheta;
    const theta = limit * (1 - row / rowsCount);
    const skullTheta = Math.min(theta, cap);
    const r = headRing(f, skullTheta, grow, outset);
    const cu = Math.cos(angle);
    const sv = Math.sin(angle);
    const e = 2 / r.exponent;
    q[0] = r.center[0] + Math.sign(cu) * Math.pow(Math.abs(cu), e) * r.uPos;
    q[1] = r.center[1] - (theta - skullTheta) * hy;
    q[2] = r.center[2] + Math.sign(sv) * Math.pow(Math.abs(sv), e) * (sv >= 0 ? r.vPos : r.vNeg);
  };
  const headBone = boneIndex("Head");
  return {
    spec: {
      rings,
      u: X,
      v: Z,
      segments: 20,
      seamAngle: -Math.PI / 2,
      endPole: [0, f.headCenterY + hy * grow + outset, f.headCenterZ],
      materialOfBand: () => MAT.hair,
      uvRect: cell(2, 0),
      place,
    },
    influences: () => [[headBone, 1]],
  };
}

// ---------------------------------------------------------------------------------------------
// Arms: along ±X from inside the shoulder to inside the hand; short sleeves of the top colour.

function arm(f: BodyFrame, sh: ShapeState, side: 1 | -1): PartBuilder {
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
// Hands: a mitten (palm down, fingers along ±X) whose finger part follows the finger bones,
// and a thumb that points forwards.

const FINGERS = ["Index", "Middle", "Ring", "Little"] as const;

function hand(p: BodyParams, f: BodyFrame, side: 1 | -1): PartBuilder {
  const s = f.scale;
  const prefix = side === 1 ? "Left" : "Right";
  const h = joint(f, `${prefix}Hand`);
  const L = f.handLength;
  const wx = Math.abs(h[0]);
  const a = p.armLength;
  // key (distance from the wrist), half width (z), half thickness (y)
  const stations: number[][] = [
    [-0.012 * s, 0.02 * a * s, 0.015 * s],
    [0, 0.028 * a * s, 0.014 * s],
    [0.25 * L, 0.036 * a * s, 0.016 * s],
    [0.5 * L, 0.039 * a * s, 0.013 * s],
    [0.75 * L, 0.035 * a * s, 0.01 * s],
    [0.95 * L, 0.026 * a * s, 0.008 * s],
  ];
  const keys = sampleKeys(
    stations.map((st) => st[0] as number),
    [0, 1, 1, 1, 1],
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
      endPole: [(wx + L) * side, y, 0],
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

function thumb(f: BodyFrame, side: 1 | -1): PartBuilder {
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
      uvRect: cell(side === 1 ? 2 : 3, 2),
    },
    influences: (q) => chainInfluences(proj(q), bones, starts, blends),
  };
}

// ---------------------------------------------------------------------------------------------
// Legs: down the Y axis from inside the pelvis to inside the shoe, in the bottom colour.

function leg(f: BodyFrame, sh: ShapeState, side: 1 | -1): PartBuilder {
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

function foot(f: BodyFrame, side: 1 | -1): PartBuilder {
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
