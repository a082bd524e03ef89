/**
 * The embedded adapter: one better-sqlite3 file in WAL mode, statements prepared once and
 * cached by their text. SQLite calls are synchronous, so a transaction whose work awaits holds
 * a lock that every other call waits on; otherwise they would land inside its BEGIN…COMMIT.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { EnsoulError } from "../../lib/errors.js";
import type { DriverAccess, SqlDriver } from "./driver.js";
import { createStore } from "./engine.js";
import type { DataStore, SqlRow } from "./index.js";

/** SQLite binds no booleans; they are stored as 0/1 like SQLite's own TRUE and FALSE. */
function bindable(params: unknown[] | undefined): unknown[] {
  if (!params) return [];
  return params.map((p) => (p === true ? 1 : p === false ? 0 : p));
}

/** Serialises transactions: one at a time, and plain calls wait while one is open or queued. */
class TransactionLock {
  private tail: Promise<void> = Promise.resolve();
  private holdersAndWaiters = 0;

  get busy(): boolean {
    return this.holdersAndWaiters > 0;
  }

  async run<R>(work: () => Promise<R>): Promise<R> {
    this.holdersAndWaiters++;
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise((resolve) => (release = resolve));
    try {
      await previous;
      return await work();
    } finally {
      this.holdersAndWaiters--;
      release();
    }
  }
}

function openDatabase(file: string): Database.Database {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    const db = new Database(file);
    db.pragma("journal_mode = WAL");
    // NORMAL in WAL mode loses nothing when the process dies; only an OS crash can cost the last commits.
    db.pragma("synchronous = NORMAL");
    // No busy_timeout: SQLite would wait for another connection's lock by blocking this thread,
    // and with it the event loop that may be what has to finish that other transaction (two
    // stores in one process). Busy statements are retried asynchronously instead (retryBusy).
    db.pragma("busy_timeout = 0");
    return db;
  } catch (err) {
    // Same code and field as the other data-dir failures, so `ensoul serve` exits with its data-dir status.
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new EnsoulError("FAILED_PRECONDITION", `data dir ${path.dirname(file)} is not usable (${reason}): cannot open the embedded database ${path.basename(file)}; choose another with --data`, { field: "data", cause: err });
  }
}

const BUSY_GIVE_UP_MS = 10_000;

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"));
}

/** Runs `attempt` again, with growing pauses, while another connection holds the write lock. */
async function retryBusy<R>(file: string, attempt: () => Promise<R> | R): Promise<R> {
  const started = Date.now();
  for (let pauseMs = 1; ; pauseMs = Math.min(pauseMs * 2, 50)) {
    try {
      return await attempt();
    } catch (err) {
      if (!isBusy(err)) throw err;
      if (Date.now() - started > BUSY_GIVE_UP_MS) {
        throw new EnsoulError("UNAVAILABLE", `the embedded database ${file} stayed locked by another connection for ${BUSY_GIVE_UP_MS / 1000} s`, { cause: err });
      }
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }
}

export function sqliteDriver(file: string): SqlDriver {
  const db = openDatabase(file);
  const statements = new Map<string, Database.Statement>();
  const lock = new TransactionLock();
  const prepare = (sql: string): Database.Statement => {
    let stmt = statements.get(sql);
    if (!stmt) {
      stmt = db.prepare(sql);
      if (statements.size > 1000) statements.clear(); // generated SQL varies with queries; keep the cache bounded
      statements.set(sql, stmt);
    }
    return stmt;
  };
  /** Runs SQL now: inside a transaction, or when none is open or queued. */
  const direct: DriverAccess = {
    dialect: "sqlite",
    query: async <R extends SqlRow>(sql: string, params?: unknown[]) => {
      const stmt = prepare(sql);
      return (stmt.reader ? stmt.all(...bindable(params)) : (stmt.run(...bindable(params)), [])) as R[];
    },
    execute: async (sql, params) => prepare(sql).run(...bindable(params)).changes,
    runScript: async (sql) => void db.exec(sql),
  };
  /** Runs `call` unless a transaction of ours is open or queued (then after it), retrying while busy. */
  const whenFree = <R>(call: () => Promise<R>): Promise<R> => retryBusy(file, () => (lock.busy ? lock.run(call) : call()));
  return {
    dialect: "sqlite",
    types: { text: "TEXT", bigint: "INTEGER", real: "REAL", boolean: "INTEGER", blob: "BLOB" },
    access: {
      dialect: "sqlite",
      query: (sql, params) => whenFree(() => direct.query(sql, params)),
      execute: (sql, params) => whenFree(() => direct.execute(sql, params)),
      runScript: (sql) => whenFree(() => direct.runScript(sql)),
    },
    transaction: (work) =>
      lock.run(async () => {
        await retryBusy(file, () => db.exec("BEGIN IMMEDIATE"));
        try {
          const result = await work(direct);
          await retryBusy(file, () => db.exec("COMMIT"));
          return result;
        } catch (err) {
          if (db.inTransaction) db.exec("ROLLBACK");
          throw err;
        }
      }),
    close: async () => {
      await lock.run(async () => db.close());
    },
  };
}

/** The embedded DataStore on `file` (created with its directory if missing). */
export function openSqliteStore(file: string): Promise<DataStore> {
  return createStore(sqliteDriver(file));
}
