/** GTPyhop's simple_htn: travel by foot or taxi, with tasks. */
import { Domain } from "../domain.js";
import type { State } from "../state.js";
import { declareTravelActions, travel_by_foot, travel_by_taxi } from "./travel_actions.js";
import { isA } from "./travel_rigid.js";

function do_nothing(s: State, p: string, y: string) {
  if (isA(p, "person") && isA(y, "location") && s.get("loc", p) === y) return [];
  return false;
}

export function createSimpleHtnDomain(): Domain {
  return declareTravelActions(new Domain("simple_htn")).declareTaskMethods("travel", do_nothing, travel_by_foot, travel_by_taxi);
}
