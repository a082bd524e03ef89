/**
 * The humanoid skeleton: bone names, parents and order exactly as Godot 4's
 * SkeletonProfileHumanoid, so Godot's retargeting (BoneMap) matches every bone by name with no
 * manual work. Rest pose is a T-pose in metres, +Y up, the character facing +Z, so its left
 * side is +X. Every bone's rest rotation is identity: a joint is just a point.
 */
import type { BodyParams } from "./params.js";

export interface BoneDef {
  name: string;
  /** Index of the parent in HUMANOID_BONES, -1 for the root. */
  parent: number;
}

const FINGERS = ["Index", "Middle", "Ring", "Little"] as const;
const FINGER_SEGMENTS = ["Proximal", "Intermediate", "Distal"] as const;

function buildBoneTable(): BoneDef[] {
  const bones: BoneDef[] = [];
  const index = new Map<string, number>();
  const add = (name: string, parent: string | null): void => {
    index.set(name, bones.length);
    bones.push({ name, parent: parent === null ? -1 : (index.get(parent) as number) });
  };
  add("Root", null);
  add("Hips", "Root");
  add("Spine", "Hips");
  add("Chest", "Spine");
  add("UpperChest", "Chest");
  add("Neck", "UpperChest");
  add("Head", "Neck");
  add("LeftEye", "Head");
  add("RightEye", "Head");
  add("Jaw", "Head");
  for (const side of ["Left", "Right"]) {
    add(`${side}Shoulder`, "UpperChest");
    add(`${side}UpperArm`, `${side}Shoulder`);
    add(`${side}LowerArm`, `${side}UpperArm`);
    add(`${side}Hand`, `${side}LowerArm`);
    add(`${side}ThumbMetacarpal`, `${side}Hand`);
    add(`${side}ThumbProximal`, `${side}ThumbMetacarpal`);
    add(`${side}ThumbDistal`, `${side}ThumbProximal`);
    for (const finger of FINGERS) {
      let parent = `${side}Hand`;
      for (const segment of FINGER_SEGMENTS) {
        add(`${side}${finger}${segment}`, parent);
        parent = `${side}${finger}${segment}`;
      }
    }
  }
  for (const side of ["Left", "Right"]) {
    add(`${side}UpperLeg`, "Hips");
    add(`${side}LowerLeg`, `${side}UpperLeg`);
    add(`${side}Foot`, `${side}LowerLeg`);
    add(`${side}Toes`, `${side}Foot`);
  }
  return bones;
}

/** The 56 bones of SkeletonProfileHumanoid, in the profile's order. */
export const HUMANOID_BONES: readonly BoneDef[] = Object.freeze(buildBoneTable());

const BONE_INDEX = new Map(HUMANOID_BONES.map((b, i) => [b.name, i]));

/** Index of a bone by name; throws on a name that is not in the profile (a programming error). */
export function boneIndex(name: string): number {
  const i = BONE_INDEX.get(name);
  if (i === undefined) throw new Error(`unknown bone ${name}`);
  return i;
}

export type Vec3 = [number, number, number];

/** The body's layout in metres: where each joint sits, and a few lengths the mesh needs. */
export interface BodyFrame {
  /** Global rest position of every bone, in HUMANOID_BONES order. */
  joints: Vec3[];
  /** Uniform scale from the nominal unit body (about 1 tall) to metres. */
  scale: number;
  /** Named heights and sizes (metres) that the mesh parts share. */
  skullTopY: number;
  headCenterY: number;
  /** Half-sizes of the skull: x, y, and z to the front (the back is a little deeper). */
  headHalf: Vec3;
  headCenterZ: number;
  eyeRadius: number;
  hipJointY: number;
  kneeY: number;
  ankleY: number;
  shoulderY: number;
  wristX: number;
  handLength: number;
  footLength: number;
}

/**
 * Lays out the joints for the given proportions. The body is first built in nominal units
 * (an average adult is about 1 tall) and then scaled so that the skull top is at heightM.
 */
