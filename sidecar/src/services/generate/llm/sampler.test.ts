import { describe, expect, it } from "vitest";
import { DEFAULT_SAMPLING, TokenSampler, type SamplingOptions } from "./sampler.js";

function sampler(options: Partial<SamplingOptions>, vocab = 8): TokenSampler {
  return new TokenSampler(vocab, { ...DEFAULT_SAMPLING, ...options });
}

/** Logits whose softmax at temperature 1 is `probs` (padded with very unlikely tokens). */
function logitsOf(probs: number[], vocab = 8): Float32Array {
  const logits = new Float32Array(vocab).fill(-1000);
  probs.forEach((p, i) => (logits[i] = Math.log(p)));
  return logits;
}

function frequencies(s: TokenSampler, logits: Float32Array, draws: number, allowed: Int32Array | null = null): number[] {
  const counts = new Array<number>(logits.length).fill(0);
  for (let i = 0; i < draws; i++) counts[s.sample(logits, allowed, allowed?.length ?? 0)]! += 1;
  return counts.map((c) => c / draws);
}

describe("token sampler", () => {
  it("picks the most likely allowed token when greedy, ignoring likelier tokens that are not allowed", () => {
    const logits = logitsOf([0.5, 0.3, 0.2]);
    expect(sampler({ temperature: 0 }).sample(logits, null, 0)).toBe(0);
    expect(sampler({ temperature: 0 }).sample(logits, Int32Array.from([2, 1]), 2)).toBe(1);
  });

  it("takes the tokens of a mask's plain part (plain length within the limit) and its explicit ids", () => {
    const logits = Float32Array.from([1, 9, 8, 2, 7, 0, 0, 0]);
    const plainLength = Uint8Array.from([1, 255, 3, 1, 255, 255, 2, 255]);
    const greedy = sampler({ temperature: 0 });
    expect(greedy.sample(logits, new Int32Array(0), 0, plainLength, 2)).toBe(3);
    expect(greedy.sample(logits, Int32Array.from([4]), 1, plainLength, 2)).toBe(4);
    expect(greedy.sample(logits, new Int32Array(0), 0, plainLength, 3)).toBe(2);
    const s = sampler({ seed: 3 });
    const drawn = new Set(Array.from({ length: 200 }, () => s.sample(logits, new Int32Array(0), 0, plainLength, 1)));
    expect([...drawn].sort()).toEqual([0, 3]);
  });

  it("draws in proportion to the softmax at the temperature", () => {
    const f = frequencies(sampler({ seed: 5 }), logitsOf([0.25, 0.75]), 4000);
    expect(Math.abs(f[1]! - 0.75)).toBeLessThan(0.03);
    // At temperature 2 the probabilities go as their square roots: 0.5, 0.3, 0.2 → 0.42, 0.33, 0.26.
    const hot = frequencies(sampler({ seed: 6, temperature: 2 }), logitsOf([0.5, 0.3, 0.2], 3), 6000);
    const roots = [0.5, 0.3, 0.2].map(Math.sqrt);
    const sum = roots.reduce((a, b) => a + b);
    roots.forEach((r, i) => expect(Math.abs(hot[i]! - r / sum)).toBeLessThan(0.025));
  });

  it("keeps only the top k, the smallest set reaching top p, and tokens above min p × the best", () => {
    const logits = logitsOf([0.5, 0.3, 0.2]);
    expect(frequencies(sampler({ topK: 1, seed: 1 }), logits, 300)[0]).toBe(1);
    const topP = frequencies(sampler({ topP: 0.6, seed: 2 }), logits, 2000);
    expect(topP[2]).toBe(0);
    expect(topP[1]).toBeGreaterThan(0.3);
    expect(frequencies(sampler({ topP: 0.5, seed: 3 }), logits, 300)[0]).toBe(1);
    const minP = frequencies(sampler({ minP: 0.5, seed: 4 }), logits, 2000);
    expect(minP[2]).toBe(0);
    expect(minP[1]).toBeGreaterThan(0.3);
  });

  it("makes already generated tokens less likely under a repetition penalty", () => {
    const s = sampler({ temperature: 0, repetitionPenalty: 3 });
    const logits = Float32Array.from([2, 1, 0.5, -1, -1, -1, -1, -1]);
    expect(s.sample(logits, null, 0)).toBe(0);
    s.observe(0);
    expect(s.sample(logits, null, 0)).toBe(1);
  });

  it("repeats its draws for the same seed and not for another", () => {
    const logits = new Float32Array(64);
    const draws = (seed: number): number[] => {
      const s = sampler({ seed }, 64);
      return Array.from({ length: 40 }, () => s.sample(logits, null, 0));
    };
    expect(draws(9)).toEqual(draws(9));
    expect(draws(10)).not.toEqual(draws(9));
  });

  it("always returns an allowed token when the penalised best logit rounds up in float32", () => {
    // One clear best (so min-p keeps it alone), penalised: its float64 and float32 values differ.
    const vocab = 64;
    let x = 7;
    for (let round = 0; round < 40; round++) {
      const logits = new Float32Array(vocab).fill(-5);
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      logits[3] = 40 + (x / 2 ** 32) * 10;
      const s = sampler({ temperature: 0.8, topK: 20, topP: 0.95, minP: 0.05, repetitionPenalty: 1.3, seed: round }, vocab);
      s.observe(3);
      expect(s.sample(logits, null, 0)).toBe(3);
    }
  });
});
