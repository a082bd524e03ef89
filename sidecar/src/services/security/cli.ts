/**
 * `ensoul secret …` and `ensoul transit …`: the security service's methods from the command
 * line, over the protocol (so they work against an embedded sidecar and a cluster alike). They
 * connect like `ensoul ping` (--url, --token, --data, --ca).
 */
import type { Command } from "commander";
import { addConnectOptions, withClient, type ConnectFlags } from "../../cli/connect.js";
import type { Lease, SecretMeta } from "../../generated/ensoul_v1.js";
import { parseTtl } from "../../lib/duration.js";
import { EnsoulError } from "../../lib/errors.js";

type Out = (line: string) => void;

const when = (ms: unknown): string => new Date(Number(ms)).toISOString().replace(/\.\d+Z$/, "Z");
const seconds = (text: string, field: string): number => Math.ceil(parseTtl(text, field) / 1000);

function leaseLine(lease: Lease): string {
  const state = Number(lease.revokedAtMs) > 0 ? `revoked ${when(lease.revokedAtMs)}` : `expires ${when(lease.expiresAtMs)}`;
  return `lease ${lease.leaseId}  ${lease.path} v${lease.version}  ${state}`;
}

function metaLines(meta: SecretMeta): string[] {
  return [`${meta.path} v${meta.version}  written ${when(meta.createdAtMs)}`, ...(meta.lease ? [leaseLine(meta.lease)] : [])];
}

/** KEY=VALUE arguments as entries (a value may itself hold "="). */
function entriesOf(pairs: string[]): { key: string; value: string }[] {
  return pairs.map((pair) => {
    const at = pair.indexOf("=");
    if (at <= 0) throw new EnsoulError("INVALID_ARGUMENT", `"${pair}" is not KEY=VALUE`, { field: "entries" });
    return { key: pair.slice(0, at), value: pair.slice(at + 1) };
  });
}

export function registerSecurityCommands(program: Command, out: Out): void {
  const secret = program.command("secret").description("versioned secrets, sealed at rest, with leases (admin)");

  addConnectOptions(secret.command("put <path> <entries...>").description("write a new version: KEY=VALUE ..."))
    .option("--ttl <duration>", "give the version a lease ending after this long (30d, 12h, 15m, 90s)")
    .option("--cas <version>", "write only if the latest version is this one (0: only if none exists)")
    .action(async (path: string, pairs: string[], flags: ConnectFlags & { ttl?: string; cas?: string }) => {
      const cas = flags.cas === undefined ? undefined : Number(flags.cas);
      if (cas !== undefined && !(Number.isInteger(cas) && cas >= 0)) {
        throw new EnsoulError("INVALID_ARGUMENT", `--cas must be a version number, got "${flags.cas}"`, { field: "cas" });
      }
      const request = {
        path,
        entries: entriesOf(pairs),
        ttlS: flags.ttl === undefined ? 0 : seconds(flags.ttl, "ttl"),
        ...(cas === undefined ? {} : { cas: true, casVersion: cas }),
      };
      const reply = await withClient(flags, (c) => c.call("secretPut", request));
      for (const line of metaLines(reply.secretMeta!)) out(line);
    });

  addConnectOptions(secret.command("get <path>").description("print a secret's entries as KEY=VALUE lines"))
    .option("--version <n>", "an earlier version (default: the latest)")
    .option("--json", "print the entries as one JSON object")
    .action(async (path: string, flags: ConnectFlags & { version?: string; json?: boolean }) => {
      const reply = await withClient(flags, (c) => c.call("secretGet", { path, version: Number(flags.version ?? 0) || 0 }));
      const entries = reply.secret!.entries ?? [];
      if (flags.json) out(JSON.stringify(Object.fromEntries(entries.map((e) => [e.key, e.value]))));
      else for (const e of entries) out(`${e.key}=${e.value}`);
    });

  addConnectOptions(secret.command("list [prefix]").description("list secret paths"))
    .action(async (prefix: string | undefined, flags: ConnectFlags) => {
      const reply = await withClient(flags, (c) => c.call("secretList", { prefix: prefix ?? "" }));
      for (const path of reply.secretListReply!.paths ?? []) out(path);
    });

  addConnectOptions(secret.command("renew <lease>").description("move a lease's end to a duration from now"))
    .requiredOption("--increment <duration>", "the lease then ends this long from now (30d, 12h, 15m, 90s)")
    .action(async (leaseId: string, flags: ConnectFlags & { increment: string }) => {
      const reply = await withClient(flags, (c) => c.call("leaseRenew", { leaseId, incrementS: seconds(flags.increment, "increment") }));
      out(leaseLine(reply.lease!));
    });

  addConnectOptions(secret.command("revoke <lease>").description("end a lease now; its version's data is destroyed"))
    .action(async (leaseId: string, flags: ConnectFlags) => {
      const reply = await withClient(flags, (c) => c.call("leaseRevoke", { leaseId }));
      out(leaseLine(reply.lease!));
    });

  const transit = program.command("transit").description("encrypt and decrypt with keys that never leave the sidecar");

  addConnectOptions(transit.command("encrypt <key> <text>").description("print the ciphertext of TEXT (UTF-8)"))
    .option("--context <text>", "associated data that decrypting must give again")
    .action(async (key: string, text: string, flags: ConnectFlags & { context?: string }) => {
      const request = { key, plaintext: Buffer.from(text), context: Buffer.from(flags.context ?? "") };
      out((await withClient(flags, (c) => c.call("transitEncrypt", request))).transitCiphertext!.ciphertext!);
    });

  addConnectOptions(transit.command("decrypt <key> <ciphertext>").description("print the plaintext (UTF-8)"))
    .option("--context <text>", "the associated data given when encrypting")
    .action(async (key: string, ciphertext: string, flags: ConnectFlags & { context?: string }) => {
      const request = { key, ciphertext, context: Buffer.from(flags.context ?? "") };
      out(Buffer.from((await withClient(flags, (c) => c.call("transitDecrypt", request))).transitPlaintext!.plaintext!).toString("utf8"));
    });

  addConnectOptions(transit.command("rotate <key>").description("add a key version; old ciphertext still decrypts (admin)"))
    .action(async (key: string, flags: ConnectFlags) => {
      const state = (await withClient(flags, (c) => c.call("transitRotate", { key }))).transitKeyState!;
      out(`${state.key}: version ${state.latestVersion} (versions ${(state.versions ?? []).join(", ")})`);
    });
}
