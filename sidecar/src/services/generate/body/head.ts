/** The head: skull, eyes, nose, lips, ears, brows and the hair shell. */
import type { BodyParams } from "./params.js";
import { MAT, X, Y, Z, cell, joint, ring, type PartBuilder } from "./part-kit.js";
import { boneIndex, type BodyFrame, type Vec3 } from "./skeleton.js";
import { smoothstep, type RingShape } from "./surface.js";

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

export function head(f: BodyFrame): PartBuilder {
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
export function faceParts(f: BodyFrame): PartBuilder[] {
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

export function eye(f: BodyFrame, side: 1 | -1, layer: "white" | "iris" | "pupil"): PartBuilder {
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

export function hair(p: BodyParams, f: BodyFrame): PartBuilder {
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
