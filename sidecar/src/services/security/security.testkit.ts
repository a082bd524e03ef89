/** Helpers the security tests share: a temporary data dir, an audit sink that keeps entries. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { EnsoulError } from "../../lib/errors.js";
import type { SecurityAuditEvent, SecurityAuditSink } from "./audit.js";

export function tempDataDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), "ensoul-security-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An audit sink that keeps what it is given (and can be told to fail, like a full disk). */
export class RecordingAudit implements SecurityAuditSink {
  readonly events: SecurityAuditEvent[] = [];
  failing = false;

  async record(event: SecurityAuditEvent): Promise<void> {
    if (this.failing) throw new Error("disk full");
    this.events.push(event);
  }

  kinds(): string[] {
    return this.events.map((e) => `${e.kind}:${e.outcome}`);
  }
}

/** The EnsoulError a promise rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<EnsoulError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EnsoulError);
  return err as EnsoulError;
}
