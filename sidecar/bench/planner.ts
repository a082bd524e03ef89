/**
 * Planner benchmark: blocks-world problems of 20…400 blocks (seeded random towers) in the
 * blocks_htn, blocks_gtn and blocks_hgn domains (and blocks_htn as a JSON domain, to show what
 * the expression language costs), and the problems of GTPyhop's own examples.
 * Prints plan length, ms per plan and nodes (todo items processed) per second.
 *
 * With GTPYHOP_DIR set to a GTPyhop checkout, the same problems are also run by GTPyhop
 * (python3) in the same run; each row then shows GTPyhop's ms per plan, the speed ratio and
 * whether both planners returned the same plan. Numbers only, no assertions.
 *
 *   npm run bench:planner
 *   GTPYHOP_DIR=/tmp/gtpyhop npm run bench:planner
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { EXAMPLE_DOMAINS } from "../src/services/planner/examples/index.js";
import { planToJson, stateFromGtpyhop, todoFromGtpyhop, type GtpyhopGolden, type Json } from "../src/services/planner/gtpyhop_json.js";
import { loadJsonDomain } from "../src/services/planner/json_domain.js";
import { seekPlan } from "../src/services/planner/search.js";
import { seededRandom } from "../src/lib/random.js";

const SIZES = [20, 50, 100, 200, 400];
const BLOCK_DOMAINS = ["blocks_htn", "blocks_gtn", "blocks_hgn"];
const MIN_MEASURE_MS = 300;


/** Blocks 1..n shuffled and cut into towers at random: pos[b] is the block below b, or "table". */
function randomTowers(n: number, next: () => number): Array<[number, number | "table"]> {
  const blocks = Array.from({ length: n }, (_, i) => i + 1);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [blocks[i], blocks[j]] = [blocks[j]!, blocks[i]!];
  }
  const pos: Array<[number, number | "table"]> = [];
  let below: number | "table" = "table";
  for (const b of blocks) {
    if (below !== "table" && next() < 0.25) below = "table"; // start a new tower
    pos.push([b, below]);
    below = b;
  }
  return pos;
}

/** A problem in the JSON shape GTPyhop's capture uses, so both planners read the same thing. */
function blocksProblem(n: number, seed: number): { state: Json; todo: Json[] } {
  const next = seededRandom(seed);
  const initial = randomTowers(n, next);
  const goal = randomTowers(n, next);
  const hasAbove = new Set(initial.map(([, below]) => below));
  const state = {
    state: `bw${n}`,
    vars: {
      pos: { __map__: initial },
      clear: { __map__: initial.map(([b]) => [b, !hasAbove.has(b)]) },
      holding: { hand: false },
    },
  } as unknown as Json;
  const multigoal = { multigoal: `bw${n}_goal`, vars: { pos: { __map__: goal } } } as unknown as Json;
  return { state, todo: [multigoal] };
}

interface Problem {
  label: string;
  /** GTPyhop's example domain (ours, in TypeScript, has the same name). */
  domain: string;
  /** Plan with examples/<jsonDomain>.domain.json instead of the TypeScript domain. */
  jsonDomain?: string;
  state: Json;
  todo: Json[];
}

const JSON_SIZES = [20, 100, 400];

function problems(): Problem[] {
  const out: Problem[] = [];
  for (const n of SIZES) {
    const { state, todo } = blocksProblem(n, 1000 + n);
    for (const domain of BLOCK_DOMAINS) {
      const t = domain === "blocks_htn" ? [["achieve", todo[0]!]] as Json[] : todo;
      out.push({ label: `${domain} ${n} blocks`, domain, state, todo: t });
    }
    if (JSON_SIZES.includes(n)) out.push({ label: `blocks_htn.json ${n} blocks`, domain: "blocks_htn", jsonDomain: "blocks_htn", state, todo: [["achieve", todo[0]!]] as Json[] });
  }
  for (const name of Object.keys(EXAMPLE_DOMAINS)) {
    const golden = JSON.parse(readFileSync(new URL(`../src/services/planner/golden/${name}.json`, import.meta.url), "utf8")) as GtpyhopGolden;
    golden.calls.forEach((c, i) => {
      if (c.call === "find_plan" && c.result !== undefined) out.push({ label: `${name} #${i}`, domain: name, state: c.state, todo: c.todo });
    });
  }
  return out;
}

interface Row {
  label: string;
  planLength: number | string;
  ms: number;
  nodesPerSec: number;
  plan: Json[] | false;
}

function runOurs(p: Problem): Row {
  const domain = p.jsonDomain !== undefined
    ? loadJsonDomain(JSON.parse(readFileSync(new URL(`../src/services/planner/examples/${p.jsonDomain}.domain.json`, import.meta.url), "utf8")))
    : EXAMPLE_DOMAINS[p.domain]!();
  const state = stateFromGtpyhop(p.state);
  const todo = todoFromGtpyhop(p.todo);
  let reps = 0;
  let expansions = 0;
  let last = seekPlan(domain, state, todo); // warm-up, and the plan to compare
  const start = performance.now();
  do {
    last = seekPlan(domain, state, todo);
    expansions += last.expansions;
    reps++;
  } while (performance.now() - start < MIN_MEASURE_MS);
  const elapsed = performance.now() - start;
  const plan = planToJson(last.plan);
  return { label: p.label, planLength: plan === false ? "fail" : plan.length, ms: elapsed / reps, nodesPerSec: (expansions / elapsed) * 1000, plan };
}

