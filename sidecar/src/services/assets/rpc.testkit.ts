/** Helpers the asset and body protocol tests share: read an asset back, capture a refusal. */
import type { EnsoulClient } from "../../lib/client.js";
import type { EnsoulError } from "../../lib/errors.js";

export interface DownloadedAsset {
  bytes: Buffer;
  frames: { offset: number; size: number }[];
}

/** Reads an asset (or a range of it) with AssetGet, keeping each frame's offset and size. */
export async function downloadAsset(
  client: EnsoulClient,
  request: { assetId: string; offset?: number; length?: number; maxChunkBytes?: number },
): Promise<DownloadedAsset> {
  const frames: { offset: number; size: number }[] = [];
  const parts: Uint8Array[] = [];
  await client.stream("assetGet", request, (env) => {
    const d = env.assetData!;
    frames.push({ offset: Number(d.offset), size: d.data!.length });
    parts.push(d.data!);
  });
  return { bytes: Buffer.concat(parts), frames };
}

/** The code, field and message a call was refused with; throws if it succeeded. */
export async function refusal(call: Promise<unknown>): Promise<{ code: string; field?: string; message: string }> {
  try {
    await call;
  } catch (err) {
    const e = err as EnsoulError;
    return { code: e.code, field: e.field, message: e.message };
  }
  throw new Error("expected the call to be refused");
}
