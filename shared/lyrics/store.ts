import { createHash } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { mapLimit } from "../concurrency.ts";
import { batchGet as batchGetItems, batchWrite, countAll, queryAll } from "../store/context.ts";
import { indexes, catalogKeys as keys } from "../store/table.ts";
import type { EmotionScore } from "./emotions.ts";

/**
 * Lyrics and emotion vectors are catalog data: keyed by track id (shared/store/table.ts), the
 * same for every listener. Each access pattern is one function here. Vectors are stored as one
 * compact string (`label:score,…`): the mood of an all-time range reads thousands of them, and
 * DynamoDB (Local even more) pays per attribute.
 */

export const NOT_FOUND_RETRY_DAYS = 30;

export type LyricsRecord =
  | {
      status: "found";
      plain: string | null;
      synced: string | null;
      lrclib_id: number | null;
      matched_by: "get" | "search";
      fetched_at: string;
    }
  | { status: "instrumental"; lrclib_id: number | null; fetched_at: string }
  /** LRCLIB had nothing: asked again after `retry_after`, never on every request. */
  | { status: "not_found"; fetched_at: string; retry_after: string };

/** Where a track's vector came from; instrumental tracks carry no vector and are counted apart. */
export type EmotionSource = "lyrics" | "title" | "instrumental";

export interface TrackEmotions {
  track_id: string;
  source: EmotionSource;
  model: string | null;
  /** Every label's score, best first; empty for instrumental tracks. */
  scores: EmotionScore[];
  analyzed_at: string;
}

export interface GeniusLyricsRecord {
  song_id: number;
  lyrics: LyricsRecord;
  emotions: { model: string; source: "lyrics" | "title"; scores: EmotionScore[] } | null;
}

export function encodeScores(scores: readonly EmotionScore[]): string {
  return scores.map((s) => `${s.label}:${Number(s.score.toFixed(6))}`).join(",");
}

export function decodeScores(v: unknown): EmotionScore[] {
  if (typeof v !== "string" || v === "") return [];
  return v.split(",").flatMap((pair) => {
    const cut = pair.lastIndexOf(":");
    const score = Number(pair.slice(cut + 1));
    return cut > 0 && Number.isFinite(score) ? [{ label: pair.slice(0, cut), score }] : [];
  });
}

function emotionsOf(item: Record<string, unknown>): TrackEmotions {
  return {
    track_id: keys.trackIdOf(String(item.pk)),
    source: item.source as EmotionSource,
    model: typeof item.model === "string" ? item.model : null,
    scores: decodeScores(item.v),
    analyzed_at: String(item.analyzed_at ?? ""),
  };
}

function lyricsOf(item: Record<string, unknown>): LyricsRecord {
  const { pk: _pk, sk: _sk, entity: _e, ...rest } = item;
  return rest as unknown as LyricsRecord;
}

/** Above this many tracks, reading every vector packed beats BatchGets of 100 keys. */
const BATCH_GET_LIMIT = 400;

/**
 * The packs (table.ts `emotionPack`): every vector again, in PACK_SHARDS items by a hash of the
 * track id, gzip'd. A long-range mood needs the vectors of thousands of tracks; DynamoDB (and
 * Local far more) pays per item, so thousands of items cost ~300 ms where a few dozen packs
 * cost a few. Each vector write folds itself into its shard's pack in the same transaction as
 * the counts (META), so the packs never lag the items: the mood stays exact. A vector of 28
 * six-decimal scores compresses to ~125 bytes: one item per shard holds ~2,800 of them under
 * PACK_BYTES (DynamoDB refuses items over 400 KB), so 32 shards fill at ~90,000 analysed
 * tracks; a shard then goes on in more parts (`P#<nn>#<part>`, written in the same
 * transaction as its head, part 0, whose version orders the writers). A stored vector stays in
 * its part; new ones go to the last, and a part that would pass the limit is split in two.
 */
const PACK_SHARDS = 32;
/** Gzip'd bytes per pack part: under DynamoDB's 400 KB item limit with the keys and version. */
const PACK_BYTES = 350_000;
const shardOf = (trackId: string) =>
  createHash("sha1").update(trackId).digest().readUInt32BE(0) % PACK_SHARDS;
