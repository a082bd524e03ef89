/** Helpers for benches that run a server in a child process. */
import type { ChildProcess } from "node:child_process";

/** Resolves with the first match of `pattern` in the child's stdout; rejects if it exits first. */
export function waitForLine(child: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let text = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const match = pattern.exec(text);
      if (match) resolve(match);
    });
    child.on("exit", (code) => reject(new Error(`server exited (${code}): ${text}`)));
  });
}
