/**
 * Picks the next token from a step's logits: repetition penalty, then top-k, then temperature
 * (softmax), then top-p and min-p, then a draw from a seeded PRNG. Only the allowed tokens (the
 * constraint's mask) are candidates. Buffers are allocated once per sampler and reused: a step
 * is a few linear passes over the candidates, with no sort of the whole vocabulary (top-k uses
 * quickselect, top-p a histogram of probabilities and a sort of one bucket), and candidates far
 * below the best are dropped in the first pass.
 */
import { EnsoulError } from "../../../lib/errors.js";
import { Rng } from "../procedural/prng.js";

export interface SamplingOptions {
  /** 0 = greedy (always the most likely allowed token). Default 1. */
  temperature: number;
  /** Keep the k most likely tokens; 0 = off. */
  topK: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p; 1 = off. */
  topP: number;
  /** Drop tokens less likely than minP × the most likely one; 0 = off. */
  minP: number;
  /** > 1 makes tokens already generated less likely (CTRL-style: positive logits divided, negative multiplied); 1 = off. */
  repetitionPenalty: number;
  /** The PRNG seed: same seed and settings → same tokens. */
  seed: number;
}

export const DEFAULT_SAMPLING: SamplingOptions = { temperature: 1, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1, seed: 0 };

/** Checks sampling settings; throws INVALID_ARGUMENT naming the setting at fault. */
export function checkSampling(options: SamplingOptions): SamplingOptions {
  const bad = (field: string, rule: string): never => {
    throw new EnsoulError("INVALID_ARGUMENT", `${field} must be ${rule}`, { field });
  };
  if (!(options.temperature >= 0 && options.temperature <= 10)) bad("temperature", "from 0 to 10");
  if (!(Number.isInteger(options.topK) && options.topK >= 0)) bad("topK", "a non-negative integer");
  if (!(options.topP > 0 && options.topP <= 1)) bad("topP", "above 0 and at most 1");
  if (!(options.minP >= 0 && options.minP < 1)) bad("minP", "from 0 to below 1");
  if (!(options.repetitionPenalty >= 1 && options.repetitionPenalty <= 10)) bad("repetitionPenalty", "from 1 to 10");
  if (!(Number.isSafeInteger(options.seed) && options.seed >= 0)) bad("seed", "a non-negative integer");
  return options;
}

const BUCKETS = 1024;
const NEGLIGIBLE = 30;
const BINS_PER_TEMPERATURE = 16;
const NO_BIN = 0xffff;
/** exp(-b/16): the largest probability (relative to the best) in rejection bin b. */
const BIN_BOUND = Float64Array.from({ length: NEGLIGIBLE * BINS_PER_TEMPERATURE + 1 }, (_, b) => Math.exp(-b / BINS_PER_TEMPERATURE));
/** The bits of 1.0f. */
const ONE_BITS = 0x3f800000;

export class TokenSampler {
  private readonly values: Float32Array;
  private readonly ids: Int32Array;
  private readonly scratch: Float32Array;
  private readonly bucketMass = new Float64Array(BUCKETS);
  private readonly buckets: Uint16Array;
  private readonly binCount = new Int32Array(NEGLIGIBLE * BINS_PER_TEMPERATURE + 1);
  private readonly bits = new Float32Array(1);
  private readonly bitsInt = new Int32Array(this.bits.buffer);
  private readonly rng: Rng;
  /** The running state of `scan`. */
  private best = -Infinity;
  private bestId = -1;
  private kept = 0;
  /** Tokens generated so far, for the repetition penalty. */
  private readonly seen: Uint8Array;

  constructor(
    vocabSize: number,
    private readonly options: SamplingOptions,
  ) {
    this.values = new Float32Array(vocabSize);
    this.ids = new Int32Array(vocabSize);
    this.scratch = new Float32Array(vocabSize);
    this.buckets = new Uint16Array(vocabSize);
    this.seen = new Uint8Array(vocabSize);
    this.rng = new Rng(options.seed, 0x5a3b1e);
  }

  /** Records a generated token (for the repetition penalty). */
  observe(id: number): void {
    this.seen[id] = 1;
  }

