import { describe, expect, it } from "vitest";
import { Rng, hashText } from "./prng.js";

function draw(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.nextUint32());
}

describe("Rng (xoshiro128**)", () => {
  it("repeats its sequence for the same seed and salt", () => {
    expect(draw(new Rng(123, 9), 64)).toEqual(draw(new Rng(123, 9), 64));
  });

  it("gives unrelated sequences for neighbouring seeds, salts and high seed bits", () => {
    const a = draw(new Rng(1), 16);
    for (const other of [new Rng(2), new Rng(1, 1), new Rng(2 ** 32 + 1)]) {
      const b = draw(other, 16);
      expect(b.filter((x, i) => x === a[i]).length).toBe(0);
    }
  });

  it("returns 32-bit unsigned integers and floats in [0, 1)", () => {
    const rng = new Rng(5);
    for (let i = 0; i < 10_000; i++) {
      const x = rng.nextUint32();
      expect(Number.isInteger(x) && x >= 0 && x < 2 ** 32).toBe(true);
      const f = rng.float();
      expect(f >= 0 && f < 1).toBe(true);
    }
  });

  it("spreads int() evenly over its range (chi-square, loose bound)", () => {
    const rng = new Rng(77);
    const counts = new Array<number>(10).fill(0);
    const n = 50_000;
    for (let i = 0; i < n; i++) counts[rng.int(0, 9)]!++;
    const expected = n / 10;
    const chi = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    // 9 degrees of freedom: 27.9 is the 0.1% tail.
    expect(chi).toBeLessThan(27.9);
    expect(Math.min(...counts)).toBeGreaterThan(0);
  });

  it("samples distinct items and honours weights", () => {
    const rng = new Rng(3);
    const picked = rng.sample([1, 2, 3, 4, 5, 6], 4);
    expect(new Set(picked).size).toBe(4);
    expect(rng.sample([1, 2], 5).sort()).toEqual([1, 2]);
    let heavy = 0;
    for (let i = 0; i < 10_000; i++) if (rng.weighted([["a", 9], ["b", 1]] as const) === "a") heavy++;
    expect(heavy).toBeGreaterThan(8500);
    expect(heavy).toBeLessThan(9500);
    expect(() => rng.pick([])).toThrow(RangeError);
  });
});

describe("hashText", () => {
  it("is stable and sensitive to every character", () => {
    expect(hashText("")).toBe(0x811c9dc5);
    expect(hashText("abc")).toBe(hashText("abc"));
    expect(hashText("abc")).not.toBe(hashText("abd"));
    expect(hashText("abc")).not.toBe(hashText("acb"));
  });
});
