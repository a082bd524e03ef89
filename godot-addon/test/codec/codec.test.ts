/**
 * The generated GDScript codec in the real Godot 4.6 engine: the golden vectors and a seeded
 * batch of random messages (made and encoded by the TypeScript codec) must decode to the same
 * values and re-encode to the same bytes.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as testing from "../../../sidecar/src/generated/ensoul_testing_v1.js";
import * as v1 from "../../../sidecar/src/generated/ensoul_v1.js";
import { canonicalJson, jsonArbitrary } from "../../../sidecar/src/lib/protocodec.testkit.js";
import { assertRunPassed, filesFromDir, GodotHarness, type PackFile } from "../harness/index.js";

const REPO = path.resolve(import.meta.dirname, "../../..");
const VECTORS = path.join(REPO, "shared-schema/vectors");
const RANDOM_SAMPLES = 120;
const RANDOM_ENVELOPES = 60;

let godot: GodotHarness;
beforeAll(async () => {
  godot = await GodotHarness.start();
});
afterAll(async () => {
  await godot?.close();
});

/** Random messages as extra vectors: canonical JSON → TypeScript bytes → expected JSON. */
function randomVectors(): { name: string; bin: Uint8Array; json: string }[] {
  const out: { name: string; bin: Uint8Array; json: string }[] = [];
  const batches = [
    { codec: testing.codecs.Sample, typeName: "ensoul.testing.v1.Sample", count: RANDOM_SAMPLES, seed: 7 },
    { codec: v1.codecs.Envelope, typeName: "ensoul.v1.Envelope", count: RANDOM_ENVELOPES, seed: 11 },
  ];
  for (const { codec, typeName, count, seed } of batches) {
    const samples = fc.sample(jsonArbitrary(codec.type, 2), { seed, numRuns: count });
    samples.forEach((json, i) => {
      const message = codec.fromJson(canonicalJson(codec.type, json));
      const bin = codec.encode(message);
      const value = codec.toJson(codec.decode(bin));
      out.push({ name: `random_${typeName.split(".").at(-1)!.toLowerCase()}_${i}`, bin, json: JSON.stringify({ type: typeName, value }) });
    });
  }
  return out;
}

describe("GDScript codec in the real engine", () => {
  it("decodes every golden vector and random message to the recorded values and re-encodes byte for byte", async () => {
    const golden = readdirSync(VECTORS).filter((f) => f.endsWith(".bin")).map((f) => f.slice(0, -4)).sort();
    const files: PackFile[] = [];
    for (const name of golden) {
      files.push({ path: `vectors/${name}.bin`, data: new Uint8Array(readFileSync(path.join(VECTORS, `${name}.bin`))) });
      files.push({ path: `vectors/${name}.json`, data: readFileSync(path.join(VECTORS, `${name}.json`), "utf8") });
    }
    const random = randomVectors();
    for (const v of random) {
      files.push({ path: `vectors/${v.name}.bin`, data: v.bin }, { path: `vectors/${v.name}.json`, data: v.json });
    }
    const names = [...golden, ...random.map((v) => v.name)];
    files.push({ path: "vectors/index.json", data: JSON.stringify(names) });

    const run = await godot.run({
      args: ["--headless"],
      timeoutMs: 60_000,
      files: [
        ...(await filesFromDir(path.join(REPO, "godot-addon/addons/ensoul/generated"), "addons/ensoul/generated")),
        ...(await filesFromDir(path.join(REPO, "godot-addon/test/generated"), "test/generated")),
        { path: "tests/test_codec_vectors.gd", data: readFileSync(path.join(import.meta.dirname, "test_codec_vectors.gd"), "utf8") },
        ...files,
      ],
    });
    assertRunPassed(run);
    expect(run.summary?.failed).toBe(0);
    expect(run.tests.map((t) => t.name).sort()).toEqual([
      "test_every_vector_decodes_and_reencodes_byte_for_byte",
      "test_malformed_bytes_give_null_and_a_reason",
      "test_setting_a_oneof_member_switches_the_case",
      "test_unknown_fields_are_skipped",
    ]);
    expect(run.stdout.join("\n")).toContain(`ENSOUL-VECTORS checked ${names.length}`);
  }, 120_000);
});
