/**
 * Opens each queue adapter the way the contract suite, the crash test and the bench need it:
 * the embedded queue on a real SQLite file, the server queue on the real Redis named by
 * ENSOUL_REDIS_URL under a prefix of its own (removed again by `cleanup`). A missing or
 * unreachable Redis is an error that names ENSOUL_REDIS_URL, never a silent skip.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { newId } from "../../lib/ids.js";
import { openDataStore, type DataStore } from "../data/index.js";
import { openBullmqQueue, redactedUrl, type BullmqQueueOptions } from "./bullmq.js";
import { queueServiceOver, type QueueService } from "./index.js";
import { openSqliteQueue, type SqliteQueueOptions } from "./sqlite.js";

export type AdapterKind = "sqlite" | "bullmq";

export interface OpenedQueue {
  queue: QueueService;
  /** Another queue on the same store: a second process or replica. */
  openPeer(): Promise<QueueService>;
  /** Closes every queue opened here and removes the store (file or Redis keys). */
  cleanup(): Promise<void>;
}

/** The Redis URL tests use; throws, naming ENSOUL_REDIS_URL, when it is not set. */
export function testRedisUrl(): string {
  const url = process.env["ENSOUL_REDIS_URL"];
  if (!url) {
    throw new Error(
      "ENSOUL_REDIS_URL is not set: the queue's server-mode tests need a real Redis " +
        "(e.g. ENSOUL_REDIS_URL=redis://127.0.0.1:6379, as .ci/run sets it)",
    );
  }
  return url;
}

/** Deletes every key under a prefix. */
export async function deleteRedisPrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

export interface TestQueueOptions {
  sqlite?: SqliteQueueOptions;
  bullmq?: Omit<BullmqQueueOptions, "redisUrl" | "prefix">;
}

/** Opens one queue (and remembers it) with `open`; cleanup closes them all, then removes the store. */
async function tracked(open: () => Promise<QueueService>, removeStore: () => Promise<void>): Promise<OpenedQueue> {
  const opened: QueueService[] = [];
  const openPeer = async (): Promise<QueueService> => {
    const queue = await open();
    opened.push(queue);
    return queue;
  };
  return {
    queue: await openPeer(),
    openPeer,
    cleanup: async () => {
      for (const q of opened) await q.close();
      await removeStore();
    },
  };
}

export async function openTestQueue(kind: AdapterKind, options: TestQueueOptions = {}): Promise<OpenedQueue> {
  if (kind === "sqlite") {
    const dataDir = mkdtempSync(path.join(tmpdir(), "ensoul-queue-"));
    const stores: DataStore[] = [];
    return tracked(
      async () => {
        const store = await openDataStore({ mode: "embedded", dataDir });
        stores.push(store);
        return queueServiceOver(await openSqliteQueue(store, { pollMs: 20, ...options.sqlite }));
      },
      async () => {
        for (const s of stores) await s.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    );
  }
  const redisUrl = testRedisUrl();
  const prefix = `ensoul-test-${newId("q", 6)}`;
  return tracked(
    async () => {
      try {
        return queueServiceOver(await openBullmqQueue({ redisUrl, prefix, ...options.bullmq }));
      } catch (err) {
        throw new Error(`the queue's server-mode tests need the Redis at ENSOUL_REDIS_URL=${redactedUrl(redisUrl)}: ${(err as Error).message}`);
      }
    },
    () => deleteRedisPrefix(redisUrl, prefix),
  );
}