  /**
   * Picks a token among `allowed[0, count)` (or the whole vocabulary when `allowed` is null),
   * plus the tokens whose `plainLength` is at most `plainLimit` (a MaskBuilder's plain part),
   * from `logits` (one row, length ≥ vocabulary).
   */
  sample(logits: Float32Array, allowed: Int32Array | null, count: number, plainLength: Uint8Array | null = null, plainLimit = -1): number {
    const { values, ids } = this;
    const { temperature, topK, topP, minP } = this.options;
    // Tokens more than NEGLIGIBLE·temperature below the best have probability below e^-NEGLIGIBLE
    // of it (under 1e-13 of the best's): only candidates within that margin of the best so far
    // are kept, which spares the writes and the exp() of almost all of the vocabulary.
    const margin = temperature === 0 ? 0 : NEGLIGIBLE * temperature;
    this.best = -Infinity;
    this.bestId = -1;
    this.kept = 0;
    // The plain-text part of a mask (see MaskBuilder) is a contiguous scan, not an id list.
    if (plainLength !== null && plainLimit >= 0) this.scan(logits, null, plainLength.length, margin, plainLength, plainLimit);
    this.scan(logits, allowed, allowed === null ? (plainLimit >= 0 ? 0 : values.length) : count, margin, null, 0);
    const best = this.best;
    const bestId = this.bestId;
    let kept = this.kept;
    if (bestId < 0) throw new EnsoulError("INTERNAL", "no token is allowed at this step");
    if (temperature === 0 || kept === 1) return bestId;
    const floor = best - margin;
    if (topK > 0 && topK < kept) {
      kept = this.keepWhere(kept, (v) => v >= floor);
      if (topK < kept) kept = this.keepTopK(kept, topK);
    }
    if (topP >= 1) return this.drawByRejection(kept, best, floor, temperature, minP);
    // One pass: drop what is below the floor, softmax at the temperature (values become
    // unnormalised probabilities, the best is 1) and drop what min-p rejects.
    const inverse = 1 / temperature;
    let w = 0;
    for (let i = 0; i < kept; i++) {
      const v = values[i]!;
      if (v < floor) continue;
      const p = Math.exp((v - best) * inverse);
      if (p < minP) continue;
      values[w] = p;
      ids[w++] = ids[i]!;
    }
    kept = w;
    if (topP < 1) kept = this.keepTopP(kept, topP * this.sum(kept));
    const total = this.sum(kept);
    let r = this.rng.float() * total;
    for (let i = 0; i < kept; i++) {
      r -= values[i]!;
      if (r < 0) return ids[i]!;
    }
    return ids[kept - 1]!;
  }

  /**
   * An exact draw from the softmax of values[0, kept) without an exp() per candidate: the
   * candidates are binned by how far below the best they are (bins 1/16 of the temperature
   * wide), a bin is drawn by count × its upper bound, a member of it uniformly, and accepted with
   * its true probability over that bound (at least e^-1/16, so ~1.07 tries on average). Min-p is
   * a logit threshold here: p ≥ minP·pmax ⟺ v ≥ best + T·ln(minP).
   */
  private drawByRejection(kept: number, best: number, floor: number, temperature: number, minP: number): number {
    const { values, ids, buckets, binCount } = this;
    const lowest = minP > 0 ? Math.max(floor, best + temperature * Math.log(minP)) : floor;
    const perLogit = BINS_PER_TEMPERATURE / temperature;
    binCount.fill(0);
    for (let i = 0; i < kept; i++) {
      const v = values[i]!;
      if (v < lowest) {
        buckets[i] = NO_BIN;
        continue;
      }
      const b = Math.min(binCount.length - 1, Math.floor((best - v) * perLogit));
      buckets[i] = b;
      binCount[b]!++;
    }
    let total = 0;
    for (let b = 0; b < binCount.length; b++) total += binCount[b]! * BIN_BOUND[b]!;
    for (;;) {
      let r = this.rng.float() * total;
      let b = 0;
      for (; b < binCount.length - 1; b++) {
        r -= binCount[b]! * BIN_BOUND[b]!;
        if (r < 0) break;
      }
      while (binCount[b] === 0) b--; // rounding at the far end
      let rank = Math.floor(this.rng.float() * binCount[b]!);
      let i = 0;
      for (; i < kept; i++) if (buckets[i] === b && rank-- === 0) break;
      const accept = Math.exp((values[i]! - best) / temperature) / BIN_BOUND[b]!;
      if (this.rng.float() < accept) return ids[i]!;
    }
  }

