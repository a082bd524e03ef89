/**
 * `npm run demo` (serve.ts) as a person runs it: it prints the page's URL, the page boots the
 * demo pack with the sidecar's address, the pack and the engine are served, the sidecar answers,
 * and Ctrl+C stops it all. (demo.test.ts runs the game itself in the engine.)
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const SERVE = path.join(import.meta.dirname, "serve.ts");
let child: ChildProcess | undefined;
let dataDir: string | undefined;

afterAll(() => {
  child?.kill("SIGKILL");
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** Collects the child's stdout until a line matches, or fails after `timeoutMs`. */
function waitForOutput(proc: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => reject(new Error(`no output matched ${pattern} within ${timeoutMs} ms; got: ${text}`)), timeoutMs);
    proc.stdout!.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
      const match = text.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
    proc.once("exit", (code) => reject(new Error(`serve.ts exited with ${code} before printing ${pattern}: ${text}`)));
  });
}

describe("npm run demo", () => {
  it("serves the demo page, its pack and the engine, with a live sidecar, until Ctrl+C", async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "ensoul-demo-serve-"));
    child = spawn(process.execPath, ["--import", "tsx", SERVE, "--port", "0", "--sidecar-port", "0", "--data", dataDir], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const [, sidecarUrl, pageUrl] = await waitForOutput(child, /Sidecar: (ws:\/\/\S+)[^]*demo: (http:\/\/\S+)/, 30_000);

    const page = await (await fetch(pageUrl!)).text();
    expect(page).toContain("<title>Ensoul village</title>");
    expect(page).toContain(`--ensoul-url=${sidecarUrl}`);
    // The page's token is a game token, not the admin token the sidecar keeps in its data dir.
    const adminToken = readFileSync(path.join(dataDir, "admin.token"), "utf8").trim();
    expect(page).toMatch(/--ensoul-token=ens_/);
    expect(page).not.toContain(adminToken);
    const packName = page.match(/"mainPack":"([^"]+)"/)?.[1];
    expect(packName, "the page names its pack").toBeDefined();
    const packReply = await fetch(new URL(packName!, pageUrl));
    const pack = new Uint8Array(await packReply.arrayBuffer());
    expect(Buffer.from(pack.subarray(0, 2)).toString("latin1")).toBe("PK");
    expect(Buffer.from(pack).includes("village/village.tscn")).toBe(true);
    expect((await fetch(new URL("index.js", pageUrl), { method: "HEAD" })).status).toBe(200);
    const health = await fetch(sidecarUrl!.replace(/^ws:/, "http:").replace(/\/v1\/ws$/, "/healthz"));
    expect(health.status).toBe(200);

    const exited = new Promise<number | null>((resolve) => child!.once("exit", (code) => resolve(code)));
    child.kill("SIGINT");
    expect(await exited).toBe(0);
  }, 60_000);
});
