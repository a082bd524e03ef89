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
 * LLM section (on the tiny Qwen3 test model, built if missing; BENCH_LLM_MODEL=DIR for another
 * export): 50 constrained generations with varied sampling settings at up to 640 tokens
 * (BENCH_LLM_MAX_TOKENS; 1,024 takes ~7 minutes on two busy cores), all
 * checked schema-valid; time to first token (prompt not cached, then cached); per sampled token,
 * the time in the model, the mask and the sampler. Then our loop against a bare session.run
 * loop (fresh tensors per step, nothing else) replaying the same prompt and token sequence on
 * the same session, interleaved, best of 3: tokens/s of each and our overhead. Last, eight
 * concurrent requests one at a time vs batched four at a time (maxBatch).
 *
 *   npm run bench:generate
 *   BENCH_GENERATE_MS=5000 npm run bench:generate   # longer measurement per step
 *   BENCH_GENERATE_SECTIONS=llm npm run bench:generate
 *   BENCH_LLM_MODEL=models/test/qwen3-mid BENCH_LLM_RUNS=1 BENCH_LLM_MAX_TOKENS=360 …  # a bigger model
 *     (built with: /usr/bin/python3 models/build_tiny_qwen3.py --hidden 1024 --layers 8 --head-dim 64 --out models/test/qwen3-mid)
 */
import { performance } from "node:perf_hooks";
import { collectCharacter, createProceduralGenerator, generateProceduralCharacter, validateCharacter, type Character } from "../src/services/generate/index.js";
import { composeCharacter } from "../src/services/generate/procedural/compose.js";
import type { CharacterRequest } from "../src/services/generate/request.js";
import ort from "onnxruntime-node";
import { createLlmGenerator, type GenerationStats, type LlmGenerator, type SamplingSettings } from "../src/services/generate/llm/index.js";
import { PREFILL_CHUNK } from "../src/services/generate/llm/decode.js";
import { ensureTinyModel, SAMPLING_VARIETY } from "../src/services/generate/llm/tiny_model.testkit.js";

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

const LLM_SETTINGS = SAMPLING_VARIETY;

/** One generation to its end; returns its stats (the done delta means it passed validateCharacter). */
async function llmRun(llm: LlmGenerator, i: number, maxTokens: number, sampling: SamplingSettings): Promise<GenerationStats> {
  let stats: GenerationStats | undefined;
  const character = await collectCharacter(
    llm.generate({ prompt: PROMPTS[1 + (i % 4)]!, seed: i, generator: "llm" }, { maxTokens, sampling, onStats: (s) => (stats = s) }),
  );
  validateCharacter(character);
  return stats!;
}

/** The same decode steps as a generation, as plain session.run calls with fresh tensors: the reference loop. */
async function bareLoop(llm: LlmGenerator, prompt: number[], ids: readonly number[]): Promise<number> {
  const model = llm.engine.model;
  const { layers, kvHeads, headDim } = model.shape;
  const int64 = (values: number[]): ort.Tensor => new ort.Tensor("int64", BigInt64Array.from(values, BigInt), [1, values.length]);
  let feeds: Record<string, ort.Tensor> = {};
  for (let l = 0; l < layers; l++) {
    feeds[`past_key_values.${l}.key`] = new ort.Tensor("float32", new Float32Array(0), [1, kvHeads, 0, headDim]);
    feeds[`past_key_values.${l}.value`] = new ort.Tensor("float32", new Float32Array(0), [1, kvHeads, 0, headDim]);
  }
  let length = 0;
  const run = async (tokens: number[]): Promise<void> => {
    feeds.input_ids = int64(tokens);
    feeds.position_ids = int64(tokens.map((_, k) => length + k));
    feeds.attention_mask = int64(new Array<number>(length + tokens.length).fill(1));
    const out = await model.session.run(feeds);
    feeds = { ...feeds };
    for (let l = 0; l < layers; l++) {
      feeds[`past_key_values.${l}.key`] = out[`present.${l}.key`]!;
      feeds[`past_key_values.${l}.value`] = out[`present.${l}.value`]!;
    }
    length += tokens.length;
  };
  for (let start = 0; start < prompt.length; start += PREFILL_CHUNK) await run(prompt.slice(start, start + PREFILL_CHUNK));
  const began = performance.now();
  for (const id of ids) await run([id]);
  return performance.now() - began;
}

