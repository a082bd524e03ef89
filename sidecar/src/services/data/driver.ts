/**
 * What the engine needs from a database, and all an adapter has to provide: statements with
 * `?` placeholders, scripts, transactions, and the column types of its dialect. Everything
 * above this (collections, vector search, migrations) is written once, in engine.ts.
 */
import type { SqlAccess } from "./index.js";

/** SqlAccess plus multi-statement scripts (migrations, DDL). */
export interface DriverAccess extends SqlAccess {
  /** Runs several `;`-separated statements without parameters. */
  runScript(sql: string): Promise<void>;
}

export interface ColumnTypes {
  /** Text compared by code points (ordering and prefix filters must agree across adapters). */
  text: string;
  bigint: string;
  real: string;
  boolean: string;
  blob: string;
}

export interface SqlDriver {
  readonly dialect: "sqlite" | "postgres";
  readonly types: ColumnTypes;
  /** Statements outside any transaction (each its own). */
  readonly access: DriverAccess;
  /** Runs `work` in one transaction; retries it where the database asks to (serialization). */
  transaction<R>(work: (tx: DriverAccess) => Promise<R>): Promise<R>;
  close(): Promise<void>;
}

/** Quotes an identifier the way both dialects accept. Callers pass checked names only. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
