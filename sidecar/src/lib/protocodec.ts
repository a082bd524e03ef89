/**
 * Typed handles over protobufjs reflection types. The generated modules in src/generated/
 * build one `MessageCodec` per message; everything else in the sidecar encodes and decodes
 * through them, so malformed input always surfaces as an EnsoulError, never as a crash.
 */
import protobuf from "protobufjs/light.js";
import { EnsoulError } from "./errors.js";

export interface MessageCodec<T extends object> {
  readonly type: protobuf.Type;
  /** Encodes a message (a plain object in the generated interface's shape). */
  encode(message: T): Uint8Array;
  /** Decodes wire bytes; malformed bytes throw INVALID_ARGUMENT. */
  decode(bytes: Uint8Array): T;
  /** Reads the protobuf JSON mapping (lowerCamelCase or proto names); bad shapes throw INVALID_ARGUMENT naming the field. */
  fromJson(json: unknown, fieldPrefix?: string): T;
  /** Writes the protobuf JSON mapping: 64-bit integers and enums as strings, bytes as base64, defaults omitted. */
  toJson(message: T): Record<string, unknown>;
}

const TO_JSON_OPTIONS: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  bytes: String,
  defaults: false,
  json: true,
};

export function messageCodec<T extends object>(type: protobuf.Type): MessageCodec<T> {
  const fixKeys = hasLongMapKeys(type, new Set());
  return {
    type,
    encode(message: T): Uint8Array {
      return type.encode(message as protobuf.Message).finish();
    },
    decode(bytes: Uint8Array): T {
      try {
        const message = type.decode(bytes);
        if (fixKeys) longMapKeysToDecimal(type, message as unknown as Record<string, unknown>);
        return message as unknown as T;
      } catch (err) {
        throw new EnsoulError("INVALID_ARGUMENT", `cannot decode ${type.name}: ${(err as Error).message}`, { cause: err });
      }
    },
    fromJson(json: unknown, fieldPrefix = ""): T {
      return type.fromObject(normalizeJson(type, json, fieldPrefix)) as unknown as T;
    },
    toJson(message: T): Record<string, unknown> {
      const msg = message instanceof protobuf.Message ? message : type.fromObject(message as Record<string, unknown>);
      return type.toObject(msg, TO_JSON_OPTIONS);
    },
  };
}

const INT32_TYPES = new Set(["int32", "uint32", "sint32", "fixed32", "sfixed32"]);
const INT64_TYPES = new Set(["int64", "uint64", "sint64", "fixed64", "sfixed64"]);
const INTEGER_TEXT = /^-?\d+$/;
const BASE64_TEXT = /^[A-Za-z0-9+/_-]*={0,2}$/;

function invalid(field: string, message: string): EnsoulError {
  return new EnsoulError("INVALID_ARGUMENT", `${field || "body"}: ${message}`, { field: field || undefined });
}

const LONG_TYPES = new Set(["int64", "uint64", "sint64", "fixed64", "sfixed64"]);

/** Whether a type (or one it contains) has a map keyed by a 64-bit integer. */
function hasLongMapKeys(type: protobuf.Type, seen: Set<protobuf.Type>): boolean {
  if (seen.has(type)) return false;
  seen.add(type);
  return type.fieldsArray.some(
    (f) =>
      (f.map && LONG_TYPES.has((f as unknown as protobuf.MapField).keyType)) ||
      (f.resolvedType instanceof protobuf.Type && hasLongMapKeys(f.resolvedType, seen)),
  );
}

/**
 * protobufjs keys decoded 64-bit-keyed maps by an 8-character "long hash"; its encoder and the
 * JSON mapping want decimal text. Rewrite the keys once, right after decoding.
 */
