/**
 * The decisions the procedural generator makes first (who, what, where from, which story), which
 * every later part (goals, backstory, dialogue, behaviour, looks) reads so that they agree.
 */
import type { Pronouns } from "../character.js";
import type { Grammar } from "./grammar.js";
import type { Rng } from "./prng.js";
import type { MotifKind } from "./prompt.js";
import type { RoleProfile } from "./roles.js";
import type { SpeciesProfile } from "./species.js";
import type { TraitProfile } from "./traits.js";

/** A story motif with every blank filled: the target named, the amount chosen. */
export interface StoryMotif {
  kind: MotifKind;
  /** Display text, e.g. "the Thieves' Guild" or "her brother". */
  target: string;
  /** Planner argument for the target, e.g. "thieves_guild". */
  targetId: string;
  /** Debts: the amount in gold crowns. */
  amount: number;
  /** A clause from our lists that colours the motif (why the debt, what the secret is). */
  detail: string;
}

export interface Draft {
  rng: Rng;
  species: SpeciesProfile;
  speciesId: string;
  role: RoleProfile;
  roleId: string;
  pronouns: Pronouns;
  g: Grammar;
  name: string;
  /** The given name, used in text. */
  first: string;
  nameId: string;
  age: number;
  old: boolean;
  level: number;
  traits: TraitProfile[];
  homeland: string;
  childhood: string;
  motifs: StoryMotif[];
}
