/**
 * `npm run bench:generate`: character generation speed.
 *
 * Sections run in order and each prints its own rows; a section is a name and an async function,
 * so the LLM section (tokens/s of the decode loop vs a bare session.run loop, mask time per
 * token, time to first token) is one more entry in SECTIONS.
 *
 * Procedural section: characters/s for the procedural generator (compose + schema validation),
 * the same through the streaming API, and compose alone; as references measured in the same run
 * on the same characters, JSON.stringify/s and ajv validation/s. Ratios say how many
 * stringify-equivalents one generated character costs.
 *
 *   npm run bench:generate
 *   BENCH_GENERATE_MS=5000 npm run bench:generate   # longer measurement per step
 */
import { performance } from "node:perf_hooks";
import { collectCharacter, createProceduralGenerator, generateProceduralCharacter, validateCharacter, type Character } from "../src/services/generate/index.js";
import { composeCharacter } from "../src/services/generate/procedural/compose.js";
import type { CharacterRequest } from "../src/services/generate/request.js";

const MEASURE_MS = Number(process.env["BENCH_GENERATE_MS"] ?? 1500);
const ROUNDS = 5;

const PROMPTS = [
  "",
  "a cowardly dwarven blacksmith who owes money to the thieves' guild",
  "an old elven priestess searching for her lost brother",
  "a young orc hunter seeking revenge against the bandit king",
  "a cheerful gnome bard in love with the baker",
];

interface Section {
  name: string;
  run(): Promise<void>;
}

function request(i: number): CharacterRequest {
  return { prompt: PROMPTS[i % PROMPTS.length]!, seed: i, generator: "procedural" };
}

type Step = (i: number) => unknown;

/**
 * Calls per second of each step, measured in ROUNDS interleaved windows (so a busy machine slows
 * all of them alike) and keeping each step's best window. Steps may return promises.
 */
async function rates(steps: Record<string, Step>): Promise<Record<string, number>> {
  const best: Record<string, number> = {};
  const windowMs = MEASURE_MS / ROUNDS;
  for (const step of Object.values(steps)) for (let i = 0; i < 200; i++) await step(i);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, step] of Object.entries(steps)) {
      let calls = 0;
      const start = performance.now();
      let now = start;
      while (now - start < windowMs) {
        for (let k = 0; k < 20; k++) await step(calls++);
        now = performance.now();
      }
      best[name] = Math.max(best[name] ?? 0, (calls * 1000) / (now - start));
    }
  }
  return best;
}

function row(label: string, perSecond: number, reference?: number): void {
  const ratio = reference === undefined ? "" : `  ${(reference / perSecond).toFixed(1)}× the time of one JSON.stringify`;
  console.log(`  ${label.padEnd(44)} ${perSecond.toFixed(0).padStart(9)} /s${ratio}`);
}

const procedural: Section = {
  name: "procedural generator",
  async run() {
    const pool: Character[] = Array.from({ length: 1000 }, (_, i) => composeCharacter(request(i)));
    const generator = createProceduralGenerator();
    const r = await rates({
      stringify: (i) => JSON.stringify(pool[i % pool.length]),
      validate: (i) => validateCharacter(pool[i % pool.length]),
      compose: (i) => composeCharacter(request(i)),
      full: (i) => generateProceduralCharacter(request(i)),
      streamed: (i) => collectCharacter(generator.generate(request(i))),
    });
    const stringify = r["stringify"]!;
    const full = r["full"]!;
    const streamed = r["streamed"]!;
    const bytes = pool.reduce((sum, c) => sum + JSON.stringify(c).length, 0) / pool.length;
    console.log(`  (average character: ${bytes.toFixed(0)} bytes of JSON; best of ${ROUNDS} interleaved windows, ${MEASURE_MS} ms per step)`);
    row("reference: JSON.stringify of a character", stringify);
    row("reference: ajv validateCharacter", r["validate"]!, stringify);
    row("compose only", r["compose"]!, stringify);
    row("characters (compose + validate)", full, stringify);
    row("characters through the streaming API", streamed, stringify);
    console.log(`  streaming overhead vs direct: ${((full / streamed - 1) * 100).toFixed(1)}%`);
  },
};

const SECTIONS: Section[] = [procedural];

for (const section of SECTIONS) {
  console.log(`${section.name}:`);
  await section.run();
}
