import { DescribeTableCommand, TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  TransactGetCommand,
  type TransactGetCommandOutput,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { mapLimit } from "../concurrency.ts";
import type { Album, Artist, JobRun, Play, SpotifyLink, Track } from "../domain/entities.ts";
import {
  type AggregateDelta,
  ALL_BUCKET,
  bucketsOf,
  isSlotAttribute,
  playDeltas,
  slotsOf,
  TOTAL_ID,
} from "../stats/aggregates.ts";
import { createCursorCodec } from "./cursor.ts";
import type {
  Aggregate,
  Page,
  RecordPlayResult,
  ScannedItem,
  Store,
  StoreCounts,
  TrackInfo,
} from "./port.ts";
import { indexes, type ListenerKeys, listenerKeys, listenerOfPk, TTL_ATTRIBUTE } from "./table.ts";

/** The batch a play was written by (recordPlayBatch): internal, never part of the document. */
export const BATCH_ATTR = "import_batch";

const KEY_ATTRS = new Set([
  "pk",
  "sk",
  "gsi1pk",
  "gsi1sk",
  "gsi2pk",
  "entity",
  "version",
  TTL_ATTRIBUTE,
  BATCH_ATTR,
]);

/** Drops the storage keys so callers see only the document. */
export function doc<T>(item: Record<string, unknown>): T {
  return Object.fromEntries(Object.entries(item).filter(([k]) => !KEY_ATTRS.has(k))) as T;
}

/**
 * Aggregate items come back with bucket, dimension and id read from their keys (they are not
 * stored twice), counters defaulting to 0, and quarter-hour counters gathered under `slots`.
 */
function aggregateDoc(item: Record<string, unknown>, prefix: string): Aggregate {
  const pk = String(item.pk).slice(prefix.length);
  const sk = String(item.sk);
  const cut = sk.indexOf("#");
  const out: Record<string, unknown> = {
    bucket: pk.slice("AGG#".length),
    dimension: sk.slice(0, cut),
    id: sk.slice(cut + 1),
    plays: 0,
    skips: 0,
    listened_ms: 0,
  };
  let hasSlots = false;
  for (const k in item) {
    if (KEY_ATTRS.has(k)) continue;
    if (isSlotAttribute(k)) hasSlots = true;
    else out[k] = item[k];
  }
  if (hasSlots) out.slots = slotsOf(item);
  return out as unknown as Aggregate;
}

// Optimistic-lock retries on one track item; jittered backoff so racing writers spread out.
export const MAX_TRACK_RETRIES = 12;
export const backoff = (attempt: number) =>
  new Promise((ok) => setTimeout(ok, Math.random() * Math.min(250, 10 * 2 ** attempt)));

/** DynamoDB's limit on the items of one TransactWriteItems call. */
export const MAX_TRANSACTION_ITEMS = 100;
const MAX_BATCH_GET = 100;
const MAX_BATCH_WRITE = 25;

const isCancelled = (err: unknown, code: string, index?: number): boolean =>
  err instanceof TransactionCanceledException &&
  (index === undefined
    ? (err.CancellationReasons ?? []).some((r) => r.Code === code)
    : err.CancellationReasons?.[index]?.Code === code);

/** Artist deltas per follow-up transaction (with its marker item). */
const OVERFLOW_PART = 96;

/**
 * A play's deltas for one transaction beside `fixed` other items: whole artists (one delta per
 * bucket each) up to the 100-item limit, the artists beyond it as `overflow`.
 */
function splitForTransaction(deltas: AggregateDelta[], fixed: number, perArtist: number) {
  const artistDeltas = deltas.filter((d) => d.dimension === "ARTIST");
  const others = deltas.filter((d) => d.dimension !== "ARTIST");
  const room = Math.floor((MAX_TRANSACTION_ITEMS - fixed - others.length) / perArtist) * perArtist;
  return { inline: [...others, ...artistDeltas.slice(0, room)], overflow: artistDeltas.slice(room) };
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function createDynamoStore(opts: {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Whose hoard this store reads and writes: every per-listener key carries it (table.ts). */
  listener: string;
  /** SECRET_KEY: the pagination cursors' MAC key is derived from it (shared/store/cursor.ts). */
  cursorSecret?: string | undefined;
}): Store {
  const { client, tableName: TableName } = opts;
  const cursors = createCursorCodec(opts.cursorSecret);
  const keys = listenerKeys(opts.listener);
  const toAggregate = (item: Record<string, unknown>) => aggregateDoc(item, keys.prefix);

  const get = async <T>(key: { pk: string; sk: string }, consistent = false): Promise<T | null> => {
    const out = await client.send(new GetCommand({ TableName, Key: key, ConsistentRead: consistent }));
    return out.Item ? doc<T>(out.Item) : null;
  };

  /** One page of a listing; `scope` names the listing and its bounds, and binds its cursors. */
  const page = async <T>(
    input: Omit<QueryCommandInput, "TableName">,
    scope: string,
    cursorKeys: string[],
    cursor?: string,
  ) => {
    const out = await client.send(
      new QueryCommand({
        TableName,
        ...input,
        ExclusiveStartKey: cursors.decode(cursor, `${keys.prefix}${scope}`, cursorKeys),
      }),
    );
    return {
      items: (out.Items ?? []).map((i) => doc<T>(i)),
      // A cursor is bound to its listener too: one listener's cursor is a 400 for another.
      next_cursor: cursors.encode(out.LastEvaluatedKey, `${keys.prefix}${scope}`),
    } satisfies Page<T>;
  };

  const listIdsOnIndex = async (gsi1pk: string, limit: number): Promise<string[]> => {
    const out = await client.send(
      new QueryCommand({
        TableName,
        IndexName: indexes.gsi1.name,
        KeyConditionExpression: "gsi1pk = :p",
        ExpressionAttributeValues: { ":p": gsi1pk },
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((i) => String(i.gsi1sk));
  };

  /** One aggregate delta (shared/stats/aggregates.ts) as a transaction Update. */
  function deltaUpdate(d: AggregateDelta) {
    // Attribute names go through placeholders: `name` is a DynamoDB reserved word.
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets: string[] = [];
    Object.entries(d.set).forEach(([k, v], i) => {
      names[`#s${i}`] = k;
      values[`:s${i}`] = v;
      sets.push(`#s${i} = :s${i}`);
    });
    const adds = Object.entries(d.add).map(([k, v], i) => {
      names[`#a${i}`] = k;
      values[`:a${i}`] = v;
      return `#a${i} :a${i}`;
    });
    return {
      Update: {
        TableName,
        Key: keys.aggregate(d.bucket, d.dimension, d.id),
        UpdateExpression: `${sets.length > 0 ? `SET ${sets.join(", ")} ` : ""}ADD ${adds.join(", ")}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    };
  }

  /**
   * The track item's update: display fields, first/last listened, counters, and the optimistic
   * lock (`version`): out-of-order plays make first/last a min/max no update expression has.
   */
  function trackUpdate(
    track: TrackInfo,
    version: number,
    span: { first: string; last: string },
    add: { listen_count: number; skip_count: number; listened_ms_total: number },
  ) {
    const names: Record<string, string> = { "#name": "name" };
    const values: Record<string, unknown> = {
      ...(version === 0 ? {} : { ":v": version }),
      ":e": "track",
      ":id": track.track_id,
      ":kind": track.kind,
      ":name": track.name,
      ":uri": track.uri,
      ":artists": track.artists,
      ":album": track.album,
      ":dur": track.duration_ms,
      ":explicit": track.explicit ?? null,
      ":first": span.first,
      ":last": span.last,
      ":tracks": keys.tracksIndexPk,
      ":nv": version + 1,
      ":c": add.listen_count,
      ":s": add.skip_count,
      ":ms": add.listened_ms_total,
    };
    return {
      Update: {
        TableName,
        Key: keys.track(track.track_id),
        ConditionExpression: version === 0 ? "attribute_not_exists(pk)" : "version = :v",
        UpdateExpression:
          "SET entity = :e, track_id = :id, kind = :kind, #name = :name, uri = :uri, artists = :artists, " +
          "album = :album, duration_ms = :dur, explicit = :explicit, first_listened = :first, " +
          "last_listened = :last, gsi1pk = :tracks, gsi1sk = :last, gsi2pk = :tracks, version = :nv " +
          "ADD listen_count :c, skip_count :s, listened_ms_total :ms",
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    };
  }

  /** The listener's counts (plays, tracks) or, for artists and albums, the catalog's. */
  function countsUpdate(add: Partial<StoreCounts>, key: { pk: string; sk: string } = keys.counts) {
    const entries = Object.entries(add);
    return {
      Update: {
        TableName,
        Key: key,
        UpdateExpression: `ADD ${entries.map((_, i) => `#c${i} :c${i}`).join(", ")}`,
        ExpressionAttributeNames: Object.fromEntries(entries.map(([k], i) => [`#c${i}`, k])),
        ExpressionAttributeValues: Object.fromEntries(entries.map(([, v], i) => [`:c${i}`, v])),
      },
    };
  }

  async function writeOverflow(playSk: string, deltas: AggregateDelta[]): Promise<void> {
    const parts = chunks(deltas, OVERFLOW_PART);
    for (const [n, part] of parts.entries()) {
      for (let attempt = 0; ; attempt++) {
        try {
          await client.send(
            new TransactWriteCommand({
              TransactItems: [
                {
                  Put: {
                    TableName,
                    Item: { ...keys.playOverflow(playSk, n), entity: "play-overflow" },
                    ConditionExpression: "attribute_not_exists(pk)",
                  },
                },
                ...part.map((d) => deltaUpdate(d)),
              ],
            }),
          );
          break;
        } catch (err) {
          if (isCancelled(err, "ConditionalCheckFailed", 0)) break;
          if (!isCancelled(err, "TransactionConflict") || attempt >= MAX_TRACK_RETRIES) throw err;
          await backoff(attempt);
        }
      }
    }
  }

  /**
   * BatchGetItem over any number of keys, retrying what DynamoDB leaves unprocessed. Keys are
   * deduplicated first: DynamoDB refuses a whole batch naming one key twice ("Provided list of
   * item keys contains duplicates"), and callers may ask twice.
   */
  async function batchGet(
    keyList: readonly { pk: string; sk: string }[],
    consistent = false,
  ): Promise<Record<string, unknown>[]> {
    const unique = [...new Map(keyList.map((k) => [`${k.pk}\u0000${k.sk}`, k])).values()];
    const parts = await mapLimit(chunks(unique, MAX_BATCH_GET), 8, async (part) => {
      const found: Record<string, unknown>[] = [];
      let pending: Record<string, unknown>[] = part;
      for (let attempt = 0; pending.length > 0; attempt++) {
        const out = await client.send(
          new BatchGetCommand({
            RequestItems: { [TableName]: { Keys: pending, ConsistentRead: consistent } },
          }),
        );
        found.push(...(out.Responses?.[TableName] ?? []));
        pending = out.UnprocessedKeys?.[TableName]?.Keys ?? [];
        if (pending.length > 0) await backoff(attempt);
      }
      return found;
    });
    return parts.flat();
  }

  async function batchWrite(requests: readonly Record<string, unknown>[]): Promise<void> {
    await mapLimit(chunks(requests, MAX_BATCH_WRITE), 8, async (part) => {
      let pending: Record<string, unknown>[] = part;
      for (let attempt = 0; pending.length > 0; attempt++) {
        const out = await client.send(new BatchWriteCommand({ RequestItems: { [TableName]: pending } }));
        pending = (out.UnprocessedItems?.[TableName] ?? []) as Record<string, unknown>[];
        if (pending.length > 0) await backoff(attempt);
      }
    });
  }

  async function queryAll(input: Omit<QueryCommandInput, "TableName">): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await client.send(new QueryCommand({ TableName, ...input, ExclusiveStartKey: start }));
      out.push(...(res.Items ?? []));
      start = res.LastEvaluatedKey;
    } while (start);
    return out;
  }

  /**
   * putIfAbsent for artists and albums, then counts the new one. Two writes, not a transaction:
   * recordListen calls this for every artist of a track new to the hoard, and the usual
   * outcome (already there) stays one conditional put. A crash between the two leaves the count one short
   * until the next rebuild-aggregates recounts.
   */
  async function putIfAbsentCounted(item: Record<string, unknown>, counter: "artists" | "albums") {
    try {
      await client.send(
        new PutCommand({ TableName, Item: item, ConditionExpression: "attribute_not_exists(pk)" }),
      );
    } catch (err) {
      if ((err as Error).name === "ConditionalCheckFailedException") return false;
      throw err;
    }
    await client.send(new UpdateCommand(countsUpdate({ [counter]: 1 }, keys.catalogCounts).Update));
    return true;
  }

  /** One field of the link item, if there is a link (unlinked: nothing to note). */
  async function setLinkField(name: "quota_until" | "loop_until", value: string | null): Promise<void> {
    try {
      await client.send(
        new UpdateCommand({
          TableName,
          Key: keys.spotifyLink,
          UpdateExpression: `SET ${name} = :u`,
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeValues: { ":u": value },
        }),
      );
    } catch (err) {
      if ((err as Error).name !== "ConditionalCheckFailedException") throw err;
    }
  }

  const store: Store = {
    async ping() {
      await client.send(new GetCommand({ TableName, Key: keys.spotifyLink }));
    },

    getTrack: (trackId) => get<Track>(keys.track(trackId)),

    listTracksByCount: (limit, cursor) =>
      page<Track>(
        {
          IndexName: indexes.byCount.name,
          KeyConditionExpression: "gsi2pk = :p",
          ExpressionAttributeValues: { ":p": keys.tracksIndexPk },
          ScanIndexForward: false,
          Limit: limit,
        },
        "tracks:by_count",
        ["pk", "sk", "gsi2pk", "listen_count"],
        cursor,
      ),

    listTracksByLastListened: (limit, cursor) =>
      page<Track>(
        {
          IndexName: indexes.gsi1.name,
          KeyConditionExpression: "gsi1pk = :p",
          ExpressionAttributeValues: { ":p": keys.tracksIndexPk },
          ScanIndexForward: false,
          Limit: limit,
        },
        "tracks:by_last_listened",
        ["pk", "sk", "gsi1pk", "gsi1sk"],
        cursor,
      ),

    async recordPlay(play: Play, track: TrackInfo): Promise<RecordPlayResult> {
      const playKey = keys.play(play.listened_at, play.track_id);
      const deltas = playDeltas(play, track.album);
      // Play, track, counts + the deltas.
      const { inline, overflow } = splitForTransaction(deltas, 3, bucketsOf(play.listened_at).length);
      for (let attempt = 0; attempt < MAX_TRACK_RETRIES; attempt++) {
        // Read-then-conditional-write (optimistic lock on `version`): backfilled and imported
        // plays arrive out of order, so first/last listened are a min/max DynamoDB cannot
        // express in an update expression.
        const current = await client.send(
          new GetCommand({ TableName, Key: keys.track(track.track_id), ConsistentRead: true }),
        );
        const item = current.Item as (Track & { version?: number }) | undefined;
        const version = item?.version ?? 0;
        const first =
          item?.first_listened && item.first_listened < play.listened_at
            ? item.first_listened
            : play.listened_at;
        const last =
          item?.last_listened && item.last_listened > play.listened_at
            ? item.last_listened
            : play.listened_at;
        try {
          await client.send(
            new TransactWriteCommand({
              TransactItems: [
                {
                  Put: {
                    TableName,
                    Item: { ...playKey, entity: "play", ...play },
                    ConditionExpression: "attribute_not_exists(pk)",
                  },
                },
                trackUpdate(
                  track,
                  version,
                  { first, last },
                  {
                    listen_count: play.counted ? 1 : 0,
                    skip_count: play.counted ? 0 : 1,
                    listened_ms_total: play.counted ? play.listened_ms : 0,
                  },
                ),
                countsUpdate({
                  plays: 1,
                  counted_plays: play.counted ? 1 : 0,
                  tracks: version === 0 ? 1 : 0,
                }),
                ...inline.map((d) => deltaUpdate(d)),
              ],
            }),
          );
          if (overflow.length > 0) await writeOverflow(playKey.sk, overflow);
          return "recorded";
        } catch (err) {
          if (!(err instanceof TransactionCanceledException)) throw err;
          const reasons = err.CancellationReasons ?? [];
          if (reasons[0]?.Code === "ConditionalCheckFailed") {
            if (overflow.length > 0) await writeOverflow(playKey.sk, overflow);
            return "duplicate";
          }
          const retryable = reasons.some(
            (r) => r.Code === "ConditionalCheckFailed" || r.Code === "TransactionConflict",
          );
          if (!retryable) throw err;
          await backoff(attempt);
        }
      }
      throw new Error(
        `recordPlay: track ${track.track_id} kept changing under us; giving up after ${MAX_TRACK_RETRIES} tries`,
      );
    },

    listPlays({ from, to, limit, cursor }) {
      const values: Record<string, string> = { ":p": keys.playsPartition };
      let range = "";
      // Sort keys are `<listened_at>#<track_id>`: `from` is inclusive, `to` exclusive.
      if (from && to) {
        range = " AND sk BETWEEN :from AND :to";
        values[":from"] = from;
        values[":to"] = to;
      } else if (from) {
        range = " AND sk >= :from";
        values[":from"] = from;
      } else if (to) {
        range = " AND sk < :to";
        values[":to"] = to;
      }
      return page<Play>(
        {
          KeyConditionExpression: `pk = :p${range}`,
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          Limit: limit,
        },
        `plays:${from ?? ""}:${to ?? ""}`,
        ["pk", "sk"],
        cursor,
      );
    },

    async deletePlay(listenedAt, trackId) {
      const playKey = keys.play(listenedAt, trackId);
      const found = await client.send(new GetCommand({ TableName, Key: playKey, ConsistentRead: true }));
      if (!found.Item) return null;
      const play = doc<Play>(found.Item);
      // The same deltas recordPlay (and the import batches, and the rebuild) applied, negated;
      // display fields stay (they name the item, whoever played it last).
      const reversed = playDeltas(play, null).map(
        (d): AggregateDelta => ({
          ...d,
          add: Object.fromEntries(Object.entries(d.add).map(([k, v]) => [k, -v])),
          set: {},
        }),
      );
      const { inline, overflow } = splitForTransaction(reversed, 4, bucketsOf(listenedAt).length);
      // Artists beyond one transaction first, each part once (its marker): a crash before the
      // play's own transaction leaves the play in place, and a retry skips the parts done.
      await writeOverflow(`${playKey.sk}#delete`, overflow);
      const track = await get<Track>(keys.track(trackId), true);
      for (let attempt = 0; ; attempt++) {
        try {
          await client.send(
            new TransactWriteCommand({
              TransactItems: [
                { Delete: { TableName, Key: playKey, ConditionExpression: "attribute_exists(pk)" } },
                countsUpdate({ plays: -1, counted_plays: play.counted ? -1 : 0 }),
                // The pack's fingerprint is the month's TOTAL, which a delete can bring back to
                // an earlier value: drop the pack rather than trust it.
                { Delete: { TableName, Key: keys.dayPack(listenedAt.slice(0, 7)) } },
                ...(track
                  ? [
                      {
                        Update: {
                          TableName,
                          Key: keys.track(trackId),
                          ConditionExpression: "attribute_exists(pk)",
                          UpdateExpression: "ADD listen_count :c, skip_count :s, listened_ms_total :ms",
                          ExpressionAttributeValues: {
                            ":c": play.counted ? -1 : 0,
                            ":s": play.counted ? 0 : -1,
                            ":ms": play.counted ? -play.listened_ms : 0,
                          },
                        },
                      },
                    ]
                  : []),
                ...inline.map((d) => deltaUpdate(d)),
              ],
            }),
          );
          break;
        } catch (err) {
          // Deleted by someone else meanwhile: they reversed it.
          if (isCancelled(err, "ConditionalCheckFailed", 0)) return null;
          if (!isCancelled(err, "TransactionConflict") || attempt >= MAX_TRACK_RETRIES) throw err;
          await backoff(attempt);
        }
      }
      // The recording's overflow markers go, so the same play recorded again moves in full.
      // This delete's own markers stay: a second deleter that read the play before it went
      // must find them, or it would reverse those artists twice. (The price: the same key
      // recorded again and deleted again reverses only the artists one transaction holds.)
      const markers = chunks(overflow, OVERFLOW_PART).map((_, n) => keys.playOverflow(playKey.sk, n));
      if (markers.length > 0) await batchWrite(markers.map((Key) => ({ DeleteRequest: { Key } })));
      // After the counters moved: a snapshot built in between records the old generation.
      await store.bumpStatsGeneration();
      return play;
    },

    async newestPlay() {
      const p = await this.listPlays({ limit: 1 });
      return p.items[0] ?? null;
    },

    async oldestPlay(from) {
      const out = await client.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: from ? "pk = :p AND sk >= :from" : "pk = :p",
          ExpressionAttributeValues: { ":p": keys.playsPartition, ...(from ? { ":from": from } : {}) },
          ScanIndexForward: true,
          Limit: 1,
        }),
      );
      const item = out.Items?.[0];
      return item ? doc<Play>(item) : null;
    },

    putArtistIfAbsent: (artist) =>
      putIfAbsentCounted(
        {
          ...keys.artist(artist.artist_id),
          entity: "artist",
          gsi1pk: keys.unsyncedArtists,
          gsi1sk: artist.artist_id,
          artist_id: artist.artist_id,
          name: artist.name,
          genres: null,
          popularity: null,
          image_url: null,
          synced_at: null,
        } satisfies Artist & Record<string, unknown>,
        "artists",
      ),
    getArtist: (id) => get<Artist>(keys.artist(id)),
    async batchGetArtists(ids) {
      const items = await batchGet([...new Set(ids)].map((id) => keys.artist(id)));
      return items.map((i) => doc<Artist>(i));
    },
    listUnsyncedArtists: (limit) => listIdsOnIndex(keys.unsyncedArtists, limit),
    async saveArtistMetadata(artist) {
      // Writing the item without gsi1pk takes it off the sparse "unsynced" index.
      const old = await client.send(
        new PutCommand({
          TableName,
          Item: { ...keys.artist(artist.artist_id), entity: "artist", ...artist },
          ReturnValues: "ALL_OLD",
        }),
      );
      // Statistics snapshots hold genre totals summed with the genres of their day.
      if (JSON.stringify(old.Attributes?.genres ?? null) !== JSON.stringify(artist.genres ?? null)) {
        await store.bumpStatsGeneration();
      }
    },

    putAlbumIfAbsent: (album) =>
      putIfAbsentCounted(
        {
          ...keys.album(album.album_id),
          entity: "album",
          gsi1pk: keys.unsyncedAlbums,
          gsi1sk: album.album_id,
          ...album,
          label: null,
          release_date: null,
          album_type: null,
          total_tracks: null,
          synced_at: null,
        } satisfies Album & Record<string, unknown>,
        "albums",
      ),
    getAlbum: (id) => get<Album>(keys.album(id)),
    listUnsyncedAlbums: (limit) => listIdsOnIndex(keys.unsyncedAlbums, limit),
    async saveAlbumMetadata(album) {
      await client.send(
        new PutCommand({ TableName, Item: { ...keys.album(album.album_id), entity: "album", ...album } }),
      );
    },

    getDailyAggregates(day) {
      return this.queryAggregates(`D#${day}`);
    },

    async queryAggregates(bucket, dimension, opts) {
      const items = await queryAll({
        KeyConditionExpression: dimension ? "pk = :p AND begins_with(sk, :d)" : "pk = :p",
        ExpressionAttributeValues: {
          ":p": keys.aggregates(bucket),
          ...(dimension ? { ":d": `${dimension}#` } : {}),
        },
        ...(opts?.numbersOnly ? { ProjectionExpression: "pk, sk, plays, skips, listened_ms" } : {}),
      });
      return items.map(toAggregate);
    },

    async countAggregates(bucket, dimension) {
      let count = 0;
      let start: Record<string, unknown> | undefined;
      do {
        const res = await client.send(
          new QueryCommand({
            TableName,
            KeyConditionExpression: "pk = :p AND begins_with(sk, :d)",
            FilterExpression: "plays > :zero",
            ExpressionAttributeValues: { ":p": keys.aggregates(bucket), ":d": `${dimension}#`, ":zero": 0 },
            Select: "COUNT",
            ExclusiveStartKey: start,
          }),
        );
        count += res.Count ?? 0;
        start = res.LastEvaluatedKey;
      } while (start);
      return count;
    },

    async queryAggregateIds(bucket, dimension) {
      // Same read capacity as the whole items (DynamoDB bills what it reads), but a fraction of
      // the attributes to transfer and parse.
      const items = await queryAll({
        KeyConditionExpression: "pk = :p AND begins_with(sk, :d)",
        FilterExpression: "plays > :zero",
        ProjectionExpression: "sk",
        ExpressionAttributeValues: { ":p": keys.aggregates(bucket), ":d": `${dimension}#`, ":zero": 0 },
      });
      return items.map((i) => String(i.sk).slice(dimension.length + 1));
    },

    async queryDays(year, fromDay, toDay, opts) {
      const items = await queryAll({
        KeyConditionExpression: "pk = :p AND sk BETWEEN :a AND :b",
        ExpressionAttributeValues: {
          ":p": keys.aggregates(`Y#${year}`),
          ":a": `DAY#${fromDay}`,
          ":b": `DAY#${toDay}`,
        },
        ConsistentRead: opts?.consistent ?? false,
      });
      return items.map(toAggregate);
    },

    async batchGetAggregates(refs, opts) {
      const items = await batchGet(
        refs.map((r) => keys.aggregate(r.bucket, r.dimension, r.id)),
        opts?.consistent ?? false,
      );
      return items.map(toAggregate);
    },

    async getStatsValidity(days) {
      const refs = [
        keys.aggregate(ALL_BUCKET, "TOTAL", TOTAL_ID),
        ...days.map((d) => keys.aggregate(`D#${d}`, "TOTAL", TOTAL_ID)),
      ];
      // One transaction: a play moves ALL and its day together, so a consistent view of both
      // is what makes "ALL minus the recent days" a fingerprint of the older plays.
      const command = new TransactGetCommand({
        TransactItems: [...refs, keys.statsGeneration].map((Key) => ({ Get: { TableName, Key } })),
      });
      // A transactional read is refused while a play's transaction holds one of the items.
      let out: TransactGetCommandOutput | undefined;
      for (let attempt = 0; !out; attempt++) {
        try {
          out = await client.send(command);
        } catch (err) {
          if (!isCancelled(err, "TransactionConflict") || attempt >= MAX_TRACK_RETRIES) throw err;
          await backoff(attempt);
        }
      }
      const items = (out.Responses ?? []).map((r) => r.Item);
      const gen = items.at(-1);
      const aggs = items.slice(0, -1).map((i) => (i ? aggregateDoc(i, keys.prefix) : null));
      return {
        all: aggs[0] ?? null,
        days: aggs.slice(1).filter((a): a is Aggregate => a !== null),
        generation: typeof gen?.n === "number" ? gen.n : 0,
      };
    },

    async bumpStatsGeneration() {
      await client.send(
        new UpdateCommand({
          TableName,
          Key: keys.statsGeneration,
          UpdateExpression: "ADD n :one",
          ExpressionAttributeValues: { ":one": 1 },
        }),
      );
    },

    async queryStatsSnapshot(key, dimension) {
      const items = await queryAll({
        KeyConditionExpression: "pk = :p AND begins_with(sk, :d)",
        ExpressionAttributeValues: { ":p": keys.statsSnapshot(key), ":d": `${dimension}#` },
      });
      return items
        .map((i) => ({
          n: Number(String(i.sk).slice(dimension.length + 1)),
          build: String(i.build),
          head: typeof i.head === "string" ? i.head : undefined,
          body: i.body as Uint8Array,
        }))
        .sort((a, b) => a.n - b.n);
    },

    async putStatsSnapshot(key, dimension, parts, expiresAt) {
      await batchWrite(
        parts.map((p) => ({
          PutRequest: {
            Item: {
              ...keys.statsSnapshotPart(key, dimension, p.n),
              build: p.build,
              ...(p.head === undefined ? {} : { head: p.head }),
              body: p.body,
              [TTL_ATTRIBUTE]: expiresAt,
            },
          },
        })),
      );
    },

    async snapshotZones() {
      const item = await get<{ tzs?: Set<string> }>(keys.statsSnapshotZones);
      return [...(item?.tzs ?? [])].sort();
    },

    async addSnapshotZone(tz) {
      await client.send(
        new UpdateCommand({
          TableName,
          Key: keys.statsSnapshotZones,
          UpdateExpression: "ADD tzs :tz",
          ExpressionAttributeValues: { ":tz": new Set([tz]) },
        }),
      );
    },

    async queryDayPacks(year) {
      const items = await queryAll({
        KeyConditionExpression: "pk = :p",
        ExpressionAttributeValues: { ":p": keys.dayPacks(year) },
      });
      return items.map((i) => ({ month: String(i.sk), of: String(i.of), days: String(i.days) }));
    },

    async putDayPack(pack) {
      await client.send(
        new PutCommand({
          TableName,
          Item: { ...keys.dayPack(pack.month), of: pack.of, days: pack.days },
        }),
      );
    },

    async getCounts() {
      const [own, catalog] = await Promise.all([
        get<Partial<StoreCounts>>(keys.counts),
        get<Partial<StoreCounts>>(keys.catalogCounts),
      ]);
      return {
        plays: own?.plays ?? 0,
        counted_plays: own?.counted_plays ?? 0,
        tracks: own?.tracks ?? 0,
        // The catalog's: artists and albums belong to nobody (table.ts).
        artists: catalog?.artists ?? 0,
        albums: catalog?.albums ?? 0,
      };
    },

    async putCounts({ artists, albums, ...own }) {
      await client.send(new PutCommand({ TableName, Item: { ...keys.counts, ...own } }));
      await client.send(new PutCommand({ TableName, Item: { ...keys.catalogCounts, artists, albums } }));
    },

    async describeTable() {
      try {
        const out = await client.send(new DescribeTableCommand({ TableName }));
        return { size_bytes: out.Table?.TableSizeBytes ?? 0, item_count: out.Table?.ItemCount ?? 0 };
      } catch (err) {
        if ((err as Error).name === "AccessDeniedException") return null;
        throw err;
      }
    },

    async scanForRebuild(visit, segments = 4) {
      await Promise.all(
        Array.from({ length: segments }, async (_, segment) => {
          let start: Record<string, unknown> | undefined;
          do {
            const res = await client.send(
              new ScanCommand({
                TableName,
                Segment: segment,
                TotalSegments: segments,
                ExclusiveStartKey: start,
              }),
            );
            for (const item of res.Items ?? []) {
              const stored = { pk: String(item.pk), sk: String(item.sk) };
              // This listener's items (read back as logical keys) and the shared catalog;
              // other listeners' items are theirs.
              const own = stored.pk.startsWith(keys.prefix);
              const key = own ? keys.logical(stored) : stored;
              let scanned: ScannedItem;
              if (own && stored.pk === keys.playsPartition) scanned = { type: "play", play: doc<Play>(item) };
              else if (own && stored.pk.startsWith(keys.aggregates(""))) scanned = { type: "aggregate", key };
              else if (own && item.entity === "cursor")
                scanned = { type: "cursor", name: key.pk.slice("CURSOR#".length), value: String(item.value) };
              else if (own && item.entity === "track") scanned = { type: "track", key };
              else if (!own && listenerOfPk(stored.pk) !== null) continue;
              else if (item.entity === "artist" || item.entity === "album")
                scanned = { type: item.entity, key };
              else scanned = { type: "other", key };
              visit(scanned);
            }
            start = res.LastEvaluatedKey;
          } while (start);
        }),
      );
    },

    async putAggregateRecords(records) {
      for (const r of records) {
        if (!r.pk.startsWith("AGG#")) throw new Error(`putAggregateRecords: ${r.pk} is not an aggregate`);
      }
      await batchWrite(records.map((r) => ({ PutRequest: { Item: keys.scoped(r) } })));
    },

    async deleteAggregateRecords(keyList) {
      for (const k of keyList) {
        if (!k.pk.startsWith("AGG#")) throw new Error(`deleteAggregateRecords: ${k.pk} is not an aggregate`);
      }
      await batchWrite(keyList.map((k) => ({ DeleteRequest: { Key: keys.scoped({ pk: k.pk, sk: k.sk }) } })));
    },

    getSpotifyLink: () => get<SpotifyLink>(keys.spotifyLink, true),
    async saveSpotifyLink(link) {
      await client.send(
        new PutCommand({ TableName, Item: { ...keys.spotifyLink, entity: "link", ...link } }),
      );
    },
    setSpotifyQuotaUntil: (until) => setLinkField("quota_until", until),
    setLoopUntil: (until) => setLinkField("loop_until", until),
    async markSpotifyNeedsReauth(reason) {
      try {
        await client.send(
          new UpdateCommand({
            TableName,
            Key: keys.spotifyLink,
            UpdateExpression: "SET needs_reauth = :t, reauth_reason = :r",
            ConditionExpression: "attribute_exists(pk)",
            ExpressionAttributeValues: { ":t": true, ":r": reason },
          }),
        );
      } catch (err) {
        if ((err as Error).name !== "ConditionalCheckFailedException") throw err;
      }
    },

    async recordJobRun(run: JobRun, keepDays = 30) {
      const expires = Math.floor(Date.parse(run.finished_at) / 1000) + keepDays * 86_400;
      await client.send(
        new PutCommand({
          TableName,
          Item: { ...keys.jobRun(run.job, run.started_at), entity: "job", ...run, [TTL_ATTRIBUTE]: expires },
        }),
      );
    },
    async listJobRuns(job, limit) {
      const out = await client.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: "pk = :p",
          ExpressionAttributeValues: { ":p": keys.jobRuns(job) },
          ScanIndexForward: false,
          Limit: limit,
        }),
      );
      return (out.Items ?? []).map((i) => doc<JobRun>(i));
    },

    async getCursor(name) {
      const item = await get<{ value: string }>(keys.cursor(name), true);
      return item?.value ?? null;
    },
    async setCursor(name, value) {
      await client.send(
        new PutCommand({ TableName, Item: { ...keys.cursor(name), entity: "cursor", value } }),
      );
    },
  };
  const internals: DynamoInternals = {
    client,
    TableName,
    keys,
    get,
    batchGet,
    batchWrite,
    queryAll,
    trackUpdate,
    deltaUpdate,
    countsUpdate,
  };
  Object.defineProperty(store, DYNAMO_INTERNALS, { value: internals });
  return store;
}

