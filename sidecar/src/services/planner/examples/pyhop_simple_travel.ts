/**
 * Pyhop's simple travel example as GTPyhop runs it. Its state holds distances as a nested map
 * (`dist[x][y]`); here that is the state variable `dist` with arguments `"x,y"`.
 */
import { Domain } from "../domain.js";
import type { State } from "../state.js";

const taxiRate = (dist: number) => 1.5 + 0.5 * dist;
const dist = (s: State, x: string, y: string) => s.get("dist", `${x},${y}`) as number;

function walk(s: State, a: string, x: string, y: string): State | false {
  return s.get("loc", a) === x ? s.set("loc", a, y) : false;
}

function call_taxi(s: State, _a: string, x: string): State {
  return s.set("loc", "taxi", x);
}

function ride_taxi(s: State, a: string, x: string, y: string): State | false {
  if (s.get("loc", "taxi") === x && s.get("loc", a) === x) {
    return s.set("loc", "taxi", y).set("loc", a, y).set("owe", a, taxiRate(dist(s, x, y)));
  }
  return false;
}

function pay_driver(s: State, a: string): State | false {
  const cash = s.get("cash", a) as number;
  const owe = s.get("owe", a) as number;
  return cash >= owe ? s.set("cash", a, cash - owe).set("owe", a, 0) : false;
}

function travel_by_foot(s: State, a: string, x: string, y: string) {
  return dist(s, x, y) <= 2 ? [["walk", a, x, y] as const] : false;
}

function travel_by_taxi(s: State, a: string, x: string, y: string) {
  if ((s.get("cash", a) as number) >= taxiRate(dist(s, x, y))) return [["call_taxi", a, x], ["ride_taxi", a, x, y], ["pay_driver", a]] as const;
  return false;
}

export function createPyhopSimpleTravelDomain(): Domain {
  return new Domain("pyhop_simple_travel_example")
    .declareActions(walk, call_taxi, ride_taxi, pay_driver)
    .declareTaskMethods("travel", travel_by_foot, travel_by_taxi);
}
