/** The actions and the two travel methods shared by GTPyhop's simple_htn and simple_hgn examples. */
import type { Domain } from "../domain.js";
import type { State } from "../state.js";
import { atMost, distance, isA, taxiRate } from "./travel_rigid.js";

function walk(s: State, p: string, x: string, y: string): State | false {
  if (isA(p, "person") && isA(x, "location") && isA(y, "location") && x !== y && s.get("loc", p) === x) {
    s.set("loc", p, y);
    return s;
  }
  return false;
}

function call_taxi(s: State, p: string, x: string): State | false {
  if (isA(p, "person") && isA(x, "location")) {
    s.set("loc", "taxi1", x).set("loc", p, "taxi1");
    return s;
  }
  return false;
}

function ride_taxi(s: State, p: string, y: string): State | false {
  const taxi = s.get("loc", p);
  if (isA(p, "person") && isA(taxi, "taxi") && isA(y, "location")) {
    const x = s.get("loc", taxi as string);
    if (isA(x, "location") && x !== y) {
      s.set("loc", taxi as string, y).set("owe", p, taxiRate(distance(x, y) ?? NaN));
      return s;
    }
  }
  return false;
}

function pay_driver(s: State, p: string, y: string): State | false {
  if (isA(p, "person") && (s.get("cash", p) as number) >= (s.get("owe", p) as number)) {
    s.set("cash", p, (s.get("cash", p) as number) - (s.get("owe", p) as number)).set("owe", p, 0).set("loc", p, y);
    return s;
  }
  return false;
}

export function declareTravelActions(domain: Domain): Domain {
  return domain.declareActions(walk, call_taxi, ride_taxi, pay_driver);
}

/** Walk when the destination is at most 2 away (a task method in simple_htn, a unigoal method for `loc` in simple_hgn). */
export function travel_by_foot(s: State, p: string, y: string) {
  if (isA(p, "person") && isA(y, "location")) {
    const x = s.get("loc", p) as string;
    if (x !== y && atMost(distance(x, y), 2)) return [["walk", p, x, y] as const];
  }
  return false;
}

/** Take a taxi when the person has the cash for the fare. */
export function travel_by_taxi(s: State, p: string, y: string) {
  if (isA(p, "person") && isA(y, "location")) {
    const x = s.get("loc", p) as string;
    if (x !== y && (s.get("cash", p) as number) >= taxiRate(distance(x, y) ?? NaN)) {
      return [["call_taxi", p, x], ["ride_taxi", p, y], ["pay_driver", p, y]] as const;
    }
  }
  return false;
}
