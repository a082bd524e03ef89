/**
 * Parameter sets that cover the body's input space: first the extremes (both ends of every
 * range, every build, bald and long hair, every morph at full, all-minimum and all-maximum),
 * then seeded random sets. Used by the validator test and the bench, so both look at the same
 * bodies.
 */
import {
  BODY_BUILDS,
  BODY_NUMBER_FIELDS,
  BODY_NUMBER_RANGES,
  MORPH_NAMES,
  type BodyParams,
} from "./params.js";
import { seededRandom } from "../../../lib/random.js";

function hex(rand: () => number): string {
  return `#${Math.floor(rand() * 0x1000000).toString(16).padStart(6, "0")}`;
}

/** The extremes: every range's ends alone, then everything at its minimum and its maximum. */
export function extremeBodyParams(): Array<Partial<BodyParams>> {
  const out: Array<Partial<BodyParams>> = [];
  for (const field of BODY_NUMBER_FIELDS) {
    out.push({ [field]: BODY_NUMBER_RANGES[field].min }, { [field]: BODY_NUMBER_RANGES[field].max });
  }
  for (const build of BODY_BUILDS) out.push({ build });
  for (const morph of MORPH_NAMES) out.push({ morphs: { belly: 0, muscle: 0, bust: 0, [morph]: 1 } });
  const all = (end: "min" | "max"): Partial<BodyParams> => {
    const p: Partial<BodyParams> = {};
    for (const field of BODY_NUMBER_FIELDS) p[field] = BODY_NUMBER_RANGES[field][end];
    return p;
  };
  out.push(
    { ...all("min"), build: "slender", clothingColors: ["#000000"], skinColor: "#000000", hairColor: "#000000", eyeColor: "#000000" },
    {
      ...all("max"),
      build: "heavy",
      morphs: { belly: 1, muscle: 1, bust: 1 },
      clothingColors: ["#ffffff", "#ffffff", "#ffffff", "#ffffff"],
      skinColor: "#ffffff",
      hairColor: "#ffffff",
      eyeColor: "#ffffff",
    },
  );
  return out;
}

/** One random parameter set, every field drawn across its whole range. */
export function randomBodyParams(rand: () => number): BodyParams {
  const p = {} as Record<string, unknown>;
  for (const field of BODY_NUMBER_FIELDS) {
    const { min, max } = BODY_NUMBER_RANGES[field];
    p[field] = min + (max - min) * rand();
  }
  p.build = BODY_BUILDS[Math.floor(rand() * BODY_BUILDS.length)];
  p.skinColor = hex(rand);
  p.hairColor = hex(rand);
  p.eyeColor = hex(rand);
  p.clothingColors = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => hex(rand));
  p.morphs = { belly: rand(), muscle: rand(), bust: rand() };
  if (rand() < 0.1) p.hairLength = 0;
  return p as unknown as BodyParams;
}

/** `count` parameter sets: the extremes first, then seeded random ones. */
export function bodyParamSamples(count: number, seed: number): Array<Partial<BodyParams>> {
  const rand = seededRandom(seed);
  const out = extremeBodyParams().slice(0, count);
  while (out.length < count) out.push(randomBodyParams(rand));
  return out;
}
