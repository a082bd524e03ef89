/**
 * Small text helpers for the procedural generator: pronoun forms with verb agreement, template
 * filling, planner identifiers and list joining.
 */
import type { Pronouns } from "../character.js";

export interface Grammar {
  /** "he", "she", "they", "it". */
  sub: string;
  obj: string;
  poss: string;
  /** "is"/"are", "has"/"have", "was"/"were": agreeing with `sub`. */
  is: string;
  has: string;
  was: string;
}

const GRAMMAR: Record<Pronouns, Grammar> = {
  "he/him": { sub: "he", obj: "him", poss: "his", is: "is", has: "has", was: "was" },
  "she/her": { sub: "she", obj: "her", poss: "her", is: "is", has: "has", was: "was" },
  "they/them": { sub: "they", obj: "them", poss: "their", is: "are", has: "have", was: "were" },
  "it/its": { sub: "it", obj: "it", poss: "its", is: "is", has: "has", was: "was" },
};

export function grammarFor(pronouns: Pronouns): Grammar {
  return GRAMMAR[pronouns];
}

export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** Replaces `{key}` with `values[key]`; unknown keys stay as written. */
export function fill(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
}

/** A planner identifier from free text: "the Thieves' Guild" → "thieves_guild". */
export function plannerId(text: string): string {
  const id = text
    .toLowerCase()
    .replace(/^(?:the|a|an)\s+/, "")
    .replace(/'/g, "")
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 40)
    .replace(/_+$/, "");
  return /^[a-z]/.test(id) ? id : `x_${id}`.slice(0, 40).replace(/_+$/, "");
}

/** "a", "a and b", "a, b and c". */
export function joinList(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? "";
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}
