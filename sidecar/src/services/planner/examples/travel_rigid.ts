/**
 * The rigid relations (facts that never change) of GTPyhop's simple_htn and simple_hgn travel
 * examples: object types and distances, and the taxi fare.
 */
import type { Value } from "../state.js";

const TYPES: Record<string, readonly string[]> = {
  person: ["alice", "bob"],
  location: ["home_a", "home_b", "park", "station"],
  taxi: ["taxi1", "taxi2"],
};

const DIST: ReadonlyArray<readonly [string, string, number]> = [
  ["home_a", "park", 8], ["home_b", "park", 2],
  ["station", "home_a", 1], ["station", "home_b", 7],
  ["home_a", "home_b", 7], ["station", "park", 9],
];

export function isA(x: Value | undefined, type: string): boolean {
  return typeof x === "string" && (TYPES[type]?.includes(x) ?? false);
}

/** The distance between x and y in either direction (undefined when unknown, like GTPyhop's None). */
export function distance(x: Value | undefined, y: Value | undefined): number | undefined {
  for (const [a, b, d] of DIST) if ((a === x && b === y) || (a === y && b === x)) return d;
  return undefined;
}

export function taxiRate(dist: number): number {
  return 1.5 + 0.5 * dist;
}

/** Python's `a <= b` with None: comparing None with a number raises; here it is simply false. */
export function atMost(a: number | undefined, b: number): boolean {
  return a !== undefined && a <= b;
}
