/**
 * The composition root: reads the config, picks the adapters, wires every service into the
 * method table and starts the gateway. The only module that knows every service.
 */
import { createGateway, type Gateway } from "../gateway/server.js";
import { MethodTable, type Method } from "../gateway/methods.js";
import { isLoopback, type SidecarConfig } from "../lib/config.js";
import { EnsoulError } from "../lib/errors.js";
import type { Logger } from "../lib/logger.js";
import { createAuthService, type AdminToken } from "../services/auth/index.js";
import { assetMethods, createAssetService } from "../services/assets/index.js";
import { bodyMethods } from "../services/generate/body/rpc.js";
import { plannerMethods } from "../services/planner/rpc.js";
import { characterMethods, createCharacterService } from "../services/characters/index.js";
import { openDataStore, type DataStore } from "../services/data/index.js";
import { openQueueService } from "../services/queue/index.js";
import { queueMethods } from "../services/queue/rpc.js";
import {
  beginMasterKeyRotation,
  createSecurityService,
  gatewayTls,
  MASTER_KEY_ENV,
  PREVIOUS_MASTER_KEY_ENV,
  SIDECAR_SUBJECT,
} from "../services/security/index.js";
import { createSystemService } from "../services/system/index.js";
import { createGenerateService } from "../services/generate/rpc.js";
import { deferredAudit, transitSealer } from "./sealer.js";

export interface RunningSidecar {
  gateway: Gateway;
  host: string;
  port: number;
  /** ws://host:port/v1/ws, or wss:// with TLS */
  url: string;
  /** http://host:port, or https:// with TLS */
  httpUrl: string;
  /** With the local CA's TLS: the CA certificate clients should trust. */
  caFile?: string;
  adminToken: AdminToken;
  close(): Promise<void>;
}

export async function startSidecar(config: SidecarConfig, log: Logger): Promise<RunningSidecar> {
  if (!isLoopback(config.host) && !config.tls) {
    if (!config.insecureListen) {
      throw new EnsoulError(
        "FAILED_PRECONDITION",
        `listening on ${config.host} would expose the sidecar beyond this machine without TLS; ` +
          "pass --tls (or --tls-cert and --tls-key), or --insecure-listen (ENSOUL_INSECURE_LISTEN=1) if plain text is what you want",
        { field: "host" },
      );
    }
    log.warn({ host: config.host }, "listening beyond loopback WITHOUT TLS (--insecure-listen): tokens and data cross the network in plain text");
  }
  // The data store first: in server mode a named but unreachable database stops start-up here.
  const data = await openDataStore({
    mode: config.mode,
    dataDir: config.dataDir,
    ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
    ...(config.databaseSchema ? { schema: config.databaseSchema } : {}),
  });
  const closers: (() => Promise<void> | void)[] = [() => data.close()]; // closed last
  try {
    return await startServices(config, log, data, closers);
  } catch (err) {
    for (const close of [...closers].reverse()) await close();
    throw err;
  }
}

