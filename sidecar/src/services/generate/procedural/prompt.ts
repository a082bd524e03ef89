/**
 * Reads a designer's prompt ("a cowardly dwarven blacksmith who owes money to the thieves'
 * guild") into facts the procedural generator honours: the people, the role, traits, pronouns,
 * a name, an age band, and story motifs (a debt and its creditor, revenge, a search, love,
 * loyalty, a fear, a secret). Keyword rules, no model: what it does not recognise it leaves to
 * the dice.
 */
import type { Pronouns } from "../character.js";
import { ROLES, type RoleProfile } from "./roles.js";
import { SPECIES, type SpeciesProfile } from "./species.js";
import { TRAITS, type TraitProfile } from "./traits.js";

export type MotifKind = "debt" | "revenge" | "search" | "love" | "loyalty" | "fear" | "secret";

export interface Motif {
  kind: MotifKind;
  /** Who or what the motif is about, as the prompt said it (e.g. "the Thieves' Guild"). */
  target?: string;
  /** True when the prompt tied the target to the character ("her brother"). */
  own?: boolean;
}

export interface PromptFacts {
  species?: SpeciesProfile;
  role?: RoleProfile;
  traits: TraitProfile[];
  pronouns?: Pronouns;
  name?: string;
  age?: "young" | "old";
  motifs: Motif[];
}

const SHE = new Set(["she", "her", "hers", "herself", "woman", "girl", "lady", "female", "mother", "daughter", "wife", "sister", "priestess", "huntress", "sorceress", "enchantress", "actress", "fisherwoman", "shepherdess", "barmaid", "widow", "queen", "princess", "matron", "grandmother", "aunt", "nun"]);
const HE = new Set(["he", "him", "his", "himself", "man", "boy", "male", "father", "son", "husband", "brother", "fisherman", "king", "prince", "widower", "grandfather", "uncle", "monk", "friar"]);
const THEY = new Set(["they", "them", "their", "themself", "themselves", "nonbinary", "non-binary", "enby"]);
const YOUNG = new Set(["young", "youthful", "apprentice", "novice", "teenage", "teenaged", "adolescent", "green", "fledgling", "youngster", "orphan"]);
const OLD = new Set(["old", "elderly", "aged", "ancient", "veteran", "retired", "grizzled", "venerable", "grey-haired", "gray-haired", "wizened", "aging", "ageing", "seasoned"]);

const TARGET = "((?:[a-z][a-z'-]*)(?:\\s+[a-z][a-z'-]*){0,5}?)";
const STOP = "(?=\\s+(?:who|and|but|because|after|since|so|which|that|while|when|to|for|in|at|with)\\b|[.,;:!?]|$)";
const OWNER = "(?:(his|her|their|my|a|an|the)\\s+)?";

