/**
 * Conformance with GTPyhop 1.1: every find_plan and run_lazy_lookahead call that GTPyhop's own
 * examples make, replayed on our TypeScript port of each example domain, must give GTPyhop's
 * answer (golden/*.json, recorded by golden/capture_gtpyhop.py).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EXAMPLE_DOMAINS } from "./examples/index.js";
import { planToJson, stateFromGtpyhop, todoFromGtpyhop, type GtpyhopGolden } from "./gtpyhop_json.js";
import { runLazyLookahead } from "./lookahead.js";
import { seekPlan } from "./search.js";

function loadGolden(name: string): GtpyhopGolden {
  return JSON.parse(readFileSync(new URL(`./golden/${name}.json`, import.meta.url), "utf8")) as GtpyhopGolden;
}

for (const [name, createDomain] of Object.entries(EXAMPLE_DOMAINS)) {
  describe(`GTPyhop example ${name}`, () => {
    const golden = loadGolden(name);
    it("has recorded calls", () => expect(golden.calls.length).toBeGreaterThan(0));
    golden.calls.forEach((call, i) => {
      const label = `call ${i}: ${call.call}(${call.state && typeof call.state === "object" && !Array.isArray(call.state) ? String(call.state.state) : "?"}, ${JSON.stringify(call.todo).slice(0, 80)})`;
      if (call.call === "find_plan") {
        it(`${label} gives GTPyhop's plan, with and without gtpyhop11GoalRetry`, () => {
          for (const gtpyhop11GoalRetry of [false, true]) {
            const outcome = seekPlan(createDomain(), stateFromGtpyhop(call.state), todoFromGtpyhop(call.todo), { verifyGoals: call.verify_goals ?? true, gtpyhop11GoalRetry });
            expect(planToJson(outcome.plan)).toEqual(call.result);
          }
        });
      } else {
        it(`${label} ends in GTPyhop's final state`, async () => {
          const outcome = await runLazyLookahead(createDomain(), stateFromGtpyhop(call.state), todoFromGtpyhop(call.todo), { maxTries: call.max_tries ?? 10 });
          expect(outcome.status).toBe("achieved");
          expect(outcome.state.toJSON()).toEqual(stateFromGtpyhop(call.final_state!).toJSON());
        });
      }
    });
  });
}
