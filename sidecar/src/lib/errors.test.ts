import { describe, expect, it } from "vitest";
import { EnsoulError, ERROR_CODES, toEnsoulError } from "./errors.js";

describe("EnsoulError", () => {
  it("carries its code, field and HTTP status", () => {
    const err = new EnsoulError("INVALID_ARGUMENT", "count must be positive", { field: "count" });
    expect(err.code).toBe("INVALID_ARGUMENT");
    expect(err.field).toBe("count");
    expect(err.httpStatus).toBe(400);
  });

  it("turns a foreign error into INTERNAL without losing its message", () => {
    const err = toEnsoulError(new TypeError("boom"));
    expect(err.code).toBe("INTERNAL");
    expect(err.message).toContain("boom");
  });

  it("maps every code to a distinct-enough HTTP status in the 4xx/5xx range", () => {
    for (const { httpStatus } of Object.values(ERROR_CODES)) {
      expect(httpStatus).toBeGreaterThanOrEqual(400);
      expect(httpStatus).toBeLessThan(600);
    }
  });
});
