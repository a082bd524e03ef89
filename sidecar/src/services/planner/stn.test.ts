import { describe, expect, it } from "vitest";
import { SimpleTemporalNetwork } from "./stn.js";

describe("SimpleTemporalNetwork", () => {
  it("stays consistent along a chain and tightens the bounds of each point", () => {
    const stn = new SimpleTemporalNetwork();
    const a = stn.addPoint("a");
    const b = stn.addPoint("b");
    const c = stn.addPoint("c");
    expect(stn.addConstraint(0, a, 100, 100)).toBe(true);
    expect(stn.addConstraint(a, b, 10, 20)).toBe(true);
    expect(stn.addConstraint(b, c, 5, 15)).toBe(true);
    expect([stn.earliest(c), stn.latest(c)]).toEqual([115, 135]);
  });

  it("refuses a cycle that asks a to be both after and before b", () => {
    const stn = new SimpleTemporalNetwork();
    const a = stn.addPoint("a");
    const b = stn.addPoint("b");
    expect(stn.addConstraint(a, b, 10, 10_000)).toBe(true);
    expect(stn.addConstraint(b, a, 10, 10_000)).toBe(false);
  });

  it("intersects repeated constraints on the same pair, and refuses an empty intersection", () => {
    const stn = new SimpleTemporalNetwork();
    const a = stn.addPoint("a");
    const b = stn.addPoint("b");
    stn.addConstraint(0, a, 0, 0);
    expect(stn.addConstraint(a, b, 10, 20)).toBe(true);
    expect(stn.addConstraint(a, b, 15, 25)).toBe(true);
    expect([stn.earliest(b), stn.latest(b)]).toEqual([15, 20]);
    expect(stn.addConstraint(a, b, 25, 30)).toBe(false);
  });

  it("undoes constraints and points back to a mark, growing past its first capacity", () => {
    const stn = new SimpleTemporalNetwork();
    const a = stn.addPoint("a");
    stn.addConstraint(0, a, 5, 5);
    const mark = stn.mark();
    let prev = a;
    for (let i = 0; i < 40; i++) {
      const p = stn.addPoint(`p${i}`);
      expect(stn.addConstraint(prev, p, 1, 1)).toBe(true);
      prev = p;
    }
    expect(stn.earliest(prev)).toBe(45);
    expect(stn.addConstraint(0, prev, 0, 10)).toBe(false);
    stn.undoTo(mark);
    expect(stn.size).toBe(2);
    const b = stn.addPoint("b");
    expect(stn.addConstraint(a, b, 0, 1)).toBe(true);
    expect([stn.earliest(b), stn.latest(b)]).toEqual([5, 6]);
  });
});
