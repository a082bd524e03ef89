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
