/**
 * GTPyhop's blocks_goal_splitting: the blocks world with GTPyhop's built-in m_split_multigoal
 * and unigoal methods for `pos` and `clear`; plans are valid but far from optimal.
 */
import { Domain, m_split_multigoal } from "../domain.js";
import type { Arg, State, Value } from "../state.js";
import { declareBlocksActions, putFromHand, takeToHand } from "./blocks_actions.js";

function m_move1(s: State, b1: Arg, b2: Value) {
  if (b2 !== "hand" && !s.get("holding", "hand")) {
    if (b2 === "table") return [["clear", b1, true], ["pos", b1, "hand"], ["pos", b1, b2]] as const;
    return [["clear", b2, true], ["clear", b1, true], ["pos", b1, "hand"], ["pos", b1, b2]] as const;
  }
  return undefined;
}

function m_make_clear(s: State, b2: Arg, truth: Value) {
  if (truth !== true) return undefined;
  if (b2 === "table" || s.get("clear", b2)) return [];
  let above: Arg | undefined;
  for (const [b1, p] of s.varMap("pos") ?? []) {
    if (p === b2) {
      above = b1;
      break;
    }
  }
  if (above === undefined) return false;
  return [["clear", above, true], ["pos", above, "table"]] as const;
}

export function createBlocksGoalSplittingDomain(): Domain {
  return declareBlocksActions(new Domain("blocks_goal_splitting"))
    .declareMultigoalMethods(m_split_multigoal)
    .declareUnigoalMethods("pos", m_move1, { name: "m_get", fn: takeToHand }, { name: "m_put", fn: putFromHand })
    .declareUnigoalMethods("clear", m_make_clear);
}
