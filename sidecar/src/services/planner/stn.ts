/**
 * A Simple Temporal Network: time points and constraints `lo ≤ t(to) − t(from) ≤ hi`, kept as
 * the all-pairs shortest paths of its distance graph (an edge from→to of weight hi, one to→from
 * of weight −lo). The network is consistent exactly when that graph has no negative cycle.
 *
 * godot-goal-task-planner reruns Floyd–Warshall after every change (O(n³)). Here each new
 * constraint updates the distances incrementally in O(n²): a path through the new edge u→v is
 * d(i,u) + w + d(v,j). Every change goes to an undo log, so the planner backtracks the network
 * with the state, without snapshots.
 *
 * Point 0 is the origin, time 0 (the Unix epoch, in microseconds).
 */
export class SimpleTemporalNetwork {
  private n = 1;
  private cap = 16;
  private d = new Float64Array(16 * 16);
  private readonly names: string[] = ["origin"];
  /** Undo log: pairs (cell index, old value). */
  private readonly trail: number[] = [];

  constructor() {
    this.d.fill(Infinity);
    this.d[0] = 0;
  }

  get size(): number {
    return this.n;
  }

  /** Adds a time point, unconstrained; returns its index. */
  addPoint(name: string): number {
    if (this.n === this.cap) this.grow();
    const p = this.n++;
    this.names[p] = name;
    const cap = this.cap;
    for (let i = 0; i < this.n; i++) {
      this.d[p * cap + i] = Infinity;
      this.d[i * cap + p] = Infinity;
    }
    this.d[p * cap + p] = 0;
    return p;
  }

  private grow(): void {
    const old = this.d;
    const oldCap = this.cap;
    this.cap *= 2;
    this.d = new Float64Array(this.cap * this.cap).fill(Infinity);
    for (let i = 0; i < this.n; i++) this.d.set(old.subarray(i * oldCap, i * oldCap + this.n), i * this.cap);
    // Old log entries hold indices for the old width; rewrite them for the new one.
    for (let k = 0; k < this.trail.length; k += 2) {
      const cell = this.trail[k]!;
      this.trail[k] = Math.floor(cell / oldCap) * this.cap + (cell % oldCap);
    }
  }

  /** Adds `lo ≤ t(to) − t(from) ≤ hi`. Returns false (changing nothing) when that makes the network inconsistent. */
  addConstraint(from: number, to: number, lo: number, hi: number): boolean {
    if (lo > hi) return false;
    if (!this.addEdge(from, to, hi)) return false;
    return this.addEdge(to, from, -lo);
  }

  private addEdge(u: number, v: number, w: number): boolean {
    const { cap, d, n } = this;
    if (w === Infinity || w >= d[u * cap + v]!) return true;
    if (d[v * cap + u]! + w < 0) return false; // a negative cycle through the new edge
    for (let i = 0; i < n; i++) {
      const iu = d[i * cap + u]!;
      if (iu === Infinity) continue;
      const row = i * cap;
      for (let j = 0; j < n; j++) {
        const via = iu + w + d[v * cap + j]!;
        if (via < d[row + j]!) {
          this.trail.push(row + j, d[row + j]!);
          d[row + j] = via;
        }
      }
    }
    return true;
  }

  /** Earliest time of point p consistent with every constraint (−Infinity when unbounded). */
  earliest(p: number): number {
    return -this.d[p * this.cap]!;
  }

  /** Latest time of point p (Infinity when unbounded). */
  latest(p: number): number {
    return this.d[p]!;
  }

  mark(): number {
    // Points and log entries only grow between marks, so one number can hold both.
    return this.trail.length * 65536 + this.n;
  }

  undoTo(mark: number): void {
    const n = mark % 65536;
    const len = (mark - n) / 65536;
    const t = this.trail;
    while (t.length > len) {
      const old = t.pop()!;
      const cell = t.pop()!;
      this.d[cell] = old;
    }
    this.n = n;
    this.names.length = n;
  }
}
