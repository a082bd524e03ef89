/**
 * One collection's records over a driver connection: a table `doc_<name>` with the record
 * columns, the document as JSON text, an optional float32 embedding and one column per indexed
 * field (filled from the document on every write, so the document stays the source of truth).
 */
import { EnsoulError } from "../../lib/errors.js";
import type { DriverAccess } from "./driver.js";
import { quoteIdent } from "./driver.js";
import type { Collection, CollectionSpec, DataRecord, FindQuery, NearestQuery, Neighbour, PutOptions, RecordInput, SqlRow } from "./index.js";
import { indexColumn, orderClause, pageClause, whereClause } from "./query.js";
import { checkEmbedding, checkId, checkProject, indexedValues, serializeDocument, type CheckedSpec } from "./validate.js";
import { cosineTopK } from "./vector.js";

export function tableName(collection: string): string {
  return quoteIdent(`doc_${collection}`);
}

const RECORD_COLUMNS = "project, id, doc, version, updated_at_ms, embedding";

/** Float32 little-endian bytes, the form embeddings are stored in by both adapters. */
export function embeddingToBytes(vector: Float32Array): Buffer {
  const bytes = Buffer.alloc(vector.length * 4);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatLE(vector[i]!, i * 4);
  return bytes;
}

export function embeddingFromBytes(bytes: Uint8Array): Float32Array {
  // Copied: a driver's buffer may sit at an offset a Float32Array view cannot start at.
  const vector = new Float32Array(bytes.length >>> 2);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < vector.length; i++) vector[i] = view.getFloat32(i * 4, true);
  return vector;
}

function toRecord<T>(row: SqlRow): DataRecord<T> {
  const record: DataRecord<T> = {
    id: row.id as string,
    project: row.project as string,
    doc: JSON.parse(row.doc as string) as T,
    version: Number(row.version),
    updatedAtMs: Number(row.updated_at_ms),
  };
  if (row.embedding) record.embedding = embeddingFromBytes(row.embedding as Uint8Array);
  return record;
}

export class SqlCollection<T> implements Collection<T> {
  private readonly table: string;
  private readonly columns: string;

  constructor(
    private readonly checked: CheckedSpec,
    private readonly db: DriverAccess,
  ) {
    this.table = tableName(checked.spec.name);
    this.columns = [RECORD_COLUMNS, ...checked.indexes.map(([f]) => indexColumn(f))].join(", ");
  }

  get spec(): CollectionSpec {
    return this.checked.spec;
  }

  /** The same collection working through another connection (a transaction's). */
  on(db: DriverAccess): SqlCollection<T> {
    return new SqlCollection<T>(this.checked, db);
  }

  async get(id: string, project?: string): Promise<DataRecord<T> | undefined> {
    const rows = await this.db.query(`SELECT ${RECORD_COLUMNS} FROM ${this.table} WHERE project = ? AND id = ?`, [checkProject(project), checkId(id)]);
    return rows[0] ? toRecord<T>(rows[0]) : undefined;
  }

  /** The row a write stores, checked, in `this.columns` order. */
  private rowFor(input: RecordInput<T>, version: number, nowMs: number): { values: unknown[]; record: DataRecord<T> } {
    if (typeof input !== "object" || input === null) throw new EnsoulError("INVALID_ARGUMENT", "a record needs an id and a doc", { field: "record" });
    const id = checkId(input.id);
    const project = checkProject(input.project);
    const json = serializeDocument(this.checked, input.doc);
    const doc = JSON.parse(json) as T; // the caller's object stays theirs to change
    const embedding = input.embedding === undefined ? undefined : checkEmbedding(this.checked, input.embedding);
    const values = [project, id, json, version, nowMs, embedding ? embeddingToBytes(embedding) : null, ...indexedValues(this.checked, doc as Record<string, unknown>)];
    const record: DataRecord<T> = { id, project, doc, version, updatedAtMs: nowMs };
    if (embedding) record.embedding = embedding;
    return { values, record };
  }

  async insert(input: RecordInput<T>): Promise<DataRecord<T>> {
    const { values, record } = this.rowFor(input, 1, Date.now());
    const changed = await this.db.execute(
      `INSERT INTO ${this.table} (${this.columns}) VALUES (${values.map(() => "?").join(", ")}) ON CONFLICT (project, id) DO NOTHING`,
      values,
    );
    if (changed === 0) {
      throw new EnsoulError("ALREADY_EXISTS", `${this.checked.spec.name} ${JSON.stringify(record.id)} already exists${record.project ? ` in project ${JSON.stringify(record.project)}` : ""}`, { field: "id" });
    }
    return record;
  }

