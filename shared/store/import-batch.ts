import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { PutCommand, TransactWriteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { mapLimit } from "../concurrency.ts";
import type { Play, Track } from "../domain/entities.ts";
import { isSyntheticId } from "../domain/names.ts";
import { type AlbumDetails, createAggregateFold, playDeltas } from "../stats/aggregates.ts";
import type { Store, TrackInfo } from "./port.ts";
import {
  BATCH_ATTR,
  backoff,
  chunks,
  DYNAMO_INTERNALS,
  type DynamoInternals,
  doc,
  MAX_TRACK_RETRIES,
  MAX_TRANSACTION_ITEMS,
  type UpdateOp,
} from "./repository.ts";
import { keys as logicalKeys } from "./table.ts";

/**
 * The store's import-only writes (shared/import/importer.ts): batches of plays applied exactly
 * once per part, and the leased checkpoint. A module of its own so that only the import
 * handlers bundle it (the public cards stay under their size budget).
 */

/** One listen of an import batch; `written` when an earlier attempt of the batch stored it. */
export interface BatchEntry {
  play: Play;
  track: TrackInfo;
  written?: boolean;
}

/**
 * An imported play Spotify has yet to describe: artists or album known by name only, or no
 * duration. Its track is flagged (UNRESOLVED_ATTR) so the resolution finds it even after live
 * capture has rewritten the track document with Spotify's details.
 */
export const awaitsSpotify = (p: Play) =>
  p.source === "import" &&
  p.kind === "track" &&
  !isSyntheticId(p.track_id) &&
  (p.artists.some((a) => !!a.id && isSyntheticId(a.id)) ||
    (p.album_id !== null && isSyntheticId(p.album_id)) ||
    p.duration_ms === 0);

export const UNRESOLVED_ATTR = "unresolved_plays";

/** A track update that also flags the track as holding plays awaiting resolution. */
function flagUnresolved(op: UpdateOp): UpdateOp {
  const u = op.Update;
  return {
    Update: {
      ...u,
      UpdateExpression: u.UpdateExpression.replace(/^SET /, `SET ${UNRESOLVED_ATTR} = :unresolved, `),
      ExpressionAttributeValues: { ...u.ExpressionAttributeValues, ":unresolved": true },
    },
  };
}

export interface ImportStore extends Store {
  /**
   * Records an import chunk's new listens with the same counters and aggregates as recordPlay,
   * merged per item (a thousand listens touch a few thousand items, not fifteen thousand). In
   * four steps, each part of which is applied exactly once per `batchId` by a marker item in its
   * transaction: the plays (each only if absent, noting the batch), the tracks in groups, the
   * aggregates in parts cut from the batch's plays alone, the counts. Running a batch again after
   * a crash, with the plays an earlier attempt wrote passed as `written` (listBatchPlays),
   * completes it and counts nothing twice. Plays someone else wrote meanwhile come back as
   * `duplicates`.
   */
  recordPlayBatch(
    batchId: string,
    entries: readonly BatchEntry[],
  ): Promise<{ recorded: Play[]; duplicates: Play[]; new_tracks: number }>;
  /**
   * Rewrites stored plays of one track in place (same keys: an imported track learning its
   * artists, album and duration from Spotify) and moves their counters from what the plays were
   * to what they become, a few plays per transaction: each holds those plays (each conditioned
   * on still being as read), their aggregate deltas merged (the old negated, the new added), the
   * track's counters and display fields, and the counts. So every statistic moves exactly once
   * and never shows a play twice or not at all; a play that changed meanwhile is read again.
   * Returns how many plays were rewritten.
   */
  rewritePlays(
    track: TrackInfo,
    plays: readonly Play[],
    rewrite: (p: Play) => Play | null,
    album: AlbumDetails | null,
  ): Promise<number>;
  /**
   * Moves the plays of a track known by names only (the older account export) to the Spotify
   * track that is the same song: each play deleted under its old key and written under the new
   * one, its counters moved from the old track, artists and album to the new ones (`counted`
   * decided again by `rewrite`), a few plays per transaction like rewritePlays. A play the target
   * already holds under the same key is dropped instead of written twice. The emptied track is
   * deleted. Returns how many plays moved.
   */
  movePlays(
    from: Track,
    to: TrackInfo,
    plays: readonly Play[],
    rewrite: (p: Play) => Play,
    album: AlbumDetails | null,
  ): Promise<number>;
  /** The stored tracks among these ids, a hundred per request (read as getTrack reads one). */
  getTracks(trackIds: readonly string[]): Promise<Map<string, Track>>;
  /** Notes that Spotify does not know an imported track, so it is not asked again. */
  markUnresolvable(trackId: string): Promise<void>;
  /** Deletes a finished batch's markers (once no checkpoint names it). */
  forgetBatch(batchId: string): Promise<void>;
  /** Which of these plays (by key) the batch wrote, as written (strongly consistent). */
  listBatchPlays(batchId: string, plays: readonly Pick<Play, "listened_at" | "track_id">[]): Promise<Play[]>;
  /**
   * Writes a cursor under a lease: only when no other owner holds it past `now`. False when
   * someone else does (an import of the same file running elsewhere).
   */
  setLeasedCursor(
    name: string,
    value: string,
    lease: { owner: string; until: number; now: number },
  ): Promise<boolean>;
}

/**
 * A cancelled transaction worth sending again as it was: another writer's transaction on one of
 * its items, or DynamoDB throttling it (a busy partition: every play lands in PLAYS, and an
 * on-demand table ramps up). The batch markers make sending a part twice harmless; past
 * MAX_TRACK_RETRIES the import stops and a rerun resumes at the chunk.
 */
const tryAgain = (r: { Code?: string | undefined }) =>
  r.Code === "TransactionConflict" || r.Code === "ThrottlingError";

/** The same import batch is being written by another process (the same file imported twice at once). */
export class ConcurrentBatchError extends Error {
  override name = "ConcurrentBatchError";
  constructor(batchId: string) {
    super(
      `import batch ${batchId} is being written by another import of the same file right now; ` +
        "run this one again once that one has finished (it will complete the chunk)",
    );
  }
}

/** The store with its import-only writes (the DynamoDB store of repository.ts). */
export function importStoreOf(store: Store): ImportStore {
  const internals = (store as { [DYNAMO_INTERNALS]?: DynamoInternals })[DYNAMO_INTERNALS];
  if (!internals) throw new Error("imports need the DynamoDB store (createDynamoStore)");
  const writes = batchWrites(internals);
  // Imports and resolution change past counters (resolution without changing any TOTAL):
  // statistics snapshots built before must not be trusted after (shared/stats/snapshot.ts).
  // Bumped after the writes, even failed ones (some parts may be applied).
  const bumping =
    <A extends unknown[], R>(write: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await write(...args);
      } finally {
        await store.bumpStatsGeneration();
      }
    };
  return {
    ...store,
    ...writes,
    recordPlayBatch: bumping(writes.recordPlayBatch),
    rewritePlays: bumping(writes.rewritePlays),
    movePlays: bumping(writes.movePlays),
  };
}