  /**
   * Adds candidates to values/ids: ids allowed[0, n) (all ids below n when allowed is null,
   * skipping those whose plainLength exceeds limit when plainLength is given), keeping only
   * those within `margin` of the best so far. Reads and updates best, bestId and kept.
   */
  private scan(logits: Float32Array, allowed: Int32Array | null, n: number, margin: number, plainLength: Uint8Array | null, limit: number): void {
    const { values, ids, seen } = this;
    const penalty = this.options.repetitionPenalty;
    let best = this.best;
    let bestId = this.bestId;
    let kept = this.kept;
    for (let i = 0; i < n; i++) {
      const id = allowed === null ? i : allowed[i]!;
      if (plainLength !== null && plainLength[id]! > limit) continue;
      let v = logits[id]!;
      // fround: the kept values are float32, so the best must be too (else a probability could exceed 1).
      if (penalty !== 1 && seen[id] === 1) v = Math.fround(v > 0 ? v / penalty : v * penalty);
      if (v > best) {
        best = v;
        bestId = id;
      }
      if (v >= best - margin) {
        ids[kept] = id;
        values[kept++] = v;
      }
    }
    this.best = best;
    this.bestId = bestId;
    this.kept = kept;
  }

  private sum(kept: number): number {
    let total = 0;
    for (let i = 0; i < kept; i++) total += this.values[i]!;
    return total;
  }

  /** Moves the candidates that pass to the front (keeping order); returns how many. */
  private keepWhere(kept: number, pass: (value: number) => boolean): number {
    const { values, ids } = this;
    let w = 0;
    for (let i = 0; i < kept; i++) {
      if (pass(values[i]!)) {
        values[w] = values[i]!;
        ids[w++] = ids[i]!;
      }
    }
    return w;
  }

  /** Keeps the k largest logits (ties at the k-th value all kept, so the result does not depend on order). */
  private keepTopK(n: number, k: number): number {
    const scratch = this.scratch;
    scratch.set(this.values.subarray(0, n));
    const threshold = quickselectDescending(scratch, n, k - 1);
    return this.keepWhere(n, (v) => v >= threshold);
  }

  /** Keeps the most likely candidates until their mass reaches `target` (probabilities unnormalised, max 1). */
  private keepTopP(kept: number, target: number): number {
    const { values, ids, bucketMass, buckets } = this;
    bucketMass.fill(0);
    // Bucket by the float's bits: for 0 < p <= 1 they fall as p rises, so bucket order is
    // probability order (16 buckets per power of two; one pass, no logarithm).
    for (let i = 0; i < kept; i++) {
      this.bits[0] = values[i]!;
      const b = Math.max(0, Math.min(BUCKETS - 1, (ONE_BITS - this.bitsInt[0]!) >> 19));
      buckets[i] = b;
      bucketMass[b] = bucketMass[b]! + values[i]!;
    }
    let mass = 0;
    let last = 0;
    for (; last < BUCKETS; last++) {
      if (mass + bucketMass[last]! >= target) break;
      mass += bucketMass[last]!;
    }
    // Everything in buckets before `last` is kept; from bucket `last`, the largest until the target.
    const inLast: number[] = [];
    for (let i = 0; i < kept; i++) if (buckets[i] === last) inLast.push(values[i]!);
    inLast.sort((a, b) => b - a);
    let cut = inLast[inLast.length - 1] ?? 0;
    for (const p of inLast) {
      mass += p;
      cut = p;
      if (mass >= target) break;
    }
    let w = 0;
    for (let i = 0; i < kept; i++) {
      const b = buckets[i]!;
      if (b < last || (b === last && values[i]! >= cut)) {
        values[w] = values[i]!;
        ids[w++] = ids[i]!;
      }
    }
    return w;
  }
}

/** The value of rank `k` (0 = largest) among a[0, n); reorders a. */
function quickselectDescending(a: Float32Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! > pivot) i++;
      while (a[j]! < pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}
