/**
 * The character document in TypeScript: the same shape as
 * shared-schema/json/character.schema.json (version 1). The schema is the contract; these types
 * follow it, and schema.test.ts checks that a generated character passes the schema.
 */

export const CHARACTER_SCHEMA_VERSION = 1;

export const PRONOUNS = ["he/him", "she/her", "they/them", "it/its"] as const;
export type Pronouns = (typeof PRONOUNS)[number];

export const ATTRIBUTE_NAMES = [
  "strength",
  "dexterity",
  "constitution",
  "intelligence",
  "wisdom",
  "charisma",
] as const;
export type AttributeName = (typeof ATTRIBUTE_NAMES)[number];
export type Attributes = Record<AttributeName, number>;

export const BARK_SITUATIONS = ["idle", "alert", "combat", "fleeing", "hurt", "victory", "trade"] as const;
export type BarkSituation = (typeof BARK_SITUATIONS)[number];

export const REACTION_TRIGGERS = [
  "threatened",
  "attacked",
  "insulted",
  "robbed",
  "bribed",
  "ally_hurt",
  "stranger_approaches",
  "asked_for_help",
  "sees_gold",
  "creditor_arrives",
] as const;
export type ReactionTrigger = (typeof REACTION_TRIGGERS)[number];

export const BUILDS = ["slender", "lean", "average", "athletic", "stocky", "heavy"] as const;
export type Build = (typeof BUILDS)[number];

export const EQUIPMENT_SLOTS = [
  "head",
  "body",
  "hands",
  "feet",
  "main_hand",
  "off_hand",
  "back",
  "belt",
  "neck",
  "ring",
  "pack",
] as const;
export type EquipmentSlot = (typeof EQUIPMENT_SLOTS)[number];

/** A planner task as the planner takes it: `[name, ...arguments]`. */
export type PlannerTask = [string, ...string[]];

export interface Skill {
  name: string;
  rank: number;
  description: string;
}

export interface Ability {
  name: string;
  description: string;
}

/**
 * One thing the character wants. `kind: "task"` carries `task`; `kind: "goal"` carries
 * `variable`, `argument` and `value` (the planner's state goal `variable[argument] = value`).
 */
export interface Goal {
  description: string;
  kind: "task" | "goal";
  priority: number;
  task?: PlannerTask;
  variable?: string;
  argument?: string;
  value?: string;
}

export interface RoutineEntry {
  /** 24-hour "HH:MM". */
  time: string;
  description: string;
  task: PlannerTask;
}

export interface Reaction {
  trigger: ReactionTrigger;
  description: string;
  task: PlannerTask;
  /** Method names of `task`, most preferred first. */
  preferMethods: string[];
}

/** What the body generator consumes. Ratios are relative to an average human of the same height. */
export interface Appearance {
  heightM: number;
  build: Build;
  shoulderWidth: number;
  hipWidth: number;
  armLength: number;
  legLength: number;
  headSize: number;
  skinColor: string;
  hairColor: string;
  eyeColor: string;
  clothingColors: string[];
}

export interface EquipmentItem {
  name: string;
  slot: EquipmentSlot;
  description: string;
}

export interface Character {
  schemaVersion: 1;
  name: string;
  pronouns: Pronouns;
  species: string;
  role: string;
  level: number;
  age: number;
  attributes: Attributes;
  skills: Skill[];
  abilities: Ability[];
  personality: { traits: string[]; ideals: string[]; bonds: string[]; flaws: string[] };
  backstory: string[];
  goals: Goal[];
  dialogue: {
    greeting: string;
    farewell: string;
    barks: Record<BarkSituation, string[]>;
    voiceLines: string[];
  };
  behaviour: { routine: RoutineEntry[]; reactions: Reaction[] };
  appearance: Appearance;
  equipment: EquipmentItem[];
}

/** The top-level fields in the order generators write them (and the schema lists them). */
export const CHARACTER_FIELDS = [
  "schemaVersion",
  "name",
  "pronouns",
  "species",
  "role",
  "level",
  "age",
  "attributes",
  "skills",
  "abilities",
  "personality",
  "backstory",
  "goals",
  "dialogue",
  "behaviour",
  "appearance",
  "equipment",
] as const satisfies readonly (keyof Character)[];
export type CharacterField = (typeof CHARACTER_FIELDS)[number];
