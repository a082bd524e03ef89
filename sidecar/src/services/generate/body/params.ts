/**
 * The body generator's input: plain numbers and colours, each with a range and a default.
 * A character's `appearance` maps onto it (see `bodyParamsFromAppearance`); a request that
 * names a value outside its range is refused with the field named, never silently clamped.
 */
import { EnsoulError } from "../../../lib/errors.js";
import { BUILDS, type Build } from "../character.js";

/**
 * Overall body type; shapes the girth of torso and limbs (fat and muscle). The same list as a
 * character's appearance.build, so every character's build has a body.
 */
export const BODY_BUILDS = BUILDS;
export type BodyBuild = Build;

/** Morph targets every body carries; the values here are their default weights. */
export const MORPH_NAMES = ["belly", "muscle", "bust"] as const;
export type MorphName = (typeof MORPH_NAMES)[number];

export interface BodyParams {
  /** Standing height to the top of the skull, metres (hair may add a little). */
  heightM: number;
  build: BodyBuild;
  /** Proportions relative to an average adult of the same height (1 = average). */
  shoulderWidth: number;
  hipWidth: number;
  armLength: number;
  legLength: number;
  torsoLength: number;
  headSize: number;
  /** 0 = bald, about 0.3 = short, 1 = down to the shoulders. */
  hairLength: number;
  /** "#rrggbb" (sRGB). */
  skinColor: string;
  hairColor: string;
  eyeColor: string;
  /** Clothing palette, 1 to 4 colours: top, bottom, shoes, (a 4th is accepted and unused). */
  clothingColors: string[];
  /** Default weights of the morph targets, each 0..1. */
  morphs: Record<MorphName, number>;
}

export interface NumberRange {
  min: number;
  max: number;
}

/** Ranges of the numeric fields (inclusive). Tests sweep the extremes of every one. */
export const BODY_NUMBER_RANGES = {
  heightM: { min: 0.5, max: 3 },
  shoulderWidth: { min: 0.7, max: 1.3 },
  hipWidth: { min: 0.7, max: 1.3 },
  armLength: { min: 0.7, max: 1.3 },
  legLength: { min: 0.7, max: 1.3 },
  torsoLength: { min: 0.7, max: 1.3 },
  headSize: { min: 0.7, max: 1.3 },
  hairLength: { min: 0, max: 1 },
} as const satisfies Record<string, NumberRange>;

export type BodyNumberField = keyof typeof BODY_NUMBER_RANGES;
export const BODY_NUMBER_FIELDS = Object.keys(BODY_NUMBER_RANGES) as BodyNumberField[];

export const MORPH_RANGE: NumberRange = { min: 0, max: 1 };
export const MAX_CLOTHING_COLORS = 4;

export const DEFAULT_BODY_PARAMS: Readonly<BodyParams> = Object.freeze({
  heightM: 1.75,
  build: "average",
  shoulderWidth: 1,
  hipWidth: 1,
  armLength: 1,
  legLength: 1,
  torsoLength: 1,
  headSize: 1,
  hairLength: 0.3,
  skinColor: "#c68863",
  hairColor: "#3b2a1e",
  eyeColor: "#4a6a8a",
  clothingColors: ["#3d5a80", "#2f3640", "#4a3426"],
  morphs: { belly: 0, muscle: 0, bust: 0 },
});

const HEX_COLOR = /^#[0-9a-fA-F]{6}$/;
const COLOR_FIELDS = ["skinColor", "hairColor", "eyeColor"] as const;
const KNOWN_FIELDS = new Set<string>([
  ...BODY_NUMBER_FIELDS,
  ...COLOR_FIELDS,
  "build",
  "clothingColors",
  "morphs",
]);

function invalid(field: string, message: string): EnsoulError {
  return new EnsoulError("INVALID_ARGUMENT", `${field}: ${message}`, { field });
}

/** How a field is named in errors: plain names as they are, odd ones quoted (e.g. `params[""]`). */
function fieldName(parent: string | null, key: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return parent === null ? key : `${parent}.${key}`;
  return `${parent ?? "params"}[${JSON.stringify(key)}]`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkNumber(field: string, value: unknown, range: NumberRange): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw invalid(field, `must be a finite number, got ${JSON.stringify(value) ?? String(value)}`);
  }
  if (value < range.min || value > range.max) {
    throw invalid(field, `must be between ${range.min} and ${range.max}, got ${value}`);
  }
  return value;
}

