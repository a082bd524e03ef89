/**
 * The body's parts as lofts: torso (with the neck), head, eyes, hair, arms, hands, thumbs, legs
 * and feet. Each part knows its cross-sections (from the layout and the shape), the material of
 * each band (skin, or the clothing painted on it) and how its vertices follow the bones.
 * The parts live in torso.ts, head.ts and limbs.ts. Their shapes are written in nominal units
 * (an average adult about 1 tall) times `s`, the layout's scale, so every number there reads
 * as a fraction of body height.
 */
import { eye, faceParts, hair, head } from "./head.js";
import { arm, finger, foot, hand, leg, thumb } from "./limbs.js";
import type { BodyParams } from "./params.js";
import type { PartBuilder, ShapeState } from "./part-kit.js";
import type { BodyFrame } from "./skeleton.js";
import { loft, skinSurface, type Surface } from "./surface.js";
import { torso } from "./torso.js";

export { baseShape, MAT, MATERIAL_NAMES, MUSCLE_MORPH_GAIN, type ShapeState } from "./part-kit.js";

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
      ...[0, 1, 2, 3].map((i): [boolean, () => PartBuilder] => [false, () => finger(params, frame, side, i)]),
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
