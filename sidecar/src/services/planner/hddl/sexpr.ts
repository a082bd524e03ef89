/**
 * S-expressions as HDDL (and PDDL) write them: `(`, `)`, and atoms (names, `?variables`,
 * `:keywords`, `-`, numbers), with `;` comments to the end of the line. Every node keeps its
 * line and column so errors can point into the file.
 */
import { EnsoulError } from "../../../lib/errors.js";

export interface Atom {
  atom: string;
  line: number;
  col: number;
}

export interface List {
  list: SExpr[];
  line: number;
  col: number;
}

export type SExpr = Atom | List;

/** Bounds on what one file may hold, so hostile input cannot exhaust memory or the stack. */
export const MAX_NESTING = 200;
export const MAX_SOURCE_LENGTH = 16 * 1024 * 1024;

export function hddlError(file: string, at: { line: number; col: number }, message: string): EnsoulError {
  return new EnsoulError("INVALID_ARGUMENT", `${file}:${at.line}:${at.col}: ${message}`, { field: file });
}

/**
 * HDDL is case-insensitive, but plans must name tasks and methods as the domain spells them (the
 * IPC tools compare exactly): keywords are lower-cased, names kept as written.
 */
const KEYWORDS = new Set(["define", "domain", "problem", "and", "or", "not", "imply", "forall", "exists", "when", "either", "increase", "decrease", "object"]);

/** Parses a whole file: one or more top-level expressions. */
export function parseSExprs(source: string, file: string): SExpr[] {
  if (source.length > MAX_SOURCE_LENGTH) throw hddlError(file, { line: 1, col: 1 }, `file longer than ${MAX_SOURCE_LENGTH} characters`);
  const stack: List[] = [{ list: [], line: 1, col: 1 }];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  const n = source.length;
  while (i < n) {
    const c = source[i]!;
    if (c === "\n") {
      line++;
      lineStart = ++i;
    } else if (c === " " || c === "\t" || c === "\r" || c === "\f") {
      i++;
    } else if (c === ";") {
      while (i < n && source[i] !== "\n") i++;
    } else if (c === "(") {
      if (stack.length > MAX_NESTING) throw hddlError(file, { line, col: i - lineStart + 1 }, `nested deeper than ${MAX_NESTING}`);
      stack.push({ list: [], line, col: i - lineStart + 1 });
      i++;
    } else if (c === ")") {
      if (stack.length === 1) throw hddlError(file, { line, col: i - lineStart + 1 }, "unexpected ')'");
      const done = stack.pop()!;
      stack[stack.length - 1]!.list.push(done);
      i++;
    } else {
      const start = i;
      while (i < n && !" \t\r\n\f();".includes(source[i]!)) i++;
      const text = source.slice(start, i);
      const lower = text.toLowerCase();
      stack[stack.length - 1]!.list.push({ atom: lower.startsWith(":") || KEYWORDS.has(lower) ? lower : text, line, col: start - lineStart + 1 });
    }
  }
  if (stack.length > 1) {
    const open = stack[stack.length - 1]!;
    throw hddlError(file, open, "'(' is never closed");
  }
  return stack[0]!.list;
}

export function isAtom(e: SExpr | undefined): e is Atom {
  return e !== undefined && "atom" in e;
}

export function isList(e: SExpr | undefined): e is List {
  return e !== undefined && "list" in e;
}
