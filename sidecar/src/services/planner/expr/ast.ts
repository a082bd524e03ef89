/** The syntax tree of the expression language; every node keeps the column it starts at. */
import type { Value } from "../state.js";

export type BinaryOp = "==" | "!=" | "<" | "<=" | ">" | ">=" | "+" | "-" | "*" | "/" | "%" | "in" | "not in";

export type Expr =
  | { k: "lit"; col: number; v: Value }
  | { k: "local"; col: number; name: string; slot: number }
  | { k: "const"; col: number; name: string }
  | { k: "svar"; col: number; name: string }
  | { k: "index"; col: number; target: Expr; args: Expr[] }
  | { k: "field"; col: number; target: Expr; name: string }
  | { k: "call"; col: number; fn: string; args: Expr[] }
  | { k: "not"; col: number; e: Expr }
  | { k: "neg"; col: number; e: Expr }
  | { k: "and" | "or"; col: number; a: Expr; b: Expr }
  | { k: "bin"; col: number; op: BinaryOp; a: Expr; b: Expr }
  | { k: "if"; col: number; c: Expr; a: Expr; b: Expr }
  | { k: "find" | "some" | "every"; col: number; name: string; slot: number; src: Expr; cond: Expr }
  | { k: "list"; col: number; items: Expr[] };

/** An effect: `var[arg, ...] = value`, or `var = value` for a variable without arguments. */
export interface Assignment {
  col: number;
  varName: string;
  args: Expr[];
  value: Expr;
}

/** An expression with its source text and where it sits in the document, for runtime errors. */
export interface Compiled<T> {
  node: T;
  source: string;
  where: string;
}
