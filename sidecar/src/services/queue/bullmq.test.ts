import { Redis } from "ioredis";
import { afterAll, expect, it } from "vitest";
import { newId } from "../../lib/ids.js";
import { openBullmqQueue } from "./bullmq.js";
import { deleteRedisPrefix, testRedisUrl } from "./contract.testkit.js";
import { queueServiceOver } from "./index.js";

const redisUrl = testRedisUrl();
const prefix = `ensoul-test-${newId("q", 6)}`;
afterAll(() => deleteRedisPrefix(redisUrl, prefix));

it("drops unreadable messages on its events channel and goes on running jobs", async () => {
  const queue = queueServiceOver(await openBullmqQueue({ redisUrl, prefix }));
  const publisher = new Redis(redisUrl);
  try {
    for (const junk of ["not json", "null", '{"kind":"cancel"}', '{"kind":"event"}', "[1,2]"]) {
      await publisher.publish(`${prefix}:~events`, junk);
    }
    queue.process("bullmq.echo", async (job) => job.payload);
    const job = await queue.enqueue("bullmq.echo", { n: 7 });
    for (let i = 0; i < 200 && (await queue.get(job.id))?.state !== "completed"; i++) await new Promise((r) => setTimeout(r, 25));
    expect((await queue.get(job.id))?.result).toEqual({ n: 7 });
  } finally {
    publisher.disconnect();
    await queue.close();
  }
});

it("prunes a finished job from BullMQ and from every index of its own, leaving no key behind", async () => {
  const queue = queueServiceOver(await openBullmqQueue({ redisUrl, prefix }));
  const redis = new Redis(redisUrl);
  try {
    const project = "prune-keys";
    queue.process("bullmq.prune", async () => "done");
    const job = await queue.enqueue("bullmq.prune", null, { owner: { project, subject: "s" } });
    const early = await queue.enqueue("bullmq.unworked", null, { owner: { project, subject: "s" } });
    await queue.cancel(early.id); // cancelled before it ran: a tombstone, no BullMQ job
    for (let i = 0; i < 200 && (await queue.get(job.id))?.state !== "completed"; i++) await new Promise((r) => setTimeout(r, 25));
    expect(await queue.prune(Date.now() + 1)).toBeGreaterThanOrEqual(2); // the test above left one too
    for (const id of [job.id, early.id]) {
      expect(await redis.zscore(`${prefix}:~all`, id)).toBeNull();
      expect(await redis.zscore(`${prefix}:~project:${project}`, id)).toBeNull();
      expect(await redis.hget(`${prefix}:~jobs`, id)).toBeNull();
      expect(await redis.hget(`${prefix}:~cancelled`, id)).toBeNull();
    }
    expect(await redis.exists(`${prefix}:bullmq.prune:${job.id}`)).toBe(0); // BullMQ's own job hash
  } finally {
    redis.disconnect();
    await queue.close();
  }
});
