/**
 * Body and numbers: appearance parameters within the species' ranges (build weighed by species
 * and trade together), ability scores ordered by the role's priorities, skills and equipment.
 */
import {
  ATTRIBUTE_NAMES,
  type Appearance,
  type Attributes,
  type Build,
  type Character,
  type EquipmentItem,
  type Skill,
} from "../character.js";
import type { Draft } from "./draft.js";
import type { Rng } from "./prng.js";
import type { Range } from "./species.js";

const GREY_HAIR = ["#8c8c8c", "#b4b4b0", "#d8d6d0", "#efeeea"];

const BUILD_SHAPE: Record<Build, number> = { slender: -0.08, lean: -0.04, average: 0, athletic: 0.04, stocky: 0.06, heavy: 0.08 };

export function composeAppearance(d: Draft): Appearance {
  const { rng, species, role } = d;
  const builds = species.builds.map(([build, w]) => {
    const roleWeight = role.builds.find(([b]) => b === build)?.[1] ?? 0.5;
    return [build, w * roleWeight] as const;
  });
  const build = rng.weighted(builds);
  const shape = BUILD_SHAPE[build];
  const ratio = (range: Range, extra = 0): number => round2(clamp(rng.bell(range[0], range[1]) + extra, 0.7, 1.3));
  const hair = d.old && rng.chance(0.7) ? rng.pick(GREY_HAIR) : rng.pick(species.hair);
  return {
    heightM: round2(clamp(rng.bell(species.heightM[0], species.heightM[1]), 0.5, 3)),
    build,
    shoulderWidth: ratio(species.shoulderWidth, shape),
    hipWidth: ratio(species.hipWidth, shape * 0.6),
    armLength: ratio(species.armLength),
    legLength: ratio(species.legLength),
    headSize: ratio(species.headSize),
    skinColor: jitter(rng, rng.pick(species.skin), 6),
    hairColor: jitter(rng, hair, 8),
    eyeColor: jitter(rng, rng.pick(species.eyes), 10),
    clothingColors: rng.sample(role.clothing, rng.int(2, 3)).map((c) => jitter(rng, c, 12)),
  };
}

/**
 * Scores 15, 14, 13, 12, 10, 8 handed out by the role's priorities (a neighbour swap now and
 * then), then species and trait nudges, a point per four levels to the top two, and a little luck.
 */
export function composeAttributes(d: Draft): Attributes {
  const { rng } = d;
  const order = d.role.attributePriority.slice();
  for (let i = 0; i + 1 < order.length; i++) {
    if (rng.chance(0.2)) [order[i], order[i + 1]] = [order[i + 1]!, order[i]!];
  }
  const base = [15, 14, 13, 12, 10, 8];
  const scores = {} as Attributes;
  order.forEach((name, i) => {
    scores[name] = (base[i] ?? 10) + (i < 2 ? Math.floor(d.level / 4) : 0);
  });
  for (const name of ATTRIBUTE_NAMES) {
    let score = scores[name] + (d.species.attributeBonus[name] ?? 0) + rng.int(-1, 1);
    for (const trait of d.traits) score += trait.attributeNudge?.[name] ?? 0;
    if (d.old && (name === "strength" || name === "dexterity")) score -= 1;
    if (d.old && name === "wisdom") score += 1;
    scores[name] = clamp(score, 1, 20);
  }
  // Rebuild in the canonical order so the JSON reads the same for every character.
  const ordered = {} as Attributes;
  for (const name of ATTRIBUTE_NAMES) ordered[name] = scores[name];
  return ordered;
}

/** The role's first skill always, then others; rank grows with level. */
export function composeSkills(d: Draft): Skill[] {
  const { rng, role } = d;
  const [main, ...rest] = role.skills;
  const chosen = [main!, ...rng.sample(rest, rng.int(2, Math.min(4, rest.length)))];
  return chosen.map(([name, description], i) => ({
    name,
    rank: clamp(1 + Math.floor(d.level / 5) + (i === 0 ? 1 : 0) + rng.int(0, 1) - (i > 2 ? 1 : 0), 1, 5),
    description,
  }));
}

export function composeAbilities(d: Draft): Character["abilities"] {
  const count = Math.min(d.role.abilities.length, 1 + Math.floor(d.level / 6));
  return d.rng.sample(d.role.abilities, count).map(([name, description]) => ({ name, description }));
}

const TRINKETS: readonly (readonly [string, string])[] = [
  ["Lucky coin", "A coin with a hole bored through it, worn on a string."],
  ["Carved whistle", "A bone whistle carved as a bird."],
  ["Pipe", "A clay pipe and a pouch of bitter leaf."],
  ["Dice", "A pair of bone dice, one slightly heavier."],
  ["Prayer beads", "Wooden beads worn smooth."],
  ["Pressed flower", "A dried flower kept between two thin boards."],
  ["Old letter", "Read so often the folds have torn."],
];

export function composeEquipment(d: Draft): EquipmentItem[] {
  const items: EquipmentItem[] = d.role.equipment.map(([name, slot, description]) => ({ name, slot, description }));
  for (const m of d.motifs) {
    if (m.kind === "debt") items.push({ name: "Crumpled IOU", slot: "pack", description: `A note for ${m.amount} gold crowns, owed to ${m.target}.` });
    if (m.kind === "love") items.push({ name: "Keepsake locket", slot: "neck", description: `Holds a likeness of ${m.target}.` });
    if (m.kind === "search") items.push({ name: "Worn sketch", slot: "pack", description: `A sketch used to ask after ${m.target}.` });
    if (m.kind === "loyalty") items.push({ name: "Token of service", slot: "belt", description: `Marks the bearer as sworn to ${m.target}.` });
  }
  const [name, description] = d.rng.pick(TRINKETS);
  items.push({ name, slot: "pack", description });
  return items.slice(0, 10);
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function jitter(rng: Rng, hex: string, amount: number): string {
  let out = "#";
  for (let i = 1; i < 7; i += 2) {
    const channel = clamp(parseInt(hex.slice(i, i + 2), 16) + rng.int(-amount, amount), 0, 255);
    out += channel.toString(16).padStart(2, "0");
  }
  return out;
}
