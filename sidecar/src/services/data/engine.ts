/**
 * The DataStore both adapters share, over a SqlDriver: collection definitions (kept in
 * `ensoul_collections` so a restart can tell what changed), migrations and transactions.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { EnsoulError } from "../../lib/errors.js";
import { SqlCollection, tableName } from "./collection.js";
import type { ColumnTypes, DriverAccess, SqlDriver } from "./driver.js";
import type { Collection, CollectionSpec, DataStore, IndexedFieldType, Migration, SqlAccess, UnitOfWork } from "./index.js";
import { applyMigrations, createMigrationTable } from "./migrations.js";
import { indexColumn } from "./query.js";
import { checkSpec, indexedValues, type CheckedSpec } from "./validate.js";

/** The data service's own tables, beyond the migration table itself. */
function dataMigrations(t: ColumnTypes): Migration[] {
  return [
    {
      version: 1,
      description: "collection registry",
      up: `CREATE TABLE ensoul_collections (name ${t.text} NOT NULL PRIMARY KEY, spec_json ${t.text} NOT NULL, defined_at_ms ${t.bigint} NOT NULL)`,
    },
  ];
}

interface StoredSpec {
  /** The indexed fields declared last, whose columns every write fills. */
  indexes: Record<string, IndexedFieldType>;
  /** Every field that has a column, declared now or once, with the column's type. */
  columns: Record<string, IndexedFieldType>;
  dimensions: number;
}

function columnType(driver: SqlDriver, type: IndexedFieldType): string {
  const t = driver.types;
  return type === "string" ? t.text : type === "integer" ? t.bigint : type === "number" ? t.real : t.boolean;
}

class SqlDataStore implements DataStore {
  private readonly collections = new Map<string, SqlCollection<unknown>>();
  /** Set while a transaction's work runs, so the store can refuse calls that would deadlock it. */
  private readonly inTransaction = new AsyncLocalStorage<true>();
  private closed = false;
  readonly sql: SqlAccess;

  constructor(private readonly driver: SqlDriver) {
    const guarded = this.guard(driver.access);
    this.sql = { dialect: driver.dialect, query: guarded.query, execute: guarded.execute };
  }

  get kind(): "sqlite" | "postgres" {
    return this.driver.dialect;
  }

  /** The driver's own access, refusing calls from inside a transaction's work or after close. */
  private guard(access: DriverAccess): DriverAccess {
    const check = (): void => {
      if (this.closed) throw new EnsoulError("UNAVAILABLE", "the data store is closed");
      if (this.inTransaction.getStore()) {
        throw new EnsoulError("INTERNAL", "a transaction's work called the store directly; use the unit of work it was given (the store would wait on the transaction)");
      }
    };
    return {
      dialect: access.dialect,
      query: (sql, params) => (check(), access.query(sql, params)),
      execute: (sql, params) => (check(), access.execute(sql, params)),
      runScript: (sql) => (check(), access.runScript(sql)),
    } as DriverAccess;
  }

  collection<T>(name: string): Collection<T> {
    const found = this.collections.get(name);
    if (!found) throw new EnsoulError("NOT_FOUND", `collection ${JSON.stringify(name)} is not defined; define it at start-up`, { field: "collection" });
    return found.on(this.guard(this.driver.access)) as SqlCollection<T>;
  }

  async define<T>(spec: CollectionSpec): Promise<Collection<T>> {
    const checked = checkSpec(spec);
    if (this.inTransaction.getStore()) throw new EnsoulError("INTERNAL", "define collections at start-up, not inside a transaction");
    await this.driver.transaction((tx) => this.ensureTable(tx, checked));
    const collection = new SqlCollection<unknown>(checked, this.driver.access);
    this.collections.set(spec.name, collection);
    return this.collection<T>(spec.name);
  }

