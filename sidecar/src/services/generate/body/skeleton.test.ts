import { describe, expect, it } from "vitest";
import { DEFAULT_BODY_PARAMS, resolveBodyParams } from "./params.js";
import { HUMANOID_BONES, boneIndex, layoutBody } from "./skeleton.js";

/**
 * Godot 4's SkeletonProfileHumanoid (scene/resources/skeleton_profile.cpp), bone by bone in the
 * profile's order: [name, parent]. Written out by hand from the engine source as the reference.
 */
const GODOT_HUMANOID: Array<[string, string | null]> = [
  ["Root", null], ["Hips", "Root"], ["Spine", "Hips"], ["Chest", "Spine"], ["UpperChest", "Chest"],
  ["Neck", "UpperChest"], ["Head", "Neck"], ["LeftEye", "Head"], ["RightEye", "Head"], ["Jaw", "Head"],
  ["LeftShoulder", "UpperChest"], ["LeftUpperArm", "LeftShoulder"], ["LeftLowerArm", "LeftUpperArm"],
  ["LeftHand", "LeftLowerArm"], ["LeftThumbMetacarpal", "LeftHand"], ["LeftThumbProximal", "LeftThumbMetacarpal"],
  ["LeftThumbDistal", "LeftThumbProximal"], ["LeftIndexProximal", "LeftHand"], ["LeftIndexIntermediate", "LeftIndexProximal"],
  ["LeftIndexDistal", "LeftIndexIntermediate"], ["LeftMiddleProximal", "LeftHand"], ["LeftMiddleIntermediate", "LeftMiddleProximal"],
  ["LeftMiddleDistal", "LeftMiddleIntermediate"], ["LeftRingProximal", "LeftHand"], ["LeftRingIntermediate", "LeftRingProximal"],
  ["LeftRingDistal", "LeftRingIntermediate"], ["LeftLittleProximal", "LeftHand"], ["LeftLittleIntermediate", "LeftLittleProximal"],
  ["LeftLittleDistal", "LeftLittleIntermediate"],
  ["RightShoulder", "UpperChest"], ["RightUpperArm", "RightShoulder"], ["RightLowerArm", "RightUpperArm"],
  ["RightHand", "RightLowerArm"], ["RightThumbMetacarpal", "RightHand"], ["RightThumbProximal", "RightThumbMetacarpal"],
  ["RightThumbDistal", "RightThumbProximal"], ["RightIndexProximal", "RightHand"], ["RightIndexIntermediate", "RightIndexProximal"],
  ["RightIndexDistal", "RightIndexIntermediate"], ["RightMiddleProximal", "RightHand"], ["RightMiddleIntermediate", "RightMiddleProximal"],
  ["RightMiddleDistal", "RightMiddleIntermediate"], ["RightRingProximal", "RightHand"], ["RightRingIntermediate", "RightRingProximal"],
  ["RightRingDistal", "RightRingIntermediate"], ["RightLittleProximal", "RightHand"], ["RightLittleIntermediate", "RightLittleProximal"],
  ["RightLittleDistal", "RightLittleIntermediate"],
  ["LeftUpperLeg", "Hips"], ["LeftLowerLeg", "LeftUpperLeg"], ["LeftFoot", "LeftLowerLeg"], ["LeftToes", "LeftFoot"],
  ["RightUpperLeg", "Hips"], ["RightLowerLeg", "RightUpperLeg"], ["RightFoot", "RightLowerLeg"], ["RightToes", "RightFoot"],
];

describe("humanoid skeleton", () => {
  it("has Godot's 56 humanoid bones with the same names, parents and order", () => {
    expect(GODOT_HUMANOID).toHaveLength(56);
    const ours = HUMANOID_BONES.map((b) => [b.name, b.parent < 0 ? null : HUMANOID_BONES[b.parent]?.name]);
    expect(ours).toEqual(GODOT_HUMANOID);
  });

  it("lists every parent before its children", () => {
    HUMANOID_BONES.forEach((b, i) => expect(b.parent).toBeLessThan(i));
  });

  it("lays out a T-pose facing +Z with the character's left at +X", () => {
    const f = layoutBody(resolveBodyParams({}));
    const at = (name: string) => f.joints[boneIndex(name)] as [number, number, number];
    expect(at("LeftHand")[0]).toBeGreaterThan(0.5);
    expect(at("RightHand")[0]).toBeLessThan(-0.5);
    expect(at("LeftUpperLeg")[0]).toBeGreaterThan(0);
    // Arms level with the shoulders (T-pose), toes in front of the ankle, eyes in front of the head.
    expect(at("LeftHand")[1]).toBeCloseTo(at("LeftUpperArm")[1], 6);
    expect(at("LeftToes")[2]).toBeGreaterThan(at("LeftFoot")[2]);
    expect(at("LeftEye")[2]).toBeGreaterThan(at("Head")[2]);
    // The spine climbs: each bone of the chain above its parent.
    for (const name of ["Spine", "Chest", "UpperChest", "Neck", "Head"]) {
      const b = HUMANOID_BONES[boneIndex(name)]!;
      expect(at(name)[1]).toBeGreaterThan((f.joints[b.parent] as number[])[1] as number);
    }
  });

  it("scales the whole skeleton with height and puts the skull top at heightM", () => {
    for (const heightM of [0.5, 1.75, 3]) {
      const f = layoutBody({ ...DEFAULT_BODY_PARAMS, heightM });
      expect(f.skullTopY).toBeCloseTo(heightM, 9);
      const hand = f.joints[boneIndex("LeftHand")] as number[];
      expect((hand[0] as number) / heightM).toBeCloseTo(0.4, 1);
    }
  });

  it("moves the knees with legLength and the wrists with armLength", () => {
    const base = layoutBody(resolveBodyParams({}));
    const longLegs = layoutBody(resolveBodyParams({ legLength: 1.3 }));
    const longArms = layoutBody(resolveBodyParams({ armLength: 1.3 }));
    expect(longLegs.hipJointY / longLegs.skullTopY).toBeGreaterThan(base.hipJointY / base.skullTopY);
    expect(longArms.wristX).toBeGreaterThan(base.wristX);
  });
});
