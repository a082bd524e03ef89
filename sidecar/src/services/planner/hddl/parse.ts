/**
 * HDDL domain and problem files (the IPC hierarchical track's format), total-order subset, into
 * plain structures: types, constants, predicates, tasks, methods (`:ordered-subtasks`, or
 * `:subtasks` with an `:ordering` that is a total order), actions, objects, the initial task
 * network, `:init` and `:goal`. Formulas: and, or, not, imply, forall, exists, `=`; effects:
 * and, not, forall, when. Errors carry file:line:column.
 */
import { hddlError, isAtom, isList, parseSExprs, type Atom, type List, type SExpr } from "./sexpr.js";

export interface Param {
  name: string; // "?x"
  type: string;
}

export type Term = string; // a "?variable" or a constant/object name

export type Formula =
  | { k: "true" }
  | { k: "atom"; pred: string; args: Term[] }
  | { k: "eq"; a: Term; b: Term }
  | { k: "not"; f: Formula }
  | { k: "and" | "or"; fs: Formula[] }
  | { k: "imply"; a: Formula; b: Formula }
  | { k: "forall" | "exists"; params: Param[]; f: Formula };

export type Effect =
  | { k: "add" | "del"; pred: string; args: Term[] }
  | { k: "forall"; params: Param[]; effects: Effect[] }
  | { k: "when"; cond: Formula; effects: Effect[] };

export interface TaskRef {
  name: string;
  args: Term[];
}

export interface Method {
  name: string;
  params: Param[];
  task: TaskRef;
  pre: Formula;
  subtasks: TaskRef[];
}

export interface Action {
  name: string;
  params: Param[];
  pre: Formula;
  effects: Effect[];
}

export interface HddlDomain {
  name: string;
  /** type → its parent type ("object" at the root). */
  types: Map<string, string>;
  constants: Map<string, string>;
  predicates: Map<string, Param[]>;
  tasks: Map<string, Param[]>;
  methods: Method[];
  actions: Map<string, Action>;
}

export interface HddlProblem {
  name: string;
  domain: string;
  objects: Map<string, string>;
  /** The initial task network, in order; its arguments may use `htnParams`. */
  tasks: TaskRef[];
  /** Variables of the initial task network (bound by the planner, like a method's parameters). */
  htnParams: Param[];
  init: Array<{ pred: string; args: string[] }>;
  goal: Formula;
}

class Reader {
  constructor(readonly file: string) {}

  fail(at: { line: number; col: number }, message: string): never {
    throw hddlError(this.file, at, message);
  }

  atom(e: SExpr | undefined, what: string, near: { line: number; col: number }): string {
    if (!isAtom(e)) this.fail(e ?? near, `expected ${what}`);
    return e.atom;
  }

  list(e: SExpr | undefined, what: string, near: { line: number; col: number }): List {
    if (!isList(e)) this.fail(e ?? near, `expected ${what}`);
    return e;
  }

  /** `?a ?b - t ?c - u` or `a b - t`: names with types ("object" when untyped). */
  typedList(items: SExpr[], near: { line: number; col: number }, variables: boolean): Param[] {
    const out: Param[] = [];
    let pending: Atom[] = [];
    for (let i = 0; i < items.length; i++) {
      const e = items[i]!;
      if (!isAtom(e)) this.fail(e, "expected a name in a typed list");
      if (e.atom === "-") {
        const t = items[++i];
        if (isList(t)) this.fail(t, "(either ...) types are not supported");
        const type = this.atom(t, "a type after '-'", e);
        for (const p of pending) out.push({ name: p.atom, type });
        pending = [];
      } else {
        if (variables && !e.atom.startsWith("?")) this.fail(e, `expected a ?variable, found ${e.atom}`);
        pending.push(e);
      }
    }
    for (const p of pending) out.push({ name: p.atom, type: "object" });
    if (items.length === 0) void near;
    return out;
  }

