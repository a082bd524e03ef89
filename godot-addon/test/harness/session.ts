/**
 * What one engine run reports while it runs: the boot page's events (see server.ts) collected
 * in order, the end of the run, and waiting for a printed line (for tests that drive the page).
 */
import { writeFile } from "node:fs/promises";
import type { Page } from "playwright-core";

/** What the boot page reports through `__ensoulEvent`, plus page failures. */
export type EngineEventKind = "out" | "err" | "started" | "exit" | "boot-failed" | "page-error";

/** Handed to `RunOptions.interact`: the live page of a run and its output. */
export interface RunSession {
  /** The page the engine runs in (mouse, keyboard, evaluate). */
  readonly page: Page;
  /** Lines printed so far. */
  readonly stdout: readonly string[];
  /**
   * Resolves with the first stdout line, printed before or after the call, that matches
   * `pattern`; rejects when the run ends or `timeoutMs` (default 10 000) passes first.
   */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Writes a PNG of the page now. */
  screenshot(path: string): Promise<void>;
}

interface LineWaiter {
  pattern: RegExp;
  resolve(line: string): void;
  reject(error: Error): void;
}

export class EngineSession implements RunSession {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  exitCode: number | null = null;
  /** Why the engine or page failed (boot, page error, crash), or null. */
  failure: string | null = null;
  /** Resolves when the engine exits or fails. */
  readonly ended: Promise<void>;
  private endRun: () => void = () => {};
  private waiters: LineWaiter[] = [];
  private finished = false;

  constructor(readonly page: Page) {
    this.ended = new Promise<void>((resolve) => (this.endRun = resolve));
  }

  /** Receives one event of the boot page, in the order the page sent them. */
  onEvent(kind: EngineEventKind, text: string): void {
    switch (kind) {
      case "out":
        for (const line of text.split("\n")) {
          this.stdout.push(line);
          this.notify(line);
        }
        break;
      case "err":
        this.stderr.push(...text.split("\n"));
        break;
      case "exit":
        this.exitCode = Number(text);
        this.finish();
        break;
      case "boot-failed":
      case "page-error":
        this.failure ??= `${kind === "boot-failed" ? "engine failed to boot" : "page error"}: ${text}`;
        this.finish();
        break;
      case "started":
        break;
    }
  }

  /** Marks the run over: pending `waitForLine` calls reject. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.endRun();
    for (const waiter of this.waiters) waiter.reject(new Error(`the run ended before a line matched ${waiter.pattern}`));
    this.waiters = [];
  }

  // Arrow properties: callers may destructure `{ page, waitForLine }`.
  readonly waitForLine = (pattern: RegExp, timeoutMs = 10_000): Promise<string> => {
    const seen = this.stdout.find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    if (this.finished) return Promise.reject(new Error(`the run ended before a line matched ${pattern}`));
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no line matched ${pattern} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: LineWaiter = {
        pattern,
        resolve: (line) => (clearTimeout(timer), resolve(line)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      };
      this.waiters.push(waiter);
    });
  };

  readonly screenshot = async (path: string): Promise<void> => {
    await writeFile(path, await this.page.screenshot({ type: "png", timeout: 5_000 }));
  };

  private notify(line: string): void {
    const matched = this.waiters.filter((w) => w.pattern.test(line));
    if (matched.length === 0) return;
    this.waiters = this.waiters.filter((w) => !matched.includes(w));
    for (const waiter of matched) waiter.resolve(line);
  }
}
