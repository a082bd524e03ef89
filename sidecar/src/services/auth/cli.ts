/**
 * `ensoul token …`, `ensoul mfa …`, `ensoul audit verify`: credential administration over the
 * protocol, so the same commands work against an embedded sidecar and a server-mode cluster
 * (where no data dir is at hand). They connect like `ensoul ping` (--url, --token, --data).
 */
import type { Command } from "commander";
import { addConnectOptions, withClient, type ConnectFlags } from "../../cli/connect.js";
import type { TokenInfo } from "../../generated/ensoul_v1.js";
import { EnsoulError } from "../../lib/errors.js";
import { parseTtl } from "./tokens.js";

type Out = (line: string) => void;

const collect = (value: string, previous: string[]): string[] => [...previous, value];

const when = (ms: unknown): string => (Number(ms) > 0 ? new Date(Number(ms)).toISOString().replace(/\.\d+Z$/, "Z") : "never");

function tokenLine(t: TokenInfo): string {
  const state = Number(t.revokedAtMs) > 0 ? `revoked ${when(t.revokedAtMs)}` : `expires ${when(t.expiresAtMs)}`;
  return `${t.tokenId}  ${t.subject}  [${(t.roles ?? []).join(", ")}]  project ${t.project || "*"}  ${state}`;
}

export function registerAuthCommands(program: Command, out: Out): void {
  const token = program.command("token").description("create, list and revoke API tokens (admin)");

  addConnectOptions(token.command("create").description("create an API token; its secret is printed once"))
    .requiredOption("--role <role>", "a role for the token: admin, designer, game, viewer (repeatable)", collect, [])
    .option("--project <project>", "the one project the token reaches (default: every project)")
    .option("--ttl <duration>", "lifetime: 30d, 12h, 15m, 90s", "30d")
    .option("--subject <name>", "who the token acts for (default: the token's id)")
    .option("--totp <code>", "your current TOTP code (needed for admin tokens once MFA is on)")
    .action(async (flags: ConnectFlags & { role: string[]; project?: string; ttl: string; subject?: string; totp?: string }) => {
      const ttlS = Math.ceil(parseTtl(flags.ttl, "ttl") / 1000);
      const reply = await withClient(flags, (c) =>
        c.call("tokenCreate", { roles: flags.role, project: flags.project ?? "", ttlS, subject: flags.subject ?? "", totp: flags.totp ?? "" }),
      );
      const created = reply.tokenCreated!;
      out(tokenLine(created.token!));
      out("secret (shown once; the sidecar keeps only its hash):");
      out(`  ${created.secret}`);
    });

  addConnectOptions(token.command("list").description("list API tokens"))
    .option("--all", "include revoked tokens")
    .action(async (flags: ConnectFlags & { all?: boolean }) => {
      const reply = await withClient(flags, (c) => c.call("tokenList", { includeRevoked: flags.all === true }));
      for (const t of reply.tokenListReply!.tokens ?? []) out(tokenLine(t));
    });

  addConnectOptions(token.command("revoke <id>").description("revoke an API token; its open connections are refused at their next request"))
    .option("--totp <code>", "your current TOTP code (needed for admin tokens once MFA is on)")
    .action(async (id: string, flags: ConnectFlags & { totp?: string }) => {
      const reply = await withClient(flags, (c) => c.call("tokenRevoke", { tokenId: id, totp: flags.totp ?? "" }));
      out(tokenLine(reply.tokenRevoked!.token!));
    });

  addConnectOptions(token.command("jwt").description("exchange the API token for a short-lived access token (JWT)"))
    .option("--ttl <duration>", "lifetime, at most 1h", "15m")
    .action(async (flags: ConnectFlags & { ttl: string }) => {
      const ttlS = Math.ceil(parseTtl(flags.ttl, "ttl") / 1000);
      const reply = await withClient(flags, (c) => c.call("accessTokenRequest", { ttlS }));
      out(reply.accessToken!.jwt!);
    });

  const mfa = program.command("mfa").description("TOTP second factor for admin token changes");

  addConnectOptions(mfa.command("enrol").description("start TOTP enrolment of your token's subject"))
    .option("--totp <code>", "a current code from the enrolment being replaced")
    .action(async (flags: ConnectFlags & { totp?: string }) => {
      const reply = await withClient(flags, (c) => c.call("mfaEnrol", { totp: flags.totp ?? "" }));
      const e = reply.mfaEnrolment!;
      out(`TOTP enrolment for ${e.subject}: add this to an authenticator app`);
      out(`  secret: ${e.secret}`);
      out(`  ${e.otpauthUrl}`);
      out("then turn it on with: ensoul mfa confirm <code>");
    });

  addConnectOptions(mfa.command("confirm <code>").description("turn TOTP on with a first code from the app"))
    .action(async (code: string, flags: ConnectFlags) => {
      const reply = await withClient(flags, (c) => c.call("mfaConfirm", { totp: code }));
      out(`TOTP is on for ${reply.mfaConfirmed!.subject}: admin token changes now need --totp`);
    });

  const audit = program.command("audit").description("the hash-chained audit log");

  addConnectOptions(audit.command("verify").description("walk the audit log's hash chain; exit 1 naming the first bad entry"))
    .action(async (flags: ConnectFlags) => {
      const report = (await withClient(flags, (c) => c.call("auditVerify", {}))).auditReport!;
      if (!report.ok) {
        throw new EnsoulError("FAILED_PRECONDITION", `audit log is broken at entry ${report.badSeq}: ${report.problem}`);
      }
      out(`audit log intact: ${report.entries} entries, head ${report.headHash}`);
    });
}
