import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EnsoulError } from "../../../lib/errors.js";
import { parseDomain, parseIpcPlan, parseProblem, planHddl, verifyHddlPlan } from "./index.js";

const read = (name: string) => readFileSync(new URL(`./examples/${name}`, import.meta.url), "utf8");
const DOMAIN = read("delivery-domain.hddl");
const PROBLEM = read("delivery-problem.hddl");

function hddlError(f: () => unknown): EnsoulError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(EnsoulError);
    return err as EnsoulError;
  }
  throw new Error("expected an EnsoulError");
}

describe("HDDL import", () => {
  it("solves a total-order problem and prints it in the IPC format", () => {
    const r = planHddl(DOMAIN, PROBLEM);
    expect(r.plan).not.toBe(false);
    expect(r.ipc.startsWith("==>\n0 walk ann depot market\n")).toBe(true);
    expect(r.ipc).toContain("root ");
    expect(r.ipc).toMatch(/ deliver p1 mill -> m-deliver \d+ \d+ \d+ \d+\n/);
    expect(r.ipc.trimEnd().endsWith("<==")).toBe(true);
  });

  it("produces plans our verifier accepts, read back from the IPC text", () => {
    const r = planHddl(DOMAIN, PROBLEM);
    expect(verifyHddlPlan(parseDomain(DOMAIN), parseProblem(PROBLEM), parseIpcPlan(r.ipc))).toEqual([]);
  });

  it("verifier: rejects an inapplicable action, a wrong method and a missing goal", () => {
    const d = parseDomain(DOMAIN);
    const p = parseProblem(PROBLEM);
    const ipc = planHddl(DOMAIN, PROBLEM).ipc;
    expect(verifyHddlPlan(d, p, parseIpcPlan(ipc.replace("0 walk ann depot market", "0 walk ann depot farm")))[0]).toMatch(/action 0: \(walk ann depot farm\) is not applicable/);
    expect(verifyHddlPlan(d, p, parseIpcPlan(ipc.replace("-> m-deliver", "-> m-go-step"))).join("\n")).toMatch(/m-go-step is not a method for deliver/);
    const lines = ipc.split("\n");
    const lastAction = lines.filter((l) => /^\d+ (walk|pick|drop) /.test(l)).length - 1;
    const truncated = parseIpcPlan(ipc);
    truncated.actions.pop();
    truncated.nodes.delete(lastAction);
    expect(verifyHddlPlan(d, p, truncated).join("\n")).toMatch(/goal does not hold|missing|reaches/);
  });

  it("fails (false) when the goal cannot be met", () => {
    const p = PROBLEM.replace("(at ann depot))))", "(at ann mill))))");
    expect(planHddl(DOMAIN, p).plan).toBe(false);
  });

  it("reports file, line and column of syntax errors", () => {
    expect(hddlError(() => parseDomain("(define (domain x)\n  (:predicates (p ?a)", "d.hddl")).message).toBe("d.hddl:2:3: '(' is never closed");
    expect(hddlError(() => parseDomain("(define (domain x) (:bogus))", "d.hddl")).message).toBe("d.hddl:1:20: unknown domain section :bogus");
    expect(hddlError(() => parseDomain(DOMAIN.replace("(:task go :parameters (?c - courier ?to - place))", ""), "d.hddl")).message).toMatch(/method m-go-here refines undeclared task go/);
    const partial = DOMAIN.replace(":ordering (and (< t1 t2) (< t2 t3) (< t3 t4))", ":ordering (and (< t1 t2) (< t3 t4))");
    expect(hddlError(() => parseDomain(partial, "d.hddl")).message).toMatch(/not total/);
  });

  it("binds the parameters of an initial task network, and verifies the binding", () => {
    const p = PROBLEM.replace("(:htn :parameters () :ordered-subtasks (and (deliver p1 mill) (deliver p2 depot)))", "(:htn :parameters (?x - parcel) :ordered-subtasks (and (deliver p1 mill) (deliver ?x depot)))");
    const r = planHddl(DOMAIN, p);
    expect(r.plan).not.toBe(false);
    expect(r.ipc).toMatch(/ deliver p2 depot -> m-deliver /);
    expect(r.ipc).not.toContain("__top");
    expect(verifyHddlPlan(parseDomain(DOMAIN), parseProblem(p), parseIpcPlan(r.ipc))).toEqual([]);
  });

  it("rejects a problem for another domain", () => {
    expect(hddlError(() => planHddl(DOMAIN, PROBLEM.replace("(:domain delivery)", "(:domain other)"))).message).toMatch(/is for domain other/);
  });
});

// The IPC 2020 total-order domains are not committed here; point IPC2020_DIR at a checkout of
// panda-planner-dev/ipc2020-domains to run this (e.g. git clone ... /tmp/ipc2020-domains).
const IPC = process.env.IPC2020_DIR;
const SOLVED = [
  "AssemblyHierarchical", "Barman-BDI", "Blocksworld-GTOHP", "Blocksworld-HPDDL", "Childsnack", "Depots", "Elevator-Learned-ECAI-16",
  "Entertainment", "Factories-simple", "Hiking", "Logistics-Learned-ECAI-16", "Minecraft-Player", "Minecraft-Regular", "Multiarm-Blocksworld",
  "Robot", "Rover-GTOHP", "Satellite-GTOHP", "Snake", "Towers", "Transport", "Woodworking",
];
/** Where the first problem (sorted by name) is not the one to test. */
const IPC_PROBLEM: Record<string, string> = { Woodworking: "01--p01-complete.hddl" };
describe.skipIf(IPC === undefined || !existsSync(join(IPC, "total-order")))("IPC 2020 total-order domains", () => {
  for (const name of SOLVED) {
    it(`solves ${IPC_PROBLEM[name] ?? "the first problem"} of ${name} with a plan our verifier accepts`, () => {
      const dir = join(IPC!, "total-order", name);
      const problem = IPC_PROBLEM[name] ?? readdirSync(dir).filter((f) => f.endsWith(".hddl") && !f.includes("domain")).sort()[0]!;
      const domainFile = existsSync(join(dir, problem.replace(".hddl", "-domain.hddl"))) ? problem.replace(".hddl", "-domain.hddl") : "domain.hddl";
      const ds = readFileSync(join(dir, domainFile), "utf8");
      const ps = readFileSync(join(dir, problem), "utf8");
      const r = planHddl(ds, ps, { timeoutMs: 10_000 });
      expect(r.plan).not.toBe(false);
      expect(verifyHddlPlan(parseDomain(ds), parseProblem(ps), parseIpcPlan(r.ipc))).toEqual([]);
    });
  }
});
