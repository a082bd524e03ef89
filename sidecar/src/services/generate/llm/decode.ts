/**
 * The KV-cache forward pass of one sequence: a chunked prefill of the prompt, then one token per
 * step, each `present.N.*` fed back as the next `past_key_values.N.*`. The int64 inputs live in
 * buffers allocated once per sequence (ids, positions and an all-ones attention mask sized for
 * the longest sequence); a step wraps subarrays of them in tensors, so no input data is copied.
 */
import ort from "onnxruntime-node";
import type { LoadedModel } from "./model.js";

/** Prefill the prompt this many tokens at a time: the export returns logits for every input position. */
export const PREFILL_CHUNK = 64;

export class KvSequence {
  private readonly ids: BigInt64Array;
  private readonly positions: BigInt64Array;
  private readonly mask: BigInt64Array;
  private readonly feeds: Record<string, ort.Tensor> = {};
  private length = 0;
  private readonly vocab: number;
  private readonly logitsRow: Float32Array;

  constructor(
    private readonly model: LoadedModel,
    readonly maxLength: number,
  ) {
    this.ids = new BigInt64Array(maxLength);
    this.positions = new BigInt64Array(maxLength);
    for (let i = 0; i < maxLength; i++) this.positions[i] = BigInt(i);
    this.mask = new BigInt64Array(maxLength).fill(1n);
    this.vocab = model.shape.vocabSize;
    this.logitsRow = new Float32Array(this.vocab);
    const { layers, kvHeads, headDim } = model.shape;
    const empty = (): ort.Tensor =>
      model.kvType === "float16"
        ? new ort.Tensor("float16", new Uint16Array(0), [1, kvHeads, 0, headDim])
        : new ort.Tensor("float32", new Float32Array(0), [1, kvHeads, 0, headDim]);
    for (let i = 0; i < layers; i++) {
      this.feeds[`past_key_values.${i}.key`] = empty();
      this.feeds[`past_key_values.${i}.value`] = empty();
    }
  }

  /**
   * A sequence that continues from this one's cache (e.g. a cached prompt): the past tensors are
   * shared (onnxruntime never writes its inputs), the input buffers too (generations run one at
   * a time), so a fork costs nothing unless it needs room for a longer sequence.
   */
  fork(maxLength = this.maxLength): KvSequence {
    if (maxLength > this.maxLength) {
      const bigger = new KvSequence(this.model, maxLength);
      bigger.ids.set(this.ids.subarray(0, this.length));
      Object.assign(bigger.feeds, this.feeds);
      bigger.length = this.length;
      return bigger;
    }
    const copy = Object.create(KvSequence.prototype) as KvSequence;
    Object.assign(copy, this, { feeds: { ...this.feeds } });
    return copy;
  }

  /** The cache tensor fed as `name` (e.g. "past_key_values.0.key") at the next step. */
  past(name: string): ort.Tensor {
    return this.feeds[name]!;
  }

  /** Tokens in the cache so far. */
  get size(): number {
    return this.length;
  }

  /** Runs `tokens` (the prompt) and returns the logits after the last one. */
  async prefill(tokens: readonly number[]): Promise<Float32Array> {
    let logits = this.logitsRow;
    for (let start = 0; start < tokens.length; start += PREFILL_CHUNK) {
      logits = await this.run(tokens.slice(start, start + PREFILL_CHUNK));
    }
    return logits;
  }

  /** Runs one token and returns the logits after it (a buffer reused by the next call). */
  step(token: number): Promise<Float32Array> {
    return this.run([token]);
  }

  private async run(tokens: readonly number[]): Promise<Float32Array> {
    const n = tokens.length;
    const start = this.length;
    if (start + n > this.maxLength) throw new RangeError(`sequence longer than ${this.maxLength} tokens`);
    for (let i = 0; i < n; i++) this.ids[start + i] = BigInt(tokens[i]!);
    const feeds = this.feeds;
    feeds.input_ids = new ort.Tensor("int64", this.ids.subarray(start, start + n), [1, n]);
    feeds.position_ids = new ort.Tensor("int64", this.positions.subarray(start, start + n), [1, n]);
    feeds.attention_mask = new ort.Tensor("int64", this.mask.subarray(0, start + n), [1, start + n]);
    const out = await this.model.session.run(feeds);
    for (let i = 0; i < this.model.shape.layers; i++) {
      feeds[`past_key_values.${i}.key`] = out[`present.${i}.key`]!;
      feeds[`past_key_values.${i}.value`] = out[`present.${i}.value`]!;
    }
    this.length = start + n;
    const logits = out.logits!;
    const offset = (n - 1) * this.vocab;
    if (logits.type === "float32") return (logits.data as Float32Array).subarray(offset, offset + this.vocab);
    const half = logits.data as Uint16Array;
    for (let i = 0; i < this.vocab; i++) this.logitsRow[i] = halfToFloat(half[offset + i]!);
    return this.logitsRow;
  }
}

