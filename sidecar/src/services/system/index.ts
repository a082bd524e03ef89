/**
 * The system service: liveness (Ping) and self-description (ServerInfo). Every role may call it.
 */
import type { ServerInfo, ServiceInfo } from "../../generated/ensoul_v1.js";
import { ROLES, unary, type Method } from "../../gateway/methods.js";
import { PROTOCOL_VERSION, SERVER_VERSION } from "../../lib/version.js";

export interface SystemServiceOptions {
  mode: "embedded" | "server";
  /** The methods to list in ServerInfo (read at call time, so later registrations show). */
  listMethods: () => Method[];
  startedAtMs?: number;
}

function describe(methods: Method[]): ServiceInfo[] {
  const services = new Map<string, ServiceInfo>();
  for (const m of methods) {
    let service = services.get(m.service);
    if (!service) {
      service = { name: m.service, methods: [] };
      services.set(m.service, service);
    }
    service.methods!.push({
      name: m.name,
      request: m.request,
      response: m.response,
      streaming: m.streaming,
      roles: [...m.roles],
    });
  }
  return [...services.values()].sort((a, b) => a.name!.localeCompare(b.name!));
}

export function createSystemService(options: SystemServiceOptions): Method[] {
  const startedAtMs = options.startedAtMs ?? Date.now();
  return [
    unary({
      service: "system",
      name: "ping",
      request: "ping",
      response: "pong",
      roles: ROLES,
      handle: (ping) => ({
        payload: ping.payload,
        sentAtUs: ping.sentAtUs,
        serverTimeUs: Date.now() * 1000,
      }),
    }),
    unary({
      service: "system",
      name: "info",
      request: "serverInfoRequest",
      response: "serverInfo",
      roles: ROLES,
      handle: (): ServerInfo => ({
        serverVersion: SERVER_VERSION,
        protocolVersion: PROTOCOL_VERSION,
        mode: options.mode,
        services: describe(options.listMethods()),
        uptimeS: Math.floor((Date.now() - startedAtMs) / 1000),
      }),
    }),
  ];
}