export function layoutBody(p: BodyParams): BodyFrame {
  const h = p.headSize;
  const legF = p.legLength;
  const torsoF = p.torsoLength;
  const armF = p.armLength;

  const ankleY = 0.045;
  const kneeY = ankleY + 0.24 * legF;
  const hipJointY = kneeY + 0.245 * legF;
  const hipsY = hipJointY + 0.025;
  const spineY = hipsY + 0.065 * torsoF;
  const chestY = spineY + 0.08 * torsoF;
  const upperChestY = chestY + 0.08 * torsoF;
  const neckY = upperChestY + 0.085 * torsoF;
  const headY = neckY + 0.045 * h;
  const headHalf: Vec3 = [0.045 * h, 0.066 * h, 0.056 * h];
  const headCenterY = headY + 0.03 * h;
  const skullTopY = headCenterY + headHalf[1];
  const shoulderY = upperChestY + 0.055 * torsoF;

  const upperArmX = 0.1 * p.shoulderWidth;
  const elbowX = upperArmX + 0.165 * armF;
  const wristX = elbowX + 0.14 * armF;
  const handLength = 0.108 * armF;
  const legX = 0.052 * p.hipWidth;
  const footLength = 0.15;

  const nominal = new Map<string, Vec3>();
  nominal.set("Root", [0, 0, 0]);
  nominal.set("Hips", [0, hipsY, 0]);
  nominal.set("Spine", [0, spineY, 0]);
  nominal.set("Chest", [0, chestY, 0]);
  nominal.set("UpperChest", [0, upperChestY, 0]);
  nominal.set("Neck", [0, neckY, 0]);
  nominal.set("Head", [0, headY, 0]);
  nominal.set("Jaw", [0, headY, 0.02 * h]);
  // Each eye joint is the centre of its eyeball, sunk into the front of the skull so that a
  // little under half of the ball shows: rotating the joint turns the eye in place.
  const headCenterZ = 0.004 * h;
  const eyeRadius = 0.0075 * h;
  const eyeX = 0.02 * h;
  const eyeDy = -0.006 * h;
  const surfaceZ =
    headCenterZ + headHalf[2] * Math.sqrt(1 - (eyeX / headHalf[0]) ** 2 - (eyeDy / headHalf[1]) ** 2);
  const eyeZ = surfaceZ - 0.55 * eyeRadius;
  nominal.set("LeftEye", [eyeX, headCenterY + eyeDy, eyeZ]);
  nominal.set("RightEye", [-eyeX, headCenterY + eyeDy, eyeZ]);

  for (const [side, sx] of [["Left", 1], ["Right", -1]] as const) {
    nominal.set(`${side}Shoulder`, [0.02 * sx, upperChestY + 0.04 * torsoF, 0]);
    nominal.set(`${side}UpperArm`, [upperArmX * sx, shoulderY, 0]);
    nominal.set(`${side}LowerArm`, [elbowX * sx, shoulderY, 0]);
    nominal.set(`${side}Hand`, [wristX * sx, shoulderY, 0]);
    // The palm faces down in the T-pose: fingers run along +X (outwards), the thumb forwards.
    const palm = 0.5 * handLength;
    const knuckleX = wristX + palm;
    const fingerLen = handLength - palm;
    const spread = [0.018, 0.006, -0.006, -0.017];
    FINGERS.forEach((finger, fi) => {
      const z = (spread[fi] as number) * armF;
      const len = fi === 3 ? fingerLen * 0.8 : fi === 1 ? fingerLen * 1.05 : fingerLen;
      const x = knuckleX - (fi === 3 ? 0.006 * armF : 0);
      const parts = [0, 0.45, 0.75];
      FINGER_SEGMENTS.forEach((seg, si) => {
        nominal.set(`${side}${finger}${seg}`, [(x + (parts[si] as number) * len) * sx, shoulderY - 0.002, z]);
      });
    });
    const thumbBase: Vec3 = [(wristX + 0.012 * armF) * sx, shoulderY - 0.008, 0.016 * armF];
    nominal.set(`${side}ThumbMetacarpal`, thumbBase);
    nominal.set(`${side}ThumbProximal`, [thumbBase[0] + 0.022 * armF * sx, thumbBase[1], thumbBase[2] + 0.016 * armF]);
    nominal.set(`${side}ThumbDistal`, [thumbBase[0] + 0.038 * armF * sx, thumbBase[1], thumbBase[2] + 0.026 * armF]);

    nominal.set(`${side}UpperLeg`, [legX * sx, hipJointY, 0]);
    // Thighs slope inwards a little, as a femur does: knees and feet closer than the hips.
    nominal.set(`${side}LowerLeg`, [legX * 0.86 * sx, kneeY, 0]);
    nominal.set(`${side}Foot`, [legX * 0.8 * sx, ankleY, -0.005]);
    nominal.set(`${side}Toes`, [legX * 0.8 * sx, 0.012, 0.085]);
  }

  const scale = p.heightM / skullTopY;
  const joints = HUMANOID_BONES.map((b) => {
    const v = nominal.get(b.name);
    if (v === undefined) throw new Error(`no layout for bone ${b.name}`);
    return [v[0] * scale, v[1] * scale, v[2] * scale] as Vec3;
  });
  return {
    joints,
    scale,
    skullTopY: skullTopY * scale,
    headCenterY: headCenterY * scale,
    headHalf: [headHalf[0] * scale, headHalf[1] * scale, headHalf[2] * scale],
    headCenterZ: headCenterZ * scale,
    eyeRadius: eyeRadius * scale,
    hipJointY: hipJointY * scale,
    kneeY: kneeY * scale,
    ankleY: ankleY * scale,
    shoulderY: shoulderY * scale,
    wristX: wristX * scale,
    handLength: handLength * scale,
    footLength: footLength * scale,
  };
}
