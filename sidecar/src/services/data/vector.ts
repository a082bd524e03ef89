/**
 * Exact cosine top-k: pages through candidate embeddings in key order and keeps the k best in a
 * small sorted array. Neither adapter has a vector index (Debian's PostgreSQL carries no
 * pgvector), so this is the search both run; an approximate index would replace the scan, not
 * the interface.
 */
import type { SqlRow } from "./index.js";

export interface ScoredKey {
  project: string;
  id: string;
  score: number;
}

const PAGE_ROWS = 512;

function dot(a: Float32Array, b: DataView, dims: number): { dot: number; norm2: number } {
  let d = 0;
  let n = 0;
  for (let i = 0; i < dims; i++) {
    const x = b.getFloat32(i * 4, true);
    d += a[i]! * x;
    n += x * x;
  }
  return { dot: d, norm2: n };
}

/**
 * `page(after, n)` returns up to n rows (project, id, embedding bytes) after the given key.
 * Ties keep the earlier key, so results are the same on both adapters.
 */
export async function cosineTopK(
  target: Float32Array,
  k: number,
  page: (after: { project: string; id: string } | undefined, pageSize: number) => Promise<SqlRow[]>,
): Promise<ScoredKey[]> {
  let targetNorm2 = 0;
  for (let i = 0; i < target.length; i++) targetNorm2 += target[i]! * target[i]!;
  const targetNorm = Math.sqrt(targetNorm2);
  const best: ScoredKey[] = []; // highest score first
  let after: { project: string; id: string } | undefined;
  for (;;) {
    const rows = await page(after, PAGE_ROWS);
    for (const row of rows) {
      const bytes = row.embedding as Uint8Array;
      if (bytes.byteLength !== target.length * 4) continue; // stored under other dimensions
      const { dot: d, norm2 } = dot(target, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), target.length);
      if (norm2 === 0) continue;
      const score = d / (targetNorm * Math.sqrt(norm2));
      if (best.length === k && score <= best[k - 1]!.score) continue;
      let at = best.length;
      while (at > 0 && best[at - 1]!.score < score) at--;
      best.splice(at, 0, { project: row.project as string, id: row.id as string, score });
      if (best.length > k) best.pop();
    }
    if (rows.length < PAGE_ROWS) return best;
    const last = rows[rows.length - 1]!;
    after = { project: last.project as string, id: last.id as string };
  }
}
