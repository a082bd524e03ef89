/**
 * Between protocol messages and the planner: JSON text fields parsed with errors that name the
 * request field, PlanOptions turned into SearchOptions, a domain chosen by id or given inline,
 * and a plan outcome turned into a PlanReply. Used by `rpc.ts` and `agents.ts`.
 */
import type { PlanOptions, PlanReply, PlanStep } from "../../generated/ensoul_v1.js";
import { EnsoulError } from "../../lib/errors.js";
import type { Domain, Plan, Planner, PlanOutcome, SearchOptions, VerboseLevel } from "./index.js";
import { loadJsonDomain } from "./json_domain.js";
import { planToJson } from "./json_state.js";

/** Parses a JSON text field; an empty field means `empty`. */
export function parseJsonField(text: string | undefined, field: string, empty: unknown): unknown {
  if (text === undefined || text === "") return empty;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new EnsoulError("INVALID_ARGUMENT", `${field} is not valid JSON: ${(err as Error).message}`, { field });
  }
}

/**
 * Runs `fn` and puts `prefix` in front of the field of an input error it throws, so an error from
 * deep in a document names the request field it came in (`planRequest.domainJson.actions.act`).
 */
export function underField<T>(prefix: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof EnsoulError) || err.code !== "INVALID_ARGUMENT" || err.field?.startsWith(prefix)) throw err;
    throw new EnsoulError(err.code, err.message, { field: err.field ? `${prefix}.${err.field}` : prefix, cause: err });
  }
}

const SEARCH_BOUNDS = new Set(["maxDepth", "maxExpansions", "timeoutMs", "maxTraceEvents"]);

/** Plans, naming the request's option in a bound's error (`planRequest.options.maxExpansions`). */
export function planWithin(prefix: string, plan: () => PlanOutcome): PlanOutcome {
  try {
    return plan();
  } catch (err) {
    if (err instanceof EnsoulError && err.field !== undefined && SEARCH_BOUNDS.has(err.field)) {
      throw new EnsoulError(err.code, err.message, { field: `${prefix}.options.${err.field}`, cause: err });
    }
    throw err;
  }
}

const toNumber = (n: number | { toNumber(): number } | undefined | null): number => (n == null ? 0 : typeof n === "number" ? n : n.toNumber());

export interface WireSearchOptions extends SearchOptions {
  verbose: VerboseLevel;
}

/** PlanOptions (zero means the service's default) as SearchOptions. */
export function searchOptions(options: PlanOptions | null | undefined, field: string): WireSearchOptions {
  const o = options ?? {};
  const verbose = o.verbose ?? 0;
  if (verbose > 3) throw new EnsoulError("INVALID_ARGUMENT", `${field}.verbose must be 0-3, got ${verbose}`, { field: `${field}.verbose` });
  const out: WireSearchOptions = { verbose: verbose as VerboseLevel };
  if (o.skipGoalVerification) out.verifyGoals = false;
  const maxDepth = toNumber(o.maxDepth);
  const maxExpansions = toNumber(o.maxExpansions);
  const timeoutMs = o.timeoutMs ?? 0;
  if (maxDepth > 0) out.maxDepth = maxDepth;
  if (maxExpansions > 0) out.maxExpansions = maxExpansions;
  if (timeoutMs > 0) out.timeoutMs = timeoutMs;
  return out;
}

/** A domain document sent in the request field `field` (JSON text, not empty), parsed and loaded. */
export function domainField(text: string | undefined, field: string): { doc: unknown; domain: Domain } {
  const doc = parseJsonField(text, field, undefined);
  if (doc === undefined) throw new EnsoulError("INVALID_ARGUMENT", `${field} is empty`, { field });
  return { doc, domain: underField(field, () => loadJsonDomain(doc)) };
}

/** How a request named its domain: a registered id, or an inline document. */
export interface DomainChoice {
  domain: Domain;
  ref: { id: string } | { json: string };
}

/**
 * The key a registered domain is kept under in the planner: its id, or `<project>/<id>` for a
 * domain put with a project-scoped token (ids cannot hold '/', so the two never collide).
 */
export function domainKey(project: string | undefined, id: string): string {
  return project ? `${project}/${id}` : id;
}

/**
 * The domain of a PlanRequest or AgentOpen (`oneof domain { domain_id; domain_json }`). A
 * project-scoped caller (`project` set) finds its project's domains first, then the shared
 * ones; it never reaches another project's.
 */
export function chooseDomain(
  planner: Planner,
  request: { domain?: "domainId" | "domainJson"; domainId?: string; domainJson?: string },
  prefix: string,
  project?: string,
): DomainChoice {
  const which = request.domain ?? (request.domainJson ? "domainJson" : request.domainId ? "domainId" : undefined);
  if (which === "domainJson") {
    const text = request.domainJson ?? "";
    return { domain: domainField(text, `${prefix}.domainJson`).domain, ref: { json: text } };
  }
  const field = `${prefix}.domainId`;
  const id = which === "domainId" ? (request.domainId ?? "") : "";
  if (id === "") throw new EnsoulError("INVALID_ARGUMENT", `give ${prefix}.domainId or ${prefix}.domainJson`, { field });
  if (project) {
    try {
      return { domain: planner.getDomain(domainKey(project, id)), ref: { id } };
    } catch (err) {
      if (!(err instanceof EnsoulError && err.code === "NOT_FOUND")) throw err;
    }
  }
  try {
    return { domain: planner.getDomain(id), ref: { id } };
  } catch (err) {
    if (err instanceof EnsoulError && err.code === "NOT_FOUND") throw new EnsoulError("NOT_FOUND", err.message, { field, cause: err });
    throw err;
  }
}

/** A plan's steps in wire form (name, arguments as JSON); none for no plan. */
export function planSteps(plan: Plan | false): PlanStep[] {
  if (plan === false) return [];
  return planToJson(plan).map(([name, ...args]) => ({ name: String(name), argsJson: JSON.stringify(args) }));
}

/** A plan outcome as a PlanReply: found=false for no plan, found=true and no steps for nothing to do. */
export function planReply(outcome: PlanOutcome, verbose: number): PlanReply {
  return {
    planId: outcome.planId,
    found: outcome.plan !== false,
    steps: planSteps(outcome.plan),
    expansions: outcome.expansions,
    elapsedMs: outcome.elapsedMs,
    traceJson: verbose > 0 ? JSON.stringify(outcome.trace) : "",
  };
}
