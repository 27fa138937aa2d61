import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { GetCommand, QueryCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import type { Play, Track } from "../domain/entities.ts";
import { type AggregateDelta, bucketsOf, playDeltas } from "../stats/aggregates.ts";
import { bumpStatsGeneration } from "./aggregates.ts";
import {
  backoff,
  batchWrite,
  chunks,
  countsUpdate,
  deltaUpdate,
  doc,
  get,
  isCancelled,
  MAX_TRACK_RETRIES,
  MAX_TRANSACTION_ITEMS,
  page,
  type StoreContext,
} from "./context.ts";
import type { RecordPlayResult, Store, TrackInfo } from "./port.ts";
import { trackUpdate } from "./tracks.ts";

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

/** The artists beyond one transaction, each part once: its marker item makes a retry a no-op. */
async function writeOverflow(ctx: StoreContext, playSk: string, deltas: AggregateDelta[]): Promise<void> {
  const { client, TableName, keys } = ctx;
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
              ...part.map((d) => deltaUpdate(ctx, d)),
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

/** A listener's plays: one partition, newest first, each recorded or deleted with its counters. */
export function playStore(
  ctx: StoreContext,
): Pick<Store, "recordPlay" | "listPlays" | "deletePlay" | "newestPlay" | "oldestPlay"> {
  const { client, TableName, keys } = ctx;

  const listPlays: Store["listPlays"] = ({ from, to, limit, cursor }) => {
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
      ctx,
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
  };

  return {
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
                  ctx,
                  track,
                  version,
                  { first, last },
                  {
                    listen_count: play.counted ? 1 : 0,
                    skip_count: play.counted ? 0 : 1,
                    listened_ms_total: play.counted ? play.listened_ms : 0,
                  },
                ),
                countsUpdate(ctx, {
                  plays: 1,
                  counted_plays: play.counted ? 1 : 0,
                  tracks: version === 0 ? 1 : 0,
                }),
                ...inline.map((d) => deltaUpdate(ctx, d)),
              ],
            }),
          );
          if (overflow.length > 0) await writeOverflow(ctx, playKey.sk, overflow);
          return "recorded";
        } catch (err) {
          if (!(err instanceof TransactionCanceledException)) throw err;
          const reasons = err.CancellationReasons ?? [];
          if (reasons[0]?.Code === "ConditionalCheckFailed") {
            if (overflow.length > 0) await writeOverflow(ctx, playKey.sk, overflow);
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

    listPlays,

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
      const { inline, overflow } = splitForTransaction(reversed, 5, bucketsOf(listenedAt).length);
      // Artists beyond one transaction first, each part once (its marker): a crash before the
      // play's own transaction leaves the play in place, and a retry skips the parts done.
      await writeOverflow(ctx, `${playKey.sk}#delete`, overflow);
      const track = await get<Track>(ctx, keys.track(trackId), true);
      for (let attempt = 0; ; attempt++) {
        try {
          await client.send(
            new TransactWriteCommand({
              TransactItems: [
                { Delete: { TableName, Key: playKey, ConditionExpression: "attribute_exists(pk)" } },
                countsUpdate(ctx, { plays: -1, counted_plays: play.counted ? -1 : 0 }),
                // The pack's fingerprint is the month's TOTAL, which a delete can bring back to
                // an earlier value: drop the packs rather than trust them.
                { Delete: { TableName, Key: keys.dayPack(listenedAt.slice(0, 7)) } },
                { Delete: { TableName, Key: keys.trackDayPack(listenedAt.slice(0, 7)) } },
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
                ...inline.map((d) => deltaUpdate(ctx, d)),
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
      if (markers.length > 0)
        await batchWrite(
          ctx,
          markers.map((Key) => ({ DeleteRequest: { Key } })),
        );
      // After the counters moved: a snapshot built in between records the old generation.
      await bumpStatsGeneration(ctx);
      return play;
    },

    async newestPlay() {
      const p = await listPlays({ limit: 1 });
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
  };
}
