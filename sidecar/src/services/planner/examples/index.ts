/** The GTPyhop example domains, by the names GTPyhop gives them. */
import type { Domain } from "../domain.js";
import { createBacktrackingHtnDomain } from "./backtracking_htn.js";
import { createBlocksGoalSplittingDomain } from "./blocks_goal_splitting.js";
import { createBlocksGtnDomain } from "./blocks_gtn.js";
import { createBlocksHgnDomain } from "./blocks_hgn.js";
import { createBlocksHtnDomain } from "./blocks_htn.js";
import { createLogisticsHgnDomain } from "./logistics_hgn.js";
import { createPyhopSimpleTravelDomain } from "./pyhop_simple_travel.js";
import { createSimpleHgnDomain } from "./simple_hgn.js";
import { createSimpleHtnDomain } from "./simple_htn.js";

export const EXAMPLE_DOMAINS: Record<string, () => Domain> = {
  simple_htn: createSimpleHtnDomain,
  simple_hgn: createSimpleHgnDomain,
  backtracking_htn: createBacktrackingHtnDomain,
  blocks_htn: createBlocksHtnDomain,
  blocks_hgn: createBlocksHgnDomain,
  blocks_gtn: createBlocksGtnDomain,
  blocks_goal_splitting: createBlocksGoalSplittingDomain,
  logistics_hgn: createLogisticsHgnDomain,
  pyhop_simple_travel_example: createPyhopSimpleTravelDomain,
};
