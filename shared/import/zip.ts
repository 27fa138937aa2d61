import { crc32, inflateRawSync } from "node:zlib";

/**
 * A small zip reader for Spotify's data download (a plain zip of JSON files): the central
 * directory at the end of the archive says where each member is, and `inflateRawSync` (Node's
 * zlib) unpacks the deflated ones. Stored and deflated members only; no ZIP64, no encryption,
 * no multi-disk archives, none of which Spotify produces. Every member is checked against its
 * CRC-32 and declared size, so a damaged or truncated archive is an error, never half a file.
 */

export class ZipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ZipError";
  }
}

export interface ZipMember {
  name: string;
  size: number;
  read(): Buffer;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** No member of a streaming-history download comes near this; a bigger one is refused. */
const MAX_MEMBER_BYTES = 512 * 1024 * 1024;

export const looksLikeZip = (buf: Uint8Array) =>
  buf.length >= 4 && buf[0] === 0x50 && buf[1] === 0x4b && (buf[2] === 3 || buf[2] === 5);

export function readZip(buf: Buffer, zipName: string): ZipMember[] {
  const fail = (why: string) => new ZipError(`${zipName}: ${why}`);
  // The end-of-central-directory record: 22 bytes plus a comment of up to 64 KiB.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw fail("not a zip archive, or a truncated one (its central directory is missing)");
  const count = buf.readUInt16LE(eocd + 10);
  const cdSize = buf.readUInt32LE(eocd + 12);
  const cdOffset = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff) {
    throw fail("is a ZIP64 archive, which this reader does not open; unzip it and import the JSON files");
  }
  if (cdOffset + cdSize > eocd) throw fail("is truncated or damaged (central directory out of bounds)");

  const members: ZipMember[] = [];
  let p = cdOffset;
  for (let n = 0; n < count; n++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== CENTRAL) throw fail("has a damaged central directory");
    const flags = buf.readUInt16LE(p + 8);
    const method = buf.readUInt16LE(p + 10);
    const crc = buf.readUInt32LE(p + 16);
    const packed = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const localOffset = buf.readUInt32LE(p + 42);
    const name = buf.toString("utf8", p + 46, p + 46 + nameLen);
    p += 46 + nameLen + extraLen + commentLen;
    if (name.endsWith("/")) continue;
    members.push({
      name,
      size,
      read() {
        if (flags & 1) throw fail(`${name} is encrypted`);
        if (method !== 0 && method !== 8) throw fail(`${name} uses compression method ${method}`);
        if (size > MAX_MEMBER_BYTES) throw fail(`${name} is too large (${size} bytes)`);
        if (localOffset + 30 > buf.length || buf.readUInt32LE(localOffset) !== LOCAL) {
          throw fail(`${name} is damaged (no local header)`);
        }
        const start =
          localOffset + 30 + buf.readUInt16LE(localOffset + 26) + buf.readUInt16LE(localOffset + 28);
        if (start + packed > buf.length) throw fail(`${name} is truncated`);
        const raw = buf.subarray(start, start + packed);
        let data: Buffer;
        try {
          data =
            method === 0 ? Buffer.from(raw) : inflateRawSync(raw, { maxOutputLength: Math.max(1, size) });
        } catch (err) {
          throw fail(`${name} does not unpack (${(err as Error).message})`);
        }
        if (data.length !== size || crc32(data) !== crc)
          throw fail(`${name} is damaged (size or CRC mismatch)`);
        return data;
      },
    });
  }
  return members;
}
