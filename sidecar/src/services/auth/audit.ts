/**
 * The audit log: every authentication, authorization denial, token or MFA change and secret
 * access, appended as a hash chain. Each entry stores the SHA-256 of the entry before it and
 * its own hash over its fields and that link, so changing an entry breaks its own hash, and
 * rewriting it with a fresh hash breaks the next entry's link; a head record written with each
 * entry catches entries cut off the end. `verify` walks the chain and names the first bad entry.
 */
import { createHash } from "node:crypto";
import { GENESIS_HASH, type AuditHead, type AuditRow, type AuthStore } from "./store.js";

export type AuditOutcome = "ok" | "denied" | "failed";

/**
 * One thing that happened. Known kinds: auth.authenticate, auth.deny, token.create,
 * token.revoke, mfa.enrol, mfa.confirm, jwt.issue, secret.* (from the security service).
 * `detail` must never hold a secret.
 */
export interface AuditEvent {
  kind: string;
  /** Who did it (a token's subject), or "anonymous" when authentication failed. */
  subject: string;
  outcome: AuditOutcome;
  detail?: Record<string, string | number | boolean | undefined>;
}

/** Where any service reports what must be audited (app/ hands this to the security service). */
export interface AuditSink {
  record(event: AuditEvent): Promise<void>;
}

export interface AuditVerification {
  ok: boolean;
  entries: number;
  /** Which entry is bad and how, in words; empty when ok. */
  problem: string;
  /** The first bad entry's seq; 0 when ok. */
  badSeq: number;
  headHash: string;
}

/** The hash of an entry: SHA-256 over its fields and the previous entry's hash, as JSON. */
export function auditEntryHash(row: Omit<AuditRow, "hash">): string {
  const text = JSON.stringify([row.seq, row.atMs, row.kind, row.subject, row.outcome, row.detail, row.prevHash]);
  return createHash("sha256").update(text).digest("hex");
}

const PAGE = 1000;

export class AuditLog implements AuditSink {
  constructor(
    private readonly store: AuthStore,
    private readonly now: () => number = Date.now,
  ) {}

  async record(event: AuditEvent): Promise<void> {
    const detail = JSON.stringify(event.detail ?? {});
    const atMs = this.now();
    await this.store.appendAudit((head: AuditHead) => {
      const row = { seq: head.seq + 1, atMs, kind: event.kind, subject: event.subject, outcome: event.outcome, detail, prevHash: head.hash };
      return { ...row, hash: auditEntryHash(row) };
    });
  }

  /** Walks the whole chain from the first entry; stops at the first entry that is wrong. */
  async verify(): Promise<AuditVerification> {
    let expectedSeq = 1;
    let prevHash = GENESIS_HASH;
    const bad = (seq: number, problem: string): AuditVerification => ({ ok: false, entries: expectedSeq - 1, problem, badSeq: seq, headHash: prevHash });
    for (;;) {
      const rows = await this.store.auditEntries(expectedSeq - 1, PAGE);
      if (rows.length === 0) {
        // Nothing at expectedSeq: either the end, or the rest was cut off (the head says so).
        break;
      }
      for (const row of rows) {
        if (row.seq !== expectedSeq) {
          const gap = row.seq - 1 === expectedSeq ? `entry ${expectedSeq} is` : `entries ${expectedSeq}–${row.seq - 1} are`;
          return bad(expectedSeq, `${gap} missing (the log goes from entry ${expectedSeq - 1} to entry ${row.seq})`);
        }
        if (row.prevHash !== prevHash) {
          return bad(row.seq - 1, `entry ${row.seq - 1} was changed or replaced: entry ${row.seq} holds the hash of a different entry`);
        }
        if (auditEntryHash(row) !== row.hash) {
          return bad(row.seq, `entry ${row.seq} was changed: its contents no longer match its hash`);
        }
        prevHash = row.hash;
        expectedSeq++;
      }
    }
    const last = expectedSeq - 1;
    const head = await this.store.auditHead();
    if (head.seq > last) {
      const gap = head.seq === last + 1 ? `entry ${head.seq} is` : `entries ${last + 1}–${head.seq} are`;
      return bad(last + 1, `${gap} missing from the end of the log (the log's head names entry ${head.seq})`);
    }
    if (head.seq < last) {
      return bad(head.seq + 1, `entry ${head.seq + 1} was added outside the audit log (the log's head names entry ${head.seq})`);
    }
    if (head.hash !== prevHash) {
      return bad(last, `entry ${last} was changed or replaced: the log's head holds the hash of a different entry`);
    }
    return { ok: true, entries: last, problem: "", badSeq: 0, headHash: prevHash };
  }
}
