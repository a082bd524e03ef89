/**
 * The blocks world shared by GTPyhop's blocks_htn, blocks_hgn, blocks_gtn and
 * blocks_goal_splitting examples: the four actions, and the block-status test of the near-optimal
 * stacking algorithm of Gupta and Nau (1992) that their methods use.
 *
 * State variables: pos[b] (a block, "table" or "hand"), clear[b] (true when nothing is on b and
 * the hand does not hold it), holding["hand"] (the block held, or false).
 */
import type { Domain } from "../domain.js";
import type { Arg, Multigoal, State, Value } from "../state.js";

function pickup(s: State, x: Arg): State | false {
  if (s.get("pos", x) === "table" && s.get("clear", x) === true && s.get("holding", "hand") === false) {
    s.set("pos", x, "hand").set("clear", x, false).set("holding", "hand", x);
    return s;
  }
  return false;
}

function unstack(s: State, b1: Arg, b2: Arg): State | false {
  if (s.get("pos", b1) === b2 && b2 !== "table" && s.get("clear", b1) === true && s.get("holding", "hand") === false) {
    s.set("pos", b1, "hand").set("clear", b1, false).set("holding", "hand", b1).set("clear", b2, true);
    return s;
  }
  return false;
}

function putdown(s: State, b1: Arg): State | false {
  if (s.get("pos", b1) === "hand") {
    s.set("pos", b1, "table").set("clear", b1, true).set("holding", "hand", false);
    return s;
  }
  return false;
}

function stack(s: State, b1: Arg, b2: Arg): State | false {
  if (s.get("pos", b1) === "hand" && s.get("clear", b2) === true) {
    s.set("pos", b1, b2).set("clear", b1, true).set("holding", "hand", false).set("clear", b2, false);
    return s;
  }
  return false;
}

export function declareBlocksActions(domain: Domain): Domain {
  return domain.declareActions(pickup, unstack, putdown, stack);
}

type Pos = ReadonlyMap<Arg, Value>;
const NO_GOALS: Pos = new Map();

/** True when b1 and every block below it are where the goal wants them (or have no goal). */
function isDoneIn(b1: Value, pos: Pos, goalPos: Pos): boolean {
  for (let b = b1; ; ) {
    if (b === "table") return true;
    const here = pos.get(b as Arg);
    if (goalPos.has(b as Arg) && goalPos.get(b as Arg) !== here) return false;
    if (here === "table") return true;
    b = here as Value;
  }
}

export type BlockStatus = "done" | "inaccessible" | "move-to-table" | "move-to-block" | "waiting";

// The status test reads three maps many times per method call; it takes them once, not per read.
function statusIn(b1: Arg, pos: Pos, clear: Pos, goalPos: Pos): BlockStatus {
  if (isDoneIn(b1, pos, goalPos)) return "done";
  if (!clear.get(b1)) return "inaccessible";
  const target = goalPos.get(b1);
  if (target === undefined || target === "table") return "move-to-table";
  if (isDoneIn(target, pos, goalPos) && clear.get(target as Arg)) return "move-to-block";
  return "waiting";
}

/** Why (and whether) block b1 must move; see GTPyhop's blocks examples for the reasoning. */
export function status(b1: Arg, state: State, mgoal: Multigoal): BlockStatus {
  return statusIn(b1, state.varMap("pos") ?? NO_GOALS, state.varMap("clear") ?? NO_GOALS, mgoal.varMap("pos") ?? NO_GOALS);
}

/**
 * The block-stacking choice all three blocks domains share: the first clear block that can go
 * to its final place (or must go to the table), else the first waiting block not on the table.
 * Returns the block and where to put it, or null when every block is done. Clear blocks are
 * visited in the state's order, as GTPyhop's `all_clear_blocks` lists them.
 */
export function nextMove(s: State, mgoal: Multigoal): [Arg, Value] | null {
  const pos = s.varMap("pos") ?? NO_GOALS;
  const clear = s.varMap("clear") ?? NO_GOALS;
  const goalPos = mgoal.varMap("pos") ?? NO_GOALS;
  for (const [x, c] of clear) {
    if (c !== true) continue;
    const xstat = statusIn(x, pos, clear, goalPos);
    if (xstat === "move-to-block") return [x, goalPos.get(x)!];
    if (xstat === "move-to-table") return [x, "table"];
  }
  for (const [x, c] of clear) {
    if (c === true && pos.get(x) !== "table" && statusIn(x, pos, clear, goalPos) === "waiting") return [x, "table"];
  }
  return null;
}

/** Unigoal method for pos[x] = "hand": pick x up or unstack it (blocks_hgn's m_take, blocks_goal_splitting's m_get). */
export function takeToHand(s: State, x: Arg, h: Value) {
  if (h === "hand" && s.get("clear", x) && s.get("holding", "hand") === false) {
    return s.get("pos", x) === "table" ? [["pickup", x] as const] : [["unstack", x, s.get("pos", x)!] as const];
  }
  return false;
}

/** Unigoal method for pos[x] = y (y not the hand): put down or stack the held block x (both domains' m_put). */
export function putFromHand(s: State, x: Arg, y: Value) {
  if (y !== "hand" && s.get("pos", x) === "hand") {
    if (y === "table") return [["putdown", x] as const];
    if (s.get("clear", y as Arg)) return [["stack", x, y] as const];
    return undefined; // GTPyhop falls off the end here: not applicable
  }
  return false;
}
