/**
 * One character being decoded: its automaton state, mask buffer, sampler, text so far and
 * stats. The engine drives lanes one at a time (a single sequence) or side by side (a batch);
 * a lane never touches the model, it turns a row of logits into the next token and deltas.
 */
import { EnsoulError } from "../../../lib/errors.js";
import type { Character } from "../character.js";
import { validateCharacter } from "../schema.js";
import { TopLevelFieldReader, type GenerateDelta } from "../stream.js";
import { advanceText, completionPieces, DONE, startState, type Frame } from "./constraint/automaton.js";
import type { GrammarNode } from "./constraint/grammar.js";
import { MaskBuilder, type TokenTrie } from "./constraint/mask.js";
import { TokenSampler, type SamplingOptions } from "./sampler.js";

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
  /** How many sequences ran in the model together (1 unless batched). */
  batchSize: number;
  timeToFirstTokenMs: number;
  prefillMs: number;
  modelMs: number;
  maskMs: number;
  sampleMs: number;
  totalMs: number;
}

/** What lanes share: the vocabulary's texts and trie, and token counts of completion pieces. */
export interface LaneVocabulary {
  texts: readonly (string | null)[];
  trie: TokenTrie;
  vocabSize: number;
  tokensOf(piece: string): number[];
}

export class Lane {
  readonly stats: GenerationStats;
  private state: Frame;
  private text = "";
  private readonly masks: MaskBuilder;
  private readonly sampler: TokenSampler;
  private readonly fields = new TopLevelFieldReader();
  private step = 0;

  constructor(
    private readonly vocabulary: LaneVocabulary,
    grammar: GrammarNode,
    sampling: SamplingOptions,
    private readonly maxTokens: number,
    private readonly started: number,
  ) {
    this.state = startState(grammar);
    this.masks = new MaskBuilder(vocabulary.trie);
    this.sampler = new TokenSampler(vocabulary.vocabSize, sampling);
    this.stats = {
      promptTokens: 0,
      sampledTokens: 0,
      sampledIds: [],
      modelSteps: 0,
      forcedTokens: 0,
      batchSize: 1,
      timeToFirstTokenMs: 0,
      prefillMs: 0,
      modelMs: 0,
      maskMs: 0,
      sampleMs: 0,
      totalMs: 0,
    };
  }

  private emit(piece: string, out: GenerateDelta[]): void {
    if (this.stats.timeToFirstTokenMs === 0) this.stats.timeToFirstTokenMs = performance.now() - this.started;
    this.text += piece;
    out.push({ type: "text", text: piece });
    for (const done of this.fields.push(piece)) out.push({ type: "field", ...done });
  }

  /**
   * Writes the next token from `logits` (deltas into `out`) and returns its id for the model's
   * next step; returns -1 when the document is complete (the last token needs no model step).
   * When the shortest completion no longer fits the token budget, it is written whole instead.
   */
  next(logits: Float32Array, out: GenerateDelta[]): number {
    const { stats, vocabulary } = this;
    let t = performance.now();
    const pieces = completionPieces(this.state);
    let needed = 0;
    for (const piece of pieces) needed += vocabulary.tokensOf(piece).length;
    const count = needed < this.maxTokens - this.step ? this.masks.build(this.state) : 0;
    stats.maskMs += performance.now() - t;
    if (count === 0) {
      // The budget is down to the shortest completion (or, defensively, nothing fits): write it.
      for (const piece of pieces) {
        stats.forcedTokens += vocabulary.tokensOf(piece).length;
        this.emit(piece, out);
      }
      this.state = advanceText(this.state, pieces.join("")) ?? this.state;
      return -1;
    }
    t = performance.now();
    const masks = this.masks;
    const id = this.sampler.sample(logits, masks.ids, masks.count, vocabulary.trie.plainLength, masks.plainLimit);
    this.sampler.observe(id);
    stats.sampleMs += performance.now() - t;
    stats.sampledTokens++;
    stats.sampledIds.push(id);
    this.step++;
    const piece = vocabulary.texts[id]!;
    this.state = advanceText(this.state, piece)!;
    this.emit(piece, out);
    return this.state === DONE ? -1 : id;
  }

  /** The finished, validated character (INTERNAL if the decoder ever wrote an invalid one). */
  finish(): Character {
    let character: Character;
    try {
      character = validateCharacter(JSON.parse(this.text));
    } catch (error) {
      throw new EnsoulError("INTERNAL", `the constrained decoder wrote an invalid character: ${(error as Error).message}`, { cause: error });
    }
    this.stats.totalMs = performance.now() - this.started;
    return character;
  }
}