/** IEEE 754 half → number (fp16 exports return float16 logits as Uint16Array). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

type KvData = Float32Array | Uint16Array;

/**
 * Several sequences in one forward pass: their caches left-padded to a common length (the
 * attention mask hides the padding; each keeps its own positions), one token each per step.
 * A lane that finishes is dropped by copying the others' rows out. On a memory-bound CPU step
 * (the vocabulary projection reads the whole embedding) B sequences cost little more than one.
 */
export class KvBatch {
  private feeds: Record<string, ort.Tensor> = {};
  private pads: number[];
  private positions: number[];
  private total: number;
  private readonly vocab: number;

  /** Merges prefilled sequences (each at its own length) into one batch. */
  constructor(
    private readonly model: LoadedModel,
    sequences: readonly KvSequence[],
  ) {
    const { layers, kvHeads, headDim } = model.shape;
    this.vocab = model.shape.vocabSize;
    this.total = Math.max(...sequences.map((s) => s.size));
    this.pads = sequences.map((s) => this.total - s.size);
    this.positions = sequences.map((s) => s.size);
    const b = sequences.length;
    for (let l = 0; l < layers; l++) {
      for (const kind of ["key", "value"]) {
        const name = `past_key_values.${l}.${kind}`;
        const first = sequences[0]!.past(name);
        const merged = (first.type === "float16" ? new Uint16Array(b * kvHeads * this.total * headDim) : new Float32Array(b * kvHeads * this.total * headDim)) as KvData;
        sequences.forEach((sequence, row) => {
          const data = sequence.past(name).data as KvData;
          const length = sequence.size;
          for (let h = 0; h < kvHeads; h++) {
            const from = h * length * headDim;
            merged.set(data.subarray(from, from + length * headDim), ((row * kvHeads + h) * this.total + this.pads[row]!) * headDim);
          }
        });
        this.feeds[name] = new ort.Tensor(first.type as "float32", merged as Float32Array, [b, kvHeads, this.total, headDim]);
      }
    }
  }

  get size(): number {
    return this.pads.length;
  }

  /** Keeps only the rows `keep` (indices into the current batch, in order). */
  keep(keep: readonly number[]): void {
    if (keep.length === this.pads.length) return;
    const { kvHeads, headDim } = this.model.shape;
    const rowSize = kvHeads * this.total * headDim;
    for (const [name, tensor] of Object.entries(this.feeds)) {
      if (!name.startsWith("past_key_values.")) continue;
      const data = tensor.data as KvData;
      const kept = (data instanceof Uint16Array ? new Uint16Array(keep.length * rowSize) : new Float32Array(keep.length * rowSize)) as KvData;
      keep.forEach((row, i) => kept.set(data.subarray(row * rowSize, (row + 1) * rowSize), i * rowSize));
      this.feeds[name] = new ort.Tensor(tensor.type as "float32", kept as Float32Array, [keep.length, kvHeads, this.total, headDim]);
    }
    this.pads = keep.map((row) => this.pads[row]!);
    this.positions = keep.map((row) => this.positions[row]!);
  }

  /** Runs one token per row; returns each row's logits. */
  async step(tokens: readonly number[]): Promise<Float32Array[]> {
    const b = tokens.length;
    const total = this.total + 1;
    const mask = new BigInt64Array(b * total).fill(1n);
    for (let row = 0; row < b; row++) mask.fill(0n, row * total, row * total + this.pads[row]!);
    const feeds = this.feeds;
    feeds.input_ids = new ort.Tensor("int64", BigInt64Array.from(tokens, BigInt), [b, 1]);
    feeds.position_ids = new ort.Tensor("int64", BigInt64Array.from(this.positions, BigInt), [b, 1]);
    feeds.attention_mask = new ort.Tensor("int64", mask, [b, total]);
    const out = await this.model.session.run(feeds);
    for (let i = 0; i < this.model.shape.layers; i++) {
      feeds[`past_key_values.${i}.key`] = out[`present.${i}.key`]!;
      feeds[`past_key_values.${i}.value`] = out[`present.${i}.value`]!;
    }
    this.total = total;
    for (let row = 0; row < b; row++) this.positions[row]!++;
    const logits = out.logits!;
    const rows: Float32Array[] = [];
    for (let row = 0; row < b; row++) {
      const offset = row * this.vocab;
      if (logits.type === "float32") rows.push((logits.data as Float32Array).subarray(offset, offset + this.vocab));
      else rows.push(Float32Array.from((logits.data as Uint16Array).subarray(offset, offset + this.vocab), halfToFloat));
    }
    return rows;
  }
}
