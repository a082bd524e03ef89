/**
 * The one registry of error codes. Every service throws `EnsoulError` with one of these codes;
 * the gateway maps it once to a protocol `Error` frame or an HTTP status. The codes mirror the
 * `ErrorCode` enum of the wire protocol (shared-schema/proto/ensoul/v1/common.proto).
 */
export const ERROR_CODES = {
  INVALID_ARGUMENT: { httpStatus: 400 },
  UNAUTHENTICATED: { httpStatus: 401 },
  PERMISSION_DENIED: { httpStatus: 403 },
  NOT_FOUND: { httpStatus: 404 },
  ALREADY_EXISTS: { httpStatus: 409 },
  FAILED_PRECONDITION: { httpStatus: 412 },
  RESOURCE_EXHAUSTED: { httpStatus: 429 },
  CANCELLED: { httpStatus: 499 },
  DEADLINE_EXCEEDED: { httpStatus: 504 },
  UNIMPLEMENTED: { httpStatus: 501 },
  UNAVAILABLE: { httpStatus: 503 },
  INTERNAL: { httpStatus: 500 },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface EnsoulErrorOptions {
  /** The request field the error is about, in the protocol's naming (e.g. "hello.token"). */
  field?: string;
  cause?: unknown;
}

/** An error a person can act on: a stable code, a plain message and, where known, the field. */
export class EnsoulError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, options: EnsoulErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "EnsoulError";
    this.code = code;
    this.field = options.field;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].httpStatus;
  }
}

/** Wraps anything thrown into an EnsoulError; unknown failures become INTERNAL. */
export function toEnsoulError(err: unknown): EnsoulError {
  if (err instanceof EnsoulError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new EnsoulError("INTERNAL", `internal error: ${message}`, { cause: err });
}

export function isErrorCode(value: string): value is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}
