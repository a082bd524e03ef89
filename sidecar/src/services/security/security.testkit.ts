/** Helpers the security tests share: a temporary data dir, an audit sink that keeps entries. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { EnsoulError } from "../../lib/errors.js";
import { openDataStore, type DataStore } from "../data/index.js";
import type { SecurityAuditEvent, SecurityAuditSink } from "./audit.js";
import { createSecurityService, type SecurityService } from "./index.js";

export function tempDataDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), "ensoul-security-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The embedded data store of a data dir, as app/ opens it. */
export const openEmbeddedData = (dir: string): Promise<DataStore> => openDataStore({ mode: "embedded", dataDir: dir });

/** The security service over a data dir's embedded store; its close() closes the store too. */
export async function startSecurity(
  dir: string,
  audit: SecurityAuditSink,
  options: { env?: NodeJS.ProcessEnv; now?: () => number } = {},
): Promise<SecurityService> {
  const data = await openEmbeddedData(dir);
  try {
    const service = await createSecurityService({ dataDir: dir, data, audit, env: options.env ?? {}, ...(options.now ? { now: options.now } : {}) });
    return { ...service, close: async () => (await service.close(), await data.close()) };
  } catch (err) {
    await data.close();
    throw err;
  }
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
