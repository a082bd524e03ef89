/** The bodies the render scripts show: different builds, proportions, colours, hair and morphs. */
import type { BodyParams } from "../../sidecar/src/services/generate/body/index.js";

export const LINEUP: Array<{ label: string; params: Partial<BodyParams> }> = [
  { label: "default", params: {} },
  {
    label: "tall slender, long hair",
    params: {
      heightM: 1.95,
      build: "slender",
      shoulderWidth: 0.85,
      hipWidth: 1.1,
      hairLength: 1,
      skinColor: "#f1c7a5",
      hairColor: "#d9b35b",
      eyeColor: "#3c7a4a",
      clothingColors: ["#8e2c48", "#22252b", "#201a18"],
      morphs: { belly: 0, muscle: 0, bust: 0.8 },
    },
  },
  {
    label: "heavy, bald",
    params: {
      heightM: 1.7,
      build: "heavy",
      hipWidth: 1.2,
      hairLength: 0,
      skinColor: "#8d5a3b",
      clothingColors: ["#d8c79a", "#4d5e3a"],
      morphs: { belly: 1, muscle: 0, bust: 0 },
    },
  },
  {
    label: "athletic, broad",
    params: {
      heightM: 1.85,
      build: "athletic",
      shoulderWidth: 1.3,
      hipWidth: 0.85,
      armLength: 1.1,
      skinColor: "#5a3a28",
      hairColor: "#111111",
      clothingColors: ["#f0f0f0", "#1f3b73", "#eeeeee"],
      morphs: { belly: 0, muscle: 1, bust: 0 },
    },
  },
  {
    label: "short, big head, stocky",
    params: {
      heightM: 1.2,
      build: "stocky",
      headSize: 1.3,
      legLength: 0.7,
      armLength: 0.8,
      torsoLength: 1.2,
      hairLength: 0.55,
      skinColor: "#e0ac86",
      hairColor: "#b0442a",
      eyeColor: "#6b4226",
      clothingColors: ["#2e7d5b", "#5b3b1e", "#2a1d12"],
    },
  },
];