  /** Creates or upgrades a collection's table to `checked`, recording what it now holds. */
  private async ensureTable(tx: DriverAccess, checked: CheckedSpec): Promise<void> {
    const { name } = checked.spec;
    const table = tableName(name);
    const t = this.driver.types;
    const want: StoredSpec = { indexes: Object.fromEntries(checked.indexes), columns: {}, dimensions: checked.dimensions };
    const claimed = await tx.execute(
      "INSERT INTO ensoul_collections (name, spec_json, defined_at_ms) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
      [name, JSON.stringify(want), Date.now()],
    );
    let have: StoredSpec = { indexes: {}, columns: {}, dimensions: 0 };
    if (claimed > 0) {
      await tx.runScript(
        `CREATE TABLE ${table} (project ${t.text} NOT NULL, id ${t.text} NOT NULL, doc ${t.text} NOT NULL, ` +
          `version ${t.bigint} NOT NULL, updated_at_ms ${t.bigint} NOT NULL, embedding ${t.blob}, PRIMARY KEY (project, id))`,
      );
      await tx.runScript(`CREATE INDEX ${quoteIndex(name, "id")} ON ${table} (id)`);
    } else {
      const rows = await tx.query<{ spec_json: string }>("SELECT spec_json FROM ensoul_collections WHERE name = ?", [name]);
      have = JSON.parse(rows[0]!.spec_json) as StoredSpec;
    }
    for (const [field, type] of checked.indexes) {
      const before = have.columns[field];
      if (before !== undefined && before !== type) {
        throw new EnsoulError("FAILED_PRECONDITION", `collection ${name} indexes ${field} as ${before}; it cannot become ${type} in place (write a migration that copies the records)`, { field: `indexes.${field}` });
      }
    }
    if (have.dimensions !== 0 && have.dimensions !== checked.dimensions) {
      const stored = await tx.query(`SELECT id FROM ${table} WHERE embedding IS NOT NULL LIMIT 1`);
      if (stored.length > 0) {
        throw new EnsoulError("FAILED_PRECONDITION", `collection ${name} holds embeddings of ${have.dimensions} numbers; it cannot switch to ${checked.dimensions}`, { field: "vector.dimensions" });
      }
    }
    for (const [field, type] of checked.indexes) {
      if (have.columns[field] !== undefined) continue;
      await tx.runScript(`ALTER TABLE ${table} ADD COLUMN ${indexColumn(field)} ${columnType(this.driver, type)}`);
      await tx.runScript(`CREATE INDEX ${quoteIndex(name, field)} ON ${table} (project, ${indexColumn(field)})`);
    }
    // New columns, and columns of fields declared again after a while undeclared (stale), are filled.
    const unfilled = checked.indexes.map(([f]) => f).filter((f) => have.indexes[f] === undefined);
    if (claimed === 0 && unfilled.length > 0) await backfill(tx, checked, unfilled);
    // A field no longer declared keeps its column (older code may still run) but stops being filled.
    const now: StoredSpec = { ...want, columns: { ...have.columns, ...want.indexes } };
    await tx.execute("UPDATE ensoul_collections SET spec_json = ? WHERE name = ?", [JSON.stringify(now), name]);
  }

  async migrate(owner: string, migrations: readonly Migration[]): Promise<void> {
    if (this.inTransaction.getStore()) throw new EnsoulError("INTERNAL", "migrate cannot run inside a transaction");
    await applyMigrations(this.driver, owner, migrations);
  }

  async transaction<R>(work: (tx: UnitOfWork) => Promise<R>): Promise<R> {
    if (this.closed) throw new EnsoulError("UNAVAILABLE", "the data store is closed");
    if (this.inTransaction.getStore()) throw new EnsoulError("INTERNAL", "transactions do not nest; use the unit of work you were given");
    return this.driver.transaction((db) => {
      const tx: UnitOfWork = {
        sql: { dialect: db.dialect, query: db.query, execute: db.execute },
        collection: <T>(name: string): Collection<T> => {
          const found = this.collections.get(name);
          if (!found) throw new EnsoulError("NOT_FOUND", `collection ${JSON.stringify(name)} is not defined; define it at start-up`, { field: "collection" });
          return found.on(db) as SqlCollection<T>;
        },
      };
      return this.inTransaction.run(true, () => work(tx));
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.driver.close();
  }

  async start(): Promise<void> {
    await createMigrationTable(this.driver);
    await applyMigrations(this.driver, "data", dataMigrations(this.driver.types));
  }
}

function quoteIndex(collection: string, field: string): string {
  return `"ix_${collection}__${field}"`;
}

/** Fills newly indexed columns from the stored documents. */
async function backfill(tx: DriverAccess, checked: CheckedSpec, fields: string[]): Promise<void> {
  const table = tableName(checked.spec.name);
  const rows = await tx.query<{ project: string; id: string; doc: string }>(`SELECT project, id, doc FROM ${table}`);
  const positions = fields.map((f) => checked.indexes.findIndex(([name]) => name === f));
  for (const row of rows) {
    let values: unknown[];
    try {
      const all = indexedValues(checked, JSON.parse(row.doc) as Record<string, unknown>);
      values = positions.map((p) => all[p]);
    } catch {
      values = fields.map(() => null); // a stored document of the wrong type stays unindexed, not lost
    }
    await tx.execute(`UPDATE ${table} SET ${fields.map((f) => `${indexColumn(f)} = ?`).join(", ")} WHERE project = ? AND id = ?`, [...values, row.project, row.id]);
  }
}

/** Wraps a driver in the shared store and applies the data service's own migrations. */
export async function createStore(driver: SqlDriver): Promise<DataStore> {
  const store = new SqlDataStore(driver);
  try {
    await store.start();
  } catch (err) {
    await driver.close();
    throw err;
  }
  return store;
}