function longMapKeysToDecimal(type: protobuf.Type, message: Record<string, unknown>): void {
  for (const field of type.fieldsArray) {
    const value = message[field.name];
    if (value === null || value === undefined) continue;
    const sub = field.resolvedType instanceof protobuf.Type ? field.resolvedType : null;
    if (field.map) {
      const map = value as Record<string, unknown>;
      const keyType = (field as unknown as protobuf.MapField).keyType;
      if (LONG_TYPES.has(keyType)) {
        const unsigned = keyType === "uint64" || keyType === "fixed64";
        const fixed: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(map)) {
          const decimal = k.length === 8 ? protobuf.util.LongBits.fromHash(k).toLong(unsigned).toString() : k;
          fixed[decimal] = v;
        }
        message[field.name] = fixed;
      }
      if (sub) for (const v of Object.values(message[field.name] as object)) longMapKeysToDecimal(sub, v);
    } else if (sub) {
      if (field.repeated) for (const v of value as Record<string, unknown>[]) longMapKeysToDecimal(sub, v);
      else longMapKeysToDecimal(sub, value as Record<string, unknown>);
    }
  }
}

const FIELDS_BY_JSON_NAME = new WeakMap<protobuf.Type, Map<string, protobuf.Field>>();

/** A type's fields by their lowerCamelCase and proto (snake_case) names, built once per type. */
function fieldsByJsonName(type: protobuf.Type): Map<string, protobuf.Field> {
  let byName = FIELDS_BY_JSON_NAME.get(type);
  if (!byName) {
    byName = new Map();
    for (const field of type.fieldsArray) {
      byName.set(field.name, field);
      byName.set(snakeCase(field.name), field);
    }
    FIELDS_BY_JSON_NAME.set(type, byName);
  }
  return byName;
}

/**
 * Checks a JSON value against a message type before protobufjs coerces it (fromObject silently
 * drops or mangles values of the wrong kind) and returns a copy with lowerCamelCase keys.
 */
function normalizeJson(type: protobuf.Type, json: unknown, prefix: string): Record<string, unknown> {
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw invalid(prefix, `expected a JSON object for ${type.name}`);
  }
  const byName = fieldsByJsonName(type);
  const seenOneofs = new Map<string, string>();
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) {
    const field = byName.get(key);
    const path = prefix ? `${prefix}.${key}` : key;
    if (!field) throw invalid(path, `unknown field of ${type.name}`);
    if (value === null) continue;
    out[field.name] = value;
    if (field.partOf && field.partOf.oneof.length > 1) {
      const other = seenOneofs.get(field.partOf.name);
      if (other) throw invalid(path, `only one of ${other} and ${key} may be set`);
      seenOneofs.set(field.partOf.name, key);
    }
    if (field.map) {
      if (typeof value !== "object" || Array.isArray(value)) throw invalid(path, "expected a JSON object (map)");
      const map: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) map[k] = checkValue(field, v, `${path}.${k}`);
      out[field.name] = map;
    } else if (field.repeated) {
      if (!Array.isArray(value)) throw invalid(path, "expected a JSON array");
      out[field.name] = value.map((v, i) => checkValue(field, v, `${path}[${i}]`));
    } else {
      out[field.name] = checkValue(field, value, path);
    }
  }
  return out;
}

/** Checks one value; returns it (messages normalized). */
function checkValue(field: protobuf.Field, value: unknown, path: string): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return normalizeJson(resolved, value, path);
  if (resolved instanceof protobuf.Enum) {
    if (typeof value === "string" && value in resolved.values) return value;
    if (typeof value === "number" && Number.isInteger(value)) return value;
    throw invalid(path, `expected one of ${Object.keys(resolved.values).join(", ")}`);
  }
  const t = field.type;
  if (t === "string") {
    if (typeof value !== "string") throw invalid(path, "expected a string");
  } else if (t === "bool") {
    if (typeof value !== "boolean") throw invalid(path, "expected true or false");
  } else if (t === "bytes") {
    if (typeof value !== "string" || !BASE64_TEXT.test(value)) throw invalid(path, "expected base64 text");
  } else if (INT32_TYPES.has(t) || INT64_TYPES.has(t)) {
    const ok =
      (typeof value === "number" && Number.isInteger(value)) || (typeof value === "string" && INTEGER_TEXT.test(value));
    if (!ok) throw invalid(path, "expected an integer");
    if (t.startsWith("u") || t.startsWith("fixed")) {
      if (String(value).startsWith("-")) throw invalid(path, "expected a non-negative integer");
    }
  } else if (t === "float" || t === "double") {
    const ok = typeof value === "number" || value === "NaN" || value === "Infinity" || value === "-Infinity";
    if (!ok) throw invalid(path, "expected a number");
  }
  return value;
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