  /** The keyword arguments of a definition body: `:key value` pairs after `skip` leading items. */
  sections(l: List, skip: number): Map<string, SExpr> {
    const out = new Map<string, SExpr>();
    for (let i = skip; i < l.list.length; i += 2) {
      const k = l.list[i]!;
      if (!isAtom(k) || !k.atom.startsWith(":")) this.fail(k, "expected a :keyword");
      const v = l.list[i + 1];
      if (v === undefined) this.fail(k, `${k.atom} has no value`);
      out.set(k.atom, v);
    }
    return out;
  }

  term(e: SExpr | undefined, near: { line: number; col: number }): Term {
    return this.atom(e, "a variable or constant", near);
  }

  formula(e: SExpr | undefined, near: { line: number; col: number }): Formula {
    const l = this.list(e, "a formula", near);
    if (l.list.length === 0) return { k: "true" };
    const head = this.atom(l.list[0], "a formula's operator or predicate", l);
    const rest = l.list.slice(1);
    switch (head) {
      case "and":
      case "or":
        return { k: head, fs: rest.map((x) => this.formula(x, l)) };
      case "not":
        if (rest.length !== 1) this.fail(l, "not takes one formula");
        return { k: "not", f: this.formula(rest[0], l) };
      case "imply":
        if (rest.length !== 2) this.fail(l, "imply takes two formulas");
        return { k: "imply", a: this.formula(rest[0], l), b: this.formula(rest[1], l) };
      case "forall":
      case "exists":
        if (rest.length !== 2) this.fail(l, `${head} takes (variables) and a formula`);
        return { k: head, params: this.typedList(this.list(rest[0], "a variable list", l).list, l, true), f: this.formula(rest[1], l) };
      case "=":
        if (rest.length !== 2) this.fail(l, "= takes two terms");
        return { k: "eq", a: this.term(rest[0], l), b: this.term(rest[1], l) };
      default:
        return { k: "atom", pred: head, args: rest.map((x) => this.term(x, l)) };
    }
  }

  effects(e: SExpr | undefined, near: { line: number; col: number }): Effect[] {
    const l = this.list(e, "an effect", near);
    if (l.list.length === 0) return [];
    const head = this.atom(l.list[0], "an effect", l);
    const rest = l.list.slice(1);
    switch (head) {
      case "and":
        return rest.flatMap((x) => this.effects(x, l));
      case "not": {
        const inner = this.list(rest[0], "an atom to delete", l);
        return [{ k: "del", pred: this.atom(inner.list[0], "a predicate", inner), args: inner.list.slice(1).map((x) => this.term(x, inner)) }];
      }
      case "forall":
        return [{ k: "forall", params: this.typedList(this.list(rest[0], "a variable list", l).list, l, true), effects: this.effects(rest[1], l) }];
      case "when":
        return [{ k: "when", cond: this.formula(rest[0], l), effects: this.effects(rest[1], l) }];
      case "increase":
      case "decrease":
        return []; // action costs: ignored
      default:
        return [{ k: "add", pred: head, args: rest.map((x) => this.term(x, l)) }];
    }
  }

  taskRef(e: SExpr | undefined, near: { line: number; col: number }): TaskRef {
    const l = this.list(e, "(task args...)", near);
    return { name: this.atom(l.list[0], "a task name", l), args: l.list.slice(1).map((x) => this.term(x, l)) };
  }

