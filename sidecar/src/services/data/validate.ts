/**
 * Checks on everything that reaches the database: collection specs, ids, projects, documents
 * and embeddings. Each failure is an INVALID_ARGUMENT naming the offending field, so a bad
 * record never gets half-way into a table.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import { EnsoulError } from "../../lib/errors.js";
import type { CollectionSpec, IndexedFieldType, Scalar } from "./index.js";

export const DEFAULT_MAX_DOCUMENT_BYTES = 1024 * 1024;
const MAX_ID_CHARS = 256;
const MAX_PROJECT_CHARS = 128;
const MAX_DEPTH = 64;
const MAX_DIMENSIONS = 8192;

const COLLECTION_NAME = /^[a-z][a-z0-9_]{0,47}$/;
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,47}$/;
/** Fields every record has, which `find` filters and orders by like indexed ones. */
export const RECORD_FIELDS = ["id", "project", "updatedAtMs"] as const;
const FIELD_TYPES: readonly IndexedFieldType[] = ["string", "number", "integer", "boolean"];

function invalid(message: string, field: string): EnsoulError {
  return new EnsoulError("INVALID_ARGUMENT", message, { field });
}

/** A collection spec with its schema compiled: what the engine keeps per collection. */
export interface CheckedSpec {
  spec: CollectionSpec;
  indexes: Array<[string, IndexedFieldType]>;
  maxDocumentBytes: number;
  dimensions: number;
  validateDoc?: ValidateFunction;
}

export function checkSpec(spec: CollectionSpec): CheckedSpec {
  if (!COLLECTION_NAME.test(spec.name)) {
    throw invalid(`collection name ${JSON.stringify(spec.name)} must be 1-48 lower-case letters, digits or '_', starting with a letter`, "name");
  }
  const indexes = Object.entries(spec.indexes ?? {});
  for (const [field, type] of indexes) {
    if (!FIELD_NAME.test(field) || (RECORD_FIELDS as readonly string[]).includes(field)) {
      throw invalid(`indexed field ${JSON.stringify(field)} must be a top-level name of letters, digits or '_' (not id, project or updatedAtMs)`, `indexes.${field}`);
    }
    if (!FIELD_TYPES.includes(type)) throw invalid(`indexed field ${field} has type ${JSON.stringify(type)}; use ${FIELD_TYPES.join(", ")}`, `indexes.${field}`);
  }
  const maxDocumentBytes = spec.maxDocumentBytes ?? DEFAULT_MAX_DOCUMENT_BYTES;
  if (!Number.isSafeInteger(maxDocumentBytes) || maxDocumentBytes < 2) throw invalid("maxDocumentBytes must be a whole number of at least 2", "maxDocumentBytes");
  const dimensions = spec.vector?.dimensions ?? 0;
  if (spec.vector && (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > MAX_DIMENSIONS)) {
    throw invalid(`vector.dimensions must be 1-${MAX_DIMENSIONS}, got ${dimensions}`, "vector.dimensions");
  }
  let validateDoc: ValidateFunction | undefined;
  if (spec.schema) {
    try {
      validateDoc = new Ajv2020({ allErrors: false, strict: false }).compile(spec.schema);
    } catch (err) {
      throw invalid(`collection ${spec.name}'s schema does not compile: ${(err as Error).message}`, "schema");
    }
  }
  return { spec, indexes, maxDocumentBytes, dimensions, ...(validateDoc ? { validateDoc } : {}) };
}

export function checkId(id: unknown, field = "id"): string {
  if (typeof id !== "string" || id.length === 0 || id.length > MAX_ID_CHARS || /[\u0000-\u001f]/.test(id)) {
    throw invalid(`${field} must be 1-${MAX_ID_CHARS} characters without control characters`, field);
  }
  return id;
}

export function checkProject(project: unknown, field = "project"): string {
  if (project === undefined) return "";
  if (typeof project !== "string" || project.length > MAX_PROJECT_CHARS || /[\u0000-\u001f]/.test(project)) {
    throw invalid(`${field} must be a string of at most ${MAX_PROJECT_CHARS} characters without control characters`, field);
  }
  return project;
}

/**
 * Walks a document, refusing what JSON cannot hold (undefined, NaN, functions, class
 * instances, cycles) instead of letting JSON.stringify drop or mangle it silently.
 */
