/** Random HDDL token streams, and mutations of a real domain, must give a result or an EnsoulError. */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, it } from "vitest";
import { EnsoulError } from "../../../lib/errors.js";
import { planHddl } from "./index.js";

const DOMAIN = readFileSync(new URL("./examples/delivery-domain.hddl", import.meta.url), "utf8");
const PROBLEM = readFileSync(new URL("./examples/delivery-problem.hddl", import.meta.url), "utf8");

const TOKENS = [
  "(", ")", "(", ")", "define", "domain", "problem", ":domain", ":types", ":predicates", ":task", ":method", ":action",
  ":parameters", ":precondition", ":effect", ":subtasks", ":ordered-subtasks", ":ordering", ":htn", ":init", ":goal",
  ":objects", "and", "or", "not", "forall", "exists", "when", "=", "<", "-", "?x", "?y", "a", "b", "p", "t", "m", "object", ";c\n",
];

function onlyEnsoulErrors(f: () => unknown): void {
  try {
    f();
  } catch (err) {
    if (!(err instanceof EnsoulError)) throw err;
  }
}

describe("HDDL fuzzing", () => {
  it("never crashes on random token streams", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 80 }), fc.array(fc.constantFrom(...TOKENS), { maxLength: 40 }), (d, p) => {
        onlyEnsoulErrors(() => planHddl(d.join(" "), p.join(" "), { maxExpansions: 5000, timeoutMs: 200 }));
      }),
      { numRuns: 1500 },
    );
  });

  it("never crashes on a real domain with tokens dropped or swapped", () => {
    const tokens = DOMAIN.replace(/\(/g, " ( ").replace(/\)/g, " ) ").split(/\s+/).filter(Boolean);
    fc.assert(
      fc.property(fc.nat(tokens.length - 1), fc.nat(tokens.length - 1), fc.boolean(), (i, j, drop) => {
        const t = [...tokens];
        if (drop) t.splice(i, 1);
        else [t[i], t[j]] = [t[j]!, t[i]!];
        onlyEnsoulErrors(() => planHddl(t.join(" "), PROBLEM, { maxExpansions: 5000, timeoutMs: 200 }));
      }),
      { numRuns: 400 },
    );
  });
});
