/**
 * Test support for codecs: fast-check arbitraries that produce random messages of any protocol
 * type in the protobuf JSON mapping, and the canonical (proto3) form of such a message.
 * Used by the TypeScript codec's property tests and the GDScript codec's engine tests.
 */
import fc from "fast-check";
import protobuf from "protobufjs/light.js";

/** A fast-check arbitrary for the JSON mapping of a message type (depth-limited). */
export function jsonArbitrary(type: protobuf.Type, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of type.fieldsArray) {
    if (field.partOf) continue; // oneof members are added below, at most one each
    const value = valueArbitrary(field, depth);
    if (!value) continue;
    if (field.map) fields[field.name] = fc.dictionary(mapKey(field as unknown as protobuf.MapField), value, { maxKeys: 3 });
    else if (field.repeated) fields[field.name] = fc.array(value, { maxLength: 4 });
    else fields[field.name] = value;
  }
  const base = fc.record(fields, { requiredKeys: [] });
  const oneofs = type.oneofsArray.map((oneof) =>
    fc.oneof(
      fc.constant({}),
      ...oneof.fieldsArray
        .map((f) => [f, valueArbitrary(f, depth)] as const)
        .filter((pair): pair is readonly [protobuf.Field, fc.Arbitrary<unknown>] => pair[1] !== null)
        .map(([f, arb]) => arb.map((v) => ({ [f.name]: v }))),
    ),
  );
  return fc.tuple(base, ...oneofs).map(([b, ...os]) => Object.assign({}, b, ...os) as Record<string, unknown>);
}

function mapKey(field: protobuf.MapField): fc.Arbitrary<string> {
  if (field.keyType === "string") return fc.string({ maxLength: 6 });
  if (field.keyType === "bool") return fc.constantFrom("true", "false");
  return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String);
}

function valueArbitrary(field: protobuf.Field, depth: number): fc.Arbitrary<unknown> | null {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return depth > 0 ? jsonArbitrary(resolved, depth - 1) : null;
  if (resolved instanceof protobuf.Enum) return fc.constantFrom(...Object.keys(resolved.values));
  switch (field.type) {
    case "int32":
    case "sint32":
    case "sfixed32":
      return fc.integer();
    case "uint32":
    case "fixed32":
      return fc.integer({ min: 0, max: 2 ** 32 - 1 });
    case "int64":
    case "sint64":
    case "sfixed64":
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String);
    case "uint64":
    case "fixed64":
      return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String);
    case "double":
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case "float":
      return fc.float({ noNaN: true, noDefaultInfinity: true }).map((x) => Math.fround(x));
    case "bool":
      return fc.boolean();
    case "string":
      return fc.string({ unit: "grapheme", maxLength: 12 });
    case "bytes":
      return fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.from(b).toString("base64"));
    default:
      return null;
  }
}


/**
 * Drops singular fields at their default value (proto3 does not write them), so that any two
 * codecs must produce the same bytes for the message. Oneof members and optional fields stay.
 */
export function canonicalJson(type: protobuf.Type, json: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) {
    const field = type.fields[key];
    if (!field) continue;
    const sub = field.resolvedType instanceof protobuf.Type ? field.resolvedType : null;
    const canon = (v: unknown): unknown => (sub ? canonicalJson(sub, v as Record<string, unknown>) : v);
    if (field.map) {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length > 0) out[key] = Object.fromEntries(entries.map(([k, v]) => [k, canon(v)]));
    } else if (field.repeated) {
      const items = value as unknown[];
      if (items.length > 0) out[key] = items.map(canon);
    } else if (field.partOf || sub) {
      out[key] = canon(value);
    } else if (!isDefault(field, value)) {
      out[key] = value;
    }
  }
  return out;
}

function isDefault(field: protobuf.Field, value: unknown): boolean {
  if (field.resolvedType instanceof protobuf.Enum) {
    return value === 0 || field.resolvedType.values[value as string] === 0;
  }
  return value === 0 || value === "0" || value === "" || value === false || Object.is(value, -0);
}
