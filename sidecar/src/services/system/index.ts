/**
 * The system service: liveness (Ping) and self-description (ServerInfo, with each method's
 * roles as the access table gives them).
 */
import type { ServerInfo, ServiceInfo } from "../../generated/ensoul_v1.js";
import { unary, type Method, type Role } from "../../gateway/methods.js";
import { PROTOCOL_VERSION, SERVER_VERSION } from "../../lib/version.js";

export interface SystemServiceOptions {
  mode: "embedded" | "server";
  /** The methods to list in ServerInfo (read at call time, so later registrations show). */
  listMethods: () => Method[];
  /** The roles that may call a method (from the access table). */
  rolesFor: (method: Method) => readonly Role[];
  startedAtMs?: number;
}

function describe(methods: Method[], rolesFor: (method: Method) => readonly Role[]): ServiceInfo[] {
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
      roles: [...rolesFor(m)],
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
      handle: (): ServerInfo => ({
        serverVersion: SERVER_VERSION,
        protocolVersion: PROTOCOL_VERSION,
        mode: options.mode,
        services: describe(options.listMethods(), options.rolesFor),
        uptimeS: Math.floor((Date.now() - startedAtMs) / 1000),
      }),
    }),
  ];
}
