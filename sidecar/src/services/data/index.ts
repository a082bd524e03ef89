/**
 * The data service: JSON document collections with indexed fields, exact vector search,
 * transactions and numbered migrations, behind one interface with two adapters:
 *   - embedded: one better-sqlite3 file, `<dataDir>/ensoul.db` (sqlite.ts);
 *   - server: PostgreSQL or CockroachDB from `ENSOUL_DATABASE_URL` (postgres.ts).
 * Both run the same engine (engine.ts) over a small SQL driver, and pass one contract suite
 * (contract.test.ts). Other services get a `DataStore` from `app/`, never an adapter.
 *
 * Every record carries a `project` ("" when it belongs to none) so project-scoped (ABAC)
 * queries are a filter, not a convention; a record's key is (project, id).
 */
import path from "node:path";
import { EnsoulError } from "../../lib/errors.js";

export { parseJsonDocument } from "./validate.js";

/** A value an indexed field holds; null: the document lacks the field. */
export type Scalar = string | number | boolean;

/** The type of an indexed field, checked on every write. */
export type IndexedFieldType = "string" | "number" | "integer" | "boolean";

export interface CollectionSpec {
  /** Lower-case letters, digits and `_`, starting with a letter, at most 48 characters. */
  name: string;
  /** Top-level document fields that `find` may filter and order by, with their types. */
  indexes?: Record<string, IndexedFieldType>;
  /**
   * A JSON Schema (draft 2020-12) every document must satisfy; with `additionalProperties:
   * false` unknown fields are rejected. No schema: any JSON object.
   */
  schema?: object;
  /** Largest document accepted, as UTF-8 JSON bytes (default 1 MiB). */
  maxDocumentBytes?: number;
  /** Records may carry an embedding of exactly this many numbers, searchable by `nearest`. */
  vector?: { dimensions: number };
}

export interface DataRecord<T> {
  id: string;
  project: string;
  doc: T;
  /** 1 on insert, +1 on each put: what `ifVersion` compares against. */
  version: number;
  updatedAtMs: number;
  embedding?: Float32Array;
}

export interface RecordInput<T> {
  id: string;
  /** Default "": the record belongs to no project. */
  project?: string;
  doc: T;
  /** Replaces the stored embedding; omitted on put: the record keeps none. */
  embedding?: ArrayLike<number>;
}

export interface PutOptions {
  /** Only replace the record if it is at this version (0: only if it does not exist yet). */
  ifVersion?: number;
}

/** Conditions on one field; several in one object must all hold. */
export interface Range {
  eq?: Scalar | null;
  ne?: Scalar | null;
  gt?: Scalar;
  gte?: Scalar;
  lt?: Scalar;
  lte?: Scalar;
  in?: Scalar[];
  /** Strings starting with this (compared by code points, case-sensitive). */
  prefix?: string;
}

/** `id`, `project`, `updatedAtMs` or an indexed field. A bare value means `{ eq: value }`. */
export type Where = Record<string, Scalar | null | Range>;

export interface FindQuery {
  /** Only this project's records (the usual case); undefined: every project. */
  project?: string;
  where?: Where;
  /** Default: by project, then id. Ties are always broken by project, then id. */
  orderBy?: Array<{ field: string; direction?: "asc" | "desc" }>;
  limit?: number;
  offset?: number;
}

export interface NearestQuery {
  vector: ArrayLike<number>;
  /** How many neighbours, at most 1000. */
  k: number;
  project?: string;
  where?: Where;
  /**
   * Today every search is exact (a full scan of the candidates). Kept so that callers who
   * cannot accept an approximate answer can say so once a collection gains an ANN index.
   */
  exact?: boolean;
}

export interface Neighbour<T> {
  record: DataRecord<T>;
  /** Cosine similarity, from -1 to 1; higher is nearer. */
  score: number;
}

