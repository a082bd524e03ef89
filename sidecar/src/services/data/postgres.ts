/**
 * The server adapter: `pg` against PostgreSQL or CockroachDB. Plain SQL both accept; the one
 * difference guarded here is text ordering (PostgreSQL columns get COLLATE "C" so strings
 * compare by code point as in SQLite; CockroachDB compares bytes already). Statements are
 * prepared per connection under stable names. Transactions run SERIALIZABLE (CockroachDB's
 * only level, and what SQLite's single writer gives embedded mode), so a unit of work that
 * reads a record and writes it back cannot lose a concurrent update; the serialization
 * failures that this level raises are retried, as both databases ask clients to do.
 */
import pg from "pg";
import { EnsoulError } from "../../lib/errors.js";
import { quoteIdent, type ColumnTypes, type DriverAccess, type SqlDriver } from "./driver.js";
import { createStore } from "./engine.js";
import type { DataStore, SqlRow } from "./index.js";

export interface PostgresOptions {
  /** postgres://user@host:port/database */
  url: string;
  /** Tables live in this schema, created if missing (default "public"). */
  schema?: string;
  /** Drop the schema and everything in it on close: for tests and benchmarks only. */
  dropSchemaOnClose?: boolean;
  maxConnections?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
/** Attempts of one unit of work before a serialization failure is given up as UNAVAILABLE. */
const RETRIES = 12;

/** The URL without its password, fit for a message. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = "";
    return u.toString();
  } catch {
    return "(not a URL)";
  }
}

/** Numbers `?` placeholders as $1, $2, …, leaving quoted text and identifiers alone. */
export function numberPlaceholders(sql: string): string {
  let out = "";
  let n = 0;
  let quote: string | undefined;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === "?") {
      out += `$${++n}`;
      continue;
    }
    out += ch;
  }
  return out;
}

function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? "";
  return code.startsWith("08") || code.startsWith("57P") || ["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "ETIMEDOUT", "EHOSTUNREACH"].includes(code);
}

function isRetryable(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === "40001" || code === "40P01";
}

export function postgresDriver(pool: pg.Pool, types: ColumnTypes, onClose: () => Promise<void>, url: string): SqlDriver {
  const names = new Map<string, string>();
  const prepared = (sql: string): { name: string; text: string } => {
    let name = names.get(sql);
    if (!name) {
      name = `ensoul_${names.size}`;
      names.set(sql, name);
    }
    return { name, text: numberPlaceholders(sql) };
  };
  const wrap = (err: unknown): never => {
    if (err instanceof EnsoulError) throw err;
    if (isConnectionError(err)) {
      throw new EnsoulError("UNAVAILABLE", `lost the database at ${describeUrl(url)}: ${(err as Error).message}`, { cause: err });
    }
    throw err;
  };
  const accessOn = (client: pg.Pool | pg.PoolClient): DriverAccess => ({
    dialect: "postgres",
    query: async <R extends SqlRow>(sql: string, params?: unknown[]) => {
      try {
        return (await client.query({ ...prepared(sql), values: params ?? [] })).rows as R[];
      } catch (err) {
        return wrap(err);
      }
    },
    execute: async (sql, params) => {
      try {
        return (await client.query({ ...prepared(sql), values: params ?? [] })).rowCount ?? 0;
      } catch (err) {
        return wrap(err);
      }
    },
    runScript: async (sql) => {
      try {
        await client.query(sql);
      } catch (err) {
        wrap(err);
      }
    },
  });
  return {
    dialect: "postgres",
    types,
    access: accessOn(pool),
    async transaction(work) {
      for (let attempt = 1; ; attempt++) {
        const client = await pool.connect().catch(wrap);
        let broken: Error | undefined;
        try {
          await client.query("BEGIN ISOLATION LEVEL SERIALIZABLE");
          const result = await work(accessOn(client));
          await client.query("COMMIT");
          return result;
        } catch (err) {
          await client.query("ROLLBACK").catch((rollbackErr: Error) => (broken = rollbackErr));
          if (attempt < RETRIES && isRetryable(err)) {
            await new Promise((r) => setTimeout(r, 5 * 2 ** Math.min(attempt, 6) * Math.random()));
            continue;
          }
          return wrap(err);
        } finally {
          client.release(broken);
        }
      }
    },
    close: onClose,
  };
}

/**
 * Connects (failing with UNAVAILABLE naming the URL when it cannot), makes the schema and
 * returns the store with the data service's migrations applied.
 */
export async function openPostgresStore(options: PostgresOptions): Promise<DataStore> {
  const schema = options.schema ?? "public";
  if (!SCHEMA_NAME.test(schema)) throw new EnsoulError("INVALID_ARGUMENT", `schema ${JSON.stringify(schema)} must be a lower-case SQL name`, { field: "schema" });
  const where = describeUrl(options.url);
  // One plain connection first, so an unreachable or misnamed database fails here, by name.
  let version: string;
  let probe: pg.Client | undefined;
  try {
    probe = new pg.Client({ connectionString: options.url, connectionTimeoutMillis: 5000 });
    await probe.connect();
    version = String((await probe.query("SELECT version() AS v")).rows[0]?.v ?? "");
    await probe.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  } catch (err) {
    throw new EnsoulError("UNAVAILABLE", `cannot reach the database at ${where} (ENSOUL_DATABASE_URL): ${(err as Error).message}`, { field: "ENSOUL_DATABASE_URL", cause: err });
  } finally {
    await probe?.end().catch(() => undefined);
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: 5000,
    // Set at connection start-up, so no statement can run before it (both servers accept it).
    options: `-c search_path=${schema}`,
  });
  pool.on("error", () => undefined); // an idle connection dropping is seen by the next query, not here
  const cockroach = version.includes("CockroachDB");
  const types: ColumnTypes = {
    text: cockroach ? "TEXT" : 'TEXT COLLATE "C"',
    bigint: "BIGINT",
    real: "DOUBLE PRECISION",
    boolean: "BOOLEAN",
    blob: "BYTEA",
  };
  const close = async (): Promise<void> => {
    if (options.dropSchemaOnClose) await pool.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`).catch(() => undefined);
    await pool.end();
  };
  return createStore(postgresDriver(pool, types, close, options.url));
}
