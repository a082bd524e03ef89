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
import { EnsoulError } from "../../../lib/errors.js";
import type { Character, CharacterField } from "../character.js";
import type { CharacterRequest } from "../request.js";
import { validateCharacter } from "../schema.js";
import { throwIfCancelled, TopLevelFieldReader, type GenerateDelta } from "../stream.js";
import { characterGrammar } from "./character_grammar.js";
import { advanceText, completionPieces, DONE, startState, type Frame } from "./constraint/automaton.js";
import { literalTrie, type GrammarNode, type ObjectNode } from "./constraint/grammar.js";
import { MaskBuilder, TokenTrie } from "./constraint/mask.js";
import { KvSequence } from "./decode.js";
import type { LoadedModel } from "./model.js";
import { checkSampling, DEFAULT_SAMPLING, TokenSampler, type SamplingOptions } from "./sampler.js";
import type { ChatMessage, QwenTokenizer } from "./tokenizer.js";

/** What one generation measured (the bench and logs read it). */
export interface GenerationStats {
  promptTokens: number;
  /** Tokens chosen by sampling. */
  sampledTokens: number;
  /** Their ids, in order (a bench replays them through a bare session.run loop). */
  sampledIds: number[];
  /** Decode steps run on the model (after the prompt). */
  modelSteps: number;
  /** Tokens of the forced completion (no model step). */
  forcedTokens: number;
  timeToFirstTokenMs: number;
  prefillMs: number;
  modelMs: number;
  maskMs: number;
  sampleMs: number;
  totalMs: number;
}

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

  constructor(
    readonly model: LoadedModel,
    readonly tokenizer: QwenTokenizer,
  ) {
    this.texts = tokenizer.tokenTexts(model.shape.vocabSize);
    this.trie = new TokenTrie(this.texts);
    this.grammar = characterGrammar();
  }

  /** The chat that asks for `request`'s character, as token ids. */
  promptTokens(request: CharacterRequest): number[] {
    const hints = HINTED.filter((k) => request[k] !== undefined).map((k) => `${k}: ${String(request[k])}`);
    const user = request.prompt.trim() === "" ? "Any character." : request.prompt.trim();
    const messages: ChatMessage[] = [
      { role: "system", content: SYSTEM_PROMPT },
      { role: "user", content: hints.length > 0 ? `${user}\n${hints.join("\n")}` : user },
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

  /** Streams one character; runs after the generations queued before it. */
  async *generate(request: CharacterRequest, options: EngineGenerateOptions): AsyncGenerator<GenerateDelta> {
    const sampling = checkSampling({ ...DEFAULT_SAMPLING, ...options.sampling, seed: options.sampling.seed });
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

  private async *run(request: CharacterRequest, sampling: SamplingOptions, options: EngineGenerateOptions): AsyncGenerator<GenerateDelta> {
    const started = performance.now();
    const stats: GenerationStats = {
      promptTokens: 0,
      sampledTokens: 0,
      sampledIds: [],
      modelSteps: 0,
      forcedTokens: 0,
      timeToFirstTokenMs: 0,
      prefillMs: 0,
      modelMs: 0,
      maskMs: 0,
      sampleMs: 0,
      totalMs: 0,
    };
    throwIfCancelled(options.signal);
    const prompt = this.promptTokens(request);
    stats.promptTokens = prompt.length;
    const maxTokens = options.maxTokens;
    const { sequence, logits: first } = await this.prefilled(prompt, prompt.length + maxTokens + 1);
    stats.prefillMs = performance.now() - started;
    let logits = first;
    const masks = new MaskBuilder(this.trie);
    const sampler = new TokenSampler(this.model.shape.vocabSize, sampling);
    const fields = new TopLevelFieldReader();
    let state: Frame = startState(this.grammarFor(request));
    let text = "";
    const emit = function* (piece: string): Generator<GenerateDelta> {
      if (stats.timeToFirstTokenMs === 0) stats.timeToFirstTokenMs = performance.now() - started;
      text += piece;
      yield { type: "text", text: piece };
      for (const done of fields.push(piece)) yield { type: "field", ...done };
    };
    for (let step = 0; state !== DONE; step++) {
      throwIfCancelled(options.signal);
      let t = performance.now();
      const pieces = completionPieces(state);
      let needed = 0;
      for (const piece of pieces) needed += this.tokensOf(piece).length;
      const count = needed < maxTokens - step ? masks.build(state) : 0;
      stats.maskMs += performance.now() - t;
      if (count === 0) {
        // The budget is down to the shortest completion (or, defensively, nothing fits): write it.
        for (const piece of pieces) {
          stats.forcedTokens += this.tokensOf(piece).length;
          yield* emit(piece);
        }
        state = advanceText(state, pieces.join("")) ?? state;
        break;
      }
      t = performance.now();
      const id = sampler.sample(logits, masks.ids, count);
      sampler.observe(id);
      stats.sampleMs += performance.now() - t;
      stats.sampledTokens++;
      stats.sampledIds.push(id);
      const piece = this.texts[id]!;
      state = advanceText(state, piece)!;
      yield* emit(piece);
      if (state === DONE) break;
      t = performance.now();
      logits = await sequence.step(id);
      stats.modelMs += performance.now() - t;
      stats.modelSteps++;
    }
    let character: Character;
    try {
      character = validateCharacter(JSON.parse(text));
    } catch (error) {
      throw new EnsoulError("INTERNAL", `the constrained decoder wrote an invalid character: ${(error as Error).message}`, { cause: error });
    }
    stats.totalMs = performance.now() - started;
    options.onStats?.(stats);
    yield { type: "done", character };
  }
}
