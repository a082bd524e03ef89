/** Exit codes of the `ensoul` command, documented in --help. */
import type { ErrorCode } from "../lib/errors.js";

export const EXIT = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  UNREACHABLE: 3,
  AUTH: 4,
  CANNOT_LISTEN: 5,
  DATA_DIR: 6,
} as const;

export const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  the request failed (the message says why)
  2  bad usage or invalid arguments
  3  no sidecar answers at the URL (connection refused, timed out)
  4  the token was refused (unauthenticated or not allowed)
  5  cannot listen (port in use or not permitted)
  6  the data directory is not usable`;

/** The exit code for an error raised while running a command. */
export function exitCodeFor(code: ErrorCode, field?: string): number {
  switch (code) {
    case "UNAVAILABLE":
    case "DEADLINE_EXCEEDED":
      return field === "port" ? EXIT.CANNOT_LISTEN : EXIT.UNREACHABLE;
    case "UNAUTHENTICATED":
    case "PERMISSION_DENIED":
      return field === "port" ? EXIT.CANNOT_LISTEN : EXIT.AUTH;
    case "INVALID_ARGUMENT":
      return EXIT.USAGE;
    case "FAILED_PRECONDITION":
      return field === "data" ? EXIT.DATA_DIR : EXIT.FAILURE;
    default:
      return EXIT.FAILURE;
  }
}
