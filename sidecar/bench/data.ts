/**
 * `npm run bench:data`: the data service embedded (SQLite file) against server mode (the
 * PostgreSQL of ENSOUL_DATABASE_URL, a fresh schema dropped afterwards), in the same run, printed
 * side by side with the ratio server/embedded. Each store row also has the same work done with
 * the bare driver (one prepared INSERT or SELECT) as its reference: store/raw shows what the
 * data layer (validation, JSON, indexed columns) costs.
 *
 * Sections: each is a function returning rows, run in order; the queue's half (enqueue→done
 * latency, jobs/s, embedded vs BullMQ) is queue-section.ts.
 * BENCH_DATA_N sets the records per measure (default 2000).
 */

import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import type { Collection, DataStore } from "../src/services/data/index.js";
import { openPostgresStore } from "../src/services/data/postgres.js";
import { openSqliteStore } from "../src/services/data/sqlite.js";
import { queueSection, rawSqlite } from "./queue-section.js";

const N = Number(process.env["BENCH_DATA_N"] ?? 2000);

/** One measure, in operations per second (higher is better) or milliseconds (lower is better). */
export interface BenchRow {
  measure: string;
  unit: "ops/s" | "ms";
  embedded: number;
  server: number;
}

export interface BenchSection {
  title: string;
  run(): Promise<BenchRow[]>;
}

interface Character {
  name: string;
  role: string;
  level: number;
  bio: string;
}

function character(i: number): Character {
  return { name: `villager-${i}`, role: ["smith", "farmer", "guard", "healer"][i % 4]!, level: i % 50, bio: "x".repeat(200) };
}

function vector(seed: number, dims: number): number[] {
  const out: number[] = [];
  let s = seed * 2654435761;
  for (let i = 0; i < dims; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out.push(s / 2 ** 32 - 0.5);
  }
  return out;
}

async function opsPerSecond(count: number, op: (i: number) => Promise<unknown> | unknown): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await op(i);
  return count / (Number(process.hrtime.bigint() - t0) / 1e9);
}

/** The store measures for one adapter, in BenchRow order. */
async function storeMeasures(store: DataStore): Promise<number[]> {
  const chars: Collection<Character> = await store.define({ name: "bench_characters", indexes: { role: "string", level: "integer" }, vector: { dimensions: 64 } });
  const insert = await opsPerSecond(N, (i) => chars.insert({ id: `c${i}`, project: "bench", doc: character(i) }));
  const batched = await opsPerSecond(N / 100, (b) =>
    store.transaction(async (tx) => {
      const c = tx.collection<Character>("bench_characters");
      for (let i = 0; i < 100; i++) await c.put({ id: `b${b * 100 + i}`, project: "bench", doc: character(i), embedding: vector(b * 100 + i, 64) });
    }),
  ) * 100;
  const read = await opsPerSecond(N, (i) => chars.get(`c${(i * 7919) % N}`, "bench"));
  const find = await opsPerSecond(200, (i) => chars.find({ project: "bench", where: { role: "guard", level: { gte: i % 50 } }, limit: 20 }));
  const nearest = await opsPerSecond(20, (i) => chars.nearest({ vector: vector(i + 1_000_000, 64), k: 10, project: "bench" }));
  return [insert, batched, read, find, nearest];
}

async function rawSqliteFigures(file: string): Promise<number[]> {
  const db = rawSqlite(file);
  db.exec("CREATE TABLE raw_bench (id TEXT PRIMARY KEY, doc TEXT NOT NULL)");
  const ins = db.prepare("INSERT INTO raw_bench (id, doc) VALUES (?, ?)");
  const sel = db.prepare("SELECT doc FROM raw_bench WHERE id = ?");
  const insert = await opsPerSecond(N, (i) => ins.run(`r${i}`, JSON.stringify(character(i))));
  const read = await opsPerSecond(N, (i) => JSON.parse((sel.get(`r${(i * 7919) % N}`) as { doc: string }).doc));
  db.close();
  return [insert, read];
}

async function rawPostgres(url: string, schema: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
  await client.connect();
  await client.query("CREATE TABLE raw_bench (id TEXT PRIMARY KEY, doc TEXT NOT NULL)");
  const insert = await opsPerSecond(N, (i) => client.query({ name: "ins", text: "INSERT INTO raw_bench (id, doc) VALUES ($1, $2)", values: [`r${i}`, JSON.stringify(character(i))] }));
  const read = await opsPerSecond(N, async (i) => JSON.parse((await client.query({ name: "sel", text: "SELECT doc FROM raw_bench WHERE id = $1", values: [`r${(i * 7919) % N}`] })).rows[0].doc));
  await client.end();
  return [insert, read];
}

const dataSection: BenchSection = {
  title: `data service: ${N} records of ~300 bytes, 64-dim embeddings on the batched ones`,
  async run() {
    const url = process.env["ENSOUL_DATABASE_URL"];
    if (!url) throw new Error("ENSOUL_DATABASE_URL is not set: bench:data compares against a real PostgreSQL (e.g. postgres://postgres@127.0.0.1:5432/test)");
    const dir = mkdtempSync(path.join(tmpdir(), "ensoul-bench-data-"));
    const schema = `ensoul_bench_${randomBytes(4).toString("hex")}`;
    try {
      const embedded = await openSqliteStore(path.join(dir, "ensoul.db"));
      const e = await storeMeasures(embedded).finally(() => embedded.close());
      const server = await openPostgresStore({ url, schema });
      const s = await storeMeasures(server).finally(() => server.close());
      const rawE = await rawSqliteFigures(path.join(dir, "ensoul.db"));
      const rawS = await rawPostgres(url, schema);
      const names = ["insert (one per statement)", "put (100 per transaction)", "point read (get by id)", "find (indexed filter, 20 rows)", "nearest (exact cosine, k=10)"];
      const rows: BenchRow[] = names.map((measure, i) => ({ measure, unit: "ops/s", embedded: e[i]!, server: s[i]! }));
      rows.splice(1, 0, { measure: "  raw driver insert (reference)", unit: "ops/s", embedded: rawE[0]!, server: rawS[0]! });
      rows.splice(4, 0, { measure: "  raw driver point read (reference)", unit: "ops/s", embedded: rawE[1]!, server: rawS[1]! });
      return rows;
    } finally {
      rmSync(dir, { recursive: true, force: true });
      const dropper = await openPostgresStore({ url, schema, dropSchemaOnClose: true });
      await dropper.close();
    }
  },
};

/** Sections run in this order. */
const SECTIONS: BenchSection[] = [dataSection, queueSection];

function format(value: number, unit: BenchRow["unit"]): string {
  // Sub-millisecond latencies (the embedded queue's) keep three decimals.
  return `${value >= 100 ? Math.round(value).toLocaleString("en-US") : value.toFixed(value >= 1 ? 1 : 3)} ${unit}`;
}

function printSection(title: string, rows: BenchRow[]): void {
  const width = Math.max(...rows.map((r) => r.measure.length), 10);
  console.log(`\n${title}`);
  console.log(`${"".padEnd(width)}  ${"embedded".padStart(16)}  ${"server".padStart(16)}  server/embedded`);
  for (const r of rows) {
    console.log(`${r.measure.padEnd(width)}  ${format(r.embedded, r.unit).padStart(16)}  ${format(r.server, r.unit).padStart(16)}  ${(r.server / r.embedded).toFixed(2).padStart(8)}×`);
  }
}

for (const section of SECTIONS) printSection(section.title, await section.run());
