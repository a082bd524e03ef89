/**
 * TOTP second factor (RFC 6238 through otplib: 30-second steps, 6 digits, one step of clock
 * drift either way) for admin subjects. Enrolment is two calls: `enrol` makes a secret for an
 * authenticator app, `confirm` turns it on with a first code. Once any subject has confirmed,
 * changes to admin tokens need the caller's current code; a code works once (the last step
 * used is stored), so one seen over a shoulder or in a log cannot be replayed.
 */
import { authenticator } from "otplib";
import { EnsoulError } from "../../lib/errors.js";
import type { AuthStore, MfaRecord } from "./store.js";

const STEP_MS = 30_000;
const ISSUER = "Ensoul";

export interface Enrolment {
  secret: string;
  otpauthUrl: string;
}

export class TotpMfa {
  constructor(
    private readonly store: AuthStore,
    private readonly now: () => number,
  ) {}

  private totp() {
    return authenticator.clone({ window: 1, epoch: this.now() });
  }

  /**
   * Starts (or restarts) enrolment of a subject. Replacing a confirmed enrolment needs a current
   * code from it, so a stolen admin token alone cannot move the second factor to a new phone;
   * the new secret then takes over at once (MFA never lapses between the two).
   */
  async enrol(subject: string, code: string, field: string): Promise<Enrolment> {
    const existing = await this.store.mfa(subject);
    let lastStep = existing?.lastStep ?? 0;
    const confirmed = existing !== undefined && existing.confirmedAtMs > 0;
    if (confirmed) lastStep = await this.checkCode(existing, code, field);
    const totp = this.totp();
    const secret = totp.generateSecret(20);
    await this.store.putMfa({ subject, secret, confirmedAtMs: confirmed ? this.now() : 0, lastStep });
    return { secret, otpauthUrl: totp.keyuri(subject, ISSUER, secret) };
  }

  /** Turns enrolment on with a first code from the authenticator app. */
  async confirm(subject: string, code: string, field: string): Promise<void> {
    const record = await this.store.mfa(subject);
    if (!record) throw new EnsoulError("FAILED_PRECONDITION", `${subject} has not started enrolment: run ensoul mfa enrol first`, { field });
    const step = await this.checkCode(record, code, field);
    if (record.confirmedAtMs === 0) await this.store.putMfa({ ...record, confirmedAtMs: this.now(), lastStep: step });
  }

  /**
   * Gate for admin token changes. Enrolled caller: the code must be current and unused. Not
   * enrolled while another subject is: refused (MFA is on for this sidecar). Nobody enrolled:
   * allowed, which is how the first admin sets MFA up.
   */
  async requireCode(subject: string, code: string, field: string): Promise<void> {
    const record = await this.store.mfa(subject);
    if (record && record.confirmedAtMs > 0) {
      await this.checkCode(record, code, field);
      return;
    }
    if (await this.store.anyConfirmedMfa()) {
      throw new EnsoulError("PERMISSION_DENIED", `admin token changes need a TOTP code and ${subject} has not enrolled: run ensoul mfa enrol`, { field });
    }
  }

  /** Whether the subject has a confirmed enrolment. */
  async enrolled(subject: string): Promise<boolean> {
    return ((await this.store.mfa(subject))?.confirmedAtMs ?? 0) > 0;
  }

  /** Accepts a current, unused code and returns its time step; throws otherwise. */
  private async checkCode(record: MfaRecord, code: string, field: string): Promise<number> {
    if (code === "") throw new EnsoulError("PERMISSION_DENIED", `this change needs a current TOTP code for ${record.subject} (--totp)`, { field });
    if (!/^\d{6}$/.test(code)) throw new EnsoulError("INVALID_ARGUMENT", "a TOTP code is 6 digits", { field });
    const delta = this.totp().checkDelta(code, record.secret);
    if (delta === null) throw new EnsoulError("PERMISSION_DENIED", `the TOTP code is not valid for ${record.subject} now`, { field });
    const step = Math.floor(this.now() / STEP_MS) + delta;
    if (!(await this.store.advanceMfaStep(record.subject, step))) {
      throw new EnsoulError("PERMISSION_DENIED", "that TOTP code was already used: wait for the next one", { field });
    }
    return step;
  }
}
