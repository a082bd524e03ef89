/** The process's pino logger. Services get children of it with their name bound. */
import pino, { type Logger } from "pino";

export type { Logger };

export function createLogger(level: string = process.env["ENSOUL_LOG_LEVEL"] ?? "info"): Logger {
  return pino({ level, base: { app: "ensoul" } });
}
