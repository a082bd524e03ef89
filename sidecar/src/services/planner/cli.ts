/**
 * `ensoul plan --hddl DOMAIN PROBLEM`: plans a total-order HDDL problem and prints the plan in
 * the IPC hierarchical track's output format (the format pandaPIparser -v and IPC verifiers read).
 */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { EnsoulError } from "../../lib/errors.js";
import { planHddl } from "./hddl/index.js";

async function readText(path: string, field: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    throw new EnsoulError("NOT_FOUND", `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      field,
      cause: err,
    });
  }
}

/** Adds the `plan` subcommand to a commander program. */
export function registerPlanCommand(program: Command, out: (line: string) => void = (l) => console.log(l)): Command {
  return program
    .command("plan")
    .description("plan an HDDL problem (total order) and print the plan in the IPC format")
    .requiredOption("--hddl <files...>", "the HDDL domain file and problem file")
    .option("--timeout <ms>", "give up after this many milliseconds", "10000")
    .action(async (opts: { hddl: string[]; timeout: string }) => {
      if (opts.hddl.length !== 2) {
        throw new EnsoulError("INVALID_ARGUMENT", "--hddl takes two files: DOMAIN PROBLEM", { field: "hddl" });
      }
      const timeoutMs = Number(opts.timeout);
      if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
        throw new EnsoulError("INVALID_ARGUMENT", `--timeout must be a positive number of milliseconds, got "${opts.timeout}"`, {
          field: "timeout",
        });
      }
      const [domainFile, problemFile] = opts.hddl as [string, string];
      const [domain, problem] = await Promise.all([readText(domainFile, "domain"), readText(problemFile, "problem")]);
      const result = planHddl(domain, problem, { timeoutMs }, { domain: domainFile, problem: problemFile });
      if (result.plan === false) {
        throw new EnsoulError("NOT_FOUND", `no plan found for ${problemFile} within ${timeoutMs} ms`);
      }
      out(result.ipc.trimEnd());
    });
}
