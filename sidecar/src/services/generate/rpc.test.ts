import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSidecar, type RunningSidecar } from "../../app/index.js";
import { type Envelope, type GenerateRequest } from "../../generated/ensoul_v1.js";
import { EnsoulClient } from "../../lib/client.js";
import { loadConfig } from "../../lib/config.js";
import { createLogger } from "../../lib/logger.js";
import { CHARACTER_FIELDS, generateProceduralCharacter, TopLevelFieldReader, validateCharacter } from "./index.js";
import { ensureTinyModel } from "./llm/tiny_model.testkit.js";
import { GENERATE_JOB } from "./queued.js";
import { createGenerateService } from "./rpc.js";

const PROMPT = "a cowardly dwarven blacksmith who owes money to the thieves' guild";

let dataDir: string;
let sidecar: RunningSidecar;
let client: EnsoulClient;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "ensoul-generate-rpc-"));
  sidecar = await startSidecar(loadConfig({ port: 0, dataDir }, {}), createLogger("silent"));
  client = await EnsoulClient.connect(sidecar.url, { token: sidecar.adminToken.token });
});

afterAll(async () => {
  await client?.close();
  await sidecar?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Runs one generate stream and returns its frames (without the final EndOfStream). */
async function generate(c: EnsoulClient, request: GenerateRequest): Promise<Envelope[]> {
  const frames: Envelope[] = [];
  await c.stream("generateRequest", request, (frame) => frames.push(frame));
  return frames;
}

/** Checks a finished stream's shape and returns its character and joined text. */
function readStream(frames: Envelope[]): { text: string; characterJson: string; fields: string[] } {
  const done = frames[frames.length - 1]?.generateDone;
  expect(done).toBeDefined();
  const deltas = frames.slice(0, -1).map((f) => f.generateDelta);
  expect(deltas.every((d) => d !== undefined)).toBe(true);
  const text = deltas.map((d) => d!.text ?? "").join("");
  // Where each top-level value's text ends in the whole text: the index of the delimiter that
  // closes it (a reader fed one character at a time reports the field on that character).
  const valueEnd = new Map<string, number>();
  const reader = new TopLevelFieldReader();
  for (let i = 0; i < text.length; i++) for (const { field } of reader.push(text[i]!)) valueEnd.set(field, i);
  const whole = JSON.parse(text) as Record<string, unknown>;
  // A field frame comes only once its value's text has fully arrived, and carries that value.
  const fields: string[] = [];
  let arrived = 0;
  for (const d of deltas) {
    arrived += d!.text?.length ?? 0;
    if (d!.field) {
      expect(arrived, `field ${d!.field} before its text`).toBeGreaterThanOrEqual(valueEnd.get(d!.field)!);
      expect(JSON.parse(d!.fieldJson!)).toEqual(whole[d!.field]);
      fields.push(d!.field);
    }
  }
  return { text, characterJson: done!.characterJson!, fields };
}

describe("generate over the gateway (procedural)", () => {
  it("streams text that joins to the GenerateDone character, fields as they complete, and the character is schema-valid", async () => {
    const frames = await generate(client, { prompt: PROMPT, seed: 7, hintsJson: '{"level": 4, "name": "Borin"}' });
    const { text, characterJson, fields } = readStream(frames);
    const character = validateCharacter(JSON.parse(characterJson));
    expect(JSON.parse(text)).toEqual(character);
    expect(fields).toEqual([...CHARACTER_FIELDS]);
    expect(character).toEqual(generateProceduralCharacter({ prompt: PROMPT, seed: 7, generator: "procedural", level: 4, name: "Borin" }));
    expect(character.level).toBe(4);
    expect(character.name).toBe("Borin");
    const done = frames[frames.length - 1]!.generateDone!;
    expect(done.generator).toBe("procedural");
    expect(done.elapsedMs).toBeGreaterThan(0);
  });

  it("gives the same bytes for the same seed and another character for another seed", async () => {
    const a = readStream(await generate(client, { prompt: PROMPT, seed: 123 }));
    const b = readStream(await generate(client, { prompt: PROMPT, seed: 123, generator: "procedural" }));
    const c = readStream(await generate(client, { prompt: PROMPT, seed: 124 }));
    expect(b.characterJson).toBe(a.characterJson);
    expect(b.text).toBe(a.text);
    expect(c.characterJson).not.toBe(a.characterJson);
  });

  it('refuses "llm" with FAILED_PRECONDITION saying how to configure a model, and keeps serving', async () => {
    await expect(generate(client, { prompt: PROMPT, generator: "llm" })).rejects.toMatchObject({
      code: "FAILED_PRECONDITION",
      field: "generateRequest.generator",
      message: expect.stringMatching(/--model DIR.*ENSOUL_MODEL_DIR/),
    });
    expect((await client.call("ping", { payload: new Uint8Array([1]) })).pong).toBeDefined();
  });

  it("refuses bad hints and requests with INVALID_ARGUMENT naming the field", async () => {
    const cases: [GenerateRequest, string][] = [
      [{ prompt: PROMPT, hintsJson: "{level: 3" }, "generateRequest.hintsJson"],
      [{ prompt: PROMPT, hintsJson: "[1]" }, "generateRequest.hintsJson"],
      [{ prompt: PROMPT, hintsJson: '{"level": 99}' }, "generateRequest.hintsJson.level"],
      [{ prompt: PROMPT, hintsJson: '{"pronouns": "xe"}' }, "generateRequest.hintsJson.pronouns"],
      [{ prompt: PROMPT, hintsJson: '{"seed": 3}' }, "generateRequest.hintsJson.seed"],
      [{ prompt: PROMPT, generator: "gpt" }, "generateRequest.generator"],
      [{ prompt: "x".repeat(5000) }, "generateRequest.prompt"],
    ];
    for (const [request, field] of cases) {
      await expect(generate(client, request), field).rejects.toMatchObject({ code: "INVALID_ARGUMENT", field });
    }
    expect(readStream(await generate(client, { prompt: PROMPT })).fields).toHaveLength(CHARACTER_FIELDS.length);
  });

  it("answers the HTTP mirror with the NDJSON stream, and bad hints with a 400 naming the field", async () => {
    const base = `http://${sidecar.host}:${sidecar.port}/v1/generate/generate`;
    const headers = { authorization: `Bearer ${sidecar.adminToken.token}`, "content-type": "application/json" };
    const response = await fetch(base, { method: "POST", headers, body: JSON.stringify({ prompt: PROMPT, seed: 123 }) });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/x-ndjson");
    const lines = (await response.text()).trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, Record<string, string>>);
    expect(lines.at(-1)!.endOfStream).toBeDefined();
    const done = lines.at(-2)!.generateDone!;
    const text = lines.slice(0, -2).map((l) => l.generateDelta!.text ?? "").join("");
    expect(JSON.parse(text)).toEqual(JSON.parse(done.characterJson!));
    const ws = readStream(await generate(client, { prompt: PROMPT, seed: 123 }));
    expect(done.characterJson).toBe(ws.characterJson);

    const bad = await fetch(base, { method: "POST", headers, body: JSON.stringify({ prompt: PROMPT, hintsJson: '{"level": 0}' }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { field: string } }).error.field).toBe("generateRequest.hintsJson.level");
  });

  it("stops the generator when the call's signal aborts", async () => {
    const [method] = createGenerateService().methods;
    if (method === undefined || !method.streaming) throw new Error("generate is a stream");
    const controller = new AbortController();
    const sent: string[] = [];
    const run = method.handle({ prompt: PROMPT, seed: 1 } as never, { signal: controller.signal } as never, {
      send: (body) => {
        sent.push(body);
        controller.abort();
      },
      drained: async () => undefined,
    });
    await expect(run).rejects.toMatchObject({ code: "CANCELLED" });
    expect(sent).toEqual(["generateDelta"]);
  });
});

describe("llm model configuration", () => {
  it("takes the model folder from --model over ENSOUL_MODEL_DIR, resolved, and has none by default", () => {
    expect(loadConfig({}, {}).modelDir).toBeUndefined();
    expect(loadConfig({}, { ENSOUL_MODEL_DIR: "models/a" }).modelDir).toBe(path.resolve("models/a"));
    expect(loadConfig({ modelDir: "/m/b" }, { ENSOUL_MODEL_DIR: "models/a" }).modelDir).toBe("/m/b");
  });
});

describe("generate over the gateway (llm, unusable model folder)", () => {
  it("answers llm requests with FAILED_PRECONDITION saying what is wrong, and still serves procedural ones", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ensoul-generate-rpc-bad-"));
    const bad = await startSidecar(loadConfig({ port: 0, dataDir: dir, modelDir: dir }, {}), createLogger("silent"));
    const c = await EnsoulClient.connect(bad.url, { token: bad.adminToken.token });
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        await expect(generate(c, { prompt: PROMPT, generator: "llm" })).rejects.toMatchObject({
          code: "FAILED_PRECONDITION",
          message: expect.stringContaining("not a usable Qwen3 ONNX model"),
        });
      }
      expect(readStream(await generate(c, { prompt: PROMPT })).fields).toEqual([...CHARACTER_FIELDS]);
    } finally {
      await c.close();
      await bad.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("generate over the gateway (llm, tiny test model)", () => {
  let llmDataDir: string;
  let llmSidecar: RunningSidecar;
  let llmClient: EnsoulClient;

  beforeAll(async () => {
    llmDataDir = mkdtempSync(path.join(tmpdir(), "ensoul-generate-rpc-llm-"));
    llmSidecar = await startSidecar(loadConfig({ port: 0, dataDir: llmDataDir, modelDir: ensureTinyModel() }, {}), createLogger("silent"));
    llmClient = await EnsoulClient.connect(llmSidecar.url, { token: llmSidecar.adminToken.token });
  });

  afterAll(async () => {
    await llmClient?.close();
    await llmSidecar?.close();
    rmSync(llmDataDir, { recursive: true, force: true });
  });

  it("streams a schema-valid character from the configured model, loaded on first use", async () => {
    const request: GenerateRequest = {
      prompt: PROMPT,
      generator: "llm",
      seed: 5,
      hintsJson: '{"species": "dwarf"}',
      options: { temperature: 0.8, topK: 40, maxTokens: 400 },
    };
    const frames = await generate(llmClient, request);
    const { text, characterJson, fields } = readStream(frames);
    const character = validateCharacter(JSON.parse(characterJson));
    expect(JSON.parse(text)).toEqual(character);
    expect(fields).toEqual([...CHARACTER_FIELDS]);
    const done = frames[frames.length - 1]!.generateDone!;
    expect(done.generator).toBe("llm");
    expect(done.tokens).toBeGreaterThan(0);
    expect(done.tokens).toBeLessThanOrEqual(400);
    // The same request and model give the same character.
    expect(readStream(await generate(llmClient, request)).characterJson).toBe(characterJson);
  });

  it("refuses bad sampling options with INVALID_ARGUMENT naming the option", async () => {
    await expect(generate(llmClient, { prompt: PROMPT, generator: "llm", options: { topP: 3 } })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "generateRequest.options.topP",
    });
  });

  it("stops generating when the client goes away", async () => {
    const doomed = await EnsoulClient.connect(llmSidecar.url, { token: llmSidecar.adminToken.token });
    const stream = doomed.stream("generateRequest", { prompt: PROMPT, generator: "llm", seed: 9, options: { maxTokens: 30_000 } }, () => {
      void doomed.close();
    });
    await stream.catch(() => undefined);
    // The stream ends CANCELLED (recorded by the gateway) soon after the socket closes, rather
    // than OK once the 30,000-token budget is spent.
    const metricsUrl = `http://${llmSidecar.host}:${llmSidecar.port}/metrics`;
    const cancelled = /ensoul_requests_total\{[^}]*method="generate"[^}]*code="CANCELLED"[^}]*\} 1/;
    let text = "";
    for (let i = 0; i < 100 && !cancelled.test(text); i++) {
      await new Promise((r) => setTimeout(r, 50));
      text = await (await fetch(metricsUrl)).text();
    }
    expect(text).toMatch(cancelled);
  });
});

