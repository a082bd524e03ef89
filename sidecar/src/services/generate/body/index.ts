/**
 * The character body: a rigged, skinned glTF humanoid built from appearance parameters.
 *
 *   const glb = await buildBody({ heightM: 1.62, build: "athletic", hairColor: "#aa3311" });
 *
 * The skeleton follows Godot 4's SkeletonProfileHumanoid (names, parents, order), so the .glb
 * retargets in Godot with no manual bone mapping. Same parameters give the same bytes.
 */
export { buildBody } from "./build.js";
export {
  BODY_BUILDS,
  BODY_NUMBER_RANGES,
  DEFAULT_BODY_PARAMS,
  MORPH_NAMES,
  bodyParamsFromAppearance,
  resolveBodyParams,
  type BodyBuild,
  type BodyParams,
  type MorphName,
} from "./params.js";
export { HUMANOID_BONES, layoutBody, type BodyFrame } from "./skeleton.js";
export { registerBodyCommand } from "./cli.js";