  /** `:ordered-subtasks` / `:subtasks` (+ `:ordering`) as one sequence. */
  subtasks(s: Map<string, SExpr>, where: List): TaskRef[] {
    const ordered = s.get(":ordered-subtasks") ?? s.get(":ordered-tasks");
    const plain = s.get(":subtasks") ?? s.get(":tasks");
    const src = ordered ?? plain;
    if (src === undefined) return [];
    const l = this.list(src, "subtasks", where);
    const items = l.list.length > 0 && isAtom(l.list[0]) && l.list[0].atom === "and" ? l.list.slice(1) : l.list.length === 0 ? [] : [l];
    const labelled = items.map((it) => {
      const il = this.list(it, "a subtask", l);
      if (il.list.length === 2 && isAtom(il.list[0]) && isList(il.list[1])) return { id: il.list[0].atom, ref: this.taskRef(il.list[1], il) };
      return { id: null as string | null, ref: this.taskRef(il, l) };
    });
    const ordering = s.get(":ordering") ?? s.get(":order");
    if (ordered !== undefined || ordering === undefined || labelled.length <= 1) return labelled.map((x) => x.ref);
    return this.totalOrder(labelled, this.list(ordering, "an ordering", where));
  }

  /** Sorts labelled subtasks by `(< a b)` constraints; they must order them totally. */
  private totalOrder(items: Array<{ id: string | null; ref: TaskRef }>, ordering: List): TaskRef[] {
    const cons = ordering.list.length > 0 && isAtom(ordering.list[0]) && ordering.list[0].atom === "and" ? ordering.list.slice(1) : ordering.list.length ? [ordering] : [];
    const after = new Map<string, Set<string>>();
    const indeg = new Map<string, number>();
    for (const it of items) {
      if (it.id === null) this.fail(ordering, "ordered subtasks need labels");
      after.set(it.id, new Set());
      indeg.set(it.id, 0);
    }
    for (const c of cons) {
      const cl = this.list(c, "(< a b)", ordering);
      const op = this.atom(cl.list[0], "<", cl);
      const a = this.atom(cl.list[1], "a label", cl);
      const b = this.atom(cl.list[2], "a label", cl);
      if (op !== "<" || !after.has(a) || !after.has(b)) this.fail(cl, "expected (< label label) over this method's subtasks");
      if (!after.get(a)!.has(b)) {
        after.get(a)!.add(b);
        indeg.set(b, indeg.get(b)! + 1);
      }
    }
    const out: TaskRef[] = [];
    const byId = new Map(items.map((x) => [x.id!, x.ref]));
    let ready = [...indeg].filter(([, d]) => d === 0).map(([id]) => id);
    while (ready.length > 0) {
      if (ready.length > 1) this.fail(ordering, "the ordering is not total (a partial-order method)");
      const id = ready[0]!;
      out.push(byId.get(id)!);
      ready = [];
      for (const b of after.get(id)!) {
        indeg.set(b, indeg.get(b)! - 1);
        if (indeg.get(b) === 0) ready.push(b);
      }
    }
    if (out.length !== items.length) this.fail(ordering, "the ordering has a cycle");
    return out;
  }
}

function definition(exprs: SExpr[], file: string, kind: "domain" | "problem"): { l: List; name: string } {
  const r = new Reader(file);
  const top = exprs[0];
  if (exprs.length !== 1 || !isList(top)) return r.fail(top ?? { line: 1, col: 1 }, `expected one (define (${kind} name) ...)`);
  if (r.atom(top.list[0], "define", top) !== "define") r.fail(top, "expected (define ...)");
  const head = r.list(top.list[1], `(${kind} name)`, top);
  if (r.atom(head.list[0], kind, head) !== kind) r.fail(head, `expected (${kind} name)`);
  return { l: top, name: r.atom(head.list[1], `a ${kind} name`, head) };
}