/**
 * What the import batch writer (shared/store/import-batch.ts) shares with this store: kept out
 * of the Store port, so the handlers that never import do not bundle the batch code.
 */
export const DYNAMO_INTERNALS = Symbol("dynamo-store-internals");
/** An Update as a TransactWriteItems element (or an UpdateCommand's input). */
export interface UpdateOp {
  Update: {
    TableName: string;
    Key: Record<string, unknown>;
    UpdateExpression: string;
    ConditionExpression?: string;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, unknown>;
  };
}
export interface DynamoInternals {
  client: DynamoDBDocumentClient;
  TableName: string;
  /** The store's listener's keys (table.ts). */
  keys: ListenerKeys;
  get<T>(key: { pk: string; sk: string }, consistent?: boolean): Promise<T | null>;
  batchGet(
    keyList: readonly { pk: string; sk: string }[],
    consistent?: boolean,
  ): Promise<Record<string, unknown>[]>;
  batchWrite(requests: readonly Record<string, unknown>[]): Promise<void>;
  queryAll(input: Omit<QueryCommandInput, "TableName">): Promise<Record<string, unknown>[]>;
  trackUpdate(
    track: TrackInfo,
    version: number,
    span: { first: string; last: string },
    add: { listen_count: number; skip_count: number; listened_ms_total: number },
  ): UpdateOp;
  deltaUpdate(d: AggregateDelta): UpdateOp;
  countsUpdate(add: Partial<StoreCounts>, key?: { pk: string; sk: string }): UpdateOp;
}
