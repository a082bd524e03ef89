/**
 * A real sidecar for the engine tests of the addon: started on a free port with its own data
 * folder, restartable on the same port (a GDScript test asks for it by printing a line), and
 * the files a pack needs to talk to it.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startSidecar, type RunningSidecar } from "../../../sidecar/src/app/index.js";
import { loadConfig } from "../../../sidecar/src/lib/config.js";
import { createLogger } from "../../../sidecar/src/lib/logger.js";
import { ensureTinyModel } from "../../../sidecar/src/services/generate/llm/tiny_model.testkit.js";
import { afterAll, beforeAll } from "vitest";
import { filesFromDir, GodotHarness, type PackFile, type RunSession } from "../harness/index.js";

export const REPO = path.resolve(import.meta.dirname, "../../..");
/** The planner example the GDScript tests plan with. */
export const SIMPLE_DOMAIN_PATH = path.join(REPO, "sidecar/src/services/planner/examples/simple_htn.domain.json");

export class TestSidecar {
  /** How many times restartOn restarted it. */
  restarts = 0;

  private constructor(
    public running: RunningSidecar,
    private readonly dataDir: string,
  ) {}

  static async start(): Promise<TestSidecar> {
    const dataDir = mkdtempSync(path.join(tmpdir(), "ensoul-gd-sidecar-"));
    return new TestSidecar(await TestSidecar.listen(dataDir, 0), dataDir);
  }

  private static listen(dataDir: string, port: number): Promise<RunningSidecar> {
    // The tiny test model serves generator "llm" (test_generate.gd cancels one mid-stream).
    return startSidecar(loadConfig({ port, dataDir, modelDir: ensureTinyModel() }, {}), createLogger("silent"));
  }

  /** The user args that point `SidecarTest` (sidecar_test.gd) at this sidecar. */
  userArgs(): string[] {
    return [`--url=${this.running.url}`, `--token=${this.running.adminToken.token}`, `--domain_json=${readFileSync(SIMPLE_DOMAIN_PATH, "utf8")}`];
  }

  /** Stops the sidecar and starts it again on the same port and data (memory state is lost). */
  async restart(): Promise<void> {
    const port = this.running.port;
    await this.running.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    this.running = await TestSidecar.listen(this.dataDir, port);
  }

  /** For `RunOptions.interact`: restarts the sidecar once the run prints a line matching `line`. */
  restartOn(line: RegExp, timeoutMs: number): (session: RunSession) => Promise<void> {
    return async ({ waitForLine }) => {
      await waitForLine(line, timeoutMs);
      await this.restart();
      this.restarts++;
    };
  }

  async close(): Promise<void> {
    await this.running.close();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/**
 * The addon's codec and client, and the scripts of godot-addon/test/client under
 * res://test/client (its tests, and `SidecarTest` that other tests extend).
 */
export async function clientPackFiles(): Promise<PackFile[]> {
  return [
    ...(await filesFromDir(path.join(REPO, "godot-addon/addons/ensoul/generated"), "addons/ensoul/generated")),
    ...(await filesFromDir(path.join(REPO, "godot-addon/addons/ensoul/client"), "addons/ensoul/client")),
    ...(await filesFromDir(path.join(REPO, "godot-addon/test/client"), "test/client")).filter((f) => f.path.endsWith(".gd")),
  ];
}

/** Starts a sidecar and the engine's browser before a test file's tests and stops them after. */
export function useSidecarAndEngine(): { sidecar(): TestSidecar; godot(): GodotHarness } {
  let sidecar: TestSidecar | undefined;
  let godot: GodotHarness | undefined;
  beforeAll(async () => {
    sidecar = await TestSidecar.start();
    godot = await GodotHarness.start();
  });
  afterAll(async () => {
    await godot?.close();
    await sidecar?.close();
  });
  return { sidecar: () => sidecar!, godot: () => godot! };
}
