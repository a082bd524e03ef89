/** GTPyhop's simple_hgn: travel by foot or taxi, with goals (`loc`) and goal splitting. */
import { Domain, m_split_multigoal } from "../domain.js";
import { declareTravelActions, travel_by_foot, travel_by_taxi } from "./travel_actions.js";

export function createSimpleHgnDomain(): Domain {
  return declareTravelActions(new Domain("simple_hgn"))
    .declareUnigoalMethods("loc", travel_by_foot, travel_by_taxi)
    .declareMultigoalMethods(m_split_multigoal);
}
