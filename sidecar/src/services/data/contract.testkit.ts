/**
 * The two adapters as the contract suite (and the bench) open them: a fresh SQLite file in a
 * temporary directory, and a fresh schema on the PostgreSQL named by ENSOUL_DATABASE_URL.
 * Without that URL, or with a server that does not answer, opening fails with a message that
 * names it: the suite must not pass by skipping the server half.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { DataStore } from "./index.js";
import { openPostgresStore } from "./postgres.js";
import { openSqliteStore } from "./sqlite.js";

export interface StoreFixture {
  store: DataStore;
  /** Closes the store and opens the same database again (a restart). */
  reopen(): Promise<DataStore>;
  /** Opens a second store on the same database, as another replica would; the caller closes it. */
  another(): Promise<DataStore>;
  /** Closes whatever is open and deletes the database. */
  destroy(): Promise<void>;
}

export interface AdapterUnderTest {
  name: "sqlite" | "postgres";
  open(): Promise<StoreFixture>;
}

export function databaseUrl(): string {
  const url = process.env["ENSOUL_DATABASE_URL"];
  if (!url) {
    throw new Error(
      "ENSOUL_DATABASE_URL is not set: the data service's contract suite runs against a real PostgreSQL " +
        "(e.g. ENSOUL_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test, as .ci/run sets it)",
    );
  }
  return url;
}

export const sqliteAdapter: AdapterUnderTest = {
  name: "sqlite",
  async open() {
    const dir = mkdtempSync(path.join(os.tmpdir(), "ensoul-data-"));
    const file = path.join(dir, "ensoul.db");
    let store = await openSqliteStore(file);
    return {
      store,
      async reopen() {
        await store.close();
        store = await openSqliteStore(file);
        return store;
      },
      another: () => openSqliteStore(file),
      async destroy() {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

export const postgresAdapter: AdapterUnderTest = {
  name: "postgres",
  async open() {
    const url = databaseUrl();
    const schema = `ensoul_t_${process.pid}_${randomBytes(4).toString("hex")}`;
    let store = await openPostgresStore({ url, schema });
    return {
      store,
      async reopen() {
        await store.close();
        store = await openPostgresStore({ url, schema });
        return store;
      },
      another: () => openPostgresStore({ url, schema }),
      async destroy() {
        await store.close();
        const dropper = await openPostgresStore({ url, schema, dropSchemaOnClose: true });
        await dropper.close();
      },
    };
  },
};

export const ADAPTERS: AdapterUnderTest[] = [sqliteAdapter, postgresAdapter];
