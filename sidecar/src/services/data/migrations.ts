/**
 * Numbered migrations per owner (a service's name), recorded in `ensoul_migrations`. Each
 * migration runs in its own transaction that first claims its row: a second replica starting
 * at the same moment waits on that row, then finds it taken and skips the migration.
 */
import { EnsoulError } from "../../lib/errors.js";
import type { DriverAccess, SqlDriver } from "./driver.js";
import type { Migration } from "./index.js";

const OWNER = /^[a-z][a-z0-9_-]{0,47}$/;

export async function createMigrationTable(driver: SqlDriver): Promise<void> {
  const t = driver.types;
  await driver.access.runScript(
    `CREATE TABLE IF NOT EXISTS ensoul_migrations (owner ${t.text} NOT NULL, version ${t.bigint} NOT NULL, ` +
      `description ${t.text} NOT NULL, applied_at_ms ${t.bigint} NOT NULL, PRIMARY KEY (owner, version))`,
  );
}

function checkMigrations(owner: string, migrations: readonly Migration[]): void {
  if (!OWNER.test(owner)) throw new EnsoulError("INVALID_ARGUMENT", `migration owner ${JSON.stringify(owner)} must be a lower-case service name`, { field: "owner" });
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new EnsoulError("INVALID_ARGUMENT", `${owner} migration #${i + 1} has version ${m.version}; versions must run 1, 2, 3, … in order`, { field: `migrations[${i}].version` });
    }
  });
}

async function runUp(db: DriverAccess, migration: Migration): Promise<void> {
  const up = migration.up;
  if (typeof up === "function") return up(db);
  await db.runScript(typeof up === "string" ? up : up[db.dialect]);
}

/** Applies `owner`'s pending migrations in order; refuses a database newer than `migrations`. */
export async function applyMigrations(driver: SqlDriver, owner: string, migrations: readonly Migration[]): Promise<void> {
  checkMigrations(owner, migrations);
  const rows = await driver.access.query<{ v: unknown }>("SELECT MAX(version) AS v FROM ensoul_migrations WHERE owner = ?", [owner]);
  const applied = rows[0]?.v == null ? 0 : Number(rows[0].v);
  if (applied > migrations.length) {
    throw new EnsoulError(
      "FAILED_PRECONDITION",
      `the database's ${owner} schema is at version ${applied}, newer than this Ensoul (which knows up to ${migrations.length}); ` +
        "run the newer Ensoul that wrote it, or restore a backup taken before the upgrade",
      { field: `migrations.${owner}` },
    );
  }
  for (const migration of migrations.slice(applied)) {
    await driver.transaction(async (tx) => {
      const claimed = await tx.execute(
        "INSERT INTO ensoul_migrations (owner, version, description, applied_at_ms) VALUES (?, ?, ?, ?) ON CONFLICT (owner, version) DO NOTHING",
        [owner, migration.version, migration.description, Date.now()],
      );
      if (claimed === 0) return; // another replica applied it while we looked
      try {
        await runUp(tx, migration);
      } catch (err) {
        throw new EnsoulError("INTERNAL", `${owner} migration ${migration.version} (${migration.description}) failed: ${(err as Error).message}`, { cause: err });
      }
    });
  }
}