/** A defined collection, bound to the store or to one transaction. */
export interface Collection<T> {
  readonly spec: Readonly<CollectionSpec>;
  get(id: string, project?: string): Promise<DataRecord<T> | undefined>;
  /** Inserts or replaces; throws FAILED_PRECONDITION when `ifVersion` does not match. */
  put(input: RecordInput<T>, options?: PutOptions): Promise<DataRecord<T>>;
  /** Inserts; throws ALREADY_EXISTS when (project, id) is taken. */
  insert(input: RecordInput<T>): Promise<DataRecord<T>>;
  /** True when a record was there to delete. */
  delete(id: string, project?: string): Promise<boolean>;
  find(query?: FindQuery): Promise<DataRecord<T>[]>;
  count(query?: Omit<FindQuery, "orderBy" | "limit" | "offset">): Promise<number>;
  /** The k records whose embeddings are nearest `vector` by cosine similarity. */
  nearest(query: NearestQuery): Promise<Neighbour<T>[]>;
}

/** A row as the database returns it. */
export type SqlRow = Record<string, unknown>;

/**
 * Plain SQL over the service's own tables (created by its migrations). Placeholders are `?`;
 * the PostgreSQL adapter numbers them. Write SQL both dialects accept, or branch on `dialect`.
 */
export interface SqlAccess {
  readonly dialect: "sqlite" | "postgres";
  query<R extends SqlRow = SqlRow>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Runs a statement; returns how many rows it changed. */
  execute(sql: string, params?: unknown[]): Promise<number>;
}

/** What a store and a transaction both offer. */
export interface DataAccess {
  /** A collection defined earlier with `DataStore.define`; NOT_FOUND otherwise. */
  collection<T>(name: string): Collection<T>;
  readonly sql: SqlAccess;
}

/** A unit of work: everything done through it commits together or not at all. */
export type UnitOfWork = DataAccess;

export interface Migration {
  /** 1, 2, 3, … without gaps; applied in order, each once. */
  version: number;
  description: string;
  /** SQL (one or more statements separated by `;`), per dialect or shared, or a function. */
  up: string | { sqlite: string; postgres: string } | ((sql: SqlAccess) => Promise<void>);
}

export interface DataStore extends DataAccess {
  readonly kind: "sqlite" | "postgres";
  /**
   * Creates the collection's table and indexes if missing, adds newly declared indexed fields
   * (filling them from stored documents); a changed field type is FAILED_PRECONDITION.
   */
  define<T>(spec: CollectionSpec): Promise<Collection<T>>;
  /**
   * Applies `owner`'s migrations that the database has not recorded yet, each in its own
   * transaction with its record. A database that has a version this code does not know stops
   * with FAILED_PRECONDITION. Owners are service names ("queue", "auth", …).
   */
  migrate(owner: string, migrations: readonly Migration[]): Promise<void>;
  /**
   * Runs `work` in one transaction. It may run more than once when the server asks for a
   * retry (a serialization conflict), so it must not have effects outside the unit of work.
   * Inside it, use `tx` only: the store itself refuses calls from there.
   */
  transaction<R>(work: (tx: UnitOfWork) => Promise<R>): Promise<R>;
  close(): Promise<void>;
}

export interface DataStoreOptions {
  mode: "embedded" | "server";
  /** Embedded: the data dir; the database is `<dataDir>/ensoul.db`. */
  dataDir: string;
  /** Server: a postgres:// URL (ENSOUL_DATABASE_URL). */
  databaseUrl?: string;
  /** Server: the schema to keep tables in (default "public"). */
  schema?: string;
}

/** The embedded database's file under a data dir. */
export function sqliteFileFor(dataDir: string): string {
  return path.join(dataDir, "ensoul.db");
}

/**
 * Opens the store the mode asks for and applies the data service's own migrations. Server mode
 * without a URL, or with one that cannot be reached, stops with UNAVAILABLE naming it.
 */
export async function openDataStore(options: DataStoreOptions): Promise<DataStore> {
  if (options.mode === "embedded") {
    const { openSqliteStore } = await import("./sqlite.js");
    return openSqliteStore(sqliteFileFor(options.dataDir));
  }
  if (!options.databaseUrl) {
    throw new EnsoulError("FAILED_PRECONDITION", "server mode needs a database: set ENSOUL_DATABASE_URL to a postgres:// URL", {
      field: "ENSOUL_DATABASE_URL",
    });
  }
  const { openPostgresStore } = await import("./postgres.js");
  return openPostgresStore({ url: options.databaseUrl, ...(options.schema ? { schema: options.schema } : {}) });
}