describe("generation as a queued job (GenerateJobSubmit, followed by JobWatch)", () => {
  it("queues a generation whose JobWatch shows each field as progress and ends with the character", async () => {
    const submitted = await client.call("generateJobSubmit", {
      request: { prompt: PROMPT, seed: 7, hintsJson: '{"name": "Borin"}' },
      project: "village",
    });
    const job = submitted.jobInfo!;
    expect(job).toMatchObject({ name: GENERATE_JOB, project: "village" });
    expect(job.subject).not.toBe("");
    expect(["waiting", "active", "completed"]).toContain(job.state);

    const frames: NonNullable<Envelope["jobEvent"]>[] = [];
    await client.stream("jobWatch", { jobId: job.jobId }, (env) => frames.push(env.jobEvent!), { timeoutMs: 20_000 });
    const last = frames[frames.length - 1]!;
    expect(last.type).toBe("completed");
    const result = JSON.parse(last.job!.resultJson!) as { character: unknown; generator: string };
    const expected = generateProceduralCharacter({ prompt: PROMPT, seed: 7, generator: "procedural", name: "Borin" });
    expect(result.character).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(result.generator).toBe("procedural");
    expect(last.job!.progress).toBe(1);
    // Watched from the start, or caught up from the stored job: either way the fields arrive in order.
    const progressed = frames.filter((f) => f.type === "progress").map((f) => (JSON.parse(f.progressDetailJson!) as { field: string }).field);
    expect(CHARACTER_FIELDS.slice(CHARACTER_FIELDS.length - progressed.length)).toEqual(progressed);
    const lastDetail = JSON.parse(last.job!.progressDetailJson!) as { field: string; value: unknown };
    expect(lastDetail.field).toBe(CHARACTER_FIELDS[CHARACTER_FIELDS.length - 1]);
  });

  it("refuses bad requests at submit time, naming the submit request's field", async () => {
    await expect(client.call("generateJobSubmit", { request: { prompt: PROMPT, hintsJson: "{" } })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "generateJobSubmit.request.hintsJson",
    });
    await expect(client.call("generateJobSubmit", { request: { prompt: PROMPT, generator: "llm" } })).rejects.toMatchObject({
      code: "FAILED_PRECONDITION",
      field: "generateJobSubmit.request.generator",
    });
    await expect(client.call("generateJobSubmit", { request: { prompt: PROMPT }, priority: 5_000_000 })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "generateJobSubmit.priority",
    });
    const listed = await client.call("jobList", { name: GENERATE_JOB, states: ["failed"] });
    expect(listed.jobListReply?.jobs ?? []).toEqual([]);
  });
});
