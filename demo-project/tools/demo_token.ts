/**
 * The token the demo runs with: not the sidecar's admin token but one with only what the game
 * needs: designer (generate characters and bodies, register its planner domain) and game (agent
 * sessions), expiring after a day. Made and revoked over the sidecar's HTTP mirror.
 */
import { EnsoulError } from "../../sidecar/src/lib/errors.js";

/** A token made for the demo: the bearer secret and the id that revokes it. */
export interface DemoToken {
  secret: string;
  tokenId: string;
}

const ROLES = ["designer", "game"] as const;
const TTL_S = 24 * 60 * 60;

/** Creates a demo token on the sidecar at `httpUrl` with its admin token. */
export async function createDemoToken(httpUrl: string, adminToken: string): Promise<DemoToken> {
  const created = (await callAuth(httpUrl, adminToken, "tokenCreate", { subject: "demo", roles: ROLES, ttlS: TTL_S })) as {
    secret?: string;
    token?: { tokenId?: string };
  };
  if (!created.secret || !created.token?.tokenId) {
    throw new EnsoulError("INTERNAL", "the sidecar made a token but sent back no secret or id");
  }
  return { secret: created.secret, tokenId: created.token.tokenId };
}

/** Revokes a demo token (when the demo stops). */
export async function revokeDemoToken(httpUrl: string, adminToken: string, token: DemoToken): Promise<void> {
  await callAuth(httpUrl, adminToken, "tokenRevoke", { tokenId: token.tokenId });
}

async function callAuth(httpUrl: string, adminToken: string, method: string, body: object): Promise<unknown> {
  const reply = await fetch(`${httpUrl}/v1/auth/${method}`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await reply.text();
  if (!reply.ok) throw new EnsoulError("UNAVAILABLE", `auth/${method} answered ${reply.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
}
