import { describe, expect, it } from "vitest";
import { EnsoulError } from "../../../lib/errors.js";
import { MAX_NESTING, parseAssignment, parseExpression, type Scope } from "./parser.js";

const scope = (): Scope => ({ locals: new Map([["x", 0]]), slots: { count: 1 }, functions: new Map([["f", 1]]), constants: new Set(["types"]) });

function parseError(src: string): EnsoulError {
  try {
    parseExpression(src, "where", scope());
  } catch (err) {
    expect(err).toBeInstanceOf(EnsoulError);
    return err as EnsoulError;
  }
  throw new Error(`expected ${src} to be rejected`);
}

describe("expression parser", () => {
  it("binds and tighter than or, and comparison tighter than not", () => {
    const e = parseExpression("not x == 1 or x and 2", "w", scope());
    expect(e.k).toBe("or");
    if (e.k !== "or") return;
    expect(e.a.k).toBe("not");
    expect(e.b.k).toBe("and");
  });

  it("resolves names: locals, then constants, then state variables", () => {
    const e = parseExpression("[x, types, pos]", "w", scope());
    expect(e.k === "list" && e.items.map((i) => i.k)).toEqual(["local", "const", "svar"]);
  });

  it("scopes a quantifier's variable to its condition", () => {
    const s = scope();
    const e = parseExpression("(find b in pos where b == x) == b", "w", s);
    expect(e.k === "bin" && e.b.k).toBe("svar"); // the b after the find is a state variable again
    expect(s.locals.has("b")).toBe(false);
  });

  it("points at the column of the problem", () => {
    expect(parseError("x == 'open").message).toBe('where, column 6: unterminated string in "x == \'open"');
    expect(parseError("x +* 2").message).toContain("column 4: unexpected \"*\"");
    expect(parseError("g(x)").message).toContain("column 1: unknown function g");
    expect(parseError("x ? 1").message).toContain("column 3: unexpected character \"?\"");
  });

  it("refuses nesting deeper than MAX_NESTING", () => {
    expect(parseError("(".repeat(MAX_NESTING + 2) + "x" + ")".repeat(MAX_NESTING + 2)).message).toContain(`nested deeper than ${MAX_NESTING}`);
  });

  it("parses an effect and refuses one that sets a local", () => {
    const a = parseAssignment("pos[x, 'b'] = 3", "w", scope());
    expect([a.varName, a.args.length]).toEqual(["pos", 2]);
    expect(() => parseAssignment("x = 3", "w", scope())).toThrowError(/x is not a state variable/);
  });
});
