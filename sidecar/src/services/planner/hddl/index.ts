/**
 * HDDL import: parse a total-order HDDL domain and problem, plan with the GTPyhop-style search,
 * and print the plan in the IPC format. `ensoul plan --hddl DOMAIN PROBLEM` calls `planHddl`.
 */
import { performance } from "node:perf_hooks";
import { seekPlan, type PlanOutcome, type SearchOptions } from "../search.js";
import { compileHddl } from "./compile.js";
import { decomposition, formatIpcPlan, type Decomposition } from "./ipc.js";
import { parseDomain, parseProblem } from "./parse.js";

export { compileHddl } from "./compile.js";
export { decomposition, formatIpcPlan } from "./ipc.js";
export type { Decomposition, DecompositionNode } from "./ipc.js";
export { parseDomain, parseProblem } from "./parse.js";
export type { HddlDomain, HddlProblem } from "./parse.js";
export { parseIpcPlan, verifyHddlPlan } from "./verify.js";

export interface HddlPlanResult {
  /** The decomposition found, or false when the problem has no solution the search can find. */
  plan: Decomposition | false;
  /** The plan in the IPC output format ("" when there is none). */
  ipc: string;
  outcome: PlanOutcome;
}

/** Nesting limits tried in turn (iterative deepening), then no limit. */
const NESTING_LIMITS = [4, 8, 16, 32, 64, 128, 256, 512];

/**
 * Plans for an HDDL problem given as source texts; errors (with file:line:column) are
 * EnsoulErrors. The depth-first search runs under a growing bound on open decompositions
 * (iterative deepening), so recursive methods cannot send it down an endless branch; the first
 * plan found is returned. `options.timeoutMs` (default 10 s) covers all rounds.
 */
export function planHddl(domainSource: string, problemSource: string, options: SearchOptions = {}, files = { domain: "domain.hddl", problem: "problem.hddl" }): HddlPlanResult {
  const d = parseDomain(domainSource, files.domain);
  const p = parseProblem(problemSource, files.problem);
  const deadline = performance.now() + (options.timeoutMs ?? 10_000);
  let outcome: PlanOutcome | undefined;
  for (const limit of [...NESTING_LIMITS, Infinity]) {
    const { domain, state, todo, cutoff } = compileHddl(d, p, limit);
    const timeoutMs = Math.max(1, deadline - performance.now());
    outcome = seekPlan(domain, state, todo, { ...options, timeoutMs });
    if (outcome.plan !== false) {
      const plan = decomposition(outcome.plan);
      return { plan, ipc: formatIpcPlan(plan), outcome };
    }
    if (!cutoff.hit) break; // nothing was cut off: a deeper bound cannot help
  }
  return { plan: false, ipc: "", outcome: outcome! };
}
