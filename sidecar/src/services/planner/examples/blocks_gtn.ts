/** GTPyhop's blocks_gtn: the blocks world with a multigoal method and tasks (`take`, `put`). */
import { Domain } from "../domain.js";
import type { Arg, Multigoal, State } from "../state.js";
import { declareBlocksActions, nextMove } from "./blocks_actions.js";

function m_moveblocks(s: State, mgoal: Multigoal) {
  const move = nextMove(s, mgoal);
  if (move === null) return [];
  return [["take", move[0]], ["put", move[0], move[1]], mgoal] as const;
}

function m_take(s: State, x: Arg) {
  if (s.get("clear", x) !== true) return false;
  return s.get("pos", x) === "table" ? [["pickup", x] as const] : [["unstack", x, s.get("pos", x)!] as const];
}

function m_put(s: State, x: Arg, y: Arg) {
  if (s.get("holding", "hand") !== x) return false;
  return y === "table" ? [["putdown", x] as const] : [["stack", x, y] as const];
}

export function createBlocksGtnDomain(): Domain {
  return declareBlocksActions(new Domain("blocks_gtn"))
    .declareMultigoalMethods(m_moveblocks)
    .declareTaskMethods("take", m_take)
    .declareTaskMethods("put", m_put);
}
