import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import protobuf from "protobufjs/light.js";
import { describe, expect, it } from "vitest";
import * as testing from "../generated/ensoul_testing_v1.js";
import * as v1 from "../generated/ensoul_v1.js";
import { EnsoulError } from "./errors.js";
import { messageCodec } from "./protocodec.js";
import { jsonArbitrary } from "./protocodec.testkit.js";

const VECTOR_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../shared-schema/vectors");

function typeByName(name: string): protobuf.Type {
  for (const root of [v1.root, testing.root]) {
    const found = root.lookup(name);
    if (found instanceof protobuf.Type) return found;
  }
  throw new Error(`no type ${name}`);
}

const vectors = readdirSync(VECTOR_DIR)
  .filter((f) => f.endsWith(".bin"))
  .sort()
  .map((f) => {
    const name = f.slice(0, -4);
    const bytes = new Uint8Array(readFileSync(path.join(VECTOR_DIR, f)));
    const meta = JSON.parse(readFileSync(path.join(VECTOR_DIR, `${name}.json`), "utf8")) as {
      type: string;
      value: Record<string, unknown>;
    };
    return { name, bytes, ...meta };
  });

describe("golden vectors through the TypeScript codec", () => {
  it("has vectors to check", () => {
    expect(vectors.length).toBeGreaterThanOrEqual(10);
  });

  for (const vector of vectors) {
    it(`${vector.name}: decodes to the recorded values and re-encodes byte for byte`, () => {
      const codec = messageCodec<object>(typeByName(vector.type));
      const decoded = codec.decode(vector.bytes);
      expect(codec.toJson(decoded)).toEqual(vector.value);
      expect(Buffer.from(codec.encode(decoded)).equals(Buffer.from(vector.bytes))).toBe(true);
      const fromJson = codec.fromJson(vector.value);
      expect(Buffer.from(codec.encode(fromJson)).equals(Buffer.from(vector.bytes))).toBe(true);
    });
  }
});

describe("TypeScript codec properties", () => {
  const sample = testing.codecs.Sample;

  it("random Sample messages survive encode → decode → encode unchanged", () => {
    fc.assert(
      fc.property(jsonArbitrary(sample.type, 2), (json) => {
        const bytes = sample.encode(sample.fromJson(json));
        const decoded = sample.decode(bytes);
        const again = sample.encode(decoded);
        expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
        // JSON round trip: what we read is what we wrote, in the canonical JSON form.
        expect(sample.toJson(sample.fromJson(sample.toJson(decoded)))).toEqual(sample.toJson(decoded));
      }),
      { numRuns: 300 },
    );
  });

  it("random Envelopes survive encode → decode with the same body", () => {
    const env = v1.codecs.Envelope;
    fc.assert(
      fc.property(jsonArbitrary(env.type, 2), (json) => {
        const decoded = env.decode(env.encode(env.fromJson(json)));
        expect(env.toJson(decoded)).toEqual(env.toJson(env.fromJson(json)));
      }),
      { numRuns: 200 },
    );
  });

  it("random bytes never crash the decoder: either a message or INVALID_ARGUMENT", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          v1.codecs.Envelope.decode(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(EnsoulError);
          expect((err as EnsoulError).code).toBe("INVALID_ARGUMENT");
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe("JSON mapping checks", () => {
  const ping = v1.codecs.Ping;

  it("rejects an unknown field and names it", () => {
    expect(() => ping.fromJson({ payload: "", nonce: 1 })).toThrowError(/nonce: unknown field of Ping/);
  });

  it("rejects a value of the wrong kind and names the field", () => {
    try {
      v1.codecs.Hello.fromJson({ protocolVersion: "one" });
      expect.unreachable();
    } catch (err) {
      expect((err as EnsoulError).code).toBe("INVALID_ARGUMENT");
      expect((err as EnsoulError).field).toBe("protocolVersion");
    }
  });

  it("accepts proto field names as well as lowerCamelCase", () => {
    const hello = v1.codecs.Hello.fromJson({ protocol_version: 3, client_name: "curl" });
    expect(v1.codecs.Hello.toJson(hello)).toEqual({ protocolVersion: 3, clientName: "curl" });
  });

  it("rejects two members of one oneof", () => {
    expect(() => v1.codecs.Envelope.fromJson({ ping: {}, pong: {} })).toThrowError(/only one of ping and pong/);
  });
});
