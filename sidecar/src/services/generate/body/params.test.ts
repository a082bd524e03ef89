import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EnsoulError } from "../../../lib/errors.js";
import { characterSchema } from "../schema.js";
import {
  BODY_BUILDS,
  BODY_NUMBER_FIELDS,
  BODY_NUMBER_RANGES,
  DEFAULT_BODY_PARAMS,
  bodyParamsFromAppearance,
  resolveBodyParams,
} from "./params.js";

function refusal(input: unknown): EnsoulError {
  try {
    resolveBodyParams(input);
  } catch (err) {
    if (err instanceof EnsoulError) return err;
    throw err;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

describe("body parameters", () => {
  it("fills everything left out from the defaults", () => {
    expect(resolveBodyParams({})).toEqual(DEFAULT_BODY_PARAMS);
    const p = resolveBodyParams({ heightM: 1.6, morphs: { belly: 0.5 } });
    expect(p.heightM).toBe(1.6);
    expect(p.morphs).toEqual({ belly: 0.5, muscle: 0, bust: 0 });
    expect(p.skinColor).toBe(DEFAULT_BODY_PARAMS.skinColor);
  });

  it("accepts both ends of every numeric range and refuses just outside, naming the field", () => {
    for (const field of BODY_NUMBER_FIELDS) {
      const { min, max } = BODY_NUMBER_RANGES[field];
      expect(resolveBodyParams({ [field]: min })[field]).toBe(min);
      expect(resolveBodyParams({ [field]: max })[field]).toBe(max);
      for (const bad of [min - 0.01, max + 0.01, Number.NaN, "1", null]) {
        const err = refusal({ [field]: bad });
        expect(err.code).toBe("INVALID_ARGUMENT");
        expect(err.field).toBe(field);
        expect(err.message).toContain(field);
      }
    }
  });

  it("refuses bad colours, builds, palettes, morphs and unknown fields with the field named", () => {
    const cases: Array<[unknown, string]> = [
      [{ skinColor: "red" }, "skinColor"],
      [{ hairColor: "#12345" }, "hairColor"],
      [{ eyeColor: 0x123456 }, "eyeColor"],
      [{ build: "huge" }, "build"],
      [{ clothingColors: [] }, "clothingColors"],
      [{ clothingColors: ["#000000", "#111111", "#222222", "#333333", "#444444"] }, "clothingColors"],
      [{ clothingColors: ["#000000", "blue"] }, "clothingColors[1]"],
      [{ morphs: { belly: 2 } }, "morphs.belly"],
      [{ morphs: { tail: 1 } }, "morphs.tail"],
      [{ morphs: [1] }, "morphs"],
      [{ heigthM: 1.8 }, "heigthM"],
      [{ "": 1 }, 'params[""]'],
      [{ morphs: { "a b": 1 } }, 'morphs["a b"]'],
      [[1, 2], "params"],
      [null, "params"],
    ];
    for (const [input, field] of cases) {
      const err = refusal(input);
      expect(err.code).toBe("INVALID_ARGUMENT");
      expect(err.field).toBe(field);
    }
  });

  it("lower-cases colours so equal colours give equal bodies", () => {
    expect(resolveBodyParams({ skinColor: "#AABBCC" }).skinColor).toBe("#aabbcc");
  });

  it("accepts any in-range combination", () => {
    const arb = fc.record({
      heightM: fc.double({ min: 0.5, max: 3, noNaN: true }),
      build: fc.constantFrom(...BODY_BUILDS),
      headSize: fc.double({ min: 0.7, max: 1.3, noNaN: true }),
      hairLength: fc.double({ min: 0, max: 1, noNaN: true }),
      skinColor: fc.integer({ min: 0, max: 0xffffff }).map((n) => `#${n.toString(16).padStart(6, "0")}`),
    });
    fc.assert(
      fc.property(arb, (input) => {
        const p = resolveBodyParams(input);
        expect(p.heightM).toBe(input.heightM);
        expect(p.build).toBe(input.build);
      }),
      { seed: 8, numRuns: 200 },
    );
  });
});

describe("robustness", () => {
  it("answers any JSON with params or an INVALID_ARGUMENT, and maps any appearance without throwing", () => {
    const keys = fc.constantFrom("heightM", "build", "skinColor", "clothingColors", "morphs", "hairLength", "other");
    const value = fc.oneof(fc.jsonValue(), fc.double(), fc.constant("#a0b0c0"), fc.array(fc.constant("#000000")));
    const doc = fc.oneof(fc.jsonValue(), fc.dictionary(keys, value));
    fc.assert(
      fc.property(doc, (input) => {
        try {
          resolveBodyParams(input);
        } catch (err) {
          expect(err).toBeInstanceOf(EnsoulError);
          expect((err as EnsoulError).code).toBe("INVALID_ARGUMENT");
          expect((err as EnsoulError).field).toBeTruthy();
        }
        expect(() => bodyParamsFromAppearance(input)).not.toThrow();
      }),
      { seed: 3, numRuns: 300 },
    );
  });
});

describe("appearance mapping", () => {
  it("has a body for every build the character schema allows", () => {
    const appearance = (characterSchema().properties as Record<string, { properties: Record<string, { enum: string[] }> }>).appearance!;
    const schemaBuilds = appearance.properties.build!.enum;
    expect([...BODY_BUILDS].sort()).toEqual([...schemaBuilds].sort());
    for (const build of schemaBuilds) expect(bodyParamsFromAppearance({ build }).build).toBe(build);
  });

  it("takes the fields a character's appearance shares with the body and ignores the rest", () => {
    const p = bodyParamsFromAppearance({
      heightM: 1.62,
      build: "athletic",
      shoulderWidth: 1.1,
      skinColor: "#ffeedd",
      clothingColors: ["#112233", "not a colour", "#445566"],
      tattoo: "dragon",
    });
    expect(p.heightM).toBe(1.62);
    expect(p.build).toBe("athletic");
    expect(p.shoulderWidth).toBe(1.1);
    expect(p.skinColor).toBe("#ffeedd");
    expect(p.clothingColors).toEqual(["#112233", "#445566"]);
  });

  it("clamps out-of-range numbers, converts centimetres and never throws on content", () => {
    expect(bodyParamsFromAppearance({ heightM: 9, headSize: 0.1 })).toMatchObject({ heightM: 3, headSize: 0.7 });
    expect(bodyParamsFromAppearance({ heightCm: 180 }).heightM).toBeCloseTo(1.8, 9);
    expect(bodyParamsFromAppearance({ build: "HEAVY", eyeColor: "green" })).toMatchObject({
      build: "heavy",
      eyeColor: DEFAULT_BODY_PARAMS.eyeColor,
    });
    for (const junk of [null, 5, "tall", [], { heightM: "tall", clothingColors: "red", morphs: 3 }]) {
      expect(bodyParamsFromAppearance(junk)).toEqual(DEFAULT_BODY_PARAMS);
    }
  });
});
