/** Identifiers: random, URL-safe, with a short prefix that says what they name. */
import { randomBytes } from "node:crypto";

/** e.g. newId("sess") → "sess_3kTq…" (128 random bits). */
export function newId(prefix: string, bytes = 16): string {
  return `${prefix}_${randomBytes(bytes).toString("base64url")}`;
}
