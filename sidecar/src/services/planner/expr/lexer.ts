/**
 * The tokenizer of the planner's expression language (used by JSON domains for preconditions,
 * effects and method bodies). Tokens keep their column so errors can point at them.
 *
 *   literals     12  1.5  'text'  "text"  true  false  null
 *   names        pos  is_done  x1
 *   keywords     and or not in if then else find some every where
 *   punctuation  ( ) [ ] , . = == != < <= > >= + - * / %
 */
import { EnsoulError } from "../../../lib/errors.js";

export type TokenKind = "num" | "str" | "name" | "kw" | "op" | "end";

export interface Token {
  kind: TokenKind;
  text: string;
  /** The literal's value for num/str tokens. */
  value?: string | number;
  /** 1-based column of the token's first character. */
  col: number;
}

export const KEYWORDS = new Set(["and", "or", "not", "in", "if", "then", "else", "find", "some", "every", "where", "true", "false", "null"]);

const TWO_CHAR_OPS = new Set(["==", "!=", "<=", ">="]);
const ONE_CHAR_OPS = new Set(["(", ")", "[", "]", ",", ".", "=", "<", ">", "+", "-", "*", "/", "%"]);

/** Longest expression accepted, so a hostile document cannot make the parser work forever. */
export const MAX_EXPRESSION_LENGTH = 4096;

/** An error in an expression: says where (`where`, e.g. "action pickup, pre"), the column and the text. */
export function exprError(where: string, source: string, col: number, message: string): EnsoulError {
  const shown = source.length > 120 ? `${source.slice(0, 117)}...` : source;
  return new EnsoulError("INVALID_ARGUMENT", `${where}, column ${col}: ${message} in ${JSON.stringify(shown)}`, { field: where });
}

function isDigit(c: string): boolean {
  return c >= "0" && c <= "9";
}

function isNameStart(c: string): boolean {
  return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_";
}

export function tokenize(source: string, where: string): Token[] {
  if (typeof source !== "string") throw new EnsoulError("INVALID_ARGUMENT", `${where}: an expression must be a string`, { field: where });
  if (source.length > MAX_EXPRESSION_LENGTH) throw exprError(where, source, 1, `expression longer than ${MAX_EXPRESSION_LENGTH} characters`);
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    const col = i + 1;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
    } else if (isDigit(c)) {
      let j = i;
      while (j < source.length && isDigit(source[j]!)) j++;
      if (source[j] === "." && isDigit(source[j + 1] ?? "")) {
        j++;
        while (j < source.length && isDigit(source[j]!)) j++;
      }
      const text = source.slice(i, j);
      tokens.push({ kind: "num", text, value: Number(text), col });
      i = j;
    } else if (isNameStart(c)) {
      let j = i;
      while (j < source.length && (isNameStart(source[j]!) || isDigit(source[j]!))) j++;
      const text = source.slice(i, j);
      tokens.push({ kind: KEYWORDS.has(text) ? "kw" : "name", text, col });
      i = j;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      let value = "";
      for (;;) {
        if (j >= source.length) throw exprError(where, source, col, "unterminated string");
        const d = source[j]!;
        if (d === c) break;
        if (d === "\\") {
          const e = source[j + 1];
          if (e === undefined) throw exprError(where, source, j + 1, "unterminated string");
          value += e === "n" ? "\n" : e === "t" ? "\t" : e;
          j += 2;
        } else {
          value += d;
          j++;
        }
      }
      tokens.push({ kind: "str", text: source.slice(i, j + 1), value, col });
      i = j + 1;
    } else if (TWO_CHAR_OPS.has(source.slice(i, i + 2))) {
      tokens.push({ kind: "op", text: source.slice(i, i + 2), col });
      i += 2;
    } else if (ONE_CHAR_OPS.has(c)) {
      tokens.push({ kind: "op", text: c, col });
      i++;
    } else {
      throw exprError(where, source, col, `unexpected character ${JSON.stringify(c)}`);
    }
  }
  tokens.push({ kind: "end", text: "end of expression", col: source.length + 1 });
  return tokens;
}
