import { exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWTPayload } from "jose";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refusal, startAuthHarness, type AuthHarness } from "./auth.testkit.js";
import { SIDECAR_AUDIENCE, SIDECAR_ISSUER } from "./jwt.js";

const ISSUER = "https://id.example.test/realms/studio";
const AUDIENCE = "ensoul-sidecar";

let h: AuthHarness;
let jwks: Server;
let jwksHits = 0;
let issuerKey: CryptoKey;
let publicPem = "";

/** A token from the external issuer, with the claims a test changes on top of good ones. */
async function issuerToken(claims: JWTPayload = {}, header: { alg?: string; kid?: string } = {}): Promise<string> {
  const nowS = Math.floor(h.nowMs / 1000);
  return new SignJWT({ roles: ["game"], project: "north", ...claims })
    .setProtectedHeader({ alg: "RS256", kid: "studio-1", ...header })
    .setIssuer(typeof claims.iss === "string" ? claims.iss : ISSUER)
    .setAudience(claims.aud ?? AUDIENCE)
    .setSubject("player-7")
    .setIssuedAt(nowS)
    .setNotBefore(typeof claims.nbf === "number" ? claims.nbf : nowS)
    .setExpirationTime(typeof claims.exp === "number" ? claims.exp : nowS + 300)
    .sign(issuerKey);
}

beforeAll(async () => {
  const pair = await generateKeyPair("RS256", { extractable: true });
  issuerKey = pair.privateKey;
  publicPem = await exportSPKI(pair.publicKey);
  const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: "studio-1", alg: "RS256", use: "sig" };
  // The issuer's JWKS, served over real HTTP the way an OIDC provider publishes it.
  jwks = createServer((req, res) => {
    jwksHits++;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ keys: [publicJwk] }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
  const port = (jwks.address() as { port: number }).port;
  h = await startAuthHarness({ oidc: { issuer: ISSUER, jwksUrl: `http://127.0.0.1:${port}/protocol/openid-connect/certs`, audience: AUDIENCE } });
});

afterAll(async () => {
  await h.close();
  await new Promise((resolve) => jwks.close(resolve));
});

describe("sidecar access tokens", () => {
  it("are issued for an API token, as a short-lived EdDSA JWT that opens a session with its roles", async () => {
    const made = await (await h.connect(h.adminToken)).call("tokenCreate", { roles: ["designer"], project: "north", subject: "dee" });
    const client = await h.connect(made.tokenCreated!.secret!);
    const issued = (await client.call("accessTokenRequest", { ttlS: 120 })).accessToken!;
    await client.close();
    const [header, payload] = issued.jwt!.split(".").slice(0, 2).map((p) => JSON.parse(Buffer.from(p!, "base64url").toString()) as Record<string, unknown>);
    expect(header).toMatchObject({ alg: "EdDSA", typ: "JWT" });
    expect(payload).toMatchObject({ iss: SIDECAR_ISSUER, aud: SIDECAR_AUDIENCE, sub: "dee", roles: ["designer"], project: "north", tid: made.tokenCreated!.token!.tokenId });
    expect(Number(payload!["exp"]) - Number(payload!["iat"])).toBe(120);
    const session = await h.connect(issued.jwt!);
    expect(session.welcome?.roles).toEqual(["designer"]);
    await session.call("ping", {});
    // An access token cannot mint another (that would outlive any expiry).
    expect((await refusal(session.call("accessTokenRequest", {}))).code).toBe("PERMISSION_DENIED");
    await session.close();
  });

  it("are refused once expired, at Hello and on an open connection's next request", async () => {
    const client = await h.connect(h.adminToken);
    const { jwt } = (await client.call("accessTokenRequest", { ttlS: 60 })).accessToken!;
    await client.close();
    const session = await h.connect(jwt!);
    h.advance(95_000); // past exp and the 30 s of allowed skew
    expect((await refusal(session.call("ping", {}))).message).toMatch(/expired/);
    expect((await refusal(h.connect(jwt!))).message).toMatch(/sidecar access token has expired/);
  });

  it("stop working when their API token is revoked", async () => {
    const admin = await h.connect(h.adminToken);
    const made = await admin.call("tokenCreate", { roles: ["viewer"] });
    const viewer = await h.connect(made.tokenCreated!.secret!);
    const { jwt } = (await viewer.call("accessTokenRequest", {})).accessToken!;
    const session = await h.connect(jwt!);
    await admin.call("tokenRevoke", { tokenId: made.tokenCreated!.token!.tokenId! });
    expect((await refusal(session.call("ping", {}))).message).toMatch(/revoked/);
    expect((await refusal(h.connect(jwt!))).message).toMatch(/revoked/);
    await admin.close();
  });

  it("are refused when tampered with, or unsigned (alg: none)", async () => {
    const client = await h.connect(h.adminToken);
    const { jwt } = (await client.call("accessTokenRequest", {})).accessToken!;
    await client.close();
    const [header, payload, signature] = jwt!.split(".");
    const claims = JSON.parse(Buffer.from(payload!, "base64url").toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: "someone-else" })).toString("base64url");
    expect((await refusal(h.connect(`${header}.${forged}.${signature}`))).message).toMatch(/signature that does not verify/);
    const unsigned = new UnsecuredJWT(claims).encode();
    const e = await refusal(h.connect(unsigned));
    expect(e.code).toBe("UNAUTHENTICATED");
    expect(e.message).toMatch(/algorithm that is not accepted/);
  });
});

