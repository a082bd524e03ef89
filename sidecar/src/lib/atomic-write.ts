/**
 * Atomic file writes: the bytes go to a temporary name in the target's directory, then a rename
 * puts them in place, so a reader (or a crash) never sees a half-written file. The temporary
 * name starts with "." and ends with ".tmp", which casync and desync also ignore.
 */
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync, constants } from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";

export interface AtomicWriteOptions {
  /** File mode of the new file (default 0o666 before umask). */
  mode?: number;
  /** fsync the data before the rename (for files whose loss would hurt, like keys). */
  fsync?: boolean;
}

function tempNameFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
}

/** Writes `bytes` to `file` atomically. */
export async function writeFileAtomic(file: string, bytes: Uint8Array | string, options: AtomicWriteOptions = {}): Promise<void> {
  const temp = tempNameFor(file);
  try {
    const handle = await fsp.open(temp, "wx", options.mode ?? 0o666);
    try {
      await handle.writeFile(bytes);
      if (options.fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(temp, file);
  } catch (err) {
    await fsp.rm(temp, { force: true });
    throw err;
  }
}

/** Writes `bytes` to `file` atomically, synchronously (for writes a reply must wait for). */
export function writeFileAtomicSync(file: string, bytes: Uint8Array | string, options: AtomicWriteOptions = {}): void {
  const temp = tempNameFor(file);
  try {
    const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, options.mode ?? 0o666);
    try {
      const data = typeof bytes === "string" ? Buffer.from(bytes) : bytes;
      for (let at = 0; at < data.length; ) at += writeSync(fd, data, at, data.length - at);
      if (options.fsync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}
