import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { Album, Artist, JobRun, Play, SpotifyLink, Track } from "../domain/entities.ts";
import { decodeCursor, encodeCursor } from "./cursor.ts";
import type { Aggregate, Page, RecordPlayResult, Store, TrackInfo } from "./port.ts";
import { indexes, keys, TTL_ATTRIBUTE } from "./table.ts";

const KEY_ATTRS = new Set(["pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "entity", "version", TTL_ATTRIBUTE]);

/** Drops the storage keys so callers see only the document. */
function doc<T>(item: Record<string, unknown>): T {
  return Object.fromEntries(Object.entries(item).filter(([k]) => !KEY_ATTRS.has(k))) as T;
}

// Optimistic-lock retries on one track item; jittered backoff so racing writers spread out.
const MAX_TRACK_RETRIES = 12;
const backoff = (attempt: number) =>
  new Promise((ok) => setTimeout(ok, Math.random() * Math.min(250, 10 * 2 ** attempt)));

export function createDynamoStore(opts: { client: DynamoDBDocumentClient; tableName: string }): Store {
  const { client, tableName: TableName } = opts;

  const get = async <T>(key: { pk: string; sk: string }, consistent = false): Promise<T | null> => {
    const out = await client.send(new GetCommand({ TableName, Key: key, ConsistentRead: consistent }));
    return out.Item ? doc<T>(out.Item) : null;
  };

  const page = async <T>(
    input: Omit<QueryCommandInput, "TableName">,
    cursorKeys: string[],
    cursor?: string,
  ) => {
    const out = await client.send(
      new QueryCommand({ TableName, ...input, ExclusiveStartKey: decodeCursor(cursor, cursorKeys) }),
    );
    return {
      items: (out.Items ?? []).map((i) => doc<T>(i)),
      next_cursor: encodeCursor(out.LastEvaluatedKey),
    } satisfies Page<T>;
  };

  const putIfAbsent = async (item: Record<string, unknown>): Promise<boolean> => {
    try {
      await client.send(
        new PutCommand({ TableName, Item: item, ConditionExpression: "attribute_not_exists(pk)" }),
      );
      return true;
    } catch (err) {
      if ((err as Error).name === "ConditionalCheckFailedException") return false;
      throw err;
    }
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

  function aggregateUpdates(play: Play) {
    const day = play.listened_at.slice(0, 10);
    const bucket = `D#${day}`;
    const targets: [Aggregate["dimension"], string][] = [["TOTAL", "all"]];
    if (play.counted) {
      targets.push(["TRACK", play.track_id]);
      if (play.album_id) targets.push(["ALBUM", play.album_id]);
      // One transaction may not touch an item twice: an artist credited twice counts once.
      const artistIds = new Set(play.artists.flatMap((a) => (a.id ? [a.id] : [])));
      for (const id of artistIds) targets.push(["ARTIST", id]);
    }
    return targets.map(([dimension, id]) => ({
      Update: {
        TableName,
        Key: keys.aggregate(bucket, dimension, id),
        UpdateExpression:
          "SET #bucket = :b, #dimension = :d, #id = :id ADD plays :p, skips :s, listened_ms :ms",
        // All three are DynamoDB reserved words.
        ExpressionAttributeNames: { "#bucket": "bucket", "#dimension": "dimension", "#id": "id" },
        ExpressionAttributeValues: {
          ":b": bucket,
          ":d": dimension,
          ":id": id,
          ":p": play.counted ? 1 : 0,
          ":s": play.counted ? 0 : 1,
          ":ms": play.counted ? play.listened_ms : 0,
        },
      },
    }));
  }

  return {
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
        ["pk", "sk", "gsi1pk", "gsi1sk"],
        cursor,
      ),

    async recordPlay(play: Play, track: TrackInfo): Promise<RecordPlayResult> {
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
                    Item: { ...keys.play(play.listened_at, play.track_id), entity: "play", ...play },
                    ConditionExpression: "attribute_not_exists(pk)",
                  },
                },
                {
                  Update: {
                    TableName,
                    Key: keys.track(track.track_id),
                    ConditionExpression: version === 0 ? "attribute_not_exists(pk)" : "version = :v",
                    UpdateExpression:
                      "SET entity = :e, track_id = :id, kind = :kind, #name = :name, uri = :uri, artists = :artists, " +
                      "album = :album, duration_ms = :dur, explicit = :explicit, first_listened = :first, " +
                      "last_listened = :last, gsi1pk = :tracks, gsi1sk = :last, gsi2pk = :tracks, version = :nv " +
                      "ADD listen_count :c, skip_count :s, listened_ms_total :ms",
                    ExpressionAttributeNames: { "#name": "name" },
                    ExpressionAttributeValues: {
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
                      ":first": first,
                      ":last": last,
                      ":tracks": keys.tracksIndexPk,
                      ":nv": version + 1,
                      ":c": play.counted ? 1 : 0,
                      ":s": play.counted ? 0 : 1,
                      ":ms": play.counted ? play.listened_ms : 0,
                    },
                  },
                },
                ...aggregateUpdates(play),
              ],
            }),
          );
          return "recorded";
        } catch (err) {
          if (!(err instanceof TransactionCanceledException)) throw err;
          const reasons = err.CancellationReasons ?? [];
          if (reasons[0]?.Code === "ConditionalCheckFailed") return "duplicate";
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
        ["pk", "sk"],
        cursor,
      );
    },

    async newestPlay() {
      const p = await this.listPlays({ limit: 1 });
      return p.items[0] ?? null;
    },

    putArtistIfAbsent: (artist) =>
      putIfAbsent({
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
      } satisfies Artist & Record<string, unknown>),
    getArtist: (id) => get<Artist>(keys.artist(id)),
    listUnsyncedArtists: (limit) => listIdsOnIndex(keys.unsyncedArtists, limit),
    async saveArtistMetadata(artist) {
      // Writing the item without gsi1pk takes it off the sparse "unsynced" index.
      await client.send(
        new PutCommand({
          TableName,
          Item: { ...keys.artist(artist.artist_id), entity: "artist", ...artist },
        }),
      );
    },

    putAlbumIfAbsent: (album) =>
      putIfAbsent({
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
      } satisfies Album & Record<string, unknown>),
    getAlbum: (id) => get<Album>(keys.album(id)),
    listUnsyncedAlbums: (limit) => listIdsOnIndex(keys.unsyncedAlbums, limit),
    async saveAlbumMetadata(album) {
      await client.send(
        new PutCommand({ TableName, Item: { ...keys.album(album.album_id), entity: "album", ...album } }),
      );
    },

    async getDailyAggregates(day) {
      const out: Aggregate[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const res = await client.send(
          new QueryCommand({
            TableName,
            KeyConditionExpression: "pk = :p",
            ExpressionAttributeValues: { ":p": `AGG#D#${day}` },
            ExclusiveStartKey: start,
          }),
        );
        for (const i of res.Items ?? []) out.push(doc<Aggregate>(i));
        start = res.LastEvaluatedKey;
      } while (start);
      return out;
    },

    getSpotifyLink: () => get<SpotifyLink>(keys.spotifyLink, true),
    async saveSpotifyLink(link) {
      await client.send(
        new PutCommand({ TableName, Item: { ...keys.spotifyLink, entity: "link", ...link } }),
      );
    },
    async setSpotifyQuotaUntil(until) {
      try {
        await client.send(
          new UpdateCommand({
            TableName,
            Key: keys.spotifyLink,
            UpdateExpression: "SET quota_until = :u",
            ConditionExpression: "attribute_exists(pk)",
            ExpressionAttributeValues: { ":u": until },
          }),
        );
      } catch (err) {
        if ((err as Error).name !== "ConditionalCheckFailedException") throw err;
      }
    },
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
          ExpressionAttributeValues: { ":p": `JOB#${job}` },
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
}
