/**
 * Sidecar configuration: defaults, then environment (ENSOUL_*), then CLI flags. Validated once
 * here so a bad value stops start-up with a message that names it.
 */
import path from "node:path";
import { EnsoulError } from "./errors.js";

export interface GatewayLimits {
  /** Largest frame (or HTTP body) accepted, in bytes. */
  maxFrameBytes: number;
  /** Requests a connection may have open at once. */
  maxInFlight: number;
  /** A connection that sends nothing this long is closed. */
  idleTimeoutMs: number;
  /** A connection must send Hello within this time. */
  helloTimeoutMs: number;
}

export interface SidecarConfig {
  mode: "embedded" | "server";
  host: string;
  port: number;
  dataDir: string;
  /** Serve HTTPS and WSS (with the local CA's certificate unless files are given). */
  tls: boolean;
  /** PEM certificate (and chain) to serve TLS with instead of the local CA's. */
  tlsCertFile?: string;
  /** PEM private key of `tlsCertFile`. */
  tlsKeyFile?: string;
  /** Allow listening beyond loopback without TLS (the design asks for an explicit choice). */
  insecureListen: boolean;
  limits: GatewayLimits;
  logLevel: string;
  /** Server mode: the PostgreSQL/CockroachDB the data service keeps records in (ENSOUL_DATABASE_URL). */
  databaseUrl?: string;
  /** Server mode: the schema inside that database (ENSOUL_DATABASE_SCHEMA, default "public"). */
  databaseSchema?: string;
  /** Server mode: the Redis the queue keeps jobs in through BullMQ (ENSOUL_REDIS_URL). */
  redisUrl?: string;
  /** Server mode: what every queue key in Redis starts with (ENSOUL_QUEUE_PREFIX, default "ensoul"). */
  queuePrefix?: string;
  /**
   * How long finished jobs are kept, in days (ENSOUL_JOB_RETENTION_DAYS, default 7; fractions
   * allowed; 0 keeps them for ever).
   */
  jobRetentionDays?: number;
  /** A Qwen3 ONNX model folder for the "llm" character generator (loaded on first use); none: procedural only. */
  modelDir?: string;
  /**
   * The keystore's master key as given (ENSOUL_MASTER_KEY; required in server mode, else the
   * data dir's master.key), and the one it replaces during a rotation (ENSOUL_MASTER_KEY_PREVIOUS).
   * Key material: never log the config whole.
   */
  masterKey?: string;
  previousMasterKey?: string;
  /** An external OpenID Connect issuer whose JWTs are accepted too (ENSOUL_OIDC_*). */
  oidc?: OidcSettings;
}

/** An OIDC issuer the auth service trusts: its tokens' `iss`, where its keys are, the `aud` they must carry. */
export interface OidcSettings {
  issuer: string;
  jwksUrl: string;
  audience: string;
  /** The claim listing Ensoul roles (default "roles"). */
  rolesClaim?: string;
  /** The claim naming the token's one project (default "project"). */
  projectClaim?: string;
}

export const DEFAULT_PORT = 7317;

export const DEFAULT_LIMITS: GatewayLimits = {
  maxFrameBytes: 4 * 1024 * 1024,
  // An open planner agent session (one per NPC) holds a request open for its stream.
  maxInFlight: 1024,
  idleTimeoutMs: 5 * 60_000,
  helloTimeoutMs: 10_000,
};

export type ConfigOverrides = Partial<Omit<SidecarConfig, "limits">> & { limits?: Partial<GatewayLimits> };

function envNumber(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new EnsoulError("INVALID_ARGUMENT", `${name}=${raw} is not a number`, { field: name });
  return n;
}

function positiveInt(value: number, field: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value <= 0 || value > max) {
    throw new EnsoulError("INVALID_ARGUMENT", `${field} must be a whole number from 1 to ${max}, got ${value}`, {
      field,
    });
  }
  return value;
}