/** Replays generation `index`: our loop and the bare loop on its tokens, interleaved, best of 3. */
async function replay(llm: LlmGenerator, index: number, runs: GenerationStats[], maxTokens: number): Promise<void> {
  const pick = runs[index]!;
  const prompt = llm.engine.promptTokens({ prompt: PROMPTS[1 + (index % 4)]!, seed: index, generator: "llm" });
  let ours = Infinity;
  let bare = Infinity;
  let best: GenerationStats = pick;
  for (let round = 0; round < 3; round++) {
    const again = await llmRun(llm, index, maxTokens, LLM_SETTINGS[index % LLM_SETTINGS.length]!);
    if (again.sampledIds.join() !== pick.sampledIds.join()) throw new Error("a replayed generation differed: the loop is not deterministic");
    if (again.totalMs - again.prefillMs < ours) {
      ours = again.totalMs - again.prefillMs;
      best = again;
    }
    bare = Math.min(bare, await bareLoop(llm, prompt, pick.sampledIds.slice(0, pick.modelSteps)));
  }
  const steps = pick.modelSteps;
  const settings = JSON.stringify(LLM_SETTINGS[index % LLM_SETTINGS.length]);
  console.log(`  replay of generation ${index} (sampling ${settings} over generation_config.json; ${steps} decode steps, ${pick.forcedTokens} forced tokens):`);
  console.log(`    bare session.run loop       ${((steps * 1000) / bare).toFixed(1).padStart(8)} tokens/s`);
  console.log(
    `    our constrained loop        ${((steps * 1000) / ours).toFixed(1).padStart(8)} tokens/s   overhead ${((ours / bare - 1) * 100).toFixed(1)}% (goal ≤ 5%), ${(((ours - bare) / steps) * 1000).toFixed(0)} µs per token`,
  );
  const us = (ms: number): string => `${((ms / steps) * 1000).toFixed(0)} µs`;
  console.log(`    our loop per token: model ${us(best.modelMs)}, mask ${us(best.maskMs)}, sampler ${us(best.sampleMs)}; bare loop ${us(bare)}`);
  // The same overhead without the noise of two separate model timings (a shared machine):
  // everything our loop does outside session.run, against the bare loop's step.
  const outside = ours - best.modelMs;
  console.log(`    our work outside session.run: ${us(outside)} per token = ${((outside / bare) * 100).toFixed(1)}% of a bare step`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const llmSection: Section = {
  name: "llm generator (constrained decoding)",
  async run() {
    const modelDir = process.env["BENCH_LLM_MODEL"] ?? ensureTinyModel();
    const threads = Number(process.env["BENCH_LLM_THREADS"] ?? 1);
    const loadStart = performance.now();
    const llm = await createLlmGenerator({ modelDir, intraOpThreads: threads });
    console.log(`  model ${modelDir} (${threads} onnxruntime thread(s)); load + vocabulary trie: ${(performance.now() - loadStart).toFixed(0)} ms`);
    const maxTokens = Number(process.env["BENCH_LLM_MAX_TOKENS"] ?? 640);
    const count = Number(process.env["BENCH_LLM_RUNS"] ?? 50);
    const runs: GenerationStats[] = [];
    const generationsStart = performance.now();
    for (let i = 0; i < count; i++) runs.push(await llmRun(llm, i, maxTokens, LLM_SETTINGS[i % LLM_SETTINGS.length]!));
    const seconds = (performance.now() - generationsStart) / 1000;
    const sum = (f: (s: GenerationStats) => number): number => runs.reduce((a, s) => a + f(s), 0);
    const sampled = sum((s) => s.sampledTokens);
    console.log(`  ${count} generations, ${LLM_SETTINGS.length} sampling settings, max ${maxTokens} tokens: ${count}/${count} schema-valid in ${seconds.toFixed(1)} s`);
    console.log(`  tokens per character: ${(sampled / count).toFixed(0)} sampled + ${(sum((s) => s.forcedTokens) / count).toFixed(0)} forced completion (prompt ${runs[0]!.promptTokens})`);
    // The first use of each of the 4 prompts runs it; later ones fork its cached KV.
    const cold = runs.slice(0, 4).map((s) => s.timeToFirstTokenMs);
    const warm = runs.slice(4).map((s) => s.timeToFirstTokenMs);
    const warmText = warm.length > 0 ? `, ${median(warm).toFixed(2)} ms from the prompt cache` : "";
    console.log(`  time to first token: ${median(cold).toFixed(1)} ms with the prompt run (median of ${cold.length})${warmText}`);
    const per = (f: (s: GenerationStats) => number): string => `${((sum(f) / sampled) * 1000).toFixed(0)} µs`;
    console.log(`  per sampled token: model ${per((s) => s.modelMs)}, mask ${per((s) => s.maskMs)}, sampler ${per((s) => s.sampleMs)}`);

    // Our loop vs the bare loop: for the model's own settings (generation_config.json) and for the
    // costliest sampler settings, the longest generation replayed.
    for (const setting of [0, LLM_SETTINGS.length - 1]) {
      const candidates = runs.filter((_, i) => i % LLM_SETTINGS.length === setting);
      if (candidates.length === 0) continue;
      await replay(llm, runs.indexOf(candidates.reduce((a, b) => (b.modelSteps > a.modelSteps ? b : a))), runs, maxTokens);
    }
    await llm.close();
    if (count >= 8) await batchThroughput(modelDir, threads, maxTokens);
  },
};

/** Eight requests asked for at once: one at a time (maxBatch 1) vs batched 4 at a time, on fresh generators. */
async function batchThroughput(modelDir: string, threads: number, maxTokens: number): Promise<void> {
  const rate: Record<number, number> = {};
  for (const maxBatch of [1, 4]) {
    const llm = await createLlmGenerator({ modelDir, intraOpThreads: threads, maxBatch });
    await llmRun(llm, 0, 330, {}); // prompt cache warm for one prompt, the same for both
    const began = performance.now();
    const stats = await Promise.all(Array.from({ length: 8 }, (_, i) => llmRun(llm, 100 + i, maxTokens, LLM_SETTINGS[i % LLM_SETTINGS.length]!)));
    rate[maxBatch] = stats.reduce((a, s) => a + s.sampledTokens, 0) / ((performance.now() - began) / 1000);
    await llm.close();
  }
  console.log(`  8 concurrent requests: ${rate[1]!.toFixed(0)} sampled tokens/s one at a time, ${rate[4]!.toFixed(0)} batched by 4 (${(rate[4]! / rate[1]!).toFixed(2)}×)`);
}

const chosen = (process.env["BENCH_GENERATE_SECTIONS"] ?? "procedural,llm").split(",");
const SECTIONS: Section[] = [procedural, llmSection].filter((s) => chosen.some((c) => s.name.startsWith(c)));

for (const section of SECTIONS) {
  console.log(`${section.name}:`);
  await section.run();
}
