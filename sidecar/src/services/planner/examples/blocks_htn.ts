/** GTPyhop's blocks_htn: the blocks world with tasks only (`achieve`, `take`, `put`). */
import { Domain } from "../domain.js";
import type { Arg, Multigoal, State } from "../state.js";
import { declareBlocksActions, nextMove } from "./blocks_actions.js";

function m_moveblocks(s: State, mgoal: Multigoal) {
  const move = nextMove(s, mgoal);
  if (move === null) return [];
  return [["take", move[0]], ["put", move[0], move[1]], ["achieve", mgoal]] as const;
}

function m_take(s: State, b1: Arg) {
  if (!s.get("clear", b1)) return false;
  return s.get("pos", b1) === "table" ? [["pickup", b1] as const] : [["unstack", b1, s.get("pos", b1)!] as const];
}

function m_put(s: State, b1: Arg, b2: Arg) {
  if (s.get("holding", "hand") !== b1) return false;
  return b2 === "table" ? [["putdown", b1] as const] : [["stack", b1, b2] as const];
}

export function createBlocksHtnDomain(): Domain {
  return declareBlocksActions(new Domain("blocks_htn"))
    .declareTaskMethods("achieve", m_moveblocks)
    .declareTaskMethods("take", m_take)
    .declareTaskMethods("put", m_put);
}