const MOTIF_RULES: readonly { kind: MotifKind; trigger: RegExp; target?: RegExp }[] = [
  {
    kind: "debt",
    trigger: /\b(?:owes?|owed|owing|debts?|indebted|borrowed|in hock)\b/,
    target: new RegExp(`\\b(?:owes?|owed|owing|debts?|indebted|borrowed)\\b[^.;,]*?\\b(?:to|from)\\s+${OWNER}${TARGET}${STOP}`),
  },
  {
    kind: "revenge",
    trigger: /\b(?:revenge|avenge|avenging|vengeance|vendetta)\b/,
    target: new RegExp(`\\b(?:revenge|vengeance|vendetta)\\s+(?:on|against|upon|for)\\s+${OWNER}${TARGET}${STOP}|\\bavenge\\s+${OWNER}${TARGET}${STOP}`),
  },
  {
    kind: "search",
    trigger: /\b(?:searching for|looking for|seeks|seeking|in search of|lost|missing|vanished)\b(?!\s+(?:revenge|vengeance)\b)/,
    target: new RegExp(`\\b(?:searching for|looking for|seeks|seeking|in search of|lost|missing)\\s+(?!(?:revenge|vengeance)\\b)${OWNER}${TARGET}${STOP}`),
  },
  {
    kind: "love",
    trigger: /\b(?:in love|loves|pines for|sweetheart|lover|smitten)\b/,
    target: new RegExp(`\\b(?:in love with|loves|pines for|smitten with)\\s+${OWNER}${TARGET}${STOP}`),
  },
  {
    kind: "loyalty",
    trigger: /\b(?:member of|works for|serves|spy for|spies for|sworn to|loyal to|agent of|belongs to)\b/,
    target: new RegExp(`\\b(?:member of|works for|serves|spy for|spies for|sworn to|loyal to|agent of|belongs to)\\s+${OWNER}${TARGET}${STOP}`),
  },
  {
    kind: "fear",
    trigger: /\b(?:afraid of|fears|terrified of|scared of|frightened of|phobia)\b/,
    target: new RegExp(`\\b(?:afraid of|fears|terrified of|scared of|frightened of)\\s+${OWNER}${TARGET}${STOP}`),
  },
  // "secretly in love" is a love story, not a secret past.
  { kind: "secret", trigger: /\b(?:secret|hiding|hides|hidden past|disguised|in disguise)\b|\bsecretly\b(?!\s+(?:in love|loves|pines))/ },
];

const MAX_TARGET_CHARS = 40;

/** Words in a target that make it an institution, written in title case. */
const INSTITUTION = /\b(?:guild|company|house|order|brotherhood|sisterhood|syndicate|bank|temple|church|crown|watch|league|council|circle|cult|clan|family|college|academy|consortium|crew|gang)\b/;

