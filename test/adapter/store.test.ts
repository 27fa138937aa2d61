import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { Play } from "#shared/domain/entities.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import { countAll, queryAll, type Table } from "#shared/store/context.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import type { Store, TrackInfo } from "#shared/store/port.ts";
import { createDynamoStore } from "#shared/store/repository.ts";
import { listenerKeys } from "#shared/store/table.ts";
import { dynamoEndpoint, uniqueTableName } from "#test/support/services.ts";

let store: Store;
let table: Table;

before(async () => {
  const client = createDocumentClient({ region: "us-east-1", endpoint: await dynamoEndpoint() });
  const tableName = uniqueTableName("store");
  assert.equal(await ensureTable(client, tableName), "created");
  assert.equal(await ensureTable(client, tableName), "exists");
  store = createDynamoStore({ client, tableName, listener: OWNER_ID });
  table = { client, TableName: tableName };
});

function track(
  id: string,
  artists: TrackInfo["artists"] = [{ id: `ar-${id}`, name: `Artist ${id}` }],
): TrackInfo {
  return {
    track_id: id,
    kind: "track",
    name: `Song ${id}`,
    uri: `spotify:track:${id}`,
    artists,
    album: { id: `al-${id}`, name: `Album ${id}`, image_url: null },
    duration_ms: 200_000,
  };
}

function play(t: TrackInfo, listenedAt: string, listenedMs = 180_000, counted = true): Play {
  return {
    track_id: t.track_id,
    kind: t.kind,
    name: t.name,
    artists: t.artists,
    album_id: t.album?.id ?? null,
    listened_at: listenedAt,
    ended_at: new Date(Date.parse(listenedAt) + listenedMs).toISOString(),
    listened_ms: listenedMs,
    duration_ms: t.duration_ms,
    counted,
    estimated: false,
    source: "poll",
    device_name: "Laptop",
    device_type: "Computer",
    context_type: "playlist",
    context_uri: "spotify:playlist:1",
    shuffle_state: false,
  };
}

describe("recordPlay", () => {
  test("moves the track counters and first/last listened, out-of-order plays included", async () => {
    const t = track("a1");
    assert.equal(await store.recordPlay(play(t, "2026-11-20T10:00:00.000Z"), t), "recorded");
    assert.equal(await store.recordPlay(play(t, "2026-11-21T10:00:00.000Z", 100_000), t), "recorded");
    // A backfilled play older than both arrives last.
    assert.equal(await store.recordPlay(play(t, "2026-11-19T10:00:00.000Z", 50_000), t), "recorded");
    assert.equal(await store.recordPlay(play(t, "2026-11-21T11:00:00.000Z", 5_000, false), t), "recorded");
    const doc = await store.getTrack("a1");
    assert.ok(doc);
    assert.equal(doc.listen_count, 3);
    assert.equal(doc.skip_count, 1);
    assert.equal(doc.listened_ms_total, 330_000);
    assert.equal(doc.first_listened, "2026-11-19T10:00:00.000Z");
    assert.equal(doc.last_listened, "2026-11-21T11:00:00.000Z");
    assert.equal(doc.name, "Song a1");
    assert.equal("pk" in doc, false, "storage keys are not part of the document");
  });

  test("the same play twice counts once (deterministic key)", async () => {
    const t = track("dup");
    const p = play(t, "2026-11-18T08:00:00.000Z");
    assert.equal(await store.recordPlay(p, t), "recorded");
    assert.equal(await store.recordPlay(p, t), "duplicate");
    assert.equal((await store.getTrack("dup"))?.listen_count, 1);
  });

  test("two loops racing to record the same plays never double count", async () => {
    const t = track("race");
    const plays = Array.from({ length: 8 }, (_, i) => play(t, `2026-11-17T0${i}:00:00.000Z`));
    const results = await Promise.all([...plays, ...plays].map((p) => store.recordPlay(p, t)));
    assert.equal(results.filter((r) => r === "recorded").length, 8);
    assert.equal(results.filter((r) => r === "duplicate").length, 8);
    const doc = await store.getTrack("race");
    assert.equal(doc?.listen_count, 8);
    assert.equal(doc?.listened_ms_total, 8 * 180_000);
  });

  test("daily aggregates count plays per track, album and each artist once; skips only in the total", async () => {
    const t = track("agg", [
      { id: "ar-x", name: "X" },
      { id: "ar-x", name: "X" },
      { id: "ar-y", name: "Y" },
      { id: null, name: "Local artist" },
    ]);
    await store.recordPlay(play(t, "2026-10-01T09:00:00.000Z", 120_000), t);
    await store.recordPlay(play(t, "2026-10-01T10:00:00.000Z", 60_000), t);
    await store.recordPlay(play(t, "2026-10-01T11:00:00.000Z", 3_000, false), t);
    const aggs = await store.getDailyAggregates("2026-10-01");
    const by = (d: string, id: string) => aggs.find((a) => a.dimension === d && a.id === id);
    assert.deepEqual(
      {
        plays: by("TOTAL", "all")?.plays,
        skips: by("TOTAL", "all")?.skips,
        ms: by("TOTAL", "all")?.listened_ms,
      },
      { plays: 2, skips: 1, ms: 180_000 },
    );
    assert.equal(by("TRACK", "agg")?.plays, 2);
    assert.equal(by("ALBUM", "al-agg")?.plays, 2);
    assert.equal(by("ARTIST", "ar-x")?.plays, 2);
    assert.equal(by("ARTIST", "ar-y")?.listened_ms, 180_000);
    assert.equal(aggs.filter((a) => a.dimension === "ARTIST").length, 2);
  });
});

