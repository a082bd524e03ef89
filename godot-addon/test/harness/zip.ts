/**
 * A minimal zip writer: stored (uncompressed) entries, CRC-32, one central directory.
 *
 * Godot 4 reads a .zip main pack through minizip, which accepts the "stored" method. The packs
 * we build are a few text files plus test fixtures, built in memory and served over loopback, so
 * compression would buy nothing; writing our own ~80 lines avoids a dependency for it.
 */

/** One file to put into the archive; `path` uses forward slashes and no leading slash. */
export interface ZipEntry {
  path: string;
  data: Uint8Array;
}

const CRC_TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3, the polynomial zip uses) of `data`. */
export function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) {
    crc = CRC_TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const LOCAL_HEADER_SIZE = 30;
const CENTRAL_HEADER_SIZE = 46;
const END_RECORD_SIZE = 22;
/** Bit 11 of the general-purpose flags: file names are UTF-8. */
const FLAG_UTF8 = 0x0800;
/** 1980-01-01 00:00 in DOS date/time format: packs are reproducible byte for byte. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const DOS_TIME = 0;

/**
 * Builds a zip archive of `entries` in memory. Entries keep the given order; duplicate paths
 * and archives beyond the classic (non-zip64) limits are rejected.
 */
export function writeZip(entries: readonly ZipEntry[]): Uint8Array {
  const encoder = new TextEncoder();
  const names = entries.map((e) => encoder.encode(e.path));
  const seen = new Set<string>();
  let localSize = 0;
  let centralSize = 0;
  for (const [i, entry] of entries.entries()) {
    if (seen.has(entry.path)) throw new Error(`zip: duplicate entry ${entry.path}`);
    seen.add(entry.path);
    const nameLength = names[i]!.length;
    localSize += LOCAL_HEADER_SIZE + nameLength + entry.data.length;
    centralSize += CENTRAL_HEADER_SIZE + nameLength;
  }
  if (entries.length > 0xffff || localSize + centralSize > 0xffffffff) {
    throw new Error("zip: archive too large for a non-zip64 zip");
  }

  const out = new Uint8Array(localSize + centralSize + END_RECORD_SIZE);
  const view = new DataView(out.buffer);
  const offsets: number[] = [];
  const crcs: number[] = [];
  let pos = 0;
  for (const [i, entry] of entries.entries()) {
    const name = names[i]!;
    const crc = crc32(entry.data);
    offsets.push(pos);
    crcs.push(crc);
    view.setUint32(pos, 0x04034b50, true);
    view.setUint16(pos + 4, 20, true); // version needed: 2.0
    view.setUint16(pos + 6, FLAG_UTF8, true);
    view.setUint16(pos + 8, 0, true); // method: stored
    view.setUint16(pos + 10, DOS_TIME, true);
    view.setUint16(pos + 12, DOS_DATE, true);
    view.setUint32(pos + 14, crc, true);
    view.setUint32(pos + 18, entry.data.length, true);
    view.setUint32(pos + 22, entry.data.length, true);
    view.setUint16(pos + 26, name.length, true);
    view.setUint16(pos + 28, 0, true);
    out.set(name, pos + LOCAL_HEADER_SIZE);
    out.set(entry.data, pos + LOCAL_HEADER_SIZE + name.length);
    pos += LOCAL_HEADER_SIZE + name.length + entry.data.length;
  }

  const centralStart = pos;
  for (const [i, entry] of entries.entries()) {
    const name = names[i]!;
    view.setUint32(pos, 0x02014b50, true);
    view.setUint16(pos + 4, 20, true); // version made by
    view.setUint16(pos + 6, 20, true); // version needed
    view.setUint16(pos + 8, FLAG_UTF8, true);
    view.setUint16(pos + 10, 0, true);
    view.setUint16(pos + 12, DOS_TIME, true);
    view.setUint16(pos + 14, DOS_DATE, true);
    view.setUint32(pos + 16, crcs[i]!, true);
    view.setUint32(pos + 20, entry.data.length, true);
    view.setUint32(pos + 24, entry.data.length, true);
    view.setUint16(pos + 28, name.length, true);
    // extra length, comment length, disk number, internal and external attributes: all 0
    view.setUint32(pos + 42, offsets[i]!, true);
    out.set(name, pos + CENTRAL_HEADER_SIZE);
    pos += CENTRAL_HEADER_SIZE + name.length;
  }

  view.setUint32(pos, 0x06054b50, true);
  view.setUint16(pos + 8, entries.length, true);
  view.setUint16(pos + 10, entries.length, true);
  view.setUint32(pos + 12, pos - centralStart, true);
  view.setUint32(pos + 16, centralStart, true);
  return out;
}
