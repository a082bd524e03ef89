/**
 * The llm generator's engine: one loaded model, its tokenizer, the token trie, and the loop that
 * writes a character token by token under the schema constraint.
 *
 * A step: the mask of allowed tokens from the automaton state, a sampled token among them, its
 * text streamed, the automaton advanced, the model run on the token. Before each step the engine
 * checks that the shortest completion of the document still fits in the token budget; when it
 * no longer would, the completion is written as is (without running the model), so every
 * generation ends with a complete document within `maxTokens`.
 */
import type { CharacterField } from "../character.js";
import type { CharacterRequest } from "../request.js";
import { toEnsoulError } from "../../../lib/errors.js";
import { throwIfCancelled, type GenerateDelta } from "../stream.js";
import { characterGrammar } from "./character_grammar.js";
import { literalTrie, type GrammarNode, type ObjectNode } from "./constraint/grammar.js";
import { TokenTrie } from "./constraint/mask.js";
import { DeltaChannel } from "./channel.js";
import { KvBatch, KvSequence } from "./decode.js";
import { Lane, type GenerationStats, type LaneVocabulary } from "./lane.js";
import type { LoadedModel } from "./model.js";
import { checkSampling, DEFAULT_SAMPLING, type SamplingOptions } from "./sampler.js";
import type { ChatMessage, QwenTokenizer } from "./tokenizer.js";

export type { GenerationStats } from "./lane.js";

export interface EngineGenerateOptions {
  signal?: AbortSignal;
  sampling: SamplingOptions;
  maxTokens: number;
  onStats?: (stats: GenerationStats) => void;
}

const SYSTEM_PROMPT =
  "You write non-player characters for a fantasy video game. Answer with one compact JSON object and nothing else, " +
  "with these keys in this order: schemaVersion (always 1), name, pronouns, species, role, level (1-20), age, " +
  "attributes (six scores 1-20), skills, abilities, personality (traits, ideals, bonds, flaws), backstory (paragraphs), " +
  "goals (planner tasks or goals), dialogue (greeting, farewell, barks by situation, voiceLines), behaviour (routine, " +
  "reactions), appearance (heightM, build, body proportions near 1, #rrggbb colours), equipment.";

const PROMPT_CACHE_SIZE = 4;

/** A generation waiting for, or running in, the model. */
interface Job {
  request: CharacterRequest;
  sampling: SamplingOptions;
  options: EngineGenerateOptions;
}

/** The request's hints as constraints: a hinted field can only be written as the hint. */
const HINTED: readonly (keyof CharacterRequest & CharacterField)[] = ["name", "pronouns", "species", "role", "level"];

export class LlmEngine {
  private readonly texts: (string | null)[];
  private readonly trie: TokenTrie;
  private readonly grammar: GrammarNode;
  private readonly pieceTokens = new Map<string, number[]>();
  /** The KV caches of recent prompts (designers often ask again with another seed). */
  private readonly prompts = new Map<string, { sequence: KvSequence; logits: Float32Array }>();
  /** Generations run one at a time on the session (a later one waits for the earlier). */
  private queue: Promise<void> = Promise.resolve();

  private readonly pending: (Job & { channel: DeltaChannel })[] = [];
  private draining = false;

  constructor(
    readonly model: LoadedModel,
    readonly tokenizer: QwenTokenizer,
    /** The most generations run together in one forward pass (1: one at a time). */
    readonly maxBatch = 1,
  ) {
    this.texts = tokenizer.tokenTexts(model.shape.vocabSize);
    this.trie = new TokenTrie(this.texts);
    this.grammar = characterGrammar();
  }

  /** The chat that asks for `request`'s character, as token ids. */
  promptTokens(request: CharacterRequest): number[] {
    const hints = HINTED.filter((k) => request[k] !== undefined).map((k) => `${k}: ${String(request[k])}`);
    const user = request.prompt.trim() === "" ? "Any character." : request.prompt.trim();
    const content = hints.length > 0 ? `${user}\n${hints.join("\n")}` : user;
    const messages: ChatMessage[] = [
      { role: "system", content: SYSTEM_PROMPT },
      // The designer's words never become control tokens: "<|im_end|>" in a prompt stays text.
      { role: "user", content: content.replaceAll("<|", "<\u200b|") },
    ];
    return this.tokenizer.encode(this.tokenizer.applyChatTemplate(messages));
  }

  /** The character grammar with the request's hints fixed as literals. */
  private grammarFor(request: CharacterRequest): GrammarNode {
    const root = this.grammar as ObjectNode;
    const values = root.values.slice();
    for (const field of HINTED) {
      const hint = request[field];
      const index = root.keyIndex.get(field);
      if (hint !== undefined && index !== undefined) {
        values[index] = { kind: "literal", trie: literalTrie([JSON.stringify(hint)]), path: field };
      }
    }
    return { ...root, values };
  }

  private tokensOf(piece: string): number[] {
    let tokens = this.pieceTokens.get(piece);
    if (tokens === undefined) {
      tokens = this.tokenizer.encode(piece);
      if (this.pieceTokens.size < 10_000) this.pieceTokens.set(piece, tokens);
    }
    return tokens;
  }