describe("listPlays", () => {
  test("newest first, bounded by [from, to), paginated with cursors", async () => {
    const t = track("page");
    const times = Array.from({ length: 7 }, (_, i) => `2026-09-0${i + 1}T12:00:00.000Z`);
    for (const at of times) await store.recordPlay(play(t, at), t);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listPlays({
        from: "2026-09-02T00:00:00.000Z",
        to: "2026-09-07T12:00:00.000Z",
        limit: 2,
        cursor,
      });
      assert.ok(page.items.length <= 2);
      seen.push(...page.items.map((p) => p.listened_at));
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    assert.deepEqual(seen, times.slice(1, 6).reverse(), "from inclusive, to exclusive, newest first");
    const newest = await store.newestPlay();
    assert.equal(newest?.listened_at, "2026-11-21T11:00:00.000Z");
  });

  test("tracks list by count and by last listened", async () => {
    const byCount = await store.listTracksByCount(3);
    const counts = byCount.items.map((t) => t.listen_count);
    assert.deepEqual(
      counts,
      [...counts].sort((a, b) => b - a),
    );
    assert.equal(byCount.items[0]?.track_id, "race");
    assert.ok(byCount.next_cursor);
    const next = await store.listTracksByCount(3, byCount.next_cursor ?? undefined);
    assert.ok(next.items.every((t) => t.listen_count <= (counts.at(-1) ?? 0)));
    const byLast = await store.listTracksByLastListened(1);
    assert.equal(byLast.items[0]?.track_id, "a1");
  });
});

