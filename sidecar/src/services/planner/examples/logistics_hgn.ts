/**
 * GTPyhop's logistics_hgn: packages moved by trucks within cities and planes between airports,
 * with goals only. Sets of objects (trucks, airports, ...) are state variables mapping each
 * member to true.
 */
import { Domain } from "../domain.js";
import type { Arg, State, Value } from "../state.js";

const drive_truck = (s: State, t: Arg, l: Value) => s.set("truck_at", t, l);
const load_truck = (s: State, o: Arg, t: Value) => s.set("at", o, t);
const fly_plane = (s: State, plane: Arg, a: Value) => s.set("plane_at", plane, a);
const load_plane = (s: State, o: Arg, plane: Value) => s.set("at", o, plane);

function unload_truck(s: State, o: Arg, l: Value): State | false {
  const t = s.get("at", o) as Arg;
  return s.get("truck_at", t) === l ? s.set("at", o, l) : false;
}

function unload_plane(s: State, o: Arg, a: Value): State | false {
  const plane = s.get("at", o) as Arg;
  return s.get("plane_at", plane) === a ? s.set("at", o, a) : false;
}

const isIn = (s: State, set: string, x: Value | undefined) => x !== undefined && x !== null && typeof x !== "boolean" && s.has(set, x);
const cityOf = (s: State, l: Value | undefined) => s.get("in_city", l as Arg);

function findTruck(s: State, o: Arg): Arg | false {
  for (const t of s.args("trucks")) if (cityOf(s, s.get("truck_at", t)) === cityOf(s, s.get("at", o))) return t;
  return false;
}

/** GTPyhop's find_plane returns the last plane when none is in the city; kept as it is. */
function findPlane(s: State, o: Arg): Arg | false {
  let plane: Arg | false = false;
  for (plane of s.args("airplanes")) if (cityOf(s, s.get("plane_at", plane)) === cityOf(s, s.get("at", o))) return plane;
  return plane;
}

function findAirport(s: State, l: Value | undefined): Arg | false {
  for (const a of s.args("airports")) if (cityOf(s, a) === cityOf(s, l)) return a;
  return false;
}

function m_drive_truck(s: State, t: Arg, l: Value) {
  if (isIn(s, "trucks", t) && isIn(s, "locations", l) && cityOf(s, s.get("truck_at", t)) === cityOf(s, l)) return [["drive_truck", t, l] as const];
  return undefined;
}
function m_load_truck(s: State, o: Arg, t: Value) {
  if (isIn(s, "packages", o) && isIn(s, "trucks", t) && s.get("at", o) === s.get("truck_at", t as Arg)) return [["load_truck", o, t] as const];
  return undefined;
}
function m_unload_truck(s: State, o: Arg, l: Value) {
  if (isIn(s, "packages", o) && isIn(s, "trucks", s.get("at", o)) && isIn(s, "locations", l)) return [["unload_truck", o, l] as const];
  return undefined;
}
function m_fly_plane(s: State, plane: Arg, a: Value) {
  if (isIn(s, "airplanes", plane) && isIn(s, "airports", a)) return [["fly_plane", plane, a] as const];
  return undefined;
}
function m_load_plane(s: State, o: Arg, plane: Value) {
  if (isIn(s, "packages", o) && isIn(s, "airplanes", plane) && s.get("at", o) === s.get("plane_at", plane as Arg)) return [["load_plane", o, plane] as const];
  return undefined;
}
function m_unload_plane(s: State, o: Arg, a: Value) {
  if (isIn(s, "packages", o) && isIn(s, "airplanes", s.get("at", o)) && isIn(s, "airports", a)) return [["unload_plane", o, a] as const];
  return undefined;
}

function move_within_city(s: State, o: Arg, l: Value) {
  const at = s.get("at", o);
  if (isIn(s, "packages", o) && isIn(s, "locations", at) && cityOf(s, at) === cityOf(s, l)) {
    const t = findTruck(s, o);
    if (t !== false) return [["truck_at", t, at!], ["at", o, t], ["truck_at", t, l], ["at", o, l]] as const;
  }
  return false;
}

function move_between_airports(s: State, o: Arg, a: Value) {
  const at = s.get("at", o);
  if (isIn(s, "packages", o) && isIn(s, "airports", at) && isIn(s, "airports", a) && cityOf(s, at) !== cityOf(s, a)) {
    const plane = findPlane(s, o);
    if (plane !== false) return [["plane_at", plane, at!], ["at", o, plane], ["plane_at", plane, a], ["at", o, a]] as const;
  }
  return false;
}

function move_between_city(s: State, o: Arg, l: Value) {
  const at = s.get("at", o);
  if (isIn(s, "packages", o) && isIn(s, "locations", at) && cityOf(s, at) !== cityOf(s, l)) {
    const a1 = findAirport(s, at);
    const a2 = findAirport(s, l);
    if (a1 !== false && a2 !== false) return [["at", o, a1], ["at", o, a2], ["at", o, l]] as const;
  }
  return false;
}

export function createLogisticsHgnDomain(): Domain {
  return new Domain("logistics_hgn")
    .declareActions(
      { name: "drive_truck", fn: drive_truck }, { name: "load_truck", fn: load_truck }, { name: "unload_truck", fn: unload_truck },
      { name: "fly_plane", fn: fly_plane }, { name: "load_plane", fn: load_plane }, { name: "unload_plane", fn: unload_plane },
    )
    .declareUnigoalMethods("at", m_load_truck, m_unload_truck, m_load_plane, m_unload_plane)
    .declareUnigoalMethods("truck_at", m_drive_truck)
    .declareUnigoalMethods("plane_at", m_fly_plane)
    .declareUnigoalMethods("at", move_within_city, move_between_airports, move_between_city);
}
