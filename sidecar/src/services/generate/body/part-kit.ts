/**
 * What every body part shares: the materials, the shape state the morph targets vary, the
 * part-builder type, the UV atlas cells and a few small helpers for building rings.
 */
import type { BodyBuild } from "./params.js";
import { boneIndex, type BodyFrame, type Vec3 } from "./skeleton.js";
import { type Influences, type LoftSpec, type RingShape } from "./surface.js";

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

export const X: Vec3 = [1, 0, 0];
export const Y: Vec3 = [0, 1, 0];
export const Z: Vec3 = [0, 0, 1];

/** UV atlas cells (4 x 4 grid): each part maps onto its own rectangle. */
export function cell(col: number, row: number): readonly [number, number, number, number] {
  return [col / 4, row / 4, (col + 1) / 4, (row + 1) / 4];
}

/** Keys at every station plus `between` evenly spaced keys inside each interval. */
export function sampleKeys(stationKeys: readonly number[], between: readonly number[]): number[] {
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


export interface PartBuilder {
  spec: LoftSpec;
  influences: (p: Vec3) => Influences;
}

export function joint(frame: BodyFrame, name: string): Vec3 {
  return frame.joints[boneIndex(name)] as Vec3;
}

export function ring(center: Vec3, uPos: number, uNeg: number, vPos: number, vNeg: number, exponent: number): RingShape {
  return { center, uPos, uNeg, vPos, vNeg, exponent };
}
