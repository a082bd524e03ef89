/**
 * The harness checked against the real Godot 4.6 web build: each case boots the engine in
 * headless Chromium with fixture scripts and checks the verdict the harness derives from it.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocketServer, type RawData } from "ws";
import { assertRunPassed, GodotHarness, GodotRunFailedError, type PackFile } from "../harness/index.js";

const fixture = async (name: string, resPath = `tests/${name}`): Promise<PackFile> => ({
  path: resPath,
  data: await readFile(new URL(`./fixtures/${name}`, import.meta.url), "utf8"),
});

describe("GodotHarness in the real engine", () => {
  let godot: GodotHarness;
  let scratch: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), "ensoul-harness-"));
    godot = await GodotHarness.start();
  });

  afterAll(async () => {
    await godot?.close();
    await rm(scratch, { recursive: true, force: true });
  });

  it("passes the test script testPaths names: asserts, a class_name from another file, awaits", async () => {
    const screenshotPath = join(scratch, "passing.png");
    const run = await godot.run({
      files: [
        await fixture("test_passing.gd"),
        await fixture("fixture_helper.gd", "lib/fixture_helper.gd"),
        await fixture("test_failing.gd"),
      ],
      testPaths: ["res://tests/test_passing.gd"],
      screenshotPath,
      viewport: { width: 320, height: 200 },
    });
    assertRunPassed(run);
    expect(run.exitCode).toBe(0);
    expect(run.tests.map((t) => [t.name, t.passed])).toEqual([
      ["test_plain_asserts", true],
      ["test_bytes", true],
      ["test_awaited_timer", true],
      ["test_class_name_of_other_file_is_known", true],
      ["test_other_asserts", true],
    ]);
    expect(run.summary).toEqual({ passed: 5, failed: 0, total: 5 });
    expect(run.stdout[0]).toMatch(/^Godot Engine v4\.6\./);

    const png = await readFile(screenshotPath);
    expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([320, 200]);
  });

  it("reports each failing test with its message, and the failure count as exit code", async () => {
    const run = await godot.run({ files: [await fixture("test_failing.gd"), await fixture("test_not_ensoul.gd")] });
    expect(run.ok).toBe(false);
    expect(run.exitCode).toBe(5);
    const byName = new Map(run.tests.map((t) => [t.name, t]));
    expect(byName.get("test_wrong_sum")).toMatchObject({ passed: false, message: "arithmetic: expected 5, got 4" });
    expect(byName.get("test_bytes_differ")?.message).toContain("bytes differ at offset 1");
    expect(byName.get("test_passes_beside_failures")?.passed).toBe(true);
    expect(byName.get("test_never_finishes")).toMatchObject({ passed: false, message: "timed out after 0.5 s" });
    expect(byName.get("test_type_mismatch")?.message).toBe('expected 1, got "1"');
    expect(run.tests.find((t) => t.script === "tests/test_not_ensoul.gd")).toMatchObject({
      passed: false,
      message: "the script does not extend EnsoulTest",
    });
    expect(run.summary).toEqual({ passed: 1, failed: 5, total: 6 });
    expect(run.failure).toMatch(/^5 of 6 tests failed; first: tests\/test_failing\.gd::test_wrong_sum: arithmetic/);
    expect(() => assertRunPassed(run)).toThrow(GodotRunFailedError);
  });

  it("reports a script with a parse error as a script error, not as a pass", async () => {
    const run = await godot.run({ files: [await fixture("test_parse_error.gd"), await fixture("test_passing.gd")] });
    expect(run.ok).toBe(false);
    expect(run.scriptErrors.length).toBeGreaterThan(0);
    expect(run.scriptErrors[0]).toMatch(/^SCRIPT ERROR: Parse Error: .*res:\/\/tests\/test_parse_error\.gd:6/);
    expect(run.failure).toBe(run.scriptErrors[0]);
    expect(run.tests.find((t) => t.script === "tests/test_parse_error.gd")?.passed).toBe(false);
  });

  it("ends a run that never exits at its timeout and reports the timeout", async () => {
    const started = Date.now();
    const run = await godot.run({ files: [await fixture("test_hangs.gd")], timeoutMs: 6_000 });
    expect(run.timedOut).toBe(true);
    expect(run.exitCode).toBeNull();
    expect(run.failure).toBe("timed out: the engine did not exit within 6000 ms");
    expect(run.stdout).toContain("spinning on purpose");
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it("lets a test click a Button in a custom main scene once GDScript says it is ready", async () => {
    const run = await godot.run({
      files: [await fixture("ui_click.tscn", "ui_click.tscn"), await fixture("ui_click.gd", "ui_click.gd")],
      mainScene: "res://ui_click.tscn",
      interact: async ({ page, waitForLine }) => {
        await waitForLine(/^UI-READY$/);
        await page.mouse.click(120, 40);
      },
    });
    assertRunPassed(run);
    expect(run.stdout).toContain("UI-PRESSED");
    expect(run.tests).toEqual([]);
  });

  it("hands user args to GDScript, whose WebSocketPeer swaps binary frames with a Node ws server", async () => {
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await new Promise<void>((resolve) => wss.once("listening", resolve));
    const received: { data: Buffer; isBinary: boolean }[] = [];
    wss.on("connection", (socket) => {
      socket.on("message", (data: RawData, isBinary: boolean) => {
        const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
        received.push({ data: bytes, isBinary });
        const reply = Buffer.alloc(200_000);
        for (let i = 0; i < reply.length; i++) reply[i] = (bytes[i % bytes.length]! + i) & 0xff;
        socket.send(reply, { binary: true });
      });
    });
    try {
      const { port } = wss.address() as AddressInfo;
      const run = await godot.run({
        files: [await fixture("test_websocket.gd")],
        userArgs: [`--ws-url=ws://127.0.0.1:${port}`],
      });
      assertRunPassed(run);
      expect(run.tests.map((t) => t.id)).toEqual(["tests/test_websocket.gd::test_binary_frames_both_ways"]);
      expect(received).toEqual([{ data: Buffer.from([1, 2, 3, 250]), isBinary: true }]);
    } finally {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
  });
});
