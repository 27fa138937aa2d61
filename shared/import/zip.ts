import { crc32, inflateRawSync } from "node:zlib";
import { looksLikeZip, ZipError, zipEntries } from "./zip-directory.ts";

export { looksLikeZip, ZipError };

/**
 * A small zip reader for Spotify's data download (a plain zip of JSON files): the central
 * directory (zip-directory.ts, shared with the dashboard) says where each member is, and
 * `inflateRawSync` (Node's zlib) unpacks the deflated ones. Every member is checked against its
 * CRC-32 and declared size, so a damaged or truncated archive is an error, never half a file.
 */

export interface ZipMember {
  name: string;
  size: number;
  read(): Buffer;
}

export function readZip(buf: Buffer, zipName: string): ZipMember[] {
  const fail = (why: string) => new ZipError(`${zipName}: ${why}`);
  return zipEntries(buf, zipName).map((e) => ({
    name: e.name,
    size: e.size,
    read() {
      const raw = e.packed();
      let data: Buffer;
      try {
        data =
          e.method === 0 ? Buffer.from(raw) : inflateRawSync(raw, { maxOutputLength: Math.max(1, e.size) });
      } catch (err) {
        throw fail(`${e.name} does not unpack (${(err as Error).message})`);
      }
      if (data.length !== e.size || crc32(data) !== e.crc)
        throw fail(`${e.name} is damaged (size or CRC mismatch)`);
      return data;
    },
  }));
}