function checkJsonValue(value: unknown, where: string, depth: number, seen: Set<object>): void {
  if (value === null || typeof value === "string" || typeof value === "boolean") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw invalid(`${where} is ${value}, which JSON cannot hold`, where);
    return;
  }
  if (typeof value !== "object") throw invalid(`${where} is a ${typeof value}, which JSON cannot hold`, where);
  if (depth > MAX_DEPTH) throw invalid(`${where} is nested deeper than ${MAX_DEPTH} levels`, where);
  if (seen.has(value)) throw invalid(`${where} refers back to itself`, where);
  seen.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) checkJsonValue(value[i], `${where}[${i}]`, depth + 1, seen);
  } else {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) throw invalid(`${where} is a ${proto?.constructor?.name ?? "class instance"}, not a plain JSON object`, where);
    for (const [k, v] of Object.entries(value)) checkJsonValue(v, `${where}.${k}`, depth + 1, seen);
  }
  seen.delete(value);
}

function schemaErrorField(error: ErrorObject): string {
  const at = error.instancePath.replace(/^\//, "").replace(/\//g, ".");
  const extra = error.keyword === "additionalProperties" ? (error.params as { additionalProperty?: string }).additionalProperty : undefined;
  const missing = error.keyword === "required" ? (error.params as { missingProperty?: string }).missingProperty : undefined;
  const leaf = extra ?? missing;
  return ["doc", at, leaf].filter((p) => p !== undefined && p !== "").join(".");
}

/** Checks a document against its collection and returns its JSON text. */
export function serializeDocument(checked: CheckedSpec, doc: unknown): string {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw invalid(`a ${checked.spec.name} document must be a JSON object`, "doc");
  }
  checkJsonValue(doc, "doc", 0, new Set());
  if (checked.validateDoc && !checked.validateDoc(doc)) {
    const error = checked.validateDoc.errors?.[0];
    const field = error ? schemaErrorField(error) : "doc";
    const detail = error?.keyword === "additionalProperties" ? "is not a known field" : (error?.message ?? "is not valid");
    throw invalid(`${checked.spec.name} document: ${field} ${detail}`, field);
  }
  const json = JSON.stringify(doc);
  const sizeBytes = Buffer.byteLength(json, "utf8");
  if (sizeBytes > checked.maxDocumentBytes) {
    throw invalid(`${checked.spec.name} document is ${sizeBytes} bytes; the most is ${checked.maxDocumentBytes}`, "doc");
  }
  return json;
}

/** Parses a JSON document from text (e.g. off the wire); malformed JSON is INVALID_ARGUMENT. */
export function parseJsonDocument(text: string, field = "doc"): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw invalid(`${field} is not valid JSON: ${(err as Error).message}`, field);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid(`${field} must be a JSON object`, field);
  return value as Record<string, unknown>;
}

/** The value of each indexed field, type-checked; null where the document lacks it. */
export function indexedValues(checked: CheckedSpec, doc: Record<string, unknown>): Array<Scalar | null> {
  return checked.indexes.map(([field, type]) => {
    const value = doc[field];
    if (value === undefined || value === null) return null;
    const ok =
      type === "string" ? typeof value === "string" :
      type === "boolean" ? typeof value === "boolean" :
      type === "integer" ? Number.isSafeInteger(value) :
      typeof value === "number";
    if (!ok) throw invalid(`${checked.spec.name} document: indexed field ${field} must be ${type === "integer" ? "an integer" : `a ${type}`}`, `doc.${field}`);
    // PostgreSQL text cannot hold NUL; refusing it on both adapters keeps them alike.
    if (typeof value === "string" && value.includes("\u0000")) throw invalid(`${checked.spec.name} document: indexed field ${field} contains a NUL character`, `doc.${field}`);
    return value as Scalar;
  });
}

/** An embedding as float32s, checked against the collection's dimensions. */
export function checkEmbedding(checked: CheckedSpec, embedding: ArrayLike<number>, field = "embedding"): Float32Array {
  if (checked.dimensions === 0) throw invalid(`collection ${checked.spec.name} declares no vector, so records cannot carry embeddings`, field);
  if (embedding === null || typeof embedding !== "object" || typeof embedding.length !== "number") throw invalid(`${field} must be an array of numbers`, field);
  if (embedding.length !== checked.dimensions) throw invalid(`${field} has ${embedding.length} numbers; collection ${checked.spec.name} expects ${checked.dimensions}`, field);
  const vector = Float32Array.from(embedding);
  let sumSquares = 0;
  for (let i = 0; i < vector.length; i++) {
    const x = vector[i]!;
    if (!Number.isFinite(x)) throw invalid(`${field}[${i}] is not a finite number`, field);
    sumSquares += x * x;
  }
  if (sumSquares === 0) throw invalid(`${field} is all zeros, which has no direction to compare`, field);
  return vector;
}