async function startServices(config: SidecarConfig, log: Logger, data: DataStore, closers: (() => Promise<void> | void)[]): Promise<RunningSidecar> {
  const audit = deferredAudit();
  // A master key that does not open the keystore stops start-up here.
  const security = await createSecurityService({
    dataDir: config.dataDir,
    mode: config.mode,
    data,
    audit,
    env: {
      ...(config.masterKey ? { [MASTER_KEY_ENV]: config.masterKey } : {}),
      ...(config.previousMasterKey ? { [PREVIOUS_MASTER_KEY_ENV]: config.previousMasterKey } : {}),
    },
  });
  closers.push(() => security.close());
  // Auth next: it keeps its secrets sealed with the keystore, and every service's audit
  // entries (the security service's, held until now, too) go to its hash-chained log.
  const auth = await createAuthService({
    dataDir: config.dataDir,
    data,
    log,
    sealer: transitSealer(security.transitFor(SIDECAR_SUBJECT)),
    ...(config.oidc ? { oidc: config.oidc } : {}),
    // Other replicas revoke too: pick their revocations up within a second.
    revocationPollMs: config.mode === "server" ? 1000 : 0,
  });
  closers.push(() => auth.close());
  await audit.attach(auth.audit);
  const methods = new MethodTable();
  // In server mode a named but unreachable Redis stops start-up here.
  const queue = await openQueueService({
    mode: config.mode,
    data,
    ...(config.redisUrl ? { redisUrl: config.redisUrl } : {}),
    ...(config.queuePrefix ? { prefix: config.queuePrefix } : {}),
    ...(config.jobRetentionDays !== undefined ? { retentionMs: config.jobRetentionDays * 24 * 3600 * 1000 } : {}),
    onPruneError: (err) => log.warn({ err }, "pruning finished jobs failed; trying again in an hour"),
  });
  closers.push(() => queue.close());
  const assets = createAssetService({ data, dataDir: config.dataDir, maxFrameBytes: config.limits.maxFrameBytes, uploadIdleMs: config.limits.idleTimeoutMs });
  closers.push(() => assets.close());
  const generate = createGenerateService({ modelDir: config.modelDir, queue });
  closers.push(generate.close);
  // Every service's methods, in one table the gateway routes by.
  const services: Method[][] = [
    createSystemService({ mode: config.mode, listMethods: () => methods.all(), rolesFor: (m) => auth.policy.rolesFor(m) }),
    auth.methods,
    assetMethods(assets),
    bodyMethods(assets),
    await plannerMethods(data, config.dataDir, log, closers),
    characterMethods(await createCharacterService(data)),
    generate.methods,
    security.methods,
    queueMethods(queue),
  ];
  for (const list of services) for (const m of list) methods.add(m);

  const tls = await gatewayTls(security, config);
  const gateway = createGateway({
    ...(tls ? { tls } : {}),
    methods,
    auth: auth.authenticator,
    limits: config.limits,
    log,
  });
  const closeServices = async (): Promise<void> => {
    for (const close of [...closers].reverse()) await close();
  };
  let address: { host: string; port: number };
  try {
    address = await gateway.listen(config.host, config.port);
  } catch (err) {
    await gateway.close(); // a busy port must not leave services holding files or timers (startSidecar closes them)
    throw err;
  }
  const hostForUrl = address.host.includes(":") ? `[${address.host}]` : address.host;
  return {
    gateway,
    host: address.host,
    port: address.port,
    url: `${tls ? "wss" : "ws"}://${hostForUrl}:${address.port}/v1/ws`,
    httpUrl: `${tls ? "https" : "http"}://${hostForUrl}:${address.port}`,
    ...(tls?.caFile ? { caFile: tls.caFile } : {}),
    adminToken: auth.adminToken,
    close: async () => {
      await gateway.close();
      await closeServices();
    },
  };
}

/**
 * `ensoul keystore rotate-master`: gives the embedded keystore a new master key. Writes
 * master.key.next, then opens the keystore, which re-wraps every data key to it in one
 * transaction, puts it in place of master.key and records the rotation in the audit log.
 * Data sealed by the data keys is not touched. Resolves with the new key's id.
 */
export async function rotateMasterKey(config: SidecarConfig, log: Logger): Promise<string> {
  if (config.mode === "server" || config.masterKey) {
    throw new EnsoulError(
      "FAILED_PRECONDITION",
      `the master key comes from ${MASTER_KEY_ENV}: set the new key there and the old one in ${PREVIOUS_MASTER_KEY_ENV}, then start the sidecar`,
      { field: MASTER_KEY_ENV },
    );
  }
  const next = beginMasterKeyRotation(config.dataDir, {});
  const data = await openDataStore({ mode: "embedded", dataDir: config.dataDir });
  try {
    const audit = deferredAudit();
    const security = await createSecurityService({ dataDir: config.dataDir, data, audit, env: {} });
    try {
      const auth = await createAuthService({ dataDir: config.dataDir, data, log, sealer: transitSealer(security.transitFor(SIDECAR_SUBJECT)) });
      await audit.attach(auth.audit);
      await auth.close();
    } finally {
      await security.close();
    }
  } finally {
    await data.close();
  }
  return next.id;
}
