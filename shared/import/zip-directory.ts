/**
 * The platform-neutral half of the zip reader: where each member of an archive is, from its
 * central directory (plain bytes and DataView, no Node API), so the import script (zip.ts, with
 * Node's zlib) and the dashboard's upload (with the browser's DecompressionStream) read Spotify's
 * data download the same way. Stored and deflated members only; no ZIP64, no encryption, no
 * multi-disk archives, none of which Spotify produces.
 */

export class ZipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ZipError";
  }
}

/** Spotify's streaming-history files by name, to pick them out of a zip or a folder
 * (`endsong_N.json`: the Extended history as Spotify named it before 2023). */
export const STREAMING_HISTORY_NAME =
  /(^|[/\\])(Streaming_History_(Audio|Video)_[^/\\]*|StreamingHistory[^/\\]*|endsong_\d+)\.json$/i;

export interface ZipEntry {
  name: string;
  /** Unpacked size, as the directory declares it. */
  size: number;
  crc: number;
  /** 0: stored, 8: deflated. */
  method: number;
  /** The packed bytes, or a ZipError naming why they cannot be had. */
  packed(): Uint8Array;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** No member of a streaming-history download comes near this; a bigger one is refused. */
export const MAX_MEMBER_BYTES = 512 * 1024 * 1024;

export const looksLikeZip = (buf: Uint8Array) =>
  buf.length >= 4 && buf[0] === 0x50 && buf[1] === 0x4b && (buf[2] === 3 || buf[2] === 5);

export function zipEntries(buf: Uint8Array, zipName: string): ZipEntry[] {
  const fail = (why: string) => new ZipError(`${zipName}: ${why}`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);
  // The end-of-central-directory record: 22 bytes plus a comment of up to 64 KiB.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (u32(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw fail("not a zip archive, or a truncated one (its central directory is missing)");
  const count = u16(eocd + 10);
  const cdSize = u32(eocd + 12);
  const cdOffset = u32(eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff) {
    throw fail("is a ZIP64 archive, which this reader does not open; unzip it and import the JSON files");
  }
  if (cdOffset + cdSize > eocd) throw fail("is truncated or damaged (central directory out of bounds)");
  const utf8 = new TextDecoder();
  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let n = 0; n < count; n++) {
    if (p + 46 > buf.length || u32(p) !== CENTRAL) throw fail("has a damaged central directory");
    const flags = u16(p + 8);
    const method = u16(p + 10);
    const crc = u32(p + 16);
    const packedSize = u32(p + 20);
    const size = u32(p + 24);
    const nameLen = u16(p + 28);
    const extraLen = u16(p + 30);
    const commentLen = u16(p + 32);
    const localOffset = u32(p + 42);
    const name = utf8.decode(buf.subarray(p + 46, p + 46 + nameLen));
    p += 46 + nameLen + extraLen + commentLen;
    if (name.endsWith("/")) continue;
    entries.push({
      name,
      size,
      crc,
      method,
      packed() {
        if (flags & 1) throw fail(`${name} is encrypted`);
        if (method !== 0 && method !== 8) throw fail(`${name} uses compression method ${method}`);
        if (size > MAX_MEMBER_BYTES) throw fail(`${name} is too large (${size} bytes)`);
        if (localOffset + 30 > buf.length || u32(localOffset) !== LOCAL) {
          throw fail(`${name} is damaged (no local header)`);
        }
        const start = localOffset + 30 + u16(localOffset + 26) + u16(localOffset + 28);
        if (start + packedSize > buf.length) throw fail(`${name} is truncated`);
        return buf.subarray(start, start + packedSize);
      },
    });
  }
  return entries;
}
