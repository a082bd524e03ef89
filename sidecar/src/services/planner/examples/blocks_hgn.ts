/** GTPyhop's blocks_hgn: the blocks world with goals only (a multigoal method, unigoals on `pos`). */
import { Domain } from "../domain.js";
import type { Multigoal, State } from "../state.js";
import { declareBlocksActions, nextMove, putFromHand, takeToHand } from "./blocks_actions.js";

function m_moveblocks(s: State, mgoal: Multigoal) {
  const move = nextMove(s, mgoal);
  if (move === null) return [];
  return [["pos", move[0], "hand"], ["pos", move[0], move[1]], mgoal] as const;
}

export function createBlocksHgnDomain(): Domain {
  return declareBlocksActions(new Domain("blocks_hgn"))
    .declareMultigoalMethods(m_moveblocks)
    .declareUnigoalMethods("pos", { name: "m_take", fn: takeToHand }, { name: "m_put", fn: putFromHand });
}
