import type { Track } from "../domain/entities.ts";
import { get, page, type StoreContext, type UpdateOp } from "./context.ts";
import type { Store, TrackInfo } from "./port.ts";
import { indexes } from "./table.ts";

/** A listener's tracks: one item each, with the counters every play moves (plays.ts). */
export function trackStore(
  ctx: StoreContext,
): Pick<Store, "getTrack" | "listTracksByCount" | "listTracksByLastListened"> {
  const { keys } = ctx;
  return {
    getTrack: (trackId) => get<Track>(ctx, keys.track(trackId)),

    listTracksByCount: (limit, cursor) =>
      page<Track>(
        ctx,
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
        ctx,
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
  };
}

/**
 * The track item's update: display fields, first/last listened, counters, and the optimistic
 * lock (`version`): out-of-order plays make first/last a min/max no update expression has.
 */
export function trackUpdate(
  ctx: StoreContext,
  track: TrackInfo,
  version: number,
  span: { first: string; last: string },
  add: { listen_count: number; skip_count: number; listened_ms_total: number },
): UpdateOp {
  const { keys } = ctx;
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
      TableName: ctx.TableName,
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
