/**
 * The engine server alone (no browser): a folder with a stand-in index.wasm is all it checks for.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEngineServer, type EngineServer } from "../harness/server.js";

describe("startEngineServer", () => {
  let dir: string;
  let server: EngineServer;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "ensoul-engine-dir-"));
    await writeFile(join(dir, "index.wasm"), "wasm");
    server = await startEngineServer(dir);
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("answers 400 to a path that is not valid percent-encoding and keeps serving", async () => {
    expect((await fetch(`${server.origin}/%zz`)).status).toBe(400);
    const wasm = await fetch(`${server.origin}/index.wasm`);
    expect(wasm.status).toBe(200);
    expect(await wasm.text()).toBe("wasm");
  });

  it("serves a pack while it is added, then 404", async () => {
    const name = server.addPack(new Uint8Array([1, 2, 3]));
    const res = await fetch(`${server.origin}/${name}`);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
    server.removePack(name);
    expect((await fetch(`${server.origin}/${name}`)).status).toBe(404);
  });

  it("serves the extra pages it was given, and no others", async () => {
    const withPages = await startEngineServer(dir, { pages: { "demo.html": "<p>demo</p>" } });
    try {
      const page = await fetch(`${withPages.origin}/demo.html`);
      expect(page.headers.get("content-type")).toMatch(/^text\/html/);
      expect(await page.text()).toBe("<p>demo</p>");
      expect((await fetch(`${withPages.origin}/other.html`)).status).toBe(404);
    } finally {
      await withPages.close();
    }
  });
});
