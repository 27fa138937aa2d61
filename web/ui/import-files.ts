import {
  looksLikeZip,
  STREAMING_HISTORY_NAME,
  ZipError,
  zipEntries,
} from "../../shared/import/zip-directory.ts";
import { ApiError } from "../api.ts";
import type { ApiErrorBody, ImportSummary } from "../types.ts";

/**
 * The data page's import, in the browser: the files a person picked (Spotify's data download as
 * a zip, or its JSON files, or our own export) become the single files POST /import takes, each
 * uploaded with XMLHttpRequest so its upload progress can be shown (fetch reports none).
 */

export interface ImportFile {
  name: string;
  body: Blob;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

async function inflateRaw(packed: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([packed as BlobPart]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * The streaming-history files inside a zip (checked against their CRC-32 and size, as the import
 * script does), or the file itself when it is not a zip. Other members (playlists, the account's
 * details…) are left out: they are not listening history.
 */
export async function importFilesOf(file: File): Promise<ImportFile[]> {
  const head = new Uint8Array(await file.slice(0, 4).arrayBuffer());
  if (!looksLikeZip(head)) return [{ name: file.name, body: file }];
  const buf = new Uint8Array(await file.arrayBuffer());
  const out: ImportFile[] = [];
  const members = zipEntries(buf, file.name)
    .filter((e) => STREAMING_HISTORY_NAME.test(e.name))
    .sort((a, b) => a.name.localeCompare(b.name));
  for (const e of members) {
    const raw = e.packed();
    const data = e.method === 0 ? raw : await inflateRaw(raw);
    if (data.length !== e.size || crc32(data) !== e.crc) {
      throw new ZipError(`${file.name}: ${e.name} is damaged (size or CRC mismatch)`);
    }
    out.push({
      name: e.name.split("/").pop() ?? e.name,
      body: new Blob([data as BlobPart], { type: "application/json" }),
    });
  }
  if (out.length === 0) {
    throw new ZipError(
      `${file.name} holds no streaming history (Streaming_History_Audio_*.json, StreamingHistory*.json, endsong_N.json)`,
    );
  }
  return out;
}

/** One POST /import of one file; `onProgress(sent, total)` while its bytes go up. */
export function uploadImport(
  file: ImportFile,
  onProgress: (sent: number, total: number) => void,
): Promise<ImportSummary> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/import?file=${encodeURIComponent(file.name)}`);
    xhr.setRequestHeader("accept", "application/json");
    xhr.setRequestHeader("content-type", file.name.endsWith(".csv") ? "text/csv" : "application/json");
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.body.size);
    xhr.upload.onload = () => onProgress(file.body.size, file.body.size);
    xhr.onerror = () =>
      reject(new ApiError(0, { error: "network", message: "The upload could not reach the server." }));
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(body as ImportSummary);
      const known = body !== null && typeof body === "object" && "message" in body;
      reject(
        new ApiError(
          xhr.status,
          known
            ? (body as ApiErrorBody)
            : { error: "http_error", message: `The server answered ${xhr.status}.` },
        ),
      );
    };
    xhr.send(file.body);
  });
}
