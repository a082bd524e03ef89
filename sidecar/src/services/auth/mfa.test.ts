import { authenticator } from "otplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnsoulClient } from "../../lib/client.js";
import { refusal, startAuthHarness, type AuthHarness } from "./auth.testkit.js";

let h: AuthHarness;
let admin: EnsoulClient;
let secret = "";

/** The code an authenticator app shows now, by the harness's clock. */
const code = (s = secret): string => authenticator.clone({ epoch: h.nowMs }).generate(s);
/** Moves the clock to the next 30-second step, so a fresh code exists. */
const nextStep = (): void => h.advance(30_000);

beforeAll(async () => {
  h = await startAuthHarness();
  admin = await h.connect(h.adminToken);
});

afterAll(async () => {
  await admin.close();
  await h.close();
});

describe("TOTP for admin token changes", () => {
  it("is not asked for before anyone has enrolled", async () => {
    const made = await admin.call("tokenCreate", { roles: ["admin"], subject: "second-admin" });
    expect(made.tokenCreated!.token!.roles).toEqual(["admin"]);
  });

  it("enrols with a secret and an otpauth URL, and turns on only with a valid first code", async () => {
    const enrolment = (await admin.call("mfaEnrol", {})).mfaEnrolment!;
    secret = enrolment.secret!;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(enrolment.otpauthUrl).toBe(`otpauth://totp/Ensoul:admin?secret=${secret}&period=30&digits=6&algorithm=SHA1&issuer=Ensoul`);
    // Not confirmed yet: admin changes still go through without a code.
    await admin.call("tokenCreate", { roles: ["admin"] });
    const wrong = code() === "000000" ? "111111" : "000000";
    expect((await refusal(admin.call("mfaConfirm", { totp: wrong }))).code).toBe("PERMISSION_DENIED");
    expect((await refusal(admin.call("mfaConfirm", { totp: "12ab" }))).code).toBe("INVALID_ARGUMENT");
    nextStep();
    expect((await admin.call("mfaConfirm", { totp: code() })).mfaConfirmed!.subject).toBe("admin");
  });

  it("then refuses to create an admin token without a current code, naming the field", async () => {
    nextStep();
    const missing = await refusal(admin.call("tokenCreate", { roles: ["admin"] }));
    expect(missing.code).toBe("PERMISSION_DENIED");
    expect(missing.field).toBe("tokenCreate.totp");
    expect(missing.message).toMatch(/needs a current TOTP code/);
    const stale = authenticator.clone({ epoch: h.nowMs - 5 * 60_000 }).generate(secret);
    expect((await refusal(admin.call("tokenCreate", { roles: ["admin"], totp: stale }))).message).toMatch(/not valid/);
    const ok = await admin.call("tokenCreate", { roles: ["admin"], totp: code() });
    expect(ok.tokenCreated!.secret).toMatch(/^ens_/);
  });

  it("takes each code once", async () => {
    nextStep();
    const totp = code();
    await admin.call("tokenCreate", { roles: ["admin"], totp });
    const replay = await refusal(admin.call("tokenCreate", { roles: ["admin"], totp }));
    expect(replay.message).toMatch(/already used/);
  });

  it("does not ask for a code for tokens without the admin role", async () => {
    const made = await admin.call("tokenCreate", { roles: ["designer"] });
    await admin.call("tokenRevoke", { tokenId: made.tokenCreated!.token!.tokenId! });
  });

  it("asks for a code to revoke an admin token", async () => {
    nextStep();
    const made = await admin.call("tokenCreate", { roles: ["admin"], totp: code() });
    const id = made.tokenCreated!.token!.tokenId!;
    const missing = await refusal(admin.call("tokenRevoke", { tokenId: id }));
    expect(missing.field).toBe("tokenRevoke.totp");
    nextStep();
    await admin.call("tokenRevoke", { tokenId: id, totp: code() });
  });

  it("refuses admin changes from an admin who has not enrolled while MFA is on", async () => {
    const list = (await admin.call("tokenList", {})).tokenListReply!.tokens!;
    expect(list.some((t) => t.subject === "second-admin")).toBe(true);
    nextStep();
    const other = await admin.call("tokenCreate", { roles: ["admin"], subject: "third-admin", totp: code() });
    const third = await h.connect(other.tokenCreated!.secret!);
    const e = await refusal(third.call("tokenCreate", { roles: ["admin"] }));
    expect(e.code).toBe("PERMISSION_DENIED");
    expect(e.message).toMatch(/third-admin has not enrolled/);
    await third.close();
  });

  it("needs a current code to move enrolment to a new secret", async () => {
    expect((await refusal(admin.call("mfaEnrol", {}))).field).toBe("mfaEnrol.totp");
    nextStep();
    const again = (await admin.call("mfaEnrol", { totp: code() })).mfaEnrolment!;
    expect(again.secret).not.toBe(secret);
    // The new secret is in force at once: the old one no longer works, and a code is still needed.
    nextStep();
    expect((await refusal(admin.call("tokenCreate", { roles: ["admin"], totp: code() }))).message).toMatch(/not valid/);
    expect((await refusal(admin.call("tokenCreate", { roles: ["admin"] }))).field).toBe("tokenCreate.totp");
    await admin.call("tokenCreate", { roles: ["admin"], totp: code(again.secret!) });
  });
});
