/**
 * A one-consumer async queue of deltas: the batch loop pushes each lane's deltas without
 * waiting, the lane's caller reads them as a stream. When the reader stops early (break or
 * return), `abandoned` turns true and the batch drops the lane.
 */
import type { GenerateDelta } from "../stream.js";

export class DeltaChannel implements AsyncIterable<GenerateDelta> {
  private readonly items: GenerateDelta[] = [];
  private wake: (() => void) | null = null;
  private error: unknown = undefined;
  private closed = false;
  abandoned = false;

  push(deltas: readonly GenerateDelta[]): void {
    this.items.push(...deltas);
    this.notify();
  }

  close(): void {
    this.closed = true;
    this.notify();
  }

  /**
   * Ends the stream with `error` after the deltas already pushed. A channel already closed keeps
   * its ending: a batch that fails after one lane finished must not turn its done into an error.
   */
  fail(error: unknown): void {
    if (this.closed) return;
    this.error = error;
    this.closed = true;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<GenerateDelta> {
    try {
      for (;;) {
        if (this.items.length > 0) yield this.items.shift()!;
        else if (this.error !== undefined) throw this.error;
        else if (this.closed) return;
        else await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      if (!this.closed) this.abandoned = true;
    }
  }
}
