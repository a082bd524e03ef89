import { describe, expect, it } from "vitest";
import { goalsNotAchieved, Multigoal, State } from "./state.js";

describe("State", () => {
  it("copies independently and names copies the GTPyhop way", () => {
    const s = new State("s0", { loc: { a: "home" } });
    const c = s.copy();
    c.set("loc", "a", "park");
    expect(s.get("loc", "a")).toBe("home");
    expect(c.name).toMatch(/^s0_copy_\d+$/);
    expect(c.copy().name).toMatch(/^s0_copy_\d+$/);
  });

  it("undoes writes, new variables and deletions back to a mark", () => {
    const s = new State("s", { loc: { a: "home" } });
    s.beginTrail();
    const mark = s.mark();
    s.set("loc", "a", "park").set("loc", "b", "zoo").set("cash", "a", 3).delete("loc", "a");
    s.undoTo(mark);
    expect(s.toJSON()).toEqual({ loc: { a: "home" } });
  });

  it("changes its version on every write and undo, so equal versions mean equal contents", () => {
    const s = new State("s");
    s.beginTrail();
    const v0 = s.version;
    s.set("x", "", 1);
    const v1 = s.version;
    s.undoTo(0);
    expect(new Set([v0, v1, s.version]).size).toBe(3);
  });

  it("keeps number and string arguments apart", () => {
    const s = new State("s").set("pos", 1, "table").set("pos", "1", "hand");
    expect(s.get("pos", 1)).toBe("table");
    expect(s.get("pos", "1")).toBe("hand");
  });

  it("lists the goals of a multigoal that do not hold, in order", () => {
    const s = new State("s", { loc: { a: "home", b: "park" } });
    const g = new Multigoal("g", { loc: { a: "park", b: "park", c: "zoo" } });
    expect(goalsNotAchieved(s, g)).toEqual([["loc", "a", "park"], ["loc", "c", "zoo"]]);
  });
});