const SOURCES: readonly EmotionSource[] = ["lyrics", "title", "instrumental"];

/** A pack's body: a label table, then per track its fields and [label index, score × 10⁶] pairs. */
interface PackBody {
  labels: string[];
  rows: [track_id: string, source: number, model: string | null, analyzed_at: string, scores: number[]][];
}

function encodePack(vectors: Iterable<TrackEmotions>): Uint8Array {
  const labels = new Map<string, number>();
  const rows: PackBody["rows"] = [];
  for (const e of vectors) {
    const pairs: number[] = [];
    // The scores exactly as the item stores them (6 decimals), as integers.
    for (const { label, score } of decodeScores(encodeScores(e.scores))) {
      if (!labels.has(label)) labels.set(label, labels.size);
      pairs.push(labels.get(label) as number, Math.round(score * 1e6));
    }
    rows.push([e.track_id, SOURCES.indexOf(e.source), e.model, e.analyzed_at, pairs]);
  }
  return gzipSync(JSON.stringify({ labels: [...labels.keys()], rows } satisfies PackBody));
}

function decodePack(body: Uint8Array): TrackEmotions[] {
  const { labels, rows } = JSON.parse(gunzipSync(body).toString("utf8")) as PackBody;
  return rows.map(([track_id, source, model, analyzed_at, pairs]) => {
    const scores: EmotionScore[] = [];
    // k / 10⁶ is the very double the item's 6-decimal text parses to.
    for (let i = 0; i < pairs.length; i += 2) {
      scores.push({ label: labels[pairs[i] as number] as string, score: (pairs[i + 1] as number) / 1e6 });
    }
    return { track_id, source: SOURCES[source] as EmotionSource, model, analyzed_at, scores };
  });
}

/** What the analysis has stored, counted as it stores it (no index is read). */
export interface AnalysisCounts {
  lyrics: number;
  title: number;
  instrumental: number;
  /** Tracks with an emotions item: vectors and instrumentals. */
  total: number;
}

export interface LyricsStore {
  getLyrics(trackId: string): Promise<LyricsRecord | null>;
  putLyrics(trackId: string, record: LyricsRecord): Promise<void>;
  getEmotions(trackId: string): Promise<TrackEmotions | null>;
  /** Stores a track's vector (or instrumental mark) and folds it into its pack. */
  putEmotions(e: TrackEmotions): Promise<void>;
  /** The same for many tracks, each pack rewritten once. */
  putEmotionsMany(list: readonly TrackEmotions[]): Promise<void>;
  /**
   * Folds every stored vector into the packs and marks them complete (vectors stored before
   * the packs existed); once complete, a no-op read. The analysis run calls it first.
   */
  packAllEmotions(): Promise<{ packed: number } | "complete">;
  /** The counts kept with the packs; null until the packs are complete. */
  analysisCounts(): Promise<AnalysisCounts | null>;
  /**
   * Changes whenever a stored vector does (every write folds into the packs and bumps it): what
   * a summary of the vectors is valid for. Null until the packs are complete (vectors stored
   * before them changed nothing it counts).
   */
  vectorsVersion(): Promise<string | null>;
  /**
   * Every packed vector and the version they are at least as new as (read before them, both
   * consistently): what a stored summary of the vectors is computed from. Null until complete.
   */
  packedVectors(): Promise<{ version: string; vectors: Map<string, TrackEmotions> } | null>;
  /** Whether emotionsFor reads the packs for this many tracks (else it reads their items). */
  readsPacks(tracks: number): boolean;
  /** Lyrics and emotions items of many tracks (what the analysis needs to pick its work). */
  batchGetAnalysis(
    trackIds: readonly string[],
  ): Promise<Map<string, { lyrics: LyricsRecord | null; emotions: TrackEmotions | null }>>;
  /** The stored emotions of these tracks (absent ones are left out). */
  emotionsFor(trackIds: readonly string[]): Promise<Map<string, TrackEmotions>>;
  /** How many tracks have an emotions item (vectors and instrumentals): the kept count, else the index's. */
  countEmotions(): Promise<number>;
  getGeniusLyrics(songId: number): Promise<GeniusLyricsRecord | null>;
  putGeniusLyrics(record: GeniusLyricsRecord): Promise<void>;
}

