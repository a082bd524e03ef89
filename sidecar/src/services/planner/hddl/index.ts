/**
 * HDDL import: parse a total-order HDDL domain and problem, plan with the GTPyhop-style search,
 * and print the plan in the IPC format. `ensoul plan --hddl DOMAIN PROBLEM` calls `planHddl`.
 */
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

/** Plans for an HDDL problem given as source texts; errors (with file:line:column) are EnsoulErrors. */
export function planHddl(domainSource: string, problemSource: string, options: SearchOptions = {}, files = { domain: "domain.hddl", problem: "problem.hddl" }): HddlPlanResult {
  const d = parseDomain(domainSource, files.domain);
  const p = parseProblem(problemSource, files.problem);
  const { domain, state, todo } = compileHddl(d, p);
  const outcome = seekPlan(domain, state, todo, options);
  if (outcome.plan === false) return { plan: false, ipc: "", outcome };
  const plan = decomposition(outcome.plan);
  return { plan, ipc: formatIpcPlan(plan), outcome };
}