describe("tokens of an external OIDC issuer", () => {
  it("are accepted when signed by a key in its JWKS, with roles and project from their claims", async () => {
    const session = await h.connect(await issuerToken());
    expect(session.welcome?.roles).toEqual(["game"]);
    await session.call("ping", {});
    await session.close();
    expect(jwksHits).toBeGreaterThan(0);
  });

  it("are refused for another audience", async () => {
    const e = await refusal(h.connect(await issuerToken({ aud: "some-other-app" })));
    expect(e.code).toBe("UNAUTHENTICATED");
    expect(e.message).toMatch(/fails its aud check/);
  });

  it("are refused from an issuer that is not configured", async () => {
    expect((await refusal(h.connect(await issuerToken({ iss: "https://evil.example.test" })))).message).toMatch(/issuer .* is not trusted/);
  });

  it("are refused when expired beyond the allowed skew, and accepted within it", async () => {
    const nowS = Math.floor(h.nowMs / 1000);
    expect((await refusal(h.connect(await issuerToken({ exp: nowS - 120 }))))).toMatchObject({ code: "UNAUTHENTICATED" });
    const withinSkew = await h.connect(await issuerToken({ exp: nowS - 10 }));
    await withinSkew.close();
  });

  it("are refused before their nbf (beyond the skew)", async () => {
    const nowS = Math.floor(h.nowMs / 1000);
    expect((await refusal(h.connect(await issuerToken({ nbf: nowS + 600, exp: nowS + 900 })))).message).toMatch(/not valid yet/);
  });

  it("are refused unsigned (alg: none)", async () => {
    const nowS = Math.floor(h.nowMs / 1000);
    const unsigned = new UnsecuredJWT({ roles: ["admin"] }).setIssuer(ISSUER).setAudience(AUDIENCE).setSubject("x").setExpirationTime(nowS + 60).encode();
    expect((await refusal(h.connect(unsigned))).message).toMatch(/algorithm that is not accepted/);
  });

  it("are refused when HS256-signed with the issuer's public key (algorithm confusion)", async () => {
    const nowS = Math.floor(h.nowMs / 1000);
    const confused = await new SignJWT({ roles: ["admin"] })
      .setProtectedHeader({ alg: "HS256", kid: "studio-1" })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject("attacker")
      .setExpirationTime(nowS + 60)
      .sign(new TextEncoder().encode(publicPem));
    expect((await refusal(h.connect(confused))).message).toMatch(/algorithm that is not accepted/);
  });

  it("are refused when they grant no Ensoul role", async () => {
    expect((await refusal(h.connect(await issuerToken({ roles: ["superuser"] }))))).toMatchObject({ code: "UNAUTHENTICATED" });
  });
});
