import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../cli/main.js";
import { parseDomain, parseProblem, parseIpcPlan, verifyHddlPlan } from "./hddl/index.js";
import { readFileSync } from "node:fs";

const EXAMPLES = path.join(import.meta.dirname, "hddl/examples");
const DOMAIN = path.join(EXAMPLES, "delivery-domain.hddl");
const PROBLEM = path.join(EXAMPLES, "delivery-problem.hddl");

async function run(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, (l) => out.push(l), (l) => err.push(l));
  return { code, out, err };
}

describe("ensoul plan --hddl", () => {
  it("prints an IPC-format plan that our HDDL verifier accepts", async () => {
    const r = await run(["plan", "--hddl", DOMAIN, PROBLEM]);
    expect(r.code).toBe(0);
    const text = r.out.join("\n");
    expect(text.split("\n")[0]).toBe("==>");
    expect(text).toContain("root ");
    const domain = parseDomain(readFileSync(DOMAIN, "utf8"));
    const problem = parseProblem(readFileSync(PROBLEM, "utf8"));
    expect(verifyHddlPlan(domain, problem, parseIpcPlan(text))).toEqual([]);
  });

  it("names a missing file and exits non-zero", async () => {
    const r = await run(["plan", "--hddl", DOMAIN, path.join(EXAMPLES, "nope.hddl")]);
    expect(r.code).not.toBe(0);
    expect(r.err.join("\n")).toMatch(/cannot read .*nope\.hddl/);
  });

  it("reports a parse error with its file and line", async () => {
    const r = await run(["plan", "--hddl", PROBLEM, DOMAIN]);
    expect(r.code).not.toBe(0);
    expect(r.err.join("\n")).toMatch(/delivery-(domain|problem)\.hddl:\d+/);
  });

  it("wants exactly two files", async () => {
    expect((await run(["plan", "--hddl", DOMAIN])).code).toBe(2);
  });
});
