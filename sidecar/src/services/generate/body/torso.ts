/** The torso and neck: one loft up the Y axis, from below the crotch to inside the head. */
import type { BodyParams } from "./params.js";
import { MAT, X, Z, cell, joint, ring, sampleKeys, type PartBuilder, type ShapeState } from "./part-kit.js";
import { boneIndex, type BodyFrame } from "./skeleton.js";
import { chainInfluences, interpolateStations, scaleInfluences, smoothstep, type RingShape } from "./surface.js";

export function torso(p: BodyParams, f: BodyFrame, sh: ShapeState): PartBuilder {
  const s = f.scale;
  const hipW = p.hipWidth;
  const shW = p.shoulderWidth;
  const g = 0.85 + 0.35 * sh.fat + 0.12 * sh.muscle;
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