export function createLyricsStore(opts: {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Above this many tracks emotionsFor reads the packs (tests lower it to read them always). */
  packedAbove?: number;
  /** Gzip'd bytes per pack part (tests lower it to fill parts with a few vectors). */
  packBytes?: number;
}): LyricsStore {
  const { client, tableName: TableName } = opts;
  const packedAbove = opts.packedAbove ?? BATCH_GET_LIMIT;
  const packBytes = opts.packBytes ?? PACK_BYTES;

  const table = { client, TableName };
  const batchGet = (list: readonly { pk: string; sk: string }[]) => batchGetItems(table, list);

  const allEmotions = () =>
    queryAll(table, {
      IndexName: indexes.gsi1.name,
      KeyConditionExpression: "gsi1pk = :p",
      ExpressionAttributeValues: { ":p": keys.emotionsIndexPk },
      ProjectionExpression: "pk, #s, model, v, analyzed_at",
      ExpressionAttributeNames: { "#s": "source" },
    });

  const emotionsItem = (e: TrackEmotions) => ({
    ...keys.emotions(e.track_id),
    entity: "emotions",
    gsi1pk: keys.emotionsIndexPk,
    gsi1sk: e.track_id,
    source: e.source,
    model: e.model,
    v: encodeScores(e.scores),
    analyzed_at: e.analyzed_at,
  });

  /** Every pack item and the META item: one partition, read in 1 MB pages. */
  async function readPacks(
    opts: { consistent?: boolean } = {},
  ): Promise<{ meta: Record<string, unknown> | null; vectors: TrackEmotions[] }> {
    let meta: Record<string, unknown> | null = null;
    const vectors: TrackEmotions[] = [];
    const items = await queryAll(table, {
      KeyConditionExpression: "pk = :p",
      ExpressionAttributeValues: { ":p": keys.emotionPacks },
      ConsistentRead: opts.consistent ?? false,
    });
    for (const item of items) {
      if (item.sk === keys.emotionPackMeta.sk) meta = item;
      else vectors.push(...decodePack(item.body as Uint8Array));
    }
    return { meta, vectors };
  }

  /** Rows as pack bodies of at most packBytes each: halves until each fits. */
  function encodeFitting(rows: readonly TrackEmotions[]): Uint8Array[] {
    const body = encodePack(rows);
    if (body.length <= packBytes || rows.length <= 1) return [body];
    const mid = rows.length >> 1;
    return [...encodeFitting(rows.slice(0, mid)), ...encodeFitting(rows.slice(mid))];
  }

  /**
   * Folds vectors into their shards' packs: per shard, read its parts, replace or add the
   * tracks, and write the parts that changed, the head (part 0) always, with the META counts'
   * change in one transaction conditioned on the head's version read. A concurrent writer of
   * the same shard makes the condition fail: read again, retry.
   */
  async function fold(list: readonly TrackEmotions[]): Promise<void> {
    const byShard = new Map<number, Map<string, TrackEmotions>>();
    for (const e of list) {
      const n = shardOf(e.track_id);
      const m = byShard.get(n) ?? new Map<string, TrackEmotions>();
      m.set(e.track_id, e);
      byShard.set(n, m);
    }
    await mapLimit([...byShard], 4, async ([n, incoming]) => {
      const head = keys.emotionPack(n);
      for (let attempt = 0; ; attempt++) {
        const items = await queryAll(table, {
          KeyConditionExpression: "pk = :p AND begins_with(sk, :s)",
          ExpressionAttributeValues: { ":p": head.pk, ":s": head.sk },
          ConsistentRead: true,
        });
        const partOf = (sk: string) => (sk === head.sk ? 0 : Number(sk.slice(head.sk.length + 1)));
        const stored = items.sort((a, b) => partOf(String(a.sk)) - partOf(String(b.sk)));
        const first = stored[0];
        const version =
          first && first.sk === head.sk && typeof first.version === "number" ? first.version : 0;
        const parts = stored.map(
          (i) => new Map(decodePack(i.body as Uint8Array).map((e) => [e.track_id, e])),
        );
        if (parts.length === 0) parts.push(new Map());
        const changed = new Set([0]);
        const delta = { lyrics: 0, title: 0, instrumental: 0 };
        for (const e of incoming.values()) {
          const at = parts.findIndex((p) => p.has(e.track_id));
          const part = parts[at >= 0 ? at : parts.length - 1] as Map<string, TrackEmotions>;
          const old = part.get(e.track_id);
          if (old) delta[old.source]--;
          delta[e.source]++;
          part.set(e.track_id, e);
          changed.add(at >= 0 ? at : parts.length - 1);
        }
        // A part over the limit keeps its first half; the rest go on as new parts.
        const bodies = new Map<number, Uint8Array>();
        let next = parts.length;
        for (const i of [...changed].sort((a, b) => a - b)) {
          const [own, ...more] = encodeFitting([...(parts[i] as Map<string, TrackEmotions>).values()]);
          bodies.set(i, own as Uint8Array);
          for (const body of more) bodies.set(next++, body);
        }
        const puts = [...bodies].map(([i, body]) => ({
          Put: {
            TableName,
            Item: {
              ...keys.emotionPack(n, i),
              entity: "emotion-pack",
              ...(i === 0 ? { version: version + 1 } : {}),
              body,
            },
            ...(i !== 0
              ? {}
              : version === 0
                ? { ConditionExpression: "attribute_not_exists(pk)" }
                : { ConditionExpression: "version = :v", ExpressionAttributeValues: { ":v": version } }),
          },
        }));
        try {
          await client.send(
            new TransactWriteCommand({
              TransactItems: [
                ...puts,
                {
                  Update: {
                    TableName,
                    Key: keys.emotionPackMeta,
                    // `version`: any vector changed (a replaced one moves no count), so what
                    // was derived from the vectors (the mood snapshots) knows it is stale.
                    UpdateExpression:
                      "SET entity = :e ADD lyrics :l, title :t, instrumental :i, version :one",
                    ExpressionAttributeValues: {
                      ":e": "emotion-pack-meta",
                      ":l": delta.lyrics,
                      ":t": delta.title,
                      ":i": delta.instrumental,
                      ":one": 1,
                    },
                  },
                },
              ],
            }),
          );
          return;
        } catch (err) {
          const lost =
            err instanceof TransactionCanceledException &&
            (err.CancellationReasons ?? []).some(
              (r) => r.Code === "ConditionalCheckFailed" || r.Code === "TransactionConflict",
            );
          if (!lost || attempt >= 20) throw err;
          await new Promise((ok) => setTimeout(ok, Math.random() * Math.min(500, 10 * 2 ** attempt)));
        }
      }
    });
  }

  async function getMeta(): Promise<Record<string, unknown> | null> {
    const res = await client.send(
      new GetCommand({ TableName, Key: keys.emotionPackMeta, ConsistentRead: true }),
    );
    return res.Item ?? null;
  }

  const versionOf = (meta: Record<string, unknown> | null) =>
    meta?.complete === true ? `v${typeof meta.version === "number" ? meta.version : 0}` : null;

  const countsOf = (meta: Record<string, unknown>): AnalysisCounts => {
    const n = (k: string) => (typeof meta[k] === "number" ? (meta[k] as number) : 0);
    return {
      lyrics: n("lyrics"),
      title: n("title"),
      instrumental: n("instrumental"),
      total: n("lyrics") + n("title") + n("instrumental"),
    };
  };

  return {
    async getLyrics(trackId) {
      const res = await client.send(new GetCommand({ TableName, Key: keys.lyrics(trackId) }));
      return res.Item ? lyricsOf(res.Item) : null;
    },
    async putLyrics(trackId, record) {
      await client.send(
        new PutCommand({ TableName, Item: { ...keys.lyrics(trackId), entity: "lyrics", ...record } }),
      );
    },
    async getEmotions(trackId) {
      const res = await client.send(new GetCommand({ TableName, Key: keys.emotions(trackId) }));
      return res.Item ? emotionsOf(res.Item) : null;
    },
    async putEmotions(e) {
      // The pack first: a crash in between leaves a vector in the pack whose item is missing,
      // and the next run analyses that track again (it goes by the items) and writes both.
      // The other order could leave an item the packs never learn of.
      await fold([e]);
      await client.send(new PutCommand({ TableName, Item: emotionsItem(e) }));
    },
    async putEmotionsMany(list) {
      await fold(list);
      await batchWrite(
        table,
        list.map((e) => ({ PutRequest: { Item: emotionsItem(e) } })),
      );
    },
    async packAllEmotions() {
      if ((await getMeta())?.complete === true) return "complete";
      const all = (await allEmotions()).map(emotionsOf);
      await fold(all);
      await client.send(
        new UpdateCommand({
          TableName,
          Key: keys.emotionPackMeta,
          UpdateExpression: "SET complete = :t",
          ExpressionAttributeValues: { ":t": true },
        }),
      );
      return { packed: all.length };
    },
    async analysisCounts() {
      const meta = await getMeta();
      return meta?.complete === true ? countsOf(meta) : null;
    },
    async vectorsVersion() {
      return versionOf(await getMeta());
    },
    async packedVectors() {
      // The version first: a pack and the version change in one transaction, so packs read
      // after it hold at least its vectors (newer ones only make a summary look stale). Pages of
      // one Query are not one moment; META sorts after the packs, so it is not taken from them.
      const version = versionOf(await getMeta());
      if (version === null) return null;
      const { vectors } = await readPacks({ consistent: true });
      return { version, vectors: new Map(vectors.map((e) => [e.track_id, e])) };
    },
    readsPacks: (tracks) => tracks > packedAbove,
    async batchGetAnalysis(trackIds) {
      const items = await batchGet(trackIds.flatMap((id) => [keys.lyrics(id), keys.emotions(id)]));
      const out = new Map(
        trackIds.map((id) => [
          id,
          { lyrics: null as LyricsRecord | null, emotions: null as TrackEmotions | null },
        ]),
      );
      for (const item of items) {
        const id = keys.trackIdOf(String(item.pk));
        const entry = out.get(id);
        if (!entry) continue;
        if (item.sk === "LYRICS") entry.lyrics = lyricsOf(item);
        else entry.emotions = emotionsOf(item);
      }
      return out;
    },
    async emotionsFor(trackIds) {
      const wanted = new Set(trackIds);
      const out = new Map<string, TrackEmotions>();
      if (wanted.size > packedAbove) {
        const { meta, vectors } = await readPacks();
        // Until the analysis has packed what was stored before the packs, the index is the truth.
        const all = meta?.complete === true ? vectors : (await allEmotions()).map(emotionsOf);
        for (const e of all) if (wanted.has(e.track_id)) out.set(e.track_id, e);
        return out;
      }
      for (const item of await batchGet([...wanted].map((id) => keys.emotions(id)))) {
        const e = emotionsOf(item);
        out.set(e.track_id, e);
      }
      return out;
    },
    async countEmotions() {
      const meta = await getMeta();
      if (meta?.complete === true) return countsOf(meta).total;
      return countAll(table, {
        IndexName: indexes.gsi1.name,
        KeyConditionExpression: "gsi1pk = :p",
        ExpressionAttributeValues: { ":p": keys.emotionsIndexPk },
      });
    },
    async getGeniusLyrics(songId) {
      const res = await client.send(new GetCommand({ TableName, Key: keys.geniusLyrics(songId) }));
      if (!res.Item) return null;
      const { pk: _pk, sk: _sk, entity: _e, ...rest } = res.Item;
      return rest as unknown as GeniusLyricsRecord;
    },
    async putGeniusLyrics(record) {
      await client.send(
        new PutCommand({
          TableName,
          Item: { ...keys.geniusLyrics(record.song_id), entity: "genius", ...record },
        }),
      );
    },
  };
}
