/**
 * Golden vectors: representative messages encoded by the TypeScript side. Each vector is a
 * `.bin` (the wire bytes) and a `.json` (the message type and its protobuf JSON mapping).
 * Both codecs must decode every `.bin` to the JSON's values and re-encode it byte for byte.
 */
import protobuf from "protobufjs";

export interface Vector {
  name: string;
  /** Fully qualified message name, e.g. "ensoul.testing.v1.Sample". */
  type: string;
  /** The message in the protobuf JSON mapping, as fromObject accepts it. */
  value: Record<string, unknown>;
}

const allBytes = Array.from({ length: 256 }, (_, i) => i);
const base64 = (bytes: number[]): string => Buffer.from(bytes).toString("base64");

export const VECTORS: Vector[] = [
  { name: "sample_empty", type: "ensoul.testing.v1.Sample", value: {} },
  {
    name: "sample_scalars_max",
    type: "ensoul.testing.v1.Sample",
    value: {
      scalars: {
        i32: 2147483647,
        i64: "9223372036854775807",
        u32: 4294967295,
        u64: "18446744073709551615",
        s32: 2147483647,
        s64: "9223372036854775807",
        f32: 4294967295,
        f64: "18446744073709551615",
        sf32: 2147483647,
        sf64: "9223372036854775807",
        fl: 3.4028234663852886e38,
        db: 1.7976931348623157e308,
        flag: true,
        text: "héllo, мир, 世界 🌍",
        blob: base64(allBytes),
        mood: "ANGRY",
      },
    },
  },
  {
    name: "sample_scalars_min",
    type: "ensoul.testing.v1.Sample",
    value: {
      scalars: {
        i32: -2147483648,
        i64: "-9223372036854775808",
        u32: 1,
        u64: "1",
        s32: -2147483648,
        s64: "-9223372036854775808",
        f32: 1,
        f64: "1",
        sf32: -2147483648,
        sf64: "-9223372036854775808",
        fl: -1.5,
        db: -5e-324,
        mood: "CURSED",
      },
    },
  },
  {
    name: "sample_scalars_small_negative",
    type: "ensoul.testing.v1.Sample",
    value: {
      scalars: { i32: -1, i64: "-1", s32: -1, s64: "-1", sf32: -1, sf64: "-1", fl: Math.fround(0.1), db: 0.1, text: "x" },
    },
  },
  {
    name: "sample_repeated_and_maps",
    type: "ensoul.testing.v1.Sample",
    value: {
      packedI32: [0, 1, -1, 127, 128, 300, -2147483648, 2147483647],
      packedS64: ["0", "-1", "1", "-9223372036854775808", "9223372036854775807"],
      packedDb: [0, -0.5, 1e100, 2.5],
      packedF32: [0, 1, 4294967295],
      packedFlags: [true, false, true],
      moods: ["CALM", "CURSED", "MOOD_UNSPECIFIED", "ANGRY"],
      names: ["", "ada", "Ωmega", "🐉 dragon"],
      blobs: ["", base64([0]), base64([255, 254, 253])],
      inners: [{ label: "a" }, { label: "b", delta: -7, word: "w" }, {}],
      counts: { gold: 10, debt: -300, "": 0 },
      byId: { "-5": { label: "minus five" }, "0": {}, "9223372036854775807": { number: "-2" } },
      tags: { "ключ": "значение", empty: "" },
    },
  },
  {
    name: "sample_nested_oneof",
    type: "ensoul.testing.v1.Sample",
    value: {
      inner: { label: "root", child: { label: "kid", child: { delta: 2147483647, word: "deep" } } },
      pickInner: { label: "picked", number: "-9223372036854775808" },
    },
  },
  {
    name: "sample_oneof_default_values",
    type: "ensoul.testing.v1.Sample",
    // A oneof member or optional field set to its default is still present on the wire.
    value: { pickU64: "0", maybe: 0, inner: { word: "" } },
  },
  { name: "sample_oneof_enum", type: "ensoul.testing.v1.Sample", value: { pickMood: "CURSED", maybe: -1 } },
  {
    name: "envelope_hello",
    type: "ensoul.v1.Envelope",
    value: {
      id: "1",
      hello: { protocolVersion: 1, token: "tok_0123456789abcdef", clientName: "godot/4.6", maxFrameBytes: 8388608 },
    },
  },
  {
    name: "envelope_error",
    type: "ensoul.v1.Envelope",
    value: {
      id: "18446744073709551615",
      replyTo: "18446744073709551614",
      error: { code: "PERMISSION_DENIED", message: "role viewer may not call planner.plan", field: "plan" },
    },
  },
  {
    name: "envelope_pong",
    type: "ensoul.v1.Envelope",
    value: { id: "7", replyTo: "3", pong: { payload: base64([1, 2, 3]), sentAtUs: "-1", serverTimeUs: "1764126000000000" } },
  },
  {
    name: "envelope_server_info",
    type: "ensoul.v1.Envelope",
    value: {
      replyTo: "2",
      serverInfo: {
        serverVersion: "0.1.0",
        protocolVersion: 1,
        mode: "embedded",
        uptimeS: "42",
        services: [
          {
            name: "system",
            methods: [
              { name: "ping", request: "ping", response: "pong", roles: ["admin", "viewer"] },
              { name: "info", request: "serverInfoRequest", response: "serverInfo" },
            ],
          },
        ],
      },
    },
  },
  { name: "envelope_empty_body", type: "ensoul.v1.Envelope", value: { serverInfoRequest: {} } },
];

/** Encodes each vector with protobufjs; returns the file name → content map. */
export function buildVectors(roots: protobuf.Root[]): Map<string, Uint8Array | string> {
  const files = new Map<string, Uint8Array | string>();
  for (const vector of VECTORS) {
    const type = lookupIn(roots, vector.type);
    const message = type.fromObject(vector.value);
    const bytes = type.encode(message).finish();
    const json = type.toObject(message, { longs: String, enums: String, bytes: String, json: true });
    files.set(`${vector.name}.bin`, bytes);
    files.set(`${vector.name}.json`, `${JSON.stringify({ type: vector.type, value: json }, null, 2)}\n`);
  }
  return files;
}

export function lookupIn(roots: protobuf.Root[], name: string): protobuf.Type {
  for (const root of roots) {
    const found = root.lookup(name);
    if (found instanceof protobuf.Type) return found;
  }
  throw new Error(`message type ${name} not found`);
}