  async put(input: RecordInput<T>, options: PutOptions = {}): Promise<DataRecord<T>> {
    const { ifVersion } = options;
    if (ifVersion === 0) {
      try {
        return await this.insert(input);
      } catch (err) {
        if (err instanceof EnsoulError && err.code === "ALREADY_EXISTS") throw new EnsoulError("FAILED_PRECONDITION", `${err.message}; expected it not to`, { field: "ifVersion" });
        throw err;
      }
    }
    if (ifVersion !== undefined) {
      if (!Number.isSafeInteger(ifVersion) || ifVersion < 0) throw new EnsoulError("INVALID_ARGUMENT", `ifVersion must be a whole number, got ${ifVersion}`, { field: "ifVersion" });
      const { values, record } = this.rowFor(input, ifVersion + 1, Date.now());
      const names = this.columns.split(", ").slice(2); // all but the key
      const changed = await this.db.execute(
        `UPDATE ${this.table} SET ${names.map((n) => `${n} = ?`).join(", ")} WHERE project = ? AND id = ? AND version = ?`,
        [...values.slice(2), record.project, record.id, ifVersion],
      );
      if (changed === 0) {
        const current = await this.get(record.id, record.project);
        throw new EnsoulError("FAILED_PRECONDITION", `${this.checked.spec.name} ${JSON.stringify(record.id)} is ${current ? `at version ${current.version}` : "missing"}, not at version ${ifVersion}; read it again and retry`, { field: "ifVersion" });
      }
      return record;
    }
    const { values, record } = this.rowFor(input, 1, Date.now());
    const names = this.columns.split(", ").slice(2).filter((n) => n !== "version");
    const rows = await this.db.query<{ version: unknown }>(
      `INSERT INTO ${this.table} (${this.columns}) VALUES (${values.map(() => "?").join(", ")}) ` +
        `ON CONFLICT (project, id) DO UPDATE SET ${names.map((n) => `${n} = excluded.${n}`).join(", ")}, version = ${this.table}.version + 1 RETURNING version`,
      values,
    );
    record.version = Number(rows[0]?.version);
    return record;
  }

  async delete(id: string, project?: string): Promise<boolean> {
    return (await this.db.execute(`DELETE FROM ${this.table} WHERE project = ? AND id = ?`, [checkProject(project), checkId(id)])) > 0;
  }

  async find(query: FindQuery = {}): Promise<DataRecord<T>[]> {
    const where = whereClause(this.checked, query.project, query.where);
    const page = pageClause(query.limit, query.offset);
    const rows = await this.db.query(
      `SELECT ${RECORD_COLUMNS} FROM ${this.table} ${where.sql} ${orderClause(this.checked, query.orderBy)} ${page.sql}`,
      [...where.params, ...page.params],
    );
    return rows.map((r) => toRecord<T>(r));
  }

  async count(query: Omit<FindQuery, "orderBy" | "limit" | "offset"> = {}): Promise<number> {
    const where = whereClause(this.checked, query.project, query.where);
    const rows = await this.db.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM ${this.table} ${where.sql}`, where.params);
    return Number(rows[0]?.n ?? 0);
  }

  async nearest(query: NearestQuery): Promise<Neighbour<T>[]> {
    if (!Number.isInteger(query.k) || query.k < 1 || query.k > 1000) throw new EnsoulError("INVALID_ARGUMENT", `k must be 1-1000, got ${query.k}`, { field: "k" });
    const target = checkEmbedding(this.checked, query.vector, "vector");
    const best = await cosineTopK(target, query.k, (after, pageSize) => {
      // Within one project the key is the id alone, which lets SQLite walk the primary key.
      const keyset = !after ? [] : query.project !== undefined ? ["id > ?"] : ["(project, id) > (?, ?)"];
      const keyParams = !after ? [] : query.project !== undefined ? [after.id] : [after.project, after.id];
      const where = whereClause(this.checked, query.project, query.where, ["embedding IS NOT NULL", ...keyset]);
      return this.db.query(`SELECT project, id, embedding FROM ${this.table} ${where.sql} ORDER BY project, id LIMIT ${pageSize}`, [...keyParams, ...where.params]);
    });
    const out: Neighbour<T>[] = [];
    for (const { project, id, score } of best) {
      const record = await this.get(id, project);
      if (record) out.push({ record, score });
    }
    return out;
  }
}