// The GTPyhop side: reads the problems as JSON on stdin, runs each with GTPyhop's own example
// domain, prints ms per plan and the plan. Python recursion is deep past ~100 blocks, so it runs
// in a thread with a large stack and a raised recursion limit.
const PYTHON_RUNNER = String.raw`
import sys, os, io, json, time, threading, contextlib, importlib
gdir = sys.argv[1]
sys.path.insert(0, gdir); sys.path.insert(0, os.path.join(gdir, 'Examples'))
problems = json.load(sys.stdin)
min_ms = float(sys.argv[2])
def build(x, cls):
    import gtpyhop
    obj = cls(x.get('state') or x.get('multigoal'))
    for k, v in x['vars'].items():
        if isinstance(v, dict) and '__map__' in v: v = {a: b for a, b in v['__map__']}
        elif isinstance(v, dict) and '__set__' in v: v = set(v['__set__'])
        setattr(obj, k, v)
    return obj
def todo_item(t):
    import gtpyhop
    if isinstance(t, dict): return build(t, gtpyhop.Multigoal)
    return tuple(build(a, gtpyhop.Multigoal) if isinstance(a, dict) else a for a in t)
def main():
    with contextlib.redirect_stdout(io.StringIO()):
        import gtpyhop
        for name in sorted({p['domain'] for p in problems}):
            importlib.import_module(name)
    gtpyhop.verbose = 0
    out = []
    for p in problems:
        gtpyhop.current_domain = [d for d in gtpyhop._domains if d.__name__ == p['domain']][0]
        state = build(p['state'], gtpyhop.State)
        todo = [todo_item(t) for t in p['todo']]
        reps, start = 0, time.perf_counter()
        while True:
            plan = gtpyhop.find_plan(state, todo)
            reps += 1
            if (time.perf_counter() - start) * 1000 >= min_ms: break
        ms = (time.perf_counter() - start) * 1000 / reps
        out.append({'ms': ms, 'plan': [list(a) for a in plan] if plan is not False else False})
    json.dump(out, sys.stdout)
sys.setrecursionlimit(1000000)
threading.stack_size(1 << 29)
t = threading.Thread(target=main); t.start(); t.join()
`;

function runGtpyhop(dir: string, list: Problem[]): Array<{ ms: number; plan: Json[] | false }> | null {
  const r = spawnSync("python3", ["-c", PYTHON_RUNNER, dir, String(MIN_MEASURE_MS)], {
    input: JSON.stringify(list.map((p) => ({ domain: p.domain, state: p.state, todo: p.todo }))),
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) {
    console.log(`GTPyhop run failed (exit ${r.status}): ${r.stderr.slice(-500)}`);
    return null;
  }
  return JSON.parse(r.stdout) as Array<{ ms: number; plan: Json[] | false }>;
}

function main(): void {
  const list = problems();
  const gtpyhopDir = process.env.GTPYHOP_DIR;
  const ours = list.map(runOurs);
  const theirs = gtpyhopDir ? runGtpyhop(gtpyhopDir, list) : null;

  const pad = (s: string | number, w: number) => String(s).padStart(w);
  console.log(`planner benchmark (node ${process.version}; each row repeated for >= ${MIN_MEASURE_MS} ms)`);
  console.log(
    "problem".padEnd(28) + pad("plan", 6) + pad("ms/plan", 11) + pad("nodes/s", 12) +
      (theirs ? pad("GTPyhop ms", 12) + pad("speedup", 10) + pad("same", 6) : ""),
  );
  const ratios: number[] = [];
  ours.forEach((row, i) => {
    let line = row.label.padEnd(28) + pad(row.planLength, 6) + pad(row.ms.toFixed(4), 11) + pad(Math.round(row.nodesPerSec), 12);
    const t = theirs?.[i];
    if (t) {
      const ratio = t.ms / row.ms;
      ratios.push(ratio);
      line += pad(t.ms.toFixed(3), 12) + pad(`${ratio.toFixed(1)}x`, 10) + pad(JSON.stringify(t.plan) === JSON.stringify(row.plan) ? "yes" : "NO", 6);
    }
    console.log(line);
  });
  // The expression language's cost, against the TypeScript domain measured in this same run.
  for (const row of ours) {
    if (!row.label.startsWith("blocks_htn.json ")) continue;
    const reference = ours.find((r) => r.label === row.label.replace("blocks_htn.json ", "blocks_htn "));
    if (reference !== undefined) console.log(`${row.label}: ${(row.ms / reference.ms).toFixed(2)}x the time of the TypeScript blocks_htn`);
  }
  if (ratios.length > 0) {
    const geo = Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length);
    console.log(`speedup over GTPyhop: geometric mean ${geo.toFixed(1)}x, min ${Math.min(...ratios).toFixed(1)}x, max ${Math.max(...ratios).toFixed(1)}x`);
  } else if (!gtpyhopDir) {
    console.log("(set GTPYHOP_DIR to a GTPyhop checkout to compare with GTPyhop in the same run)");
  }
}

main();
