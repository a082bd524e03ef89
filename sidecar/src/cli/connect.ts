/** How client commands find the sidecar and a token: flags, then environment, then the data dir. */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { DEFAULT_PORT } from "../lib/config.js";
import { EnsoulError } from "../lib/errors.js";
import { EnsoulClient } from "../lib/client.js";
import { ADMIN_TOKEN_FILE } from "../services/auth/bootstrap.js";
import { SERVER_VERSION } from "../lib/version.js";

export interface ConnectFlags {
  url?: string;
  token?: string;
  data?: string;
  timeout?: string;
  ca?: string;
}

export function addConnectOptions(command: Command): Command {
  return command
    .option("--url <url>", "sidecar WebSocket URL (env ENSOUL_URL)", undefined)
    .option("--token <token>", "bearer token (env ENSOUL_TOKEN; default: the data dir's admin token)")
    .option("--data <dir>", "data dir to read the admin token from", ".ensoul")
    .option("--timeout <ms>", "give up after this many milliseconds", "10000")
    .option("--ca <file>", "for wss://: the CA certificate to trust (env ENSOUL_CA; default: the data dir's tls/ca.crt)");
}

export function resolveToken(flags: ConnectFlags): string {
  if (flags.token) return flags.token;
  const fromEnv = process.env["ENSOUL_TOKEN"];
  if (fromEnv) return fromEnv;
  const file = path.resolve(flags.data ?? ".ensoul", ADMIN_TOKEN_FILE);
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    throw new EnsoulError("UNAUTHENTICATED", `no token: pass --token, set ENSOUL_TOKEN, or run where ${file} exists`);
  }
}

/** The CA to trust for wss://: --ca, ENSOUL_CA, or the local CA's certificate in the data dir. */
function resolveCa(flags: ConnectFlags): Buffer | undefined {
  const named = flags.ca ?? process.env["ENSOUL_CA"];
  const file = named ?? path.resolve(flags.data ?? ".ensoul", "tls", "ca.crt");
  try {
    return readFileSync(file);
  } catch (err) {
    if (named === undefined) return undefined; // no local CA here: the system's CAs only
    throw new EnsoulError("INVALID_ARGUMENT", `cannot read the CA certificate ${file} (${(err as NodeJS.ErrnoException).code})`, { field: "ca" });
  }
}

export async function connectFromFlags(flags: ConnectFlags): Promise<EnsoulClient> {
  const url = flags.url ?? process.env["ENSOUL_URL"] ?? `ws://127.0.0.1:${DEFAULT_PORT}/v1/ws`;
  const timeoutMs = Number(flags.timeout ?? 10_000);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new EnsoulError("INVALID_ARGUMENT", `--timeout must be a positive number of milliseconds`, { field: "timeout" });
  }
  const ca = url.startsWith("wss:") ? resolveCa(flags) : undefined;
  return EnsoulClient.connect(url, { token: resolveToken(flags), clientName: `ensoul-cli/${SERVER_VERSION}`, timeoutMs, ...(ca ? { ca } : {}) });
}

/** Connects from the flags, runs `work` with the client, and closes it whatever happens. */
export async function withClient<T>(flags: ConnectFlags, work: (client: EnsoulClient) => Promise<T>): Promise<T> {
  const client = await connectFromFlags(flags);
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}
