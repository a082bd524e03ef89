/** Builds a body: layout, surfaces for the base and each morph target, then the document. */
import { bodyDocument, writeGlb } from "./gltf.js";
import { MORPH_NAMES, resolveBodyParams, type BodyParams } from "./params.js";
import { baseShape, buildBodySurfaces, MUSCLE_MORPH_GAIN, type ShapeState } from "./parts.js";
import { layoutBody } from "./skeleton.js";

/** The shape each morph target is built with, from the base shape. */
function targetShape(base: ShapeState, morph: (typeof MORPH_NAMES)[number]): ShapeState {
  switch (morph) {
    case "belly":
      return { ...base, belly: 1 };
    case "muscle":
      return { ...base, muscle: base.muscle + MUSCLE_MORPH_GAIN };
    case "bust":
      return { ...base, bust: 1 };
  }
}

/**
 * Builds a body as .glb bytes. `params` may be partial (defaults fill the rest); a value out of
 * range is refused with EnsoulError INVALID_ARGUMENT naming the field.
 */
export async function buildBody(params: Partial<BodyParams> | BodyParams): Promise<Uint8Array> {
  const p = resolveBodyParams(params);
  const frame = layoutBody(p);
  const shape = baseShape(p.build);
  const base = buildBodySurfaces(p, frame, shape, true);
  const targets = MORPH_NAMES.map((m) => buildBodySurfaces(p, frame, targetShape(shape, m), false, base));
  return writeGlb(bodyDocument({ params: p, frame, base, targets }));
}
