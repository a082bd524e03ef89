/**
 * What annotated todo items add to a search: their time points in a Simple Temporal Network,
 * the "clock" (the point everything next must follow, since a plan is a sequence), and per plan
 * step the times and entities fixed. Made only when a search meets an annotated item; the search
 * saves `mark()` at each choice point and `restore`s it when it backtracks there.
 */
import { EnsoulError } from "../../lib/errors.js";
import type { TimeSpec } from "./domain.js";
import type { Arg } from "./state.js";
import { SimpleTemporalNetwork } from "./stn.js";

/** What the plan fixed for one action: its times (timed actions) and the entities it was bound to. */
export interface StepInfo {
  startUs?: number;
  endUs?: number;
  entities?: Arg[];
}

interface StepRecord {
  startPoint: number;
  endPoint: number;
  entities: Arg[] | null;
}

/** A saved position: the network's undo mark and the clock. */
export interface TimelineMark {
  stn: number;
  clock: number;
}

export class Timeline {
  private readonly stn = new SimpleTemporalNetwork();
  private clock: number;
  private readonly records: Array<StepRecord | null> = [];
  private readonly initial: TimelineMark;

  /** `startUs`: "now"; nothing timed may start earlier. */
  constructor(startUs: number, private readonly maxTimePoints: number) {
    this.clock = this.stn.addPoint("plan_start");
    this.stn.addConstraint(0, this.clock, startUs, startUs);
    this.initial = this.mark();
  }

  mark(): TimelineMark {
    return { stn: this.stn.mark(), clock: this.clock };
  }

  /** Back to `m` (null: to when the timeline was made) and to a plan of `planLength` steps. */
  restore(m: TimelineMark | null, planLength: number): void {
    const to = m ?? this.initial;
    this.stn.undoTo(to.stn);
    this.clock = to.clock;
    if (this.records.length > planLength) this.records.length = planLength;
  }

  private point(name: string): number {
    if (this.stn.size >= this.maxTimePoints) {
      throw new EnsoulError("RESOURCE_EXHAUSTED", `planning stopped: maxTimePoints (${this.maxTimePoints}) reached in the temporal network`, { field: "maxTimePoints" });
    }
    return this.stn.addPoint(name);
  }

  /** Constrains interval [s, e] by `time`: duration, absolute end and start. */
  private constrain(s: number, e: number, time: TimeSpec): boolean {
    const stn = this.stn;
    if (!stn.addConstraint(s, e, time.durationUs ?? 0, time.durationUs ?? Infinity)) return false;
    if (time.endUs !== undefined && !stn.addConstraint(0, e, time.endUs, time.endUs)) return false;
    return time.startUs === undefined || stn.addConstraint(0, s, time.startUs, time.startUs);
  }

  /** Opens the interval of a timed task or goal; returns its start point, or -1 when inconsistent. */
  open(label: string, time: TimeSpec): number {
    const s = this.point(`${label}_start`);
    const ok = this.stn.addConstraint(this.clock, s, 0, Infinity) && (time.startUs === undefined || this.stn.addConstraint(0, s, time.startUs, time.startUs));
    if (!ok) return -1;
    this.clock = s;
    return s;
  }

  /** Closes the interval opened at `start` once its subtasks are done; false when inconsistent. */
  close(start: number, label: string, time: TimeSpec): boolean {
    const e = this.point(`${label}_end`);
    if (!(this.stn.addConstraint(this.clock, e, 0, Infinity) && this.constrain(start, e, time))) return false;
    this.clock = e;
    return true;
  }

  /**
   * Records plan step `index` (an action just applied): its interval when timed, and its bound
   * entities. Returns false when its timing is inconsistent.
   */
  step(index: number, label: string, time: TimeSpec | undefined, entities: Arg[] | null): boolean {
    let s = -1;
    let e = -1;
    if (time !== undefined) {
      s = this.point(`${label}_start`);
      e = this.point(`${label}_end`);
      if (!(this.stn.addConstraint(this.clock, s, 0, Infinity) && this.constrain(s, e, time))) return false;
      this.clock = e;
    }
    while (this.records.length < index) this.records.push(null);
    this.records[index] = { startPoint: s, endPoint: e, entities };
    return true;
  }

  /** Per step of a plan of `planLength` steps: the earliest consistent times and the entities. */
  steps(planLength: number): Array<StepInfo | null> {
    const out: Array<StepInfo | null> = [];
    for (let i = 0; i < planLength; i++) {
      const r = this.records[i];
      if (r === undefined || r === null) {
        out.push(null);
        continue;
      }
      const info: StepInfo = {};
      if (r.startPoint >= 0) {
        info.startUs = this.stn.earliest(r.startPoint);
        info.endUs = this.stn.earliest(r.endPoint);
      }
      if (r.entities !== null) info.entities = r.entities;
      out.push(info);
    }
    return out;
  }
}
