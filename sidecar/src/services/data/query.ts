/**
 * Turns a `FindQuery` into SQL both dialects run: a WHERE clause over the record columns and
 * the indexed-field columns, and an ORDER BY that always ends on (project, id) so pages are
 * stable. Values go in as parameters, names only after checking against the collection.
 */
import { EnsoulError } from "../../lib/errors.js";
import { quoteIdent } from "./driver.js";
import type { FindQuery, IndexedFieldType, Range, Scalar, Where } from "./index.js";
import type { CheckedSpec } from "./validate.js";

export interface SqlFragment {
  sql: string;
  params: unknown[];
}

const RANGE_KEYS = new Set(["eq", "ne", "gt", "gte", "lt", "lte", "in", "prefix"]);

/** The column of a filterable field and the type its values must have. */
function column(checked: CheckedSpec, field: string, where: string): { name: string; type: IndexedFieldType } {
  if (field === "id") return { name: "id", type: "string" };
  if (field === "project") return { name: "project", type: "string" };
  if (field === "updatedAtMs") return { name: "updated_at_ms", type: "integer" };
  const indexed = checked.indexes.find(([f]) => f === field);
  if (!indexed) {
    throw new EnsoulError("INVALID_ARGUMENT", `${checked.spec.name}.${field} is not an indexed field; declare it in the collection's indexes to filter or order by it`, { field: where });
  }
  return { name: indexColumn(field), type: indexed[1] };
}

export function indexColumn(field: string): string {
  return quoteIdent(`ix_${field}`);
}

function checkValue(value: unknown, type: IndexedFieldType, field: string): Scalar {
  const ok =
    type === "string" ? typeof value === "string" :
    type === "boolean" ? typeof value === "boolean" :
    type === "integer" ? Number.isSafeInteger(value) :
    typeof value === "number" && Number.isFinite(value);
  if (!ok || (typeof value === "string" && value.includes("\u0000"))) throw new EnsoulError("INVALID_ARGUMENT", `${field} compares a ${type} field with ${JSON.stringify(value)}`, { field });
  return value as Scalar;
}

function isRange(value: unknown): value is Range {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `WHERE …` (or "") for a project and field conditions. */
export function whereClause(checked: CheckedSpec, project: string | undefined, where: Where | undefined, extra: string[] = []): SqlFragment {
  const parts: string[] = [...extra];
  const params: unknown[] = [];
  if (project !== undefined) {
    if (typeof project !== "string") throw new EnsoulError("INVALID_ARGUMENT", "project must be a string", { field: "project" });
    parts.push("project = ?");
    params.push(project);
  }
  for (const [field, condition] of Object.entries(where ?? {})) {
    const at = `where.${field}`;
    const col = column(checked, field, at);
    const range: Range = isRange(condition) ? condition : { eq: condition };
    for (const [op, raw] of Object.entries(range)) {
      if (!RANGE_KEYS.has(op)) throw new EnsoulError("INVALID_ARGUMENT", `${at} has unknown condition ${op}; use ${[...RANGE_KEYS].join(", ")}`, { field: at });
      if (raw === undefined) continue;
      const where = `${at}.${op}`;
      if ((op === "eq" || op === "ne") && raw === null) {
        parts.push(`${col.name} IS ${op === "eq" ? "" : "NOT "}NULL`);
      } else if (op === "in") {
        if (!Array.isArray(raw)) throw new EnsoulError("INVALID_ARGUMENT", `${where} must be an array`, { field: where });
        if (raw.length === 0) parts.push("1 = 0");
        else {
          parts.push(`${col.name} IN (${raw.map(() => "?").join(", ")})`);
          for (const v of raw) params.push(checkValue(v, col.type, where));
        }
      } else if (op === "prefix") {
        if (col.type !== "string" || typeof raw !== "string") throw new EnsoulError("INVALID_ARGUMENT", `${where} needs a string field and a string prefix`, { field: where });
        if (raw === "") continue;
        // The range lets an index narrow the scan; substr makes it exact.
        parts.push(`${col.name} >= ? AND substr(${col.name}, 1, ${[...raw].length}) = ?`);
        params.push(raw, raw);
      } else {
        const sqlOp = { eq: "=", ne: "<>", gt: ">", gte: ">=", lt: "<", lte: "<=" }[op as "eq"];
        parts.push(op === "ne" ? `(${col.name} IS NULL OR ${col.name} <> ?)` : `${col.name} ${sqlOp} ?`);
        params.push(checkValue(raw, col.type, where));
      }
    }
  }
  return { sql: parts.length > 0 ? `WHERE ${parts.join(" AND ")}` : "", params };
}

/** `ORDER BY …`, ending on project and id; missing values sort first ascending, last descending. */
export function orderClause(checked: CheckedSpec, orderBy: FindQuery["orderBy"]): string {
  const terms: string[] = [];
  for (const [i, term] of (orderBy ?? []).entries()) {
    const dir = term.direction ?? "asc";
    if (dir !== "asc" && dir !== "desc") throw new EnsoulError("INVALID_ARGUMENT", `orderBy[${i}].direction must be "asc" or "desc"`, { field: `orderBy[${i}].direction` });
    const col = column(checked, term.field, `orderBy[${i}].field`);
    // PostgreSQL puts NULLs last ascending, SQLite first: say it, so both agree.
    terms.push(`(${col.name} IS NULL) ${dir === "asc" ? "DESC" : "ASC"}`, `${col.name} ${dir.toUpperCase()}`);
  }
  terms.push("project ASC", "id ASC");
  return `ORDER BY ${terms.join(", ")}`;
}

/** LIMIT/OFFSET, checked. */
export function pageClause(limit: number | undefined, offset: number | undefined): SqlFragment {
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) throw new EnsoulError("INVALID_ARGUMENT", `limit must be a whole number of at least 0, got ${limit}`, { field: "limit" });
  if (offset !== undefined && (!Number.isSafeInteger(offset) || offset < 0)) throw new EnsoulError("INVALID_ARGUMENT", `offset must be a whole number of at least 0, got ${offset}`, { field: "offset" });
  if (limit === undefined && !offset) return { sql: "", params: [] };
  return { sql: "LIMIT ? OFFSET ?", params: [limit ?? Number.MAX_SAFE_INTEGER, offset ?? 0] };
}