function batchWrites(i: DynamoInternals): Omit<ImportStore, keyof Store> {
  const {
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
  } = i;

  // --------------------------------------------------------------- batches (imports)

  /**
   * The marker of one part of a batch: its Put refuses a second application of that part. No TTL:
   * a rerun of a crashed chunk may come any time later; the importer deletes the markers once
   * the chunk is done (forgetBatch).
   */
  function markerPut(batchId: string, part: string, extra: Record<string, unknown> = {}) {
    return {
      Put: {
        TableName,
        Item: {
          ...keys.batchMarker(batchId, part),
          entity: "batch-marker",
          ...extra,
        },
        ConditionExpression: "attribute_not_exists(pk)",
      },
    };
  }

  /**
   * Runs one part of a batch once: its marker and its writes in one transaction. False when the
   * marker was there already (an earlier attempt applied the part).
   */
  async function applyPart(batchId: string, part: string, writes: readonly object[]): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        await client.send(
          new TransactWriteCommand({ TransactItems: [markerPut(batchId, part), ...writes] as never }),
        );
        return true;
      } catch (err) {
        if (!(err instanceof TransactionCanceledException)) throw err;
        const reasons = err.CancellationReasons ?? [];
        if (reasons[0]?.Code === "ConditionalCheckFailed") return false;
        if (attempt >= MAX_TRACK_RETRIES || !reasons.some(tryAgain)) throw err;
        await backoff(attempt);
      }
    }
  }

  /**
   * A group of tracks' shares of a batch: their updates under the optimistic lock and the group's
   * marker (listing the tracks the batch created) in one transaction. Returns the ids created.
   */
  async function applyTrackGroup(
    batchId: string,
    part: string,
    group: readonly { track: TrackInfo; plays: readonly Play[] }[],
  ): Promise<string[]> {
    for (let attempt = 0; attempt < MAX_TRACK_RETRIES; attempt++) {
      const current = new Map(
        (
          await batchGet(
            group.map((g) => keys.track(g.track.track_id)),
            true,
          )
        ).map((i) => [String(i.track_id), i as Track & { version?: number }]),
      );
      const created: string[] = [];
      const updates = group.map(({ track, plays }) => {
        const item = current.get(track.track_id);
        const version = item?.version ?? 0;
        if (version === 0) created.push(track.track_id);
        const counted = plays.filter((p) => p.counted);
        const starts = plays.map((p) => p.listened_at).sort();
        const span = {
          first: [item?.first_listened, starts[0]].filter((x): x is string => !!x).sort()[0] as string,
          last: [item?.last_listened, starts.at(-1)]
            .filter((x): x is string => !!x)
            .sort()
            .at(-1) as string,
        };
        const update = trackUpdate(track, version, span, {
          listen_count: counted.length,
          skip_count: plays.length - counted.length,
          listened_ms_total: counted.reduce((n, p) => n + p.listened_ms, 0),
        });
        return plays.some(awaitsSpotify) ? flagUnresolved(update) : update;
      });
      try {
        await client.send(
          new TransactWriteCommand({ TransactItems: [markerPut(batchId, part, { created }), ...updates] }),
        );
        return created;
      } catch (err) {
        if (!(err instanceof TransactionCanceledException)) throw err;
        const reasons = err.CancellationReasons ?? [];
        if (reasons[0]?.Code === "ConditionalCheckFailed") {
          // Applied by an earlier attempt, which noted the tracks it created.
          const marker = await get<{ created?: string[] }>(keys.batchMarker(batchId, part), true);
          return marker?.created ?? [];
        }
        // A track changed under us (live capture): read the group again.
        if (!reasons.some((r) => r.Code === "ConditionalCheckFailed" || tryAgain(r))) throw err;
        await backoff(attempt);
      }
    }
    throw new Error(
      `recordPlayBatch: tracks of ${part} kept changing under us; giving up after ${MAX_TRACK_RETRIES} tries`,
    );
  }

  /** The transaction of one group of rewritten plays (see rewritePlays). */
  function rewriteGroup(track: TrackInfo, pairs: readonly [Play, Play][], album: AlbumDetails | null) {
    const fold = createAggregateFold();
    let counted = 0;
    let counts = { listen_count: 0, skip_count: 0, listened_ms_total: 0 };
    for (const [before, after] of pairs) {
      for (const d of playDeltas(before, null)) {
        const add = Object.fromEntries(Object.entries(d.add).map(([k, v]) => [k, -v]));
        fold.apply({ ...d, add, set: {} }, "");
      }
      fold.add(after, album);
      const c = (p: Play) => (p.counted ? 1 : 0);
      counted += c(after) - c(before);
      counts = {
        listen_count: counts.listen_count + c(after) - c(before),
        skip_count: counts.skip_count + c(before) - c(after),
        listened_ms_total:
          counts.listened_ms_total + c(after) * after.listened_ms - c(before) * before.listened_ms,
      };
    }
    // Items whose numbers cancel out and whose display fields stay: nothing to write.
    const deltas = fold
      .deltas()
      .filter((d) => Object.values(d.add).some((v) => v !== 0) || Object.keys(d.set).length > 0);
    const plays = pairs.map(([before, after]) => ({
      Update: {
        TableName,
        Key: keys.play(after.listened_at, after.track_id),
        ConditionExpression: "artists = :oldArtists AND duration_ms = :oldDuration",
        UpdateExpression:
          "SET artists = :artists, album_id = :album, duration_ms = :duration, counted = :counted",
        ExpressionAttributeValues: {
          ":oldArtists": before.artists,
          ":oldDuration": before.duration_ms,
          ":artists": after.artists,
          ":album": after.album_id,
          ":duration": after.duration_ms,
          ":counted": after.counted,
        },
      },
    }));
    const trackItem = {
      Update: {
        TableName,
        Key: keys.track(track.track_id),
        ConditionExpression: "attribute_exists(pk)",
        // The version moves too: a play recorded meanwhile re-reads the track, not its old artists.
        UpdateExpression:
          "SET #name = :name, artists = :artists, album = :album, duration_ms = :duration " +
          "ADD version :one, listen_count :c, skip_count :s, listened_ms_total :ms",
        ExpressionAttributeNames: { "#name": "name" },
        ExpressionAttributeValues: {
          ":name": track.name,
          ":artists": track.artists,
          ":album": track.album,
          ":duration": track.duration_ms,
          ":one": 1,
          ":c": counts.listen_count,
          ":s": counts.skip_count,
          ":ms": counts.listened_ms_total,
        },
      },
    };
    const total = counted !== 0 ? [countsUpdate({ counted_plays: counted })] : [];
    return [...plays, ...deltas.map((d) => deltaUpdate(d)), trackItem, ...total];
  }

  /**
   * Cuts the pairs into groups whose transactions stay within DynamoDB's item limit: `perPlay`
   * items for each play, `fixed` more (tracks, counts), and the aggregate items.
   */
  function rewriteGroups(
    pairs: readonly [Play, Play][],
    album: AlbumDetails | null,
    perPlay = 1,
    fixed = 2,
  ): [Play, Play][][] {
    const groups: [Play, Play][][] = [];
    let group: [Play, Play][] = [];
    let items = new Set<string>();
    for (const pair of pairs) {
      const mine = [...playDeltas(pair[0], null), ...playDeltas(pair[1], album)].map(
        (d) => `${d.bucket}|${d.dimension}|${d.id}`,
      );
      const union = new Set([...items, ...mine]);
      // Its plays, the aggregate items, the track and the counts.
      if (group.length > 0 && (group.length + 1) * perPlay + union.size + fixed > MAX_TRANSACTION_ITEMS) {
        groups.push(group);
        group = [];
        items = new Set(mine);
      } else items = union;
      group.push(pair);
    }
    if (group.length > 0) groups.push(group);
    return groups;
  }

  return {
    async rewritePlays(track, plays, rewrite, album) {
      let rewritten = 0;
      let pending = plays;
      for (let attempt = 0; pending.length > 0; attempt++) {
        const pairs = pending.flatMap((p): [Play, Play][] => {
          const after = rewrite(p);
          return after ? [[p, after]] : [];
        });
        const changed: Play[] = [];
        for (const group of rewriteGroups(pairs, album)) {
          try {
            await client.send(
              new TransactWriteCommand({ TransactItems: rewriteGroup(track, group, album) as never }),
            );
            rewritten += group.length;
          } catch (err) {
            if (!(err instanceof TransactionCanceledException)) throw err;
            const reasons = err.CancellationReasons ?? [];
            if (
              attempt >= MAX_TRACK_RETRIES ||
              !reasons.some((r) => r.Code === "ConditionalCheckFailed" || r.Code === "TransactionConflict")
            ) {
              throw err;
            }
            // A play changed under us (or was rewritten by an earlier run): read the group again.
            changed.push(...group.map(([before]) => before));
          }
        }
        if (changed.length === 0) break;
        await backoff(attempt);
        pending = (
          await batchGet(
            changed.map((p) => keys.play(p.listened_at, p.track_id)),
            true,
          )
        ).map((i) => doc<Play>(i));
      }
      // The track itself, whether or not any play changed (its plays may all have been done),
      // no longer flagged: every play it holds is as Spotify describes it.
      const last = rewriteGroup(track, [], album).at(-1) as
        | { Update: { UpdateExpression: string } }
        | undefined;
      if (last) {
        last.Update.UpdateExpression += ` REMOVE ${UNRESOLVED_ATTR}`;
        await client.send(new TransactWriteCommand({ TransactItems: [last] as never }));
      }
      return rewritten;
    },

    async movePlays(from, to, plays, rewrite, album) {
      const sk = (p: Play) => keys.play(p.listened_at, p.track_id).sk;
      const c = (p: Play) => (p.counted ? 1 : 0);
      let moved = 0;
      let pending = plays.filter((p) => p.track_id === from.track_id);
      for (let attempt = 0; pending.length > 0; attempt++) {
        const pairs = pending.map((p): [Play, Play] => [p, rewrite(p)]);
        const held = new Set(
          (
            await batchGet(
              pairs.map(([, after]) => keys.play(after.listened_at, after.track_id)),
              true,
            )
          ).map((i) => String(i.sk)),
        );
        const retry: Play[] = [];
        for (const group of rewriteGroups(pairs, album, 2, 3)) {
          // Raw (batchGet), not get(): documents come without their `version`.
          const [target] = (await batchGet([keys.track(to.track_id)], true)) as (Track & {
            version?: number;
          })[];
          const fold = createAggregateFold();
          const items: object[] = [];
          const gone = { listen_count: 0, skip_count: 0, listened_ms_total: 0 };
          const come = { listen_count: 0, skip_count: 0, listened_ms_total: 0 };
          let counted = 0;
          let dropped = 0;
          const starts: string[] = [];
          for (const [before, after] of group) {
            items.push({
              Delete: {
                TableName,
                Key: keys.play(before.listened_at, before.track_id),
                ConditionExpression: "attribute_exists(pk)",
              },
            });
            for (const d of playDeltas(before, null)) {
              fold.apply(
                { ...d, add: Object.fromEntries(Object.entries(d.add).map(([k, v]) => [k, -v])), set: {} },
                "",
              );
            }
            gone.listen_count -= c(before);
            gone.skip_count -= 1 - c(before);
            gone.listened_ms_total -= c(before) * before.listened_ms;
            counted -= c(before);
            if (held.has(sk(after))) {
              // The target already has this very listen: keep one.
              dropped++;
              continue;
            }
            items.push({
              Put: {
                TableName,
                Item: { ...keys.play(after.listened_at, after.track_id), entity: "play", ...after },
                ConditionExpression: "attribute_not_exists(pk)",
              },
            });
            fold.add(after, album);
            come.listen_count += c(after);
            come.skip_count += 1 - c(after);
            come.listened_ms_total += c(after) * after.listened_ms;
            counted += c(after);
            starts.push(after.listened_at);
          }
          starts.sort();
          const span = {
            first: [target?.first_listened, starts[0]].filter((x): x is string => !!x).sort()[0] ?? "",
            last:
              [target?.last_listened, starts.at(-1)]
                .filter((x): x is string => !!x)
                .sort()
                .at(-1) ?? "",
          };
          items.push(
            ...fold
              .deltas()
              .filter((d) => Object.values(d.add).some((v) => v !== 0) || Object.keys(d.set).length > 0)
              .map((d) => deltaUpdate(d)),
            {
              Update: {
                TableName,
                Key: keys.track(from.track_id),
                ConditionExpression: "attribute_exists(pk)",
                UpdateExpression: "ADD version :one, listen_count :c, skip_count :s, listened_ms_total :ms",
                ExpressionAttributeValues: {
                  ":one": 1,
                  ":c": gone.listen_count,
                  ":s": gone.skip_count,
                  ":ms": gone.listened_ms_total,
                },
              },
            },
            trackUpdate(to, target?.version ?? 0, span, come),
          );
          const countChange = { counted_plays: counted, plays: -dropped };
          const changes = Object.fromEntries(Object.entries(countChange).filter(([, v]) => v !== 0));
          if (Object.keys(changes).length > 0) items.push(countsUpdate(changes));
          try {
            await client.send(new TransactWriteCommand({ TransactItems: items as never }));
            moved += group.length - dropped;
          } catch (err) {
            if (!(err instanceof TransactionCanceledException)) throw err;
            const reasons = err.CancellationReasons ?? [];
            const again = reasons.some(
              (r) => r.Code === "ConditionalCheckFailed" || r.Code === "TransactionConflict",
            );
            if (attempt >= MAX_TRACK_RETRIES || !again) throw err;
            retry.push(...group.map(([before]) => before));
          }
        }
        if (retry.length === 0) break;
        await backoff(attempt);
        // What is still under the old key (a play moved by an earlier attempt is gone from it).
        pending = (
          await batchGet(
            retry.map((p) => keys.play(p.listened_at, p.track_id)),
            true,
          )
        ).map((i) => doc<Play>(i));
      }
      // The emptied track goes (unless a play of it arrived meanwhile), one track fewer.
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Delete: {
                  TableName,
                  Key: keys.track(from.track_id),
                  ConditionExpression: "listen_count = :zero AND skip_count = :zero",
                  ExpressionAttributeValues: { ":zero": 0 },
                },
              },
              countsUpdate({ tracks: -1 }),
            ] as never,
          }),
        );
      } catch (err) {
        if (!(err instanceof TransactionCanceledException)) throw err;
      }
      return moved;
    },

    async getTracks(trackIds) {
      const items = await batchGet(trackIds.map((id) => keys.track(id)));
      return new Map(items.map((i) => [String(i.track_id), doc<Track>(i)]));
    },

    async markUnresolvable(trackId) {
      await client.send(
        new UpdateCommand({
          TableName,
          Key: keys.track(trackId),
          ConditionExpression: "attribute_exists(pk)",
          UpdateExpression: "SET unresolvable = :t",
          ExpressionAttributeValues: { ":t": true },
        }),
      );
    },

    async recordPlayBatch(batchId, entries) {
      // 1. The plays, each only if absent, each noting its batch: what a rerun finds written.
      const refusedKeys = new Set<string>();
      const fresh = entries.filter((e) => !e.written);
      await mapLimit(chunks(fresh, MAX_TRANSACTION_ITEMS), 4, async (group) => {
        let pending = group;
        for (let attempt = 0; pending.length > 0; attempt++) {
          try {
            await client.send(
              new TransactWriteCommand({
                TransactItems: pending.map(({ play }) => ({
                  Put: {
                    TableName,
                    Item: {
                      ...keys.play(play.listened_at, play.track_id),
                      entity: "play",
                      ...play,
                      [BATCH_ATTR]: batchId,
                    },
                    ConditionExpression: "attribute_not_exists(pk)",
                  },
                })),
              }),
            );
            return;
          } catch (err) {
            if (!(err instanceof TransactionCanceledException)) throw err;
            const reasons = err.CancellationReasons ?? [];
            const taken = new Set(
              reasons.flatMap((r, i) => (r.Code === "ConditionalCheckFailed" ? [i] : [])),
            );
            if (taken.size > 0) {
              // Written meanwhile by someone else (another import, live capture): theirs.
              for (const i of taken) {
                const e = pending[i];
                if (e) refusedKeys.add(keys.play(e.play.listened_at, e.play.track_id).sk);
              }
              pending = pending.filter((_, i) => !taken.has(i));
              continue;
            }
            if (attempt >= MAX_TRACK_RETRIES || !reasons.some(tryAgain)) throw err;
            await backoff(attempt);
          }
        }
      });
      if (refusedKeys.size > 0) {
        // A refused play this very batch wrote means a twin is writing it right now (the same
        // file imported twice at once): both would cut different parts under one batch id.
        const refused = await batchGet(
          [...refusedKeys].map((sk) => ({ pk: keys.playsPartition, sk })),
          true,
        );
        if (refused.some((item) => item[BATCH_ATTR] === batchId)) throw new ConcurrentBatchError(batchId);
      }
      const keyOf = (p: Play) => keys.play(p.listened_at, p.track_id).sk;
      const batch = entries.filter((e) => !refusedKeys.has(keyOf(e.play)));
      const duplicates = entries.filter((e) => refusedKeys.has(keyOf(e.play))).map((e) => e.play);

      // 2. The tracks, in groups cut from the batch's plays alone.
      const byTrack = new Map<string, { track: TrackInfo; plays: Play[] }>();
      const fold = createAggregateFold();
      for (const { play, track } of batch) {
        fold.add(play, track.album);
        const group = byTrack.get(track.track_id);
        if (group) group.plays.push(play);
        else byTrack.set(track.track_id, { track, plays: [play] });
      }
      const trackGroups = chunks(
        [...byTrack.values()].sort((x, y) => (x.track.track_id < y.track.track_id ? -1 : 1)),
        MAX_TRANSACTION_ITEMS - 1,
      );
      const created = (
        await mapLimit([...trackGroups.entries()], 4, ([n, group]) =>
          applyTrackGroup(batchId, logicalKeys.batchPart.tracks(n), group),
        )
      ).flat();

      // 3. The aggregates, merged per item, in parts that depend only on the batch's plays (so a
      //    rerun cuts the same parts and skips the ones already applied).
      const deltas = fold.deltas().sort((x, y) => {
        const kx = `${x.bucket}|${x.dimension}|${x.id}`;
        const ky = `${y.bucket}|${y.dimension}|${y.id}`;
        return kx < ky ? -1 : kx > ky ? 1 : 0;
      });
      const parts = chunks(deltas, MAX_TRANSACTION_ITEMS - 1);
      await mapLimit([...parts.entries()], 4, ([n, part]) =>
        applyPart(
          batchId,
          logicalKeys.batchPart.aggregates(n),
          part.map((d) => deltaUpdate(d)),
        ),
      );

      // 4. The counts.
      const newTracks = created.length;
      if (batch.length > 0) {
        await applyPart(batchId, logicalKeys.batchPart.counts, [
          countsUpdate({
            plays: batch.length,
            counted_plays: batch.filter((e) => e.play.counted).length,
            tracks: newTracks,
          }),
        ]);
      }
      return { recorded: batch.map((e) => e.play), duplicates, new_tracks: newTracks };
    },

    async forgetBatch(batchId) {
      const markers = await queryAll({
        KeyConditionExpression: "pk = :p",
        ExpressionAttributeValues: { ":p": keys.batchMarker(batchId, "").pk },
        ProjectionExpression: "pk, sk",
      });
      await batchWrite(markers.map((m) => ({ DeleteRequest: { Key: { pk: m.pk, sk: m.sk } } })));
    },

    async listBatchPlays(batchId, playKeys) {
      const unique = new Map(playKeys.map((k) => [keys.play(k.listened_at, k.track_id).sk, k]));
      const items = await batchGet(
        [...unique.values()].map((k) => keys.play(k.listened_at, k.track_id)),
        true,
      );
      return items.filter((i) => i[BATCH_ATTR] === batchId).map((i) => doc<Play>(i));
    },

    async setLeasedCursor(name, value, lease) {
      try {
        await client.send(
          new PutCommand({
            TableName,
            Item: {
              ...keys.cursor(name),
              entity: "cursor",
              value,
              lease_owner: lease.owner,
              lease_until: lease.until,
            },
            ConditionExpression:
              "attribute_not_exists(lease_until) OR lease_until < :now OR lease_owner = :me",
            ExpressionAttributeValues: { ":now": lease.now, ":me": lease.owner },
          }),
        );
        return true;
      } catch (err) {
        if ((err as Error).name === "ConditionalCheckFailedException") return false;
        throw err;
      }
    },
  };
}
