/** The core commands: serve, info, ping. Services add theirs through register* functions. */
import type { Command } from "commander";
import { rotateMasterKey, startSidecar } from "../app/index.js";
import { codecs } from "../generated/ensoul_v1.js";
import { loadConfig } from "../lib/config.js";
import { EnsoulError } from "../lib/errors.js";
import { createLogger } from "../lib/logger.js";
import { addConnectOptions, connectFromFlags, type ConnectFlags } from "./connect.js";

function intFlag(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new EnsoulError("INVALID_ARGUMENT", `--${name} must be a whole number, got "${value}"`, { field: name });
  return n;
}

export function registerServeCommand(program: Command, out: (line: string) => void): void {
  program
    .command("serve")
    .description("run the sidecar (embedded mode by default: data under ./.ensoul)")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port for WebSocket and HTTP", "7317")
    .option("--data <dir>", "data directory", ".ensoul")
    .option("--max-frame-bytes <n>", "largest frame or HTTP body accepted")
    .option("--log-level <level>", "pino log level (fatal … trace)", "info")
    .option("--tls", "serve HTTPS/WSS with a certificate from the local CA (its certificate: <data>/tls/ca.crt)")
    .option("--tls-cert <file>", "serve TLS with this PEM certificate (and chain) instead; needs --tls-key")
    .option("--tls-key <file>", "the PEM private key of --tls-cert")
    .option("--insecure-listen", "allow listening beyond loopback without TLS (logs a warning)")
    .option("--model <dir>", "a Qwen3 ONNX model folder for the llm character generator (see models/README.md)")
    .action(async (flags: Record<string, string | boolean | undefined>) => {
      const maxFrameBytes = intFlag(flags["maxFrameBytes"] as string | undefined, "max-frame-bytes");
      const config = loadConfig({
        host: flags["host"] as string,
        port: intFlag(flags["port"] as string, "port"),
        dataDir: flags["data"] as string,
        logLevel: flags["logLevel"] as string,
        ...(flags["tls"] === true ? { tls: true } : {}),
        ...(flags["tlsCert"] === undefined ? {} : { tlsCertFile: flags["tlsCert"] as string }),
        ...(flags["tlsKey"] === undefined ? {} : { tlsKeyFile: flags["tlsKey"] as string }),
        ...(flags["insecureListen"] === true ? { insecureListen: true } : {}),
        limits: maxFrameBytes === undefined ? {} : { maxFrameBytes },
        ...(flags["model"] === undefined ? {} : { modelDir: flags["model"] as string }),
      });
      const log = createLogger(config.logLevel);
      const sidecar = await startSidecar(config, log);
      out(`ensoul sidecar ${config.mode} mode, listening on ${sidecar.url} (HTTP ${sidecar.httpUrl})`);
      if (sidecar.caFile) out(`TLS from the local CA: clients trust ${sidecar.caFile} (ensoul ping --ca ${sidecar.caFile} …)`);
      out(`data: ${config.dataDir}`);
      if (sidecar.adminToken.created) {
        out(`admin token (shown once; kept in ${sidecar.adminToken.file}, mode 0600):`);
        out(`  ${sidecar.adminToken.token}`);
      }
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          void sidecar.close().then(resolve);
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
    });
}

export function registerInfoCommand(program: Command, out: (line: string) => void): void {
  addConnectOptions(program.command("info").description("connect and print the sidecar's ServerInfo"))
    .option("--json", "print the ServerInfo as JSON")
    .action(async (flags: ConnectFlags & { json?: boolean }) => {
      const client = await connectFromFlags(flags);
      try {
        const reply = await client.call("serverInfoRequest", {});
        const info = reply.serverInfo!;
        if (flags.json) {
          out(JSON.stringify(codecs.ServerInfo.toJson(info), null, 2));
          return;
        }
        out(`ensoul ${info.serverVersion} (protocol ${info.protocolVersion}, ${info.mode} mode, up ${info.uptimeS}s)`);
        for (const service of info.services ?? []) {
          out(`${service.name}`);
          for (const m of service.methods ?? []) {
            const arrow = m.streaming ? "→ stream of" : "→";
            out(`  ${(m.name ?? "").padEnd(16)} ${m.request} ${arrow} ${m.response}   [${(m.roles ?? []).join(", ")}]`);
          }
        }
      } finally {
        await client.close();
      }
    });
}

export function registerPingCommand(program: Command, out: (line: string) => void): void {
  addConnectOptions(program.command("ping").description("send Ping frames and print round-trip times"))
    .option("--count <n>", "how many pings", "4")
    .action(async (flags: ConnectFlags & { count: string }) => {
      const count = intFlag(flags.count, "count")!;
      if (count < 1) throw new EnsoulError("INVALID_ARGUMENT", "--count must be at least 1", { field: "count" });
      const client = await connectFromFlags(flags);
      const times: number[] = [];
      try {
        out(`connected to ensoul ${client.welcome?.serverVersion} (session ${client.welcome?.sessionId})`);
        for (let i = 1; i <= count; i++) {
          const start = process.hrtime.bigint();
          await client.call("ping", { sentAtUs: Date.now() * 1000 });
          const ms = Number(process.hrtime.bigint() - start) / 1e6;
          times.push(ms);
          out(`pong ${i}: time=${ms.toFixed(3)} ms`);
        }
      } finally {
        await client.close();
      }
      const sorted = [...times].sort((a, b) => a - b);
      const avg = times.reduce((a, b) => a + b, 0) / times.length;
      out(`${count} pings: min/avg/max = ${sorted[0]!.toFixed(3)}/${avg.toFixed(3)}/${sorted[sorted.length - 1]!.toFixed(3)} ms`);
    });
}

export function registerKeystoreCommand(program: Command, out: (line: string) => void): void {
  const keystore = program.command("keystore").description("the security service's keystore (embedded mode)");
  keystore
    .command("rotate-master")
    .description("give the keystore a new master key: re-wraps every data key, re-encrypts no data")
    .option("--data <dir>", "data directory", ".ensoul")
    .action(async (flags: { data: string }) => {
      const config = loadConfig({ dataDir: flags.data });
      const id = await rotateMasterKey(config, createLogger("warn"));
      out(`master key rotated: the keystore in ${config.dataDir} is now wrapped with master key ${id}`);
      out("restart a sidecar already running on this data dir: until then it can use its keys but not make new ones");
    });
}
