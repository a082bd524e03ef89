/** GTPyhop's backtracking_htn: tiny tasks whose first methods fail later, to show backtracking. */
import { Domain } from "../domain.js";
import type { State } from "../state.js";

const m_err = () => [["putv", 0], ["getv", 1]] as const;
const m0 = () => [["putv", 0], ["getv", 0]] as const;
const m1 = () => [["putv", 1], ["getv", 1]] as const;
const m_need0 = () => [["getv", 0]] as const;
const m_need1 = () => [["getv", 1]] as const;

function putv(s: State, flagVal: number): State {
  return s.set("flag", "", flagVal);
}

function getv(s: State, flagVal: number): State | false {
  return s.get("flag") === flagVal ? s : false;
}

export function createBacktrackingHtnDomain(): Domain {
  return new Domain("backtracking_htn")
    .declareTaskMethods("put_it", m_err, m0, m1)
    .declareTaskMethods("need0", m_need0)
    .declareTaskMethods("need1", m_need1)
    .declareTaskMethods("need01", m_need0, m_need1)
    .declareTaskMethods("need10", m_need1, m_need0)
    .declareActions(putv, getv);
}
