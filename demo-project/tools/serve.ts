/**
 * `npm run demo`: starts a sidecar (embedded mode, data under ./.ensoul/ like `npm start`) and
 * serves the village demo in the browser with the same Godot 4.6 web build the tests use, so
 * it can be tried without installing Godot. Prints the URL; Ctrl+C stops both.
 *
 *   npm run demo                         # sidecar on 127.0.0.1:7317, page on 127.0.0.1:7318
 *   npm run demo -- --port 8080 --sidecar-port 7400 --data /tmp/ensoul-demo
 */
import { Command, InvalidArgumentError } from "commander";
import { startSidecar } from "../../sidecar/src/app/index.js";
import { loadConfig } from "../../sidecar/src/lib/config.js";
import { createLogger } from "../../sidecar/src/lib/logger.js";
import { buildPack, defaultEngineDir, startEngineServer } from "../../godot-addon/test/harness/index.js";
import { demoPackOptions } from "./demo_pack.js";
import { createDemoToken, revokeDemoToken } from "./demo_token.js";

/** The page that boots the demo: the engine's loader, a full-window canvas, a status line. */
export function demoPage(packName: string, userArgs: readonly string[]): string {
  const config = JSON.stringify({ executable: "index", mainPack: packName, args: ["--audio-driver", "Dummy", "--", ...userArgs] });
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Ensoul village</title>
<style>html,body{margin:0;height:100%;overflow:hidden;background:#1b1f24;color:#dde;font:14px sans-serif}
canvas{display:block;width:100%;height:100%}#status{position:absolute;left:12px;bottom:10px}</style>
</head><body><canvas id="canvas" tabindex="0"></canvas><div id="status">Loading the Godot engine (38 MB)…</div>
<script src="index.js"></script>
<script>
const status = document.getElementById("status");
const engine = new Engine(Object.assign(${config}, { canvasResizePolicy: 2 }));
engine.startGame({
  onProgress: (done, total) => { if (total > 0) status.textContent = "Loading " + Math.round(100 * done / total) + "%"; },
}).then(() => { status.remove(); document.getElementById("canvas").focus(); },
        (e) => { status.textContent = "The engine failed to start: " + ((e && e.message) || e); });
</script></body></html>
`;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("a port is a whole number from 0 to 65535");
  return n;
}

async function main(): Promise<void> {
  const options = new Command("demo")
    .description("Serve the Ensoul village demo in the browser, with a sidecar")
    .option("--port <n>", "port of the demo page on 127.0.0.1", port, 7318)
    .option("--sidecar-port <n>", "port of the sidecar on 127.0.0.1", port, 7317)
    .option("--data <dir>", "the sidecar's data folder", ".ensoul")
    .parse()
    .opts<{ port: number; sidecarPort: number; data: string }>();

  const sidecar = await startSidecar(loadConfig({ port: options.sidecarPort, dataDir: options.data }), createLogger("warn"));
  const pages: Record<string, string> = {};
  const server = await startEngineServer(defaultEngineDir(), { port: options.port, pages }).catch(async (err: unknown) => {
    await sidecar.close();
    throw err;
  });
  const packName = server.addPack(await buildPack(await demoPackOptions()));
  // The page gets a token with the game's roles only, revoked when the demo stops.
  const token = await createDemoToken(sidecar.httpUrl, sidecar.adminToken.token);
  pages[""] = pages["index.html"] = demoPage(packName, [`--ensoul-url=${sidecar.url}`, `--ensoul-token=${token.secret}`]);

  console.log(`Sidecar: ${sidecar.url} (data in ${options.data})`);
  console.log(`Ensoul village demo: ${server.origin}/   (Ctrl+C stops it)`);
  const stop = async (): Promise<void> => {
    await server.close();
    await revokeDemoToken(sidecar.httpUrl, sidecar.adminToken.token, token).catch((err: unknown) => {
      console.error(`demo: could not revoke the page's token ${token.tokenId}: ${err instanceof Error ? err.message : String(err)}`);
    });
    await sidecar.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
}

main().catch((err: unknown) => {
  console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