export function loadConfig(overrides: ConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env): SidecarConfig {
  const modeText = overrides.mode ?? env["ENSOUL_MODE"] ?? "embedded";
  if (modeText !== "embedded" && modeText !== "server") {
    throw new EnsoulError("INVALID_ARGUMENT", `mode must be "embedded" or "server", got "${modeText}"`, {
      field: "mode",
    });
  }
  const limits: GatewayLimits = {
    maxFrameBytes: overrides.limits?.maxFrameBytes ?? envNumber(env, "ENSOUL_MAX_FRAME_BYTES") ?? DEFAULT_LIMITS.maxFrameBytes,
    maxInFlight: overrides.limits?.maxInFlight ?? envNumber(env, "ENSOUL_MAX_IN_FLIGHT") ?? DEFAULT_LIMITS.maxInFlight,
    idleTimeoutMs: overrides.limits?.idleTimeoutMs ?? envNumber(env, "ENSOUL_IDLE_TIMEOUT_MS") ?? DEFAULT_LIMITS.idleTimeoutMs,
    helloTimeoutMs:
      overrides.limits?.helloTimeoutMs ?? envNumber(env, "ENSOUL_HELLO_TIMEOUT_MS") ?? DEFAULT_LIMITS.helloTimeoutMs,
  };
  positiveInt(limits.maxFrameBytes, "maxFrameBytes", 256 * 1024 * 1024);
  positiveInt(limits.maxInFlight, "maxInFlight", 100_000);
  positiveInt(limits.idleTimeoutMs, "idleTimeoutMs");
  positiveInt(limits.helloTimeoutMs, "helloTimeoutMs");
  const port = overrides.port ?? envNumber(env, "ENSOUL_PORT") ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new EnsoulError("INVALID_ARGUMENT", `port must be 0-65535, got ${port}`, { field: "port" });
  }
  const modelDir = overrides.modelDir ?? env["ENSOUL_MODEL_DIR"];
  const tlsCertFile = overrides.tlsCertFile ?? (env["ENSOUL_TLS_CERT"] || undefined);
  const tlsKeyFile = overrides.tlsKeyFile ?? (env["ENSOUL_TLS_KEY"] || undefined);
  if ((tlsCertFile === undefined) !== (tlsKeyFile === undefined)) {
    const missing = tlsCertFile === undefined ? "tls-cert" : "tls-key";
    throw new EnsoulError("INVALID_ARGUMENT", "--tls-cert and --tls-key (ENSOUL_TLS_CERT, ENSOUL_TLS_KEY) go together: give both", {
      field: missing,
    });
  }
  const databaseUrl = overrides.databaseUrl ?? (env["ENSOUL_DATABASE_URL"] || undefined);
  const databaseSchema = overrides.databaseSchema ?? (env["ENSOUL_DATABASE_SCHEMA"] || undefined);
  const redisUrl = overrides.redisUrl ?? (env["ENSOUL_REDIS_URL"] || undefined);
  const queuePrefix = overrides.queuePrefix ?? (env["ENSOUL_QUEUE_PREFIX"] || undefined);
  const jobRetentionDays = overrides.jobRetentionDays ?? envNumber(env, "ENSOUL_JOB_RETENTION_DAYS");
  if (jobRetentionDays !== undefined && !(jobRetentionDays >= 0)) {
    throw new EnsoulError("INVALID_ARGUMENT", `ENSOUL_JOB_RETENTION_DAYS must be 0 (keep for ever) or more days, got ${jobRetentionDays}`, {
      field: "ENSOUL_JOB_RETENTION_DAYS",
    });
  }
  const masterKey = overrides.masterKey ?? (env["ENSOUL_MASTER_KEY"] || undefined);
  const previousMasterKey = overrides.previousMasterKey ?? (env["ENSOUL_MASTER_KEY_PREVIOUS"] || undefined);
  const oidc = overrides.oidc ?? oidcFromEnv(env);
  return {
    mode: modeText,
    host: overrides.host ?? env["ENSOUL_HOST"] ?? "127.0.0.1",
    port,
    dataDir: path.resolve(overrides.dataDir ?? env["ENSOUL_DATA_DIR"] ?? ".ensoul"),
    // Certificate files imply TLS.
    tls: (overrides.tls ?? env["ENSOUL_TLS"] === "1") || tlsCertFile !== undefined,
    ...(tlsCertFile ? { tlsCertFile: path.resolve(tlsCertFile), tlsKeyFile: path.resolve(tlsKeyFile!) } : {}),
    // ENSOUL_ALLOW_INSECURE_REMOTE is the variable's earlier name, still honoured.
    insecureListen: overrides.insecureListen ?? (env["ENSOUL_INSECURE_LISTEN"] === "1" || env["ENSOUL_ALLOW_INSECURE_REMOTE"] === "1"),
    limits,
    logLevel: overrides.logLevel ?? env["ENSOUL_LOG_LEVEL"] ?? "info",
    ...(modelDir ? { modelDir: path.resolve(modelDir) } : {}),
    ...(databaseUrl ? { databaseUrl } : {}),
    ...(databaseSchema ? { databaseSchema } : {}),
    ...(redisUrl ? { redisUrl } : {}),
    ...(queuePrefix ? { queuePrefix } : {}),
    ...(jobRetentionDays !== undefined ? { jobRetentionDays } : {}),
    ...(masterKey ? { masterKey } : {}),
    ...(previousMasterKey ? { previousMasterKey } : {}),
    ...(oidc ? { oidc } : {}),
  };
}

/**
 * ENSOUL_OIDC_ISSUER turns external tokens on; ENSOUL_OIDC_JWKS_URL (an http(s) URL) and
 * ENSOUL_OIDC_AUDIENCE must come with it. ENSOUL_OIDC_ROLES_CLAIM and ENSOUL_OIDC_PROJECT_CLAIM
 * name the claims to read roles and project from.
 */
function oidcFromEnv(env: NodeJS.ProcessEnv): OidcSettings | undefined {
  const issuer = env["ENSOUL_OIDC_ISSUER"];
  if (!issuer) return undefined;
  const need = (name: string): string => {
    const value = env[name];
    if (!value) throw new EnsoulError("INVALID_ARGUMENT", `ENSOUL_OIDC_ISSUER is set, so ${name} must be set too`, { field: name });
    return value;
  };
  const jwksUrl = need("ENSOUL_OIDC_JWKS_URL");
  if (!/^https?:\/\//.test(jwksUrl)) {
    throw new EnsoulError("INVALID_ARGUMENT", `ENSOUL_OIDC_JWKS_URL must be an http(s) URL, got "${jwksUrl}"`, { field: "ENSOUL_OIDC_JWKS_URL" });
  }
  const rolesClaim = env["ENSOUL_OIDC_ROLES_CLAIM"];
  const projectClaim = env["ENSOUL_OIDC_PROJECT_CLAIM"];
  return { issuer, jwksUrl, audience: need("ENSOUL_OIDC_AUDIENCE"), ...(rolesClaim ? { rolesClaim } : {}), ...(projectClaim ? { projectClaim } : {}) };
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}