/** Reads what a prompt asks for. Unknown words are ignored; nothing here throws. */
export function readPrompt(prompt: string): PromptFacts {
  const text = normalise(prompt);
  if (text === "") return { traits: [], motifs: [] };
  const tokens = text.match(/[a-z][a-z'-]*/g) ?? [];
  const words = tokens.map((t) => t.replace(/'s$|'$/, ""));
  const padded = ` ${words.join(" ")} `;

  const facts: PromptFacts = { traits: [], motifs: [] };
  const species = SPECIES_INDEX.first(words, padded);
  if (species !== undefined) facts.species = species;
  const role = ROLE_INDEX.first(words, padded);
  if (role !== undefined) facts.role = role;
  facts.traits = mentionedTraits(words, padded);
  const pronouns = readPronouns(words, text);
  if (pronouns !== undefined) facts.pronouns = pronouns;
  const name = readName(prompt);
  if (name !== undefined) facts.name = name;
  if (words.some((w) => YOUNG.has(w))) facts.age = "young";
  else if (words.some((w) => OLD.has(w))) facts.age = "old";

  for (const rule of MOTIF_RULES) {
    if (!rule.trigger.test(text)) continue;
    const motif: Motif = { kind: rule.kind };
    const match = rule.target?.exec(text);
    if (match) {
      const owner = match[1] ?? match[3];
      const target = match[2] ?? match[4];
      if (target !== undefined) {
        motif.target = displayTarget(target, owner);
        if (owner === "his" || owner === "her" || owner === "their" || owner === "my") motif.own = true;
      }
    }
    facts.motifs.push(motif);
  }
  return facts;
}

function normalise(prompt: string): string {
  return prompt
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc`]/g, "'")
    .replace(/\s+/g, " ")
    .trim();
}

/**
 * Where each profile is first mentioned: single-word keywords by a map lookup per prompt word,
 * the few multi-word ones by searching the padded word string. Built once per profile list.
 */
class KeywordIndex<T extends { keywords: readonly string[] }> {
  private readonly single = new Map<string, T[]>();
  private readonly phrases: { padded: string; profile: T }[] = [];

  constructor(private readonly profiles: readonly T[]) {
    for (const profile of profiles) {
      for (const keyword of profile.keywords) {
        if (keyword.includes(" ")) this.phrases.push({ padded: ` ${keyword} `, profile });
        else this.single.set(keyword, [...(this.single.get(keyword) ?? []), profile]);
      }
    }
  }

  /** Each mentioned profile with the character offset of its first mention in `padded`. */
  mentions(words: readonly string[], padded: string): Map<T, number> {
    const found = new Map<T, number>();
    let offset = 1;
    for (const word of words) {
      for (const profile of this.single.get(word) ?? []) if (!found.has(profile)) found.set(profile, offset);
      offset += word.length + 1;
    }
    for (const { padded: phrase, profile } of this.phrases) {
      const at = padded.indexOf(phrase);
      if (at >= 0 && at + 1 < (found.get(profile) ?? Infinity)) found.set(profile, at + 1);
    }
    return found;
  }

  /** The profile mentioned earliest. */
  first(words: readonly string[], padded: string): T | undefined {
    let best: T | undefined;
    let bestAt = Infinity;
    for (const [profile, at] of this.mentions(words, padded)) {
      if (at < bestAt || (at === bestAt && this.profiles.indexOf(profile) < this.profiles.indexOf(best!))) {
        best = profile;
        bestAt = at;
      }
    }
    return best;
  }
}

const SPECIES_INDEX = new KeywordIndex(SPECIES);
const ROLE_INDEX = new KeywordIndex(ROLES);
const TRAIT_INDEX = new KeywordIndex(TRAITS);

/** Traits in prompt order, dropping any that contradicts one named earlier. */
function mentionedTraits(words: readonly string[], padded: string): TraitProfile[] {
  const found = [...TRAIT_INDEX.mentions(words, padded)].sort((a, b) => a[1] - b[1]);
  const kept: TraitProfile[] = [];
  for (const [trait] of found) {
    if (kept.some((k) => k.opposite === trait.id || trait.opposite === k.id)) continue;
    kept.push(trait);
  }
  return kept.slice(0, 3);
}

/** Pronoun words count everywhere; gendered nouns only in the clause that describes the character. */
function readPronouns(words: readonly string[], text: string): Pronouns | undefined {
  const mainClause = new Set((text.split(/\b(?:who|that|whose|which)\b|[,;.]/)[0] ?? "").match(/[a-z][a-z'-]*/g) ?? []);
  let she = 0;
  let he = 0;
  let they = 0;
  for (const w of words) {
    const weight = mainClause.has(w) ? 2 : 1;
    if (SHE.has(w)) she += weight;
    else if (HE.has(w)) he += weight;
    else if (THEY.has(w)) they += weight;
  }
  const top = Math.max(she, he, they);
  if (top === 0) return undefined;
  if (they === top) return "they/them";
  if (she === top && she > he) return "she/her";
  if (he === top && he > she) return "he/him";
  return undefined;
}

function readName(prompt: string): string | undefined {
  const match = /\b(?:named|called|name is|known as)\s+([A-Z][\p{L}'-]*(?:\s+[A-Z][\p{L}'-]*)?)/u.exec(prompt);
  return match?.[1]?.slice(0, 60);
}

function displayTarget(raw: string, owner: string | undefined): string {
  // At most five words and 40 characters, so every sentence built around it fits the schema.
  const words = raw.trim().split(/\s+/).slice(0, 5);
  while (words.length > 1 && words.join(" ").length > MAX_TARGET_CHARS) words.pop();
  if (words[0]!.length > MAX_TARGET_CHARS) words[0] = words[0]!.slice(0, MAX_TARGET_CHARS);
  let phrase = words.join(" ");
  if (INSTITUTION.test(raw)) {
    phrase = words.map((w) => (w === "of" || w === "the" ? w : w.charAt(0).toUpperCase() + w.slice(1))).join(" ");
  }
  if (owner === "the" || owner === "a" || owner === "an") return `${owner} ${phrase}`;
  return phrase;
}