  /** A KV sequence that has run `tokens`: forked from the prompt cache when this prompt ran recently. */
  private async prefilled(tokens: number[], maxLength: number): Promise<{ sequence: KvSequence; logits: Float32Array }> {
    const key = tokens.join(",");
    const cached = this.prompts.get(key);
    if (cached !== undefined) {
      this.prompts.delete(key);
      this.prompts.set(key, cached); // most recently used last
      return { sequence: cached.sequence.fork(maxLength), logits: cached.logits };
    }
    const sequence = new KvSequence(this.model, maxLength);
    const logits = (await sequence.prefill(tokens)).slice();
    this.prompts.set(key, { sequence: sequence.fork(), logits });
    if (this.prompts.size > PROMPT_CACHE_SIZE) this.prompts.delete(this.prompts.keys().next().value!);
    return { sequence, logits };
  }

  /**
   * Streams one character. With maxBatch 1 generations run one after another; above 1, the
   * generations waiting when the model frees up run together as one batch.
   */
  async *generate(request: CharacterRequest, options: EngineGenerateOptions): AsyncGenerator<GenerateDelta> {
    const sampling = checkSampling({ ...DEFAULT_SAMPLING, ...options.sampling, seed: options.sampling.seed });
    if (this.maxBatch > 1) {
      const channel = new DeltaChannel();
      this.pending.push({ request, sampling, options, channel });
      void this.drain();
      yield* channel;
      return;
    }
    let release = (): void => {};
    const previous = this.queue;
    this.queue = new Promise<void>((resolve) => (release = resolve));
    try {
      await previous;
      yield* this.run(request, sampling, options);
    } finally {
      release();
    }
  }

  private vocabulary(): LaneVocabulary {
    return { texts: this.texts, trie: this.trie, vocabSize: this.model.shape.vocabSize, tokensOf: (piece) => this.tokensOf(piece) };
  }

  /** Prefills `job`'s prompt (or forks it from the cache) and makes its lane. */
  private async startJob(job: Job, started: number): Promise<{ lane: Lane; sequence: KvSequence; logits: Float32Array }> {
    throwIfCancelled(job.options.signal);
    const prompt = this.promptTokens(job.request);
    const { sequence, logits } = await this.prefilled(prompt, prompt.length + job.options.maxTokens + 1);
    const lane = new Lane(this.vocabulary(), this.grammarFor(job.request), job.sampling, job.options.maxTokens, started);
    lane.stats.promptTokens = prompt.length;
    lane.stats.prefillMs = performance.now() - started;
    return { lane, sequence, logits };
  }

  private async *run(request: CharacterRequest, sampling: SamplingOptions, options: EngineGenerateOptions): AsyncGenerator<GenerateDelta> {
    const started = performance.now();
    const { lane, sequence, logits: first } = await this.startJob({ request, sampling, options }, started);
    let logits = first;
    const out: GenerateDelta[] = [];
    for (;;) {
      throwIfCancelled(options.signal);
      out.length = 0;
      const id = lane.next(logits, out);
      yield* out;
      if (id < 0) break;
      const t = performance.now();
      logits = await sequence.step(id);
      lane.stats.modelMs += performance.now() - t;
      lane.stats.modelSteps++;
    }
    const character = lane.finish();
    options.onStats?.(lane.stats);
    yield { type: "done", character };
  }

  /** Runs the waiting generations in batches of up to maxBatch until none wait. */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      // Let the generations asked for in the same turn of the event loop join this batch.
      await new Promise((resolve) => setImmediate(resolve));
      while (this.pending.length > 0) {
        const jobs = this.pending.splice(0, this.maxBatch);
        try {
          await this.runBatch(jobs);
        } catch (error) {
          for (const job of jobs) job.channel.fail(toEnsoulError(error));
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async runBatch(jobs: (Job & { channel: DeltaChannel })[]): Promise<void> {
    const started = performance.now();
    const live: { job: Job & { channel: DeltaChannel }; lane: Lane; logits: Float32Array }[] = [];
    const sequences: KvSequence[] = [];
    for (const job of jobs) {
      try {
        const { lane, sequence, logits } = await this.startJob(job, started);
        live.push({ job, lane, logits });
        sequences.push(sequence);
      } catch (error) {
        job.channel.fail(toEnsoulError(error));
      }
    }
    if (live.length === 0) return;
    const batch = new KvBatch(this.model, sequences);
    const out: GenerateDelta[] = [];
    while (live.length > 0) {
      const keep: number[] = [];
      const tokens: number[] = [];
      live.forEach(({ job, lane, logits }, row) => {
        if (job.channel.abandoned) return;
        out.length = 0;
        try {
          throwIfCancelled(job.options.signal);
          const id = lane.next(logits, out);
          job.channel.push(out);
          if (id >= 0) {
            keep.push(row);
            tokens.push(id);
            return;
          }
          const character = lane.finish();
          job.options.onStats?.(lane.stats);
          job.channel.push([{ type: "done", character }]);
          job.channel.close();
        } catch (error) {
          job.channel.fail(toEnsoulError(error));
        }
      });
      batch.keep(keep);
      const kept = keep.map((row) => live[row]!);
      live.length = 0;
      live.push(...kept);
      if (live.length === 0) break;
      const t = performance.now();
      const rows = await batch.step(tokens);
      const ms = performance.now() - t;
      live.forEach((entry, row) => {
        entry.logits = rows[row]!;
        entry.lane.stats.modelMs += ms;
        entry.lane.stats.modelSteps++;
        entry.lane.stats.batchSize = Math.max(entry.lane.stats.batchSize, live.length);
      });
    }
  }
}
