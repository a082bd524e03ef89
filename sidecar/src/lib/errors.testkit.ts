/** Test helper: what a promise that should fail with an EnsoulError rejects with. */
import { expect } from "vitest";
import { EnsoulError } from "./errors.js";

/** Resolves to the EnsoulError `p` rejects with; fails the test if it resolves or throws something else. */
export async function ensoulRejection(p: Promise<unknown>): Promise<EnsoulError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(EnsoulError);
    return err as EnsoulError;
  }
  throw new Error("expected a rejection with an EnsoulError");
}