export function parseDomain(source: string, file = "domain.hddl"): HddlDomain {
  const r = new Reader(file);
  const { l, name } = definition(parseSExprs(source, file), file, "domain");
  const d: HddlDomain = { name, types: new Map(), constants: new Map(), predicates: new Map(), tasks: new Map(), methods: [], actions: new Map() };
  for (const part of l.list.slice(2)) {
    const pl = r.list(part, "a domain section", l);
    const key = r.atom(pl.list[0], "a section keyword", pl);
    const body = pl.list.slice(1);
    switch (key) {
      case ":requirements":
        break;
      case ":types":
        for (const p of r.typedList(body, pl, false)) d.types.set(p.name, p.type);
        break;
      case ":constants":
        for (const p of r.typedList(body, pl, false)) d.constants.set(p.name, p.type);
        break;
      case ":predicates":
        for (const p of body) {
          const pp = r.list(p, "(predicate ?args)", pl);
          d.predicates.set(r.atom(pp.list[0], "a predicate name", pp), r.typedList(pp.list.slice(1), pp, true));
        }
        break;
      case ":task": {
        const s = r.sections(pl, 2);
        d.tasks.set(r.atom(pl.list[1], "a task name", pl), r.typedList(r.list(s.get(":parameters") ?? { list: [], line: pl.line, col: pl.col }, "parameters", pl).list, pl, true));
        break;
      }
      case ":method": {
        const s = r.sections(pl, 2);
        const params = r.typedList(r.list(s.get(":parameters") ?? { list: [], line: pl.line, col: pl.col }, "parameters", pl).list, pl, true);
        const task = s.get(":task");
        if (task === undefined) r.fail(pl, "a method needs :task");
        d.methods.push({
          name: r.atom(pl.list[1], "a method name", pl),
          params,
          task: r.taskRef(task, pl),
          pre: s.has(":precondition") ? r.formula(s.get(":precondition"), pl) : { k: "true" },
          subtasks: r.subtasks(s, pl),
        });
        break;
      }
      case ":action": {
        const s = r.sections(pl, 2);
        const aname = r.atom(pl.list[1], "an action name", pl);
        d.actions.set(aname, {
          name: aname,
          params: r.typedList(r.list(s.get(":parameters") ?? { list: [], line: pl.line, col: pl.col }, "parameters", pl).list, pl, true),
          pre: s.has(":precondition") ? r.formula(s.get(":precondition"), pl) : { k: "true" },
          effects: s.has(":effect") ? r.effects(s.get(":effect"), pl) : [],
        });
        break;
      }
      default:
        r.fail(pl, `unknown domain section ${key}`);
    }
  }
  for (const m of d.methods) {
    if (!d.tasks.has(m.task.name)) r.fail(l, `method ${m.name} refines undeclared task ${m.task.name}`);
  }
  return d;
}

export function parseProblem(source: string, file = "problem.hddl"): HddlProblem {
  const r = new Reader(file);
  const { l, name } = definition(parseSExprs(source, file), file, "problem");
  const p: HddlProblem = { name, domain: "", objects: new Map(), tasks: [], htnParams: [], init: [], goal: { k: "true" } };
  for (const part of l.list.slice(2)) {
    const pl = r.list(part, "a problem section", l);
    const key = r.atom(pl.list[0], "a section keyword", pl);
    const body = pl.list.slice(1);
    switch (key) {
      case ":domain":
        p.domain = r.atom(body[0], "a domain name", pl);
        break;
      case ":requirements":
        break;
      case ":objects":
        for (const o of r.typedList(body, pl, false)) p.objects.set(o.name, o.type);
        break;
      case ":htn": {
        const s = r.sections(pl, 1);
        if (s.has(":parameters")) p.htnParams = r.typedList(r.list(s.get(":parameters"), "parameters", pl).list, pl, true);
        p.tasks = r.subtasks(s, pl);
        break;
      }
      case ":init":
        for (const f of body) {
          const fl = r.list(f, "a fact", pl);
          const pred = r.atom(fl.list[0], "a predicate", fl);
          if (pred === "=") continue; // numeric fluents and costs: ignored
          p.init.push({ pred, args: fl.list.slice(1).map((x) => r.atom(x, "an object", fl)) });
        }
        break;
      case ":goal":
        p.goal = r.formula(body[0], pl);
        break;
      case ":metric":
        break;
      default:
        r.fail(pl, `unknown problem section ${key}`);
    }
  }
  return p;
}
