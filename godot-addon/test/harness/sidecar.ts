/**
 * A real sidecar for GDScript tests that talk to one: embedded mode on a free loopback port,
 * data in a fresh temporary folder that `close()` removes.
 *
 *   const sidecar = await startTestSidecar("ensoul-gd-dock-");
 *   // … userArgs: [`--url=${sidecar.url}`, `--token=${sidecar.token}`]
 *   await sidecar.close();
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startSidecar, type RunningSidecar } from "../../../sidecar/src/app/index.js";
import { loadConfig, type ConfigOverrides } from "../../../sidecar/src/lib/config.js";
import { createLogger } from "../../../sidecar/src/lib/logger.js";

export interface TestSidecar {
  /** ws://127.0.0.1:PORT/v1/ws */
  readonly url: string;
  /** The admin token of its data folder. */
  readonly token: string;
  readonly running: RunningSidecar;
  /** Stops it and removes its data folder. */
  close(): Promise<void>;
}

/**
 * Starts a sidecar whose data folder is a new temporary folder named with `prefix`;
 * `overrides` set more of its config (e.g. `modelDir` for the llm generator).
 */
export async function startTestSidecar(prefix = "ensoul-gd-", overrides: Omit<ConfigOverrides, "port" | "dataDir"> = {}): Promise<TestSidecar> {
  const dataDir = mkdtempSync(path.join(tmpdir(), prefix));
  let running: RunningSidecar;
  try {
    running = await startSidecar(loadConfig({ ...overrides, port: 0, dataDir }, {}), createLogger("silent"));
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: running.url,
    token: running.adminToken.token,
    running,
    close: async () => {
      try {
        await running.close();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}
