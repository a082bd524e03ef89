/** Durations as people type them on the command line. */
import { EnsoulError } from "./errors.js";

const UNITS_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 };

/** Parses a lifetime like "30d", "12h", "15m", "90s" or a number of seconds; returns ms. */
export function parseTtl(text: string, field = "ttl"): number {
  const match = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  const ms = match ? Number(match[1]) * UNITS_MS[match[2] || "s"]! : NaN;
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    throw new EnsoulError("INVALID_ARGUMENT", `${field} must be a duration like 30d, 12h, 15m or 90s, got "${text}"`, { field });
  }
  return ms;
}
