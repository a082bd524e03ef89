import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";

describe("OIDC settings from the environment", () => {
  const base = { ENSOUL_OIDC_ISSUER: "https://id.example.test", ENSOUL_OIDC_JWKS_URL: "https://id.example.test/certs", ENSOUL_OIDC_AUDIENCE: "ensoul" };

  it("are off unless ENSOUL_OIDC_ISSUER is set", () => {
    expect(loadConfig({}, {}).oidc).toBeUndefined();
  });

  it("are read whole, with the claim names when given", () => {
    expect(loadConfig({}, { ...base, ENSOUL_OIDC_ROLES_CLAIM: "ensoul_roles" }).oidc).toEqual({
      issuer: "https://id.example.test",
      jwksUrl: "https://id.example.test/certs",
      audience: "ensoul",
      rolesClaim: "ensoul_roles",
    });
  });

  it("name the variable that is missing or wrong", () => {
    expect(() => loadConfig({}, { ...base, ENSOUL_OIDC_AUDIENCE: "" })).toThrow(/ENSOUL_OIDC_AUDIENCE must be set too/);
    expect(() => loadConfig({}, { ...base, ENSOUL_OIDC_JWKS_URL: "file:///etc/keys" })).toThrow(/ENSOUL_OIDC_JWKS_URL must be an http\(s\) URL/);
  });
});

describe("job retention from the environment", () => {
  it("is left to the queue's default unless ENSOUL_JOB_RETENTION_DAYS is set, and takes fractions and 0", () => {
    expect(loadConfig({}, {}).jobRetentionDays).toBeUndefined();
    expect(loadConfig({}, { ENSOUL_JOB_RETENTION_DAYS: "0.5" }).jobRetentionDays).toBe(0.5);
    expect(loadConfig({}, { ENSOUL_JOB_RETENTION_DAYS: "0" }).jobRetentionDays).toBe(0);
  });

  it("names the variable when it is not a number of days", () => {
    expect(() => loadConfig({}, { ENSOUL_JOB_RETENTION_DAYS: "-1" })).toThrow(/ENSOUL_JOB_RETENTION_DAYS must be 0/);
    expect(() => loadConfig({}, { ENSOUL_JOB_RETENTION_DAYS: "a week" })).toThrow(/ENSOUL_JOB_RETENTION_DAYS=a week is not a number/);
  });
});