describe("artists, albums, link, jobs, cursors", () => {
  test("new artists and albums wait on the unsynced index until their metadata is saved", async () => {
    assert.equal(await store.putArtistIfAbsent({ artist_id: "u1", name: "U1" }), true);
    assert.equal(await store.putArtistIfAbsent({ artist_id: "u1", name: "U1 again" }), false);
    assert.ok((await store.listUnsyncedArtists(50)).includes("u1"));
    await store.saveArtistMetadata({
      artist_id: "u1",
      name: "U1",
      genres: ["shoegaze"],
      popularity: 40,
      image_url: null,
      synced_at: "2026-11-21T00:00:00.000Z",
    });
    assert.equal((await store.listUnsyncedArtists(50)).includes("u1"), false);
    assert.deepEqual((await store.getArtist("u1"))?.genres, ["shoegaze"]);

    assert.equal(
      await store.putAlbumIfAbsent({ album_id: "b1", name: "B1", artists: [], image_url: null }),
      true,
    );
    assert.ok((await store.listUnsyncedAlbums(50)).includes("b1"));
    const album = await store.getAlbum("b1");
    assert.ok(album);
    await store.saveAlbumMetadata({ ...album, label: "L", synced_at: "2026-11-21T00:00:00.000Z" });
    assert.equal((await store.listUnsyncedAlbums(50)).includes("b1"), false);
  });

  test("the Spotify link is stored and can be flagged for re-authorization", async () => {
    assert.equal(await store.getSpotifyLink(), null);
    await store.markSpotifyNeedsReauth("invalid_grant");
    assert.equal(await store.getSpotifyLink(), null, "flagging an absent link creates nothing");
    await store.saveSpotifyLink({
      refresh_token: "r",
      scope: "s",
      linked_at: "2026-11-21T00:00:00.000Z",
      user_id: "u",
      display_name: null,
      needs_reauth: false,
      reauth_reason: null,
    });
    await store.markSpotifyNeedsReauth("invalid_grant");
    const link = await store.getSpotifyLink();
    assert.equal(link?.needs_reauth, true);
    assert.equal(link?.reauth_reason, "invalid_grant");
    assert.equal(link?.refresh_token, "r");
  });

  test("a rotated refresh token keeps the link's notes and never brings a deleted link back", async () => {
    await store.saveSpotifyLink({
      refresh_token: "r1",
      scope: "s",
      linked_at: "2026-11-21T00:00:00.000Z",
      user_id: "u",
      display_name: null,
      needs_reauth: false,
      reauth_reason: null,
    });
    await store.setLoopUntil("2026-11-21T00:06:00.000Z");
    await store.rotateSpotifyRefreshToken("r2", "s2");
    const link = await store.getSpotifyLink();
    assert.deepEqual([link?.refresh_token, link?.scope, link?.user_id], ["r2", "s2", "u"]);
    assert.equal(link?.loop_until, "2026-11-21T00:06:00.000Z", "a loop's note written meanwhile stays");
    // A removal deletes the link while a loop may be refreshing its token: it stays deleted.
    await store.deleteSpotifyLink();
    assert.equal(await store.getSpotifyLink(), null);
    await store.rotateSpotifyRefreshToken("r3", "s");
    assert.equal(await store.getSpotifyLink(), null, "rotating an absent link creates nothing");
  });

  test("job runs newest first; cursors round-trip", async () => {
    for (const at of ["2026-11-21T01:00:00.000Z", "2026-11-21T03:00:00.000Z", "2026-11-21T02:00:00.000Z"]) {
      await store.recordJobRun({
        job: "backfill",
        started_at: at,
        finished_at: at,
        ok: true,
        result: { added: 1 },
      });
    }
    const runs = await store.listJobRuns("backfill", 2);
    assert.deepEqual(
      runs.map((r) => r.started_at),
      ["2026-11-21T03:00:00.000Z", "2026-11-21T02:00:00.000Z"],
    );
    assert.deepEqual(runs[0]?.result, { added: 1 });
    // Two runs started in the same millisecond are two runs, listed after the newer one.
    const same = "2026-11-21T04:00:00.000Z";
    for (const added of [2, 3]) {
      await store.recordJobRun({
        job: "backfill",
        started_at: same,
        finished_at: same,
        ok: true,
        result: { added },
      });
    }
    const latest = await store.listJobRuns("backfill", 3);
    assert.deepEqual(
      latest.map((r) => r.started_at),
      [same, same, "2026-11-21T03:00:00.000Z"],
    );
    assert.deepEqual(
      latest
        .slice(0, 2)
        .map((r) => r.result?.added)
        .sort(),
      [2, 3],
    );
    assert.equal(await store.getCursor("recently-played"), null);
    await store.setCursor("recently-played", "1700000000000");
    assert.equal(await store.getCursor("recently-played"), "1700000000000");
  });
});

describe("paged reads", () => {
  test("counts and queries follow every page; distinct counts leave items played 0 times out", async () => {
    const day = "2025-03-14";
    const tracks = ["p1", "p2", "p3", "p4", "p5", "p6"].map((id) => track(id));
    for (const [i, t] of tracks.entries()) {
      await store.recordPlay(play(t, `${day}T0${i}:00:00.000Z`), t);
    }
    // Deleting p6's only play leaves its TRACK item in the bucket at 0 plays.
    assert.ok(await store.deletePlay(`${day}T05:00:00.000Z`, "p6"));

    assert.equal(await store.countAggregates(`D#${day}`, "TRACK"), 5);
    assert.deepEqual((await store.queryAggregateIds(`D#${day}`, "TRACK")).sort(), [
      "p1",
      "p2",
      "p3",
      "p4",
      "p5",
    ]);

    // Two items a page: only following LastEvaluatedKey sees all six TRACK items.
    const keys = listenerKeys(OWNER_ID);
    const trackItems = {
      KeyConditionExpression: "pk = :p AND begins_with(sk, :d)",
      ExpressionAttributeValues: {
        ":p": keys.aggregates(`D#${day}`),
        ":d": keys.aggregateDimension("TRACK"),
      },
      Limit: 2,
    };
    assert.equal((await queryAll(table, trackItems)).length, 6);
    assert.equal(await countAll(table, trackItems), 6);
    assert.equal(
      await countAll(table, {
        ...trackItems,
        FilterExpression: "plays > :zero",
        ExpressionAttributeValues: { ...trackItems.ExpressionAttributeValues, ":zero": 0 },
      }),
      5,
    );
  });
});
