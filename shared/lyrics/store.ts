import { type DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { batchGet as batchGetItems, countAll, queryAll } from "../store/context.ts";
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

/** Above this many tracks, one Query of the whole EMOTIONS index beats BatchGets of 100 keys. */
const BATCH_GET_LIMIT = 400;

export interface LyricsStore {
  getLyrics(trackId: string): Promise<LyricsRecord | null>;
  putLyrics(trackId: string, record: LyricsRecord): Promise<void>;
  getEmotions(trackId: string): Promise<TrackEmotions | null>;
  putEmotions(e: TrackEmotions): Promise<void>;
  /** Lyrics and emotions items of many tracks (what the analysis needs to pick its work). */
  batchGetAnalysis(
    trackIds: readonly string[],
  ): Promise<Map<string, { lyrics: LyricsRecord | null; emotions: TrackEmotions | null }>>;
  /** The stored emotions of these tracks (absent ones are left out). */
  emotionsFor(trackIds: readonly string[]): Promise<Map<string, TrackEmotions>>;
  /** How many tracks have an emotions item (vectors and instrumentals). */
  countEmotions(): Promise<number>;
  getGeniusLyrics(songId: number): Promise<GeniusLyricsRecord | null>;
  putGeniusLyrics(record: GeniusLyricsRecord): Promise<void>;
}

export function createLyricsStore(opts: { client: DynamoDBDocumentClient; tableName: string }): LyricsStore {
  const { client, tableName: TableName } = opts;

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
      await client.send(
        new PutCommand({
          TableName,
          Item: {
            ...keys.emotions(e.track_id),
            entity: "emotions",
            gsi1pk: keys.emotionsIndexPk,
            gsi1sk: e.track_id,
            source: e.source,
            model: e.model,
            v: encodeScores(e.scores),
            analyzed_at: e.analyzed_at,
          },
        }),
      );
    },
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
      const items =
        wanted.size > BATCH_GET_LIMIT
          ? await allEmotions()
          : await batchGet([...wanted].map((id) => keys.emotions(id)));
      const out = new Map<string, TrackEmotions>();
      for (const item of items) {
        const e = emotionsOf(item);
        if (wanted.has(e.track_id)) out.set(e.track_id, e);
      }
      return out;
    },
    countEmotions: () =>
      countAll(table, {
        IndexName: indexes.gsi1.name,
        KeyConditionExpression: "gsi1pk = :p",
        ExpressionAttributeValues: { ":p": keys.emotionsIndexPk },
      }),
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