function checkColor(field: string, value: unknown): string {
  if (typeof value !== "string" || !HEX_COLOR.test(value)) {
    throw invalid(field, `must be a colour "#rrggbb", got ${JSON.stringify(value) ?? String(value)}`);
  }
  return value.toLowerCase();
}

/**
 * Checks a (partial) BodyParams object and fills what it leaves out from the defaults.
 * Unknown fields are refused too: a misspelt "heigthM" should not quietly give a default body.
 */
export function resolveBodyParams(input: unknown): BodyParams {
  if (!isRecord(input)) throw invalid("params", "must be an object");
  for (const key of Object.keys(input)) {
    if (!KNOWN_FIELDS.has(key)) throw invalid(fieldName(null, key), "is not a body parameter");
  }
  const out: BodyParams = {
    ...DEFAULT_BODY_PARAMS,
    clothingColors: [...DEFAULT_BODY_PARAMS.clothingColors],
    morphs: { ...DEFAULT_BODY_PARAMS.morphs },
  };
  for (const field of BODY_NUMBER_FIELDS) {
    if (input[field] !== undefined) out[field] = checkNumber(field, input[field], BODY_NUMBER_RANGES[field]);
  }
  for (const field of COLOR_FIELDS) {
    if (input[field] !== undefined) out[field] = checkColor(field, input[field]);
  }
  if (input.build !== undefined) {
    if (typeof input.build !== "string" || !(BODY_BUILDS as readonly string[]).includes(input.build)) {
      throw invalid("build", `must be one of ${BODY_BUILDS.join(", ")}, got ${JSON.stringify(input.build)}`);
    }
    out.build = input.build as BodyBuild;
  }
  if (input.clothingColors !== undefined) {
    const colors = input.clothingColors;
    if (!Array.isArray(colors) || colors.length < 1 || colors.length > MAX_CLOTHING_COLORS) {
      throw invalid("clothingColors", `must be an array of 1 to ${MAX_CLOTHING_COLORS} colours`);
    }
    out.clothingColors = colors.map((c, i) => checkColor(`clothingColors[${i}]`, c));
  }
  if (input.morphs !== undefined) {
    if (!isRecord(input.morphs)) throw invalid("morphs", "must be an object of weights");
    for (const key of Object.keys(input.morphs)) {
      if (!(MORPH_NAMES as readonly string[]).includes(key)) {
        throw invalid(fieldName("morphs", key), `is not a morph target (${MORPH_NAMES.join(", ")})`);
      }
      out.morphs[key as MorphName] = checkNumber(`morphs.${key}`, input.morphs[key], MORPH_RANGE);
    }
  }
  return out;
}

function clamp(value: number, range: NumberRange): number {
  return Math.min(range.max, Math.max(range.min, value));
}

/**
 * Best-effort mapping of a character's `appearance` object onto BodyParams: fields with the
 * same names are taken, numbers are clamped into range, heights given in centimetres are
 * converted, and anything unusable is left at its default. Never throws on content.
 */
export function bodyParamsFromAppearance(appearance: unknown): BodyParams {
  const out: Record<string, unknown> = {};
  if (!isRecord(appearance)) return resolveBodyParams(out);
  for (const field of BODY_NUMBER_FIELDS) {
    let value = appearance[field];
    if (field === "heightM" && value === undefined) {
      const cm = appearance.heightCm ?? appearance.height;
      if (typeof cm === "number") value = cm > 3 ? cm / 100 : cm;
    }
    if (typeof value === "number" && Number.isFinite(value)) out[field] = clamp(value, BODY_NUMBER_RANGES[field]);
  }
  for (const field of COLOR_FIELDS) {
    const value = appearance[field];
    if (typeof value === "string" && HEX_COLOR.test(value)) out[field] = value;
  }
  const build = appearance.build;
  if (typeof build === "string" && (BODY_BUILDS as readonly string[]).includes(build.toLowerCase())) {
    out.build = build.toLowerCase();
  }
  const colors = appearance.clothingColors;
  if (Array.isArray(colors)) {
    const good = colors.filter((c): c is string => typeof c === "string" && HEX_COLOR.test(c));
    if (good.length > 0) out.clothingColors = good.slice(0, MAX_CLOTHING_COLORS);
  }
  const morphs = appearance.morphs;
  if (isRecord(morphs)) {
    const m: Record<string, number> = {};
    for (const name of MORPH_NAMES) {
      const v = morphs[name];
      if (typeof v === "number" && Number.isFinite(v)) m[name] = clamp(v, MORPH_RANGE);
    }
    out.morphs = m;
  }
  return resolveBodyParams(out);
}
