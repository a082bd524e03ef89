/**
 * The data service's contract: every behaviour here holds on both adapters, a real SQLite file
 * and the real PostgreSQL from ENSOUL_DATABASE_URL (which must be set and reachable).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensoulRejection } from "../../lib/errors.testkit.js";
import { ADAPTERS, type StoreFixture } from "./contract.testkit.js";
import type { Collection, DataStore, Migration } from "./index.js";
import { parseJsonDocument } from "./validate.js";

interface Npc {
  name: string;
  level?: number;
  score?: number;
  alive?: boolean;
  tags?: string[];
  notes?: string;
}

const NPC_SPEC = {
  name: "npcs",
  indexes: { name: "string", level: "integer", score: "number", alive: "boolean" },
  vector: { dimensions: 4 },
  maxDocumentBytes: 2048,
} as const;

const STRICT_SPEC = {
  name: "strict_things",
  schema: {
    type: "object",
    properties: { title: { type: "string" }, size: { type: "integer", minimum: 0 } },
    required: ["title"],
    additionalProperties: false,
  },
};

/** A seeded generator, so vector tests are the same on both adapters and every run. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

describe.each(ADAPTERS)("data store contract: $name", (adapter) => {
  let fixture: StoreFixture;
  let store: DataStore;
  let npcs: Collection<Npc>;

  beforeAll(async () => {
    fixture = await adapter.open();
    store = fixture.store;
    npcs = await store.define<Npc>({ ...NPC_SPEC });
  });
  afterAll(async () => {
    await fixture?.destroy();
  });

  it("stores a document and reads back an equal copy, counting versions from 1", async () => {
    const first = await npcs.put({ id: "ada", project: "p1", doc: { name: "Ada", level: 3, tags: ["smith"] } });
    expect(first.version).toBe(1);
    const again = await npcs.put({ id: "ada", project: "p1", doc: { name: "Ada", level: 4 } });
    expect(again.version).toBe(2);
    const read = await npcs.get("ada", "p1");
    expect(read?.doc).toEqual({ name: "Ada", level: 4 });
    expect(read?.version).toBe(2);
    expect(read?.updatedAtMs).toBeGreaterThan(Date.now() - 60_000);
  });

  it("keys records by project and id, so projects never see each other's records", async () => {
    await npcs.put({ id: "same", project: "pa", doc: { name: "In A" } });
    await npcs.put({ id: "same", project: "pb", doc: { name: "In B" } });
    expect((await npcs.get("same", "pa"))?.doc.name).toBe("In A");
    expect((await npcs.get("same", "pb"))?.doc.name).toBe("In B");
    expect(await npcs.get("same")).toBeUndefined(); // project "" holds none
    expect((await npcs.find({ project: "pa" })).map((r) => r.doc.name)).toEqual(["In A"]);
  });

  it("refuses to insert over an existing record and leaves it as it was", async () => {
    await npcs.insert({ id: "once", doc: { name: "First" } });
    const err = await ensoulRejection(npcs.insert({ id: "once", doc: { name: "Second" } }));
    expect(err.code).toBe("ALREADY_EXISTS");
    expect((await npcs.get("once"))?.doc.name).toBe("First");
  });

  it("replaces only at the expected version (optimistic concurrency)", async () => {
    const v1 = await npcs.put({ id: "occ", doc: { name: "v1" } }, { ifVersion: 0 });
    expect(v1.version).toBe(1);
    const v2 = await npcs.put({ id: "occ", doc: { name: "v2" } }, { ifVersion: 1 });
    expect(v2.version).toBe(2);
    const stale = await ensoulRejection(npcs.put({ id: "occ", doc: { name: "lost" } }, { ifVersion: 1 }));
    expect(stale.code).toBe("FAILED_PRECONDITION");
    expect(stale.message).toContain("version 2");
    const exists = await ensoulRejection(npcs.put({ id: "occ", doc: { name: "lost" } }, { ifVersion: 0 }));
    expect(exists.code).toBe("FAILED_PRECONDITION");
    expect((await npcs.get("occ"))?.doc.name).toBe("v2");
  });

  it("deletes a record once", async () => {
    await npcs.put({ id: "gone", doc: { name: "Gone" } });
    expect(await npcs.delete("gone")).toBe(true);
    expect(await npcs.delete("gone")).toBe(false);
    expect(await npcs.get("gone")).toBeUndefined();
  });

  describe("find", () => {
    let people: Collection<Npc>;
    beforeAll(async () => {
      people = await store.define<Npc>({ name: "people", indexes: { name: "string", level: "integer", score: "number", alive: "boolean" } });
      const rows: Array<[string, Npc]> = [
        ["a", { name: "Anna", level: 1, score: 0.5, alive: true }],
        ["b", { name: "Bert", level: 5, score: 2.25, alive: false }],
        ["c", { name: "anna", level: 3, alive: true }],
        ["d", { name: "Ann", score: -1, alive: true }],
        ["e", { name: "Zoë", level: 9, score: 10, alive: false }],
      ];
      for (const [id, doc] of rows) await people.put({ id, project: "town", doc });
      await people.put({ id: "x", project: "elsewhere", doc: { name: "Anna", level: 1 } });
    });

    const ids = (records: Array<{ id: string }>): string[] => records.map((r) => r.id);

    it("filters by equality, ranges, lists and prefixes within a project", async () => {
      expect(ids(await people.find({ project: "town", where: { name: "Anna" } }))).toEqual(["a"]);
      expect(ids(await people.find({ project: "town", where: { level: { gte: 3, lt: 9 } } }))).toEqual(["b", "c"]);
      expect(ids(await people.find({ project: "town", where: { score: { gt: 0 } } }))).toEqual(["a", "b", "e"]);
      expect(ids(await people.find({ project: "town", where: { name: { in: ["Bert", "Zoë", "nobody"] } } }))).toEqual(["b", "e"]);
      expect(ids(await people.find({ project: "town", where: { name: { prefix: "Ann" } } }))).toEqual(["a", "d"]); // case-sensitive
      expect(ids(await people.find({ project: "town", where: { alive: false } }))).toEqual(["b", "e"]);
      expect(ids(await people.find({ project: "town", where: { level: null } }))).toEqual(["d"]);
      expect(ids(await people.find({ project: "town", where: { level: { ne: 1 } } }))).toEqual(["b", "c", "d", "e"]);
      expect(ids(await people.find({ project: "town", where: { name: { in: [] } } }))).toEqual([]);
      expect(ids(await people.find({ where: { name: "Anna" } }))).toEqual(["x", "a"]); // every project, by project then id
    });

    it("orders by fields with missing values first ascending and last descending, then pages", async () => {
      expect(ids(await people.find({ project: "town", orderBy: [{ field: "level" }] }))).toEqual(["d", "a", "c", "b", "e"]);
      expect(ids(await people.find({ project: "town", orderBy: [{ field: "level", direction: "desc" }] }))).toEqual(["e", "b", "c", "a", "d"]);
      // Code-point order: upper case before lower case, "Zoë" before "anna".
      expect(ids(await people.find({ project: "town", orderBy: [{ field: "name" }] }))).toEqual(["d", "a", "b", "e", "c"]);
      expect(ids(await people.find({ project: "town", orderBy: [{ field: "name" }], limit: 2, offset: 1 }))).toEqual(["a", "b"]);
      expect(ids(await people.find({ project: "town", offset: 4 }))).toEqual(["e"]);
    });

    it("counts what find would return", async () => {
      expect(await people.count({ project: "town" })).toBe(5);
      expect(await people.count({ project: "town", where: { alive: true } })).toBe(3);
      expect(await people.count()).toBe(6);
    });

    it("refuses filters on fields that are not indexed, or of the wrong type, naming them", async () => {
      const unindexed = await ensoulRejection(people.find({ where: { tags: "x" } }));
      expect([unindexed.code, unindexed.field]).toEqual(["INVALID_ARGUMENT", "where.tags"]);
      const wrongType = await ensoulRejection(people.find({ where: { level: { gt: "3" } } }));
      expect([wrongType.code, wrongType.field]).toEqual(["INVALID_ARGUMENT", "where.level.gt"]);
      const badOrder = await ensoulRejection(people.find({ orderBy: [{ field: "notes" }] }));
      expect(badOrder.field).toBe("orderBy[0].field");
      const badLimit = await ensoulRejection(people.find({ limit: -1 }));
      expect(badLimit.field).toBe("limit");
    });
  });

  describe("bad input", () => {
    let strict: Collection<{ title: string; size?: number }>;
    beforeAll(async () => {
      strict = await store.define(STRICT_SPEC);
    });

    it("rejects a document that is not a JSON object", async () => {
      for (const doc of [null, [1, 2], "text", 5]) {
        const err = await ensoulRejection(npcs.put({ id: "bad", doc: doc as unknown as Npc }));
        expect([err.code, err.field]).toEqual(["INVALID_ARGUMENT", "doc"]);
      }
    });

    it("rejects values JSON cannot hold, naming where they are", async () => {
      const nan = await ensoulRejection(npcs.put({ id: "bad", doc: { name: "x", score: Number.NaN } }));
      expect([nan.code, nan.field]).toEqual(["INVALID_ARGUMENT", "doc.score"]);
      const nested = await ensoulRejection(npcs.put({ id: "bad", doc: { name: "x", tags: ["ok", undefined as unknown as string] } }));
      expect(nested.field).toBe("doc.tags[1]");
      const cyclic: Record<string, unknown> = { name: "x" };
      cyclic.self = cyclic;
      expect((await ensoulRejection(npcs.put({ id: "bad", doc: cyclic as unknown as Npc }))).field).toBe("doc.self");
      expect((await ensoulRejection(npcs.put({ id: "bad", doc: { name: "x", when: new Date() } as unknown as Npc }))).field).toBe("doc.when");
    });

    it("rejects malformed JSON text with INVALID_ARGUMENT", () => {
      expect(() => parseJsonDocument('{"name": "Ada",', "character_json")).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT", field: "character_json" }));
      expect(() => parseJsonDocument("[1]")).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT", field: "doc" }));
      expect(parseJsonDocument('{"a":1}')).toEqual({ a: 1 });
    });

    it("rejects unknown fields where the collection declares a schema, naming the field", async () => {
      const err = await ensoulRejection(strict.put({ id: "s1", doc: { title: "ok", colour: "red" } as never }));
      expect([err.code, err.field]).toEqual(["INVALID_ARGUMENT", "doc.colour"]);
      expect(err.message).toContain("colour");
      const missing = await ensoulRejection(strict.put({ id: "s1", doc: { size: 3 } as never }));
      expect(missing.field).toBe("doc.title");
      const wrong = await ensoulRejection(strict.put({ id: "s1", doc: { title: "ok", size: -1 } }));
      expect(wrong.field).toBe("doc.size");
      expect(await strict.get("s1")).toBeUndefined();
      expect((await strict.put({ id: "s1", doc: { title: "ok", size: 1 } })).version).toBe(1);
    });

    it("rejects an oversized document and keeps the stored one", async () => {
      await npcs.put({ id: "big", doc: { name: "small" } });
      const err = await ensoulRejection(npcs.put({ id: "big", doc: { name: "big", notes: "x".repeat(4096) } }));
      expect([err.code, err.field]).toEqual(["INVALID_ARGUMENT", "doc"]);
      expect(err.message).toMatch(/bytes; the most is 2048/);
      expect((await npcs.get("big"))?.doc.name).toBe("small");
    });

    it("rejects an indexed field of the wrong type, and bad ids and projects", async () => {
      const err = await ensoulRejection(npcs.put({ id: "t", doc: { name: "x", level: 1.5 } }));
      expect([err.code, err.field]).toEqual(["INVALID_ARGUMENT", "doc.level"]);
      expect((await ensoulRejection(npcs.put({ id: "", doc: { name: "x" } }))).field).toBe("id");
      expect((await ensoulRejection(npcs.put({ id: "a\nb", doc: { name: "x" } }))).field).toBe("id");
      expect((await ensoulRejection(npcs.put({ id: "ok", project: 7 as unknown as string, doc: { name: "x" } }))).field).toBe("project");
      expect((await ensoulRejection(npcs.put({ id: "nul", doc: { name: "a\u0000b" } }))).field).toBe("doc.name"); // indexed: PostgreSQL text holds no NUL
      expect((await npcs.put({ id: "nul", doc: { name: "ab", notes: "a\u0000b" } })).doc.notes).toBe("a\u0000b"); // elsewhere in the document it is fine
      expect((await npcs.get("nul"))?.doc.notes).toBe("a\u0000b");
      expect((await ensoulRejection(npcs.find({ where: { name: "a\u0000" } }))).field).toBe("where.name.eq");
    });

    it("refuses collections that are not defined and specs that make no sense", async () => {
      expect(() => store.collection("nope")).toThrow(expect.objectContaining({ code: "NOT_FOUND" }));
      expect((await ensoulRejection(store.define({ name: "Bad Name" }))).field).toBe("name");
      expect((await ensoulRejection(store.define({ name: "ok_name", indexes: { id: "string" } }))).field).toBe("indexes.id");
      expect((await ensoulRejection(store.define({ name: "ok_name", indexes: { a: "date" as never } }))).field).toBe("indexes.a");
    });
  });

  describe("vector search", () => {
    it("finds the k nearest by cosine similarity, exactly, across more records than one page", async () => {
      const vecs = await store.define<{ n: number; kind: string }>({ name: "vecs", indexes: { kind: "string" }, vector: { dimensions: 8 } });
      const rand = seeded(42);
      const stored: Array<{ id: string; v: number[]; kind: string }> = [];
      await store.transaction(async (tx) => {
        const c = tx.collection<{ n: number; kind: string }>("vecs");
        for (let i = 0; i < 700; i++) {
          const v = Array.from({ length: 8 }, rand);
          const kind = i % 3 === 0 ? "tree" : "rock";
          stored.push({ id: `v${String(i).padStart(4, "0")}`, v, kind });
          await c.put({ id: `v${String(i).padStart(4, "0")}`, project: "world", doc: { n: i, kind }, embedding: v });
        }
      });
      const query = Array.from({ length: 8 }, rand);
      const cosine = (a: number[], b: number[]): number => {
        const f = (x: number[]) => Array.from(Float32Array.from(x));
        const [fa, fb] = [f(a), f(b)];
        const dot = fa.reduce((s, x, i) => s + x * fb[i]!, 0);
        return dot / (Math.hypot(...fa) * Math.hypot(...fb));
      };
      const expected = stored
        .filter((s) => s.kind === "tree")
        .map((s) => ({ id: s.id, score: cosine(query, s.v) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, 5);
      const found = await vecs.nearest({ vector: query, k: 5, project: "world", where: { kind: "tree" } });
      expect(found.map((f) => f.record.id)).toEqual(expected.map((e) => e.id));
      found.forEach((f, i) => expect(f.score).toBeCloseTo(expected[i]!.score, 5));
      expect(found[0]!.record.doc.kind).toBe("tree");
      expect(found[0]!.record.embedding).toHaveLength(8);
      expect(await vecs.nearest({ vector: query, k: 3, project: "nowhere" })).toEqual([]);
      // Across every project the pages are keyed by (project, id): the same answer.
      const anywhere = await vecs.nearest({ vector: query, k: 5, where: { kind: "tree" } });
      expect(anywhere.map((f) => f.record.id)).toEqual(expected.map((e) => e.id));
    });

    it("round-trips an embedding and ranks an identical vector first with score 1", async () => {
      await npcs.put({ id: "emb1", project: "vec", doc: { name: "e1" }, embedding: [1, 0, 0, 0] });
      await npcs.put({ id: "emb2", project: "vec", doc: { name: "e2" }, embedding: [0.6, 0.8, 0, 0] });
      await npcs.put({ id: "emb3", project: "vec", doc: { name: "e3" }, embedding: [-1, 0, 0, 0] });
      await npcs.put({ id: "plain", project: "vec", doc: { name: "no vector" } });
      expect(Array.from((await npcs.get("emb2", "vec"))!.embedding!)).toEqual(Array.from(Float32Array.from([0.6, 0.8, 0, 0])));
      const found = await npcs.nearest({ vector: [2, 0, 0, 0], k: 10, project: "vec" });
      expect(found.map((f) => f.record.id)).toEqual(["emb1", "emb2", "emb3"]);
      expect(found.map((f) => Number(f.score.toFixed(5)))).toEqual([1, 0.6, -1]);
    });

    it("rejects embeddings of the wrong size, zero vectors, and embeddings where none are declared", async () => {
      const size = await ensoulRejection(npcs.put({ id: "e", doc: { name: "x" }, embedding: [1, 2, 3] }));
      expect([size.code, size.field]).toEqual(["INVALID_ARGUMENT", "embedding"]);
      expect((await ensoulRejection(npcs.put({ id: "e", doc: { name: "x" }, embedding: [0, 0, 0, 0] }))).field).toBe("embedding");
      expect((await ensoulRejection(npcs.put({ id: "e", doc: { name: "x" }, embedding: [1, Number.NaN, 0, 0] }))).field).toBe("embedding");
      const people = store.collection<Npc>("people");
      expect((await ensoulRejection(people.put({ id: "e", doc: { name: "x" }, embedding: [1] }))).field).toBe("embedding");
      expect((await ensoulRejection(npcs.nearest({ vector: [1, 0], k: 1 }))).field).toBe("vector");
      expect((await ensoulRejection(npcs.nearest({ vector: [1, 0, 0, 0], k: 0 }))).field).toBe("k");
    });
  });

  describe("transactions", () => {
    it("commits every write of a unit of work together", async () => {
      const result = await store.transaction(async (tx) => {
        const c = tx.collection<Npc>("npcs");
        await c.put({ id: "tx1", doc: { name: "one" } });
        await c.put({ id: "tx2", doc: { name: "two" } });
        return (await c.get("tx1"))?.doc.name;
      });
      expect(result).toBe("one");
      expect((await npcs.get("tx2"))?.doc.name).toBe("two");
    });

    it("rolls every write back when the work throws", async () => {
      await npcs.put({ id: "keep", doc: { name: "before" } });
      const err = await store
        .transaction(async (tx) => {
          const c = tx.collection<Npc>("npcs");
          await c.put({ id: "keep", doc: { name: "after" } });
          await c.put({ id: "new-in-tx", doc: { name: "new" } });
          throw new Error("changed my mind");
        })
        .catch((e: Error) => e);
      expect((err as Error).message).toBe("changed my mind");
      expect((await npcs.get("keep"))?.doc.name).toBe("before");
      expect(await npcs.get("new-in-tx")).toBeUndefined();
    });

    it("rolls back when a write inside fails validation", async () => {
      await expect(
        store.transaction(async (tx) => {
          await tx.collection<Npc>("npcs").put({ id: "half", doc: { name: "half" } });
          await tx.collection<Npc>("npcs").put({ id: "half2", doc: { name: 5 as unknown as string } });
        }),
      ).rejects.toMatchObject({ code: "INVALID_ARGUMENT", field: "doc.name" });
      expect(await npcs.get("half")).toBeUndefined();
    });

    it("refuses store calls from inside a transaction instead of deadlocking", async () => {
      const err = await ensoulRejection(store.transaction(async () => npcs.get("keep")));
      expect(err.message).toMatch(/unit of work/);
    });

    it("keeps concurrent transactions apart", async () => {
      await store.sql.execute("CREATE TABLE IF NOT EXISTS counter_test (k TEXT PRIMARY KEY, n INTEGER NOT NULL)");
      await store.sql.execute("INSERT INTO counter_test (k, n) VALUES (?, ?)", ["c", 0]);
      await Promise.all(
        Array.from({ length: 12 }, () =>
          store.transaction(async (tx) => {
            await tx.sql.execute("UPDATE counter_test SET n = n + 1 WHERE k = ?", ["c"]);
            await tx.collection<Npc>("npcs").put({ id: `c${Math.random()}`, project: "concurrent", doc: { name: "c" } });
          }),
        ),
      );
      const rows = await store.sql.query<{ n: unknown }>("SELECT n FROM counter_test WHERE k = ?", ["c"]);
      expect(Number(rows[0]!.n)).toBe(12);
      expect(await npcs.count({ project: "concurrent" })).toBe(12);
    });

    it("loses no update when concurrent units of work read a record and write it back", async () => {
      await npcs.put({ id: "tally", doc: { name: "tally", level: 0 } });
      await Promise.all(
        Array.from({ length: 8 }, () =>
          store.transaction(async (tx) => {
            const c = tx.collection<Npc>("npcs");
            const before = (await c.get("tally"))!.doc;
            await new Promise((r) => setTimeout(r, 2)); // let the others read the same version
            await c.put({ id: "tally", doc: { ...before, level: (before.level ?? 0) + 1 } });
          }),
        ),
      );
      expect((await npcs.get("tally"))?.doc.level).toBe(8);
    });
  });

  describe("migrations", () => {
    const log: string[] = [];
    const v1: Migration = { version: 1, description: "table", up: "CREATE TABLE mig_things (id TEXT PRIMARY KEY, label TEXT)" };
    const v2: Migration = { version: 2, description: "row", up: async (sql) => void (log.push("v2"), await sql.execute("INSERT INTO mig_things (id, label) VALUES (?, '?')", ["a"])) };
    const v3: Migration = {
      version: 3,
      description: "dialect-specific column",
      up: { sqlite: "ALTER TABLE mig_things ADD COLUMN n INTEGER", postgres: "ALTER TABLE mig_things ADD COLUMN n BIGINT" },
    };

    it("applies numbered migrations once, in order, recording each", async () => {
      await store.migrate("things", [v1, v2]);
      await store.migrate("things", [v1, v2]);
      expect(log).toEqual(["v2"]);
      await store.migrate("things", [v1, v2, v3]);
      const rows = await store.sql.query("SELECT id, label, n FROM mig_things");
      expect(rows).toEqual([{ id: "a", label: "?", n: null }]);
      const recorded = await store.sql.query<{ version: unknown }>("SELECT version FROM ensoul_migrations WHERE owner = ? ORDER BY version", ["things"]);
      expect(recorded.map((r) => Number(r.version))).toEqual([1, 2, 3]);
    });

    it("refuses to start on a database newer than the code, saying so", async () => {
      const err = await ensoulRejection(store.migrate("things", [v1, v2]));
      expect(err.code).toBe("FAILED_PRECONDITION");
      expect(err.message).toMatch(/things schema is at version 3, newer than this Ensoul \(which knows up to 2\)/);
    });

    it("rolls a failing migration back, unrecorded, so a fixed one can run", async () => {
      const broken: Migration = { version: 1, description: "broken", up: async (sql) => {
        await sql.execute("CREATE TABLE half_done (id TEXT)");
        await sql.execute("INSERT INTO no_such_table VALUES (1)");
      } };
      const err = await ensoulRejection(store.migrate("fragile", [broken]));
      expect(err.message).toMatch(/fragile migration 1 \(broken\) failed/);
      const fixed: Migration = { version: 1, description: "fixed", up: "CREATE TABLE half_done (id TEXT)" };
      await store.migrate("fragile", [fixed]);
      expect(await store.sql.query("SELECT id FROM half_done")).toEqual([]);
    });

    it("applies each migration once when two replicas start at the same moment", async () => {
      const other = await fixture.another();
      try {
        const race: Migration[] = [
          { version: 1, description: "table", up: "CREATE TABLE race_things (id TEXT PRIMARY KEY)" },
          { version: 2, description: "row", up: async (sql) => void (await sql.execute("INSERT INTO race_things (id) VALUES (?)", ["once"])) },
        ];
        await Promise.all([store.migrate("race", race), other.migrate("race", race)]);
        expect(await store.sql.query("SELECT id FROM race_things")).toEqual([{ id: "once" }]);
        const spec = { name: "race_docs", indexes: { name: "string" as const } };
        const [mine, theirs] = await Promise.all([store.define<Npc>(spec), other.define<Npc>(spec)]);
        await theirs.put({ id: "r", doc: { name: "shared" } });
        expect((await mine.find({ where: { name: "shared" } })).map((r) => r.id)).toEqual(["r"]);
      } finally {
        await other.close();
      }
    });

    it("refuses migration lists with gaps and owners that are not names", async () => {
      expect((await ensoulRejection(store.migrate("gappy", [v1, v3]))).field).toBe("migrations[1].version");
      expect((await ensoulRejection(store.migrate("Bad Owner", [v1]))).field).toBe("owner");
    });
  });

  describe("restarts", () => {
    it("keeps records, collections and migrations across a reopen, and fills newly indexed fields", async () => {
      await npcs.put({ id: "survivor", project: "keep", doc: { name: "Sam", notes: "likes tea" }, embedding: [0, 1, 0, 0] });
      store = await fixture.reopen();
      expect(() => store.collection("npcs")).toThrow(expect.objectContaining({ code: "NOT_FOUND" }));
      npcs = await store.define<Npc>({ ...NPC_SPEC, indexes: { ...NPC_SPEC.indexes, notes: "string" } });
      const back = await npcs.get("survivor", "keep");
      expect(back?.doc).toEqual({ name: "Sam", notes: "likes tea" });
      expect(Array.from(back!.embedding!)).toEqual([0, 1, 0, 0]);
      expect((await npcs.find({ where: { notes: "likes tea" } })).map((r) => r.id)).toEqual(["survivor"]);
      await store.migrate("things", [v1Again, v2Again, v3Again]); // recorded: nothing runs
    });

    it("refuses to change an indexed field's type in place", async () => {
      const err = await ensoulRejection(store.define({ ...NPC_SPEC, indexes: { ...NPC_SPEC.indexes, level: "string" } }));
      expect([err.code, err.field]).toEqual(["FAILED_PRECONDITION", "indexes.level"]);
    });
  });
});

const failIfRun = async (): Promise<void> => {
  throw new Error("an applied migration ran again");
};
const v1Again: Migration = { version: 1, description: "table", up: failIfRun };
const v2Again: Migration = { version: 2, description: "row", up: failIfRun };
const v3Again: Migration = { version: 3, description: "dialect-specific column", up: failIfRun };
