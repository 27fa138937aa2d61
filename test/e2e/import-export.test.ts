import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { recordListen } from "#shared/capture/record.ts";
import type { Play } from "#shared/domain/entities.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import type { ImportSummary } from "#shared/http/schemas.ts";
import {
  contentHash,
  IMPORT_CURSOR_PREFIX,
  ImportBusyError,
  importContent,
} from "#shared/import/importer.ts";
import { emptySkips, ImportFileError, parseImportFile } from "#shared/import/parse.ts";
import { RebuildRefused, rebuildAggregates } from "#shared/stats/rebuild.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import { importStoreOf } from "#shared/store/import-batch.ts";
import type { Store, TrackInfo } from "#shared/store/port.ts";
import { createDynamoStore } from "#shared/store/repository.ts";
import { listenerKeys } from "#shared/store/table.ts";
import { bearer, startTestApp, type TestApp } from "#test/support/app.ts";
import {
  accountRow,
  type ExtendedRow,
  generatedExport,
  quirkyDownload,
  realShapedExport,
  trackRow,
} from "#test/support/exports.ts";
import { allPlays, counters, statistics } from "#test/support/hoard.ts";
import { dynamoEndpoint, uniqueTableName } from "#test/support/services.ts";
import { makeZip } from "#test/support/zip.ts";

/**
 * Import and export against DynamoDB Local: the importer on fresh tables (exact summaries, the
 * matcher against listens captured live), POST /import and the export routes through the local
 * server, and both command-line scripts run as a person would run them.
 */

const S = 1000;
const T0 = Date.parse("2024-03-01T08:00:00.000Z");
const at = (s: number) => new Date(T0 + s * S).toISOString();
const FILE = "Streaming_History_Audio_2024.json";
const root = fileURLToPath(new URL("../..", import.meta.url));

let app: TestApp;
let token: string;

before(async () => {
  app = await startTestApp();
  token = await bearer(app);
});
after(() => app.close());

async function freshStore(): Promise<{ store: Store; tableName: string }> {
  const endpoint = await dynamoEndpoint();
  const client = createDocumentClient({ region: "us-east-1", endpoint });
  const tableName = uniqueTableName("import");
  await ensureTable(client, tableName);
  return { store: createDynamoStore({ client, tableName, listener: OWNER_ID }), tableName };
}

const countBy = (plays: Play[]) => {
  const m: Record<string, number> = {};
  for (const p of plays) m[p.track_id] = (m[p.track_id] ?? 0) + 1;
  return m;
};

const noSkips = emptySkips();

/** What the playback loop (or the backfill) would have stored for a listen. */
async function live(
  store: Store,
  o: {
    id: string;
    name: string;
    artist: string;
    start: number;
    end: number;
    duration: number;
    estimated?: boolean;
  },
) {
  const track: TrackInfo = {
    track_id: o.id,
    kind: "track",
    name: o.name,
    uri: `spotify:track:${o.id}`,
    artists: [{ id: `artist-${o.artist}`, name: o.artist }],
    album: { id: `album-${o.id}`, name: `${o.name} (album)`, image_url: "http://img/1.png" },
    duration_ms: o.duration,
  };
  const listened = Math.min(o.duration, (o.end - o.start) * S);
  const play: Play = {
    track_id: o.id,
    kind: "track",
    name: o.name,
    artists: track.artists,
    album_id: track.album?.id ?? null,
    listened_at: at(o.start),
    ended_at: at(o.end),
    listened_ms: listened,
    duration_ms: o.duration,
    counted: listened >= Math.min(30_000, o.duration / 2),
    estimated: o.estimated ?? false,
    source: o.estimated ? "backfill" : "poll",
    device_name: "Desktop",
    device_type: "Computer",
    context_type: null,
    context_uri: null,
    shuffle_state: false,
  };
  assert.equal(await recordListen(store, play, track), "recorded");
}

const A = { id: "4uLU6hMCjMI75M1A2tKUQC", name: "Never Gonna Give You Up", artist: "Rick Astley" };

describe("importing Spotify's Extended export", () => {
  test("into an empty hoard: an exact summary, every listen stored once", async () => {
    const { store } = await freshStore();
    const text = JSON.stringify(realShapedExport(T0));
    const progress: number[] = [];
    const summary = await importContent(store, FILE, text, {
      chunkSize: 3,
      onProgress: (p) => progress.push(p.done),
    });
    assert.deepEqual(summary, {
      file: FILE,
      format: "spotify-extended",
      sha256: contentHash(text),
      status: "imported",
      entries: 12,
      imported: 8,
      counted: 6,
      matched: 0,
      skipped: { ...emptySkips(), incognito: 1, zero_ms: 1, no_item: 1, duplicate_row: 1 },
      resumed_from: null,
    } satisfies ImportSummary);
    assert.equal(progress.at(-1), 8);
    const plays = await allPlays(store);
    assert.equal(plays.length, 8);
    assert.ok(
      plays.every((p) => p.source === "import" && p.estimated),
      "imported listens are flagged",
    );
    assert.equal(new Set(plays.map((p) => `${p.listened_at}#${p.track_id}`)).size, 8);
    const a = await store.getTrack(A.id);
    assert.equal(a?.listen_count, 1, "the duplicate row did not count twice");
    assert.equal(a?.name, A.name);
    assert.equal((await store.getTrack("B0000000000000000000bb"))?.skip_count, 1, "a 20 s listen is a skip");
    assert.equal(plays.find((p) => p.track_id === "4uLU6hMCjMI75M1A2tKUQC")?.listened_at, at(0));

    // The same file again: nothing new, whether or not the checkpoint is consulted.
    const again = await importContent(store, FILE, text, { resume: false, chunkSize: 3 });
    assert.deepEqual(
      [again.status, again.imported, again.counted, again.matched, again.skipped],
      ["imported", 0, 0, 8, summary.skipped],
    );
    const quick = await importContent(store, "renamed.json", text);
    assert.deepEqual([quick.status, quick.imported, quick.matched], ["already_imported", 0, 0]);
    assert.equal((await allPlays(store)).length, 8);
    assert.equal((await store.getTrack(A.id))?.listen_count, 1);
  });

  test("after live capture: what was captured or backfilled is matched, only the rest is written", async () => {
    const { store } = await freshStore();
    const C = { id: "C0000000000000000000cc", name: "C", artist: "X" };
    const D = { id: "D0000000000000000000dd", name: "Jingle", artist: "X" };
    const G = { id: "G0000000000000000000gg", name: "Paused one", artist: "Y" };
    const H = { id: "H0000000000000000000hh", name: "Not in the export", artist: "Y" };
    const K = { id: "K0000000000000000000kk", name: "Short one", artist: "Z" };
    // The loop's end is exact; Spotify's ts is truncated to the second.
    await live(store, { ...A, start: 1.2, end: 201.5, duration: 213_000 });
    await live(store, { ...C, start: 244, end: 289.3, duration: 180_000 });
    // The backfill inserted D from recently-played: start estimated from the duration.
    await live(store, { ...D, start: 295, end: 310, duration: 15_000, estimated: true });
    // G stood paused from 6060 s; Spotify lists it when it left the player, 9 minutes later.
    await live(store, { ...G, start: 6000, end: 6060, duration: 240_000 });
    await live(store, { ...H, start: 7000, end: 7200, duration: 200_000 });
    await live(store, { ...K, start: 7500, end: 7540, duration: 40_000 });
    const rows: ExtendedRow[] = [
      trackRow({ ...A, end: T0 + 200 * S, ms: 200_000 }),
      trackRow({
        id: "B0000000000000000000bb",
        name: "B",
        artist: "X",
        end: T0 + 230 * S,
        ms: 20_000,
        reason_end: "fwdbtn",
      }),
      trackRow({ ...C, end: T0 + 290 * S, ms: 45_000, reason_end: "fwdbtn" }),
      trackRow({ ...D, end: T0 + 310 * S, ms: 15_000 }),
      trackRow({ ...G, end: T0 + 6600 * S, ms: 60_000, reason_end: "fwdbtn" }),
      trackRow({ ...K, end: T0 + 7541 * S, ms: 40_000 }),
      trackRow({ ...K, end: T0 + 8000 * S, ms: 25_000, reason_end: "fwdbtn" }),
    ];
    const summary = await importContent(store, FILE, JSON.stringify(rows));
    assert.deepEqual(
      [summary.entries, summary.imported, summary.counted, summary.matched, summary.skipped],
      [7, 2, 1, 5, noSkips],
    );
    const plays = await allPlays(store);
    assert.deepEqual(countBy(plays), {
      [A.id]: 1,
      B0000000000000000000bb: 1,
      [C.id]: 1,
      [D.id]: 1,
      [G.id]: 1,
      [H.id]: 1,
      [K.id]: 2,
    });
    // K is known to the hoard: the imported listen takes its ids and duration, and 25 s of a
    // 40 s track counts (without the duration, 30 s would have decided it does not).
    const k2 = plays.find((p) => p.track_id === K.id && p.source === "import");
    assert.deepEqual(
      [k2?.artists, k2?.album_id, k2?.duration_ms, k2?.counted, k2?.listened_at],
      [[{ id: "artist-Z", name: "Z" }], `album-${K.id}`, 40_000, true, at(7975)],
    );
    assert.equal((await store.getTrack(K.id))?.listen_count, 2);
    assert.equal(
      (await store.getTrack(K.id))?.album?.image_url,
      "http://img/1.png",
      "the track was not degraded",
    );
    assert.equal(plays.find((p) => p.track_id === A.id)?.source, "poll", "the live listen stays as it was");
  });

  test("chunk boundaries change nothing: a live listen is matched once, a quick replay stays a play", async () => {
    const rows = [
      trackRow({ ...A, end: T0 + 200 * S, ms: 200_000 }),
      // Played again, ending within the tolerance of the live listen's end, then once more 10 s later.
      trackRow({ ...A, end: T0 + 260 * S, ms: 40_000, reason_end: "fwdbtn" }),
      trackRow({ ...A, end: T0 + 270 * S, ms: 5_000, reason_end: "fwdbtn" }),
    ];
    for (const chunkSize of [1, 1000]) {
      const { store } = await freshStore();
      await live(store, { ...A, start: 1.2, end: 201.5, duration: 213_000 });
      const s = await importContent(store, FILE, JSON.stringify(rows), { chunkSize });
      assert.deepEqual([s.imported, s.matched], [2, 1], `chunks of ${chunkSize}`);
      assert.equal((await allPlays(store)).length, 3);
    }
  });

  test("the older account-data export matches live listens by name; the Extended one then adds nothing", async () => {
    const { store } = await freshStore();
    await live(store, { ...A, start: 1.2, end: 201.5, duration: 213_000 });
    const account = [
      accountRow(T0 + 200 * S, 200_000, "Rick Astley", "Never Gonna Give You Up"),
      accountRow(T0 + 500 * S, 150_000, "Kylie", "Locomotion"),
    ];
    const first = await importContent(store, "StreamingHistory0.json", JSON.stringify(account));
    assert.deepEqual([first.format, first.imported, first.matched], ["spotify-account", 1, 1]);
    const extended = [
      trackRow({ ...A, end: T0 + 200 * S, ms: 200_000 }),
      trackRow({
        id: "L0000000000000000000ll",
        name: "Locomotion",
        artist: "Kylie",
        end: T0 + 500 * S,
        ms: 150_000,
      }),
    ];
    const second = await importContent(store, FILE, JSON.stringify(extended));
    assert.deepEqual([second.imported, second.matched], [0, 2], "both exports list the same two plays");
    assert.equal((await allPlays(store)).length, 2);
  });

  test("rows repeated in another file collapse", async () => {
    const { store } = await freshStore();
    const rows = realShapedExport(T0);
    const one = rows.slice(0, 5);
    const two = rows.slice(3);
    const s1 = await importContent(store, "Streaming_History_Audio_2024_0.json", JSON.stringify(one));
    const s2 = await importContent(store, "Streaming_History_Audio_2024_1.json", JSON.stringify(two));
    assert.deepEqual([s1.imported, s1.matched], [5, 0]);
    // two: D, E and the copy of A again (matched), F twice at one instant (two listens: their
    // lengths differ), the local file, and the three rows skipped anyway.
    assert.deepEqual(
      [s2.entries, s2.imported, s2.matched, s2.skipped],
      [9, 3, 3, { ...emptySkips(), incognito: 1, zero_ms: 1, no_item: 1, duplicate_row: 0 }],
    );
    assert.equal((await allPlays(store)).length, 8);
  });

  test("a malformed file writes nothing, not even a checkpoint", async () => {
    const { store } = await freshStore();
    const rows: unknown[] = realShapedExport(T0);
    rows.push({ ...(rows[0] as object), ts: "2024-13-45T99:00:00Z" });
    const text = JSON.stringify(rows);
    await assert.rejects(importContent(store, FILE, text, { chunkSize: 2 }), (err: unknown) => {
      assert.ok(err instanceof ImportFileError);
      assert.equal(err.problems[0]?.entry, 12);
      assert.equal(err.problems[0]?.field, "ts");
      return true;
    });
    assert.equal((await allPlays(store)).length, 0);
    assert.equal(await store.getCursor(`${IMPORT_CURSOR_PREFIX}${contentHash(text)}`), null);
  });

  test("an interrupted import resumes at its last chunk and ends with the same plays and numbers", async () => {
    const rows = generatedExport(60, { tracks: 12, start: T0 });
    const text = JSON.stringify(rows);
    const { store: reference } = await freshStore();
    const whole = await importContent(reference, FILE, text, { chunkSize: 10 });
    const { store } = await freshStore();
    const stop = new AbortController();
    const part = await importContent(store, FILE, text, {
      chunkSize: 10,
      signal: stop.signal,
      onProgress: (p) => {
        if (p.done >= 20) stop.abort();
      },
    });
    assert.equal(part.status, "partial");
    assert.equal(part.imported + part.matched, 20);
    assert.equal((await allPlays(store)).length, 20);
    const rest = await importContent(store, FILE, text, { chunkSize: 10 });
    assert.equal(rest.resumed_from, 20);
    assert.deepEqual({ ...rest, resumed_from: null }, whole);
    assert.equal(whole.imported + whole.matched, parseImportFile(FILE, text).entries.length);
    const key = (p: Play) => `${p.listened_at}#${p.track_id}`;
    assert.deepEqual((await allPlays(store)).map(key), (await allPlays(reference)).map(key));
  });
});

describe("a crash in the middle of a chunk", () => {
  /**
   * A store on `tableName` whose client throws on its nth transaction, once, and names every
   * transaction it sends: "plays", or the batch part its marker names ("T#<n>", "A#<n>",
   * "COUNTS"), with the batch ("<hash>:<from>-<to>").
   */
  function crashingStore(tableName: string, endpoint: string, nth: number) {
    const client = createDocumentClient({ region: "us-east-1", endpoint });
    const sent: { part: string; batch: string }[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "TransactWriteItemsCommand") {
          const first = (args.input as { TransactItems: { Put?: { Item: Record<string, unknown> } }[] })
            .TransactItems[0]?.Put?.Item;
          // The owner's keys, read back without the listener prefix.
          const pk = String(first?.pk ?? "").replace(listenerKeys(OWNER_ID).prefix, "");
          const marker = pk.startsWith("BATCH#");
          sent.push({
            part: marker ? String(first?.sk) : "plays",
            batch: marker ? pk.slice(6) : String(first?.import_batch ?? ""),
          });
          if (sent.length === nth) throw new Error("injected crash");
        }
        return next(args);
      },
      { step: "initialize", name: "injectCrash" },
    );
    return {
      store: createDynamoStore({ client, tableName, listener: OWNER_ID }),
      crashed: () => sent.length >= nth,
      sent,
    };
  }

  /** The counts, the track counters and every aggregate item of the plays' buckets. */
  // A chunk is a few transactions: its plays, its tracks, the aggregate parts, the counts.
  // Each case crashes the second chunk at one of them (found in an uninterrupted run).
  const CRASH_AT: [string, (part: string) => boolean][] = [
    ["its plays", (part) => part === "plays"],
    ["its tracks", (part) => part.startsWith("T#")],
    ["its second aggregate part", (part) => part.startsWith("A#")],
    ["its counts", (part) => part === "COUNTS"],
  ];
  for (const [where, isPart] of CRASH_AT) {
    test(`a crash at ${where}: the rerun replays that chunk, and nothing is counted twice`, async () => {
      const rows = generatedExport(90, { tracks: 12, start: T0 });
      const text = JSON.stringify(rows);
      const endpoint = await dynamoEndpoint();
      const ref = await freshStore();
      const recording = crashingStore(ref.tableName, endpoint, Number.POSITIVE_INFINITY);
      const reference = recording.store;
      const whole = await importContent(reference, FILE, text, { chunkSize: 30 });
      const second = recording.sent.filter((x) => x.batch.endsWith(":30-60"));
      const hits = second.filter((x) => isPart(x.part));
      const target = hits[Math.min(1, hits.length - 1)];
      assert.ok(target, `the second chunk sent ${where}`);
      const nth = recording.sent.indexOf(target) + 1;

      const { store, tableName } = await freshStore();
      const flaky = crashingStore(tableName, endpoint, nth);
      await assert.rejects(importContent(flaky.store, FILE, text, { chunkSize: 30 }), /injected crash/);
      assert.ok(flaky.crashed());
      await assert.rejects(rebuildAggregates(store), RebuildRefused, "no rebuild over a half-written chunk");
      const rest = await importContent(store, FILE, text, { chunkSize: 30 });
      assert.equal(rest.status, "imported");
      assert.deepEqual({ ...rest, resumed_from: null }, whole);
      const markers: string[] = [];
      await store.scanForRebuild((item) => {
        if (item.type === "other" && item.key.pk.startsWith("BATCH#")) markers.push(item.key.pk);
      });
      assert.deepEqual(markers, [], "finished chunks leave no batch markers");

      const key = (p: Play) => `${p.listened_at}#${p.track_id}`;
      assert.deepEqual((await allPlays(store)).map(key), (await allPlays(reference)).map(key));
      assert.deepEqual(await counters(store), await counters(reference));
      // And the reference itself is what a rebuild from its plays computes.
      const rebuilt = await rebuildAggregates(reference);
      assert.equal(rebuilt.aggregates_deleted, 0);
      assert.deepEqual(await counters(reference), await counters(store));
    });
  }

  test("a transaction DynamoDB throttles is sent again: the import ends as an unthrottled one", async () => {
    const rows = generatedExport(90, { tracks: 12, start: T0 });
    const text = JSON.stringify(rows);
    const reference = await freshStore();
    const whole = await importContent(reference.store, FILE, text, { chunkSize: 30 });

    // Every transaction is throttled the first time it is sent, as a hot partition answers.
    const { tableName } = await freshStore();
    const client = createDocumentClient({ region: "us-east-1", endpoint: await dynamoEndpoint() });
    const sent = new Set<string>();
    let throttled = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "TransactWriteItemsCommand") {
          const items = (args.input as { TransactItems: unknown[] }).TransactItems;
          const id = JSON.stringify(items[0]);
          if (!sent.has(id)) {
            sent.add(id);
            throttled++;
            throw new TransactionCanceledException({
              message: "Transaction cancelled, please refer cancellation reasons for specific reasons",
              $metadata: { httpStatusCode: 400 },
              CancellationReasons: items.map((_, i) => ({
                Code: i === items.length - 1 ? "ThrottlingError" : "None",
              })),
            });
          }
        }
        return next(args);
      },
      { step: "initialize", name: "injectThrottling" },
    );
    const store = createDynamoStore({ client, tableName, listener: OWNER_ID });
    assert.deepEqual(await importContent(store, FILE, text, { chunkSize: 30 }), whole);
    assert.ok(throttled >= 3 * 4, `every part of the three chunks was throttled once (${throttled})`);
    assert.deepEqual(await counters(store), await counters(reference.store));
    assert.deepEqual((await allPlays(store)).length, (await allPlays(reference.store)).length);
  });

  test("the same file imported twice at once: counted once (a clash stops one, a rerun finishes)", async () => {
    const rows = generatedExport(120, { tracks: 12, start: T0, seed: 9 });
    const text = JSON.stringify(rows);
    const { store: reference } = await freshStore();
    await importContent(reference, FILE, text, { chunkSize: 30 });
    const endpoint = await dynamoEndpoint();
    const { store, tableName } = await freshStore();
    const twin = createDynamoStore({
      client: createDocumentClient({ region: "us-east-1", endpoint }),
      tableName,
      listener: OWNER_ID,
    });
    const runs = await Promise.allSettled([
      importContent(store, FILE, text, { chunkSize: 30 }),
      importContent(twin, FILE, text, { chunkSize: 30 }),
    ]);
    for (const r of runs) if (r.status === "rejected") assert.match(String(r.reason), /by another run/);
    await importContent(store, FILE, text, { chunkSize: 30, resume: true });
    const key = (p: Play) => `${p.listened_at}#${p.track_id}`;
    assert.deepEqual((await allPlays(store)).map(key), (await allPlays(reference)).map(key));
    assert.deepEqual(await counters(store), await counters(reference));
  });

  test("while one run imports a file, another run of it (CLI or POST /import) is refused", async () => {
    const text = JSON.stringify(generatedExport(90, { tracks: 12, start: T0, seed: 4 }));
    const endpoint = await dynamoEndpoint();
    const { store, tableName } = await freshStore();
    const twin = createDynamoStore({
      client: createDocumentClient({ region: "us-east-1", endpoint }),
      tableName,
      listener: OWNER_ID,
    });
    let second: Promise<unknown> | null = null;
    const first = await importContent(store, FILE, text, {
      chunkSize: 30,
      onProgress: () => {
        second ??= importContent(twin, FILE, text, { chunkSize: 30 }).then(
          () => "imported",
          (err: unknown) => err,
        );
      },
    });
    assert.equal(first.status, "imported");
    assert.ok(((await second) as unknown) instanceof ImportBusyError);
    // Let go once finished: a later run is told the file is done.
    assert.equal((await importContent(twin, FILE, text)).status, "already_imported");
  });

  test("a batch meeting plays it wrote itself (but was not told so) stops instead of cutting other parts", async () => {
    const { store } = await freshStore();
    const entries = parseImportFile(
      FILE,
      JSON.stringify(generatedExport(5, { tracks: 3, start: T0 })),
    ).entries.map((e) => ({ play: e.play, track: e.track }));
    const batches = importStoreOf(store);
    const first = await batches.recordPlayBatch("twin:0-5", entries);
    assert.equal(first.recorded.length, 5);
    const counts = await store.getCounts();
    await assert.rejects(batches.recordPlayBatch("twin:0-5", entries), /another import of the same file/);
    // Someone else's batch meeting the same plays takes them as duplicates.
    const other = await batches.recordPlayBatch("other:0-5", entries);
    assert.deepEqual([other.recorded.length, other.duplicates.length], [0, 5]);
    assert.deepEqual(await store.getCounts(), counts);
  });

  test("a crash, then a run told to start over (--force): the half-written chunk is still finished first", async () => {
    const text = JSON.stringify(generatedExport(90, { tracks: 12, start: T0, seed: 6 }));
    const endpoint = await dynamoEndpoint();
    const ref = await freshStore();
    const recording = crashingStore(ref.tableName, endpoint, Number.POSITIVE_INFINITY);
    await importContent(recording.store, FILE, text, { chunkSize: 30 });
    const nth = recording.sent.findIndex((x) => x.part === "COUNTS" && x.batch.endsWith(":30-60")) + 1;
    assert.ok(nth > 0);
    const { store, tableName } = await freshStore();
    await assert.rejects(
      importContent(crashingStore(tableName, endpoint, nth).store, FILE, text, { chunkSize: 30 }),
    );
    const again = await importContent(store, FILE, text, { chunkSize: 30, resume: false });
    assert.equal(again.status, "imported");
    assert.deepEqual(await counters(store), await counters(recording.store));
  });

  test("two rows of one track starting at the same instant, replayed after a crash: one play", async () => {
    const rows = generatedExport(40, { tracks: 12, start: T0, seed: 8 });
    const [a] = rows;
    assert.ok(a);
    // Same start, a later end: the parser keeps both rows, the batch writes one play.
    rows.splice(1, 0, {
      ...a,
      ts: new Date(Date.parse(a.ts) + 60_000).toISOString().replace(".000", ""),
      ms_played: a.ms_played + 60_000,
    });
    const text = JSON.stringify(rows);
    const endpoint = await dynamoEndpoint();
    const ref = await freshStore();
    const recording = crashingStore(ref.tableName, endpoint, Number.POSITIVE_INFINITY);
    const whole = await importContent(recording.store, FILE, text, { chunkSize: 30 });
    const nth = recording.sent.findIndex((x) => x.part.startsWith("T#")) + 1;
    const { store, tableName } = await freshStore();
    await assert.rejects(
      importContent(crashingStore(tableName, endpoint, nth).store, FILE, text, { chunkSize: 30 }),
    );
    const rest = await importContent(store, FILE, text, { chunkSize: 30 });
    assert.deepEqual({ ...rest, resumed_from: null }, whole);
    assert.deepEqual(await counters(store), await counters(recording.store));
  });

  test("another import between the crash and the rerun: still nothing counted twice", async () => {
    const a = JSON.stringify(generatedExport(60, { tracks: 8, start: T0, seed: 1 }));
    // Other tracks by the same artists, over the same hours: b moves counters a moves too (the
    // same days, artists, totals) but holds none of a's listens (which of two overlapping
    // imports keeps its copy of a listen depends on which came first).
    const b = JSON.stringify(
      generatedExport(60, { tracks: 8, start: T0 + 40 * 60_000, seed: 2, prefix: "other" }),
    );
    const endpoint = await dynamoEndpoint();
    const ref = await freshStore();
    const recording = crashingStore(ref.tableName, endpoint, Number.POSITIVE_INFINITY);
    const reference = recording.store;
    await importContent(reference, "Streaming_History_Audio_a.json", a, { chunkSize: 30 });
    // Crash file a where it has applied some of its first chunk's counters, not all.
    const parts = recording.sent.filter((x) => x.part.startsWith("A#"));
    const nth = recording.sent.indexOf(parts[Math.min(1, parts.length - 1)] ?? { part: "", batch: "" }) + 1;
    assert.ok(nth > 0);
    await importContent(reference, "Streaming_History_Audio_b.json", b, { chunkSize: 30 });

    const { store, tableName } = await freshStore();
    const flaky = crashingStore(tableName, endpoint, nth);
    await assert.rejects(importContent(flaky.store, "Streaming_History_Audio_a.json", a, { chunkSize: 30 }));
    await importContent(store, "Streaming_History_Audio_b.json", b, { chunkSize: 30 });
    await importContent(store, "Streaming_History_Audio_a.json", a, { chunkSize: 30 });

    const key = (p: Play) => `${p.listened_at}#${p.track_id}`;
    assert.deepEqual((await allPlays(store)).map(key).sort(), (await allPlays(reference)).map(key).sort());
    // Aggregates hold sums only (display fields may come from either file's last write).
    const sums = async (st: Store) =>
      (await counters(st)).map((line) => {
        const { plays, skips, listened_ms, bucket, dimension, id } = JSON.parse(line) as Record<
          string,
          unknown
        >;
        return JSON.stringify({ bucket, dimension, id, plays, skips, listened_ms });
      });
    assert.deepEqual((await sums(store)).sort(), (await sums(reference)).sort());
    assert.deepEqual(await store.getCounts(), await reference.getCounts());
  });
});

// ------------------------------------------------------------------------------ HTTP

const post = (body: string, query = "", headers: Record<string, string> = {}) =>
  fetch(`${app.url}/import${query}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
    body,
  });

interface ErrorBody {
  error: string;
  message: string;
  fields?: { field: string; message: string }[];
}

describe("POST /import", () => {
  test("imports one file sent as the body, and says so again without re-reading it", async () => {
    const text = JSON.stringify(realShapedExport(T0));
    const res = await post(text, `?file=${FILE}`);
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as ImportSummary;
    assert.deepEqual(
      [body.file, body.status, body.entries, body.imported, body.counted, body.matched, body.skipped],
      [
        FILE,
        "imported",
        12,
        8,
        6,
        0,
        { ...emptySkips(), incognito: 1, zero_ms: 1, no_item: 1, duplicate_row: 1 },
      ],
    );
    const again = (await (await post(text)).json()) as ImportSummary;
    assert.deepEqual([again.file, again.status, again.imported], ["body", "already_imported", 0]);
    assert.equal((await allPlays(app.deps.store)).length, 8);
  });

  test("malformed input is a 422 naming the entry and field; nothing is written", async () => {
    const rows: unknown[] = [trackRow({ ...A, end: T0 + 90_000 * S, ms: 200_000 })];
    rows.push({ ...(rows[0] as object), ms_played: -5 });
    const res = await post(JSON.stringify(rows), "?file=Streaming_History_Audio_2025.json");
    assert.equal(res.status, 422);
    const body = (await res.json()) as ErrorBody;
    assert.equal(body.error, "validation_failed");
    assert.deepEqual(
      body.fields?.map((f) => f.field),
      ["body[1].ms_played"],
    );
    assert.match(
      body.message,
      /^Streaming_History_Audio_2025\.json: entry \[1\] field ms_played: must not be negative/,
    );
    assert.equal((await allPlays(app.deps.store)).length, 8);
  });

  test("a truncated body, the wrong file, an empty body: 422 saying which", async () => {
    const text = JSON.stringify(realShapedExport(T0 + 100_000 * S));
    const truncated = (await (await post(text.slice(0, 1500))).json()) as ErrorBody;
    assert.match(truncated.message, /^body: entry \[\d+\]: the file breaks off .*truncated/);
    const library = await post(
      JSON.stringify({ tracks: [], albums: [], shows: [] }),
      "?file=YourLibrary.json",
    );
    assert.equal(library.status, 422);
    assert.deepEqual(
      ((await library.json()) as ErrorBody).fields?.map((f) => f.field),
      ["body"],
    );
    assert.equal((await post("")).status, 422);
    assert.equal((await allPlays(app.deps.store)).length, 8);
  });

  test("needs a bearer token", async () => {
    const res = await fetch(`${app.url}/import`, { method: "POST", body: "[]" });
    assert.equal(res.status, 401);
  });
});

// ------------------------------------------------------------------------------ export

async function pages(
  path: string,
): Promise<{ bodies: string[]; links: (string | null)[]; cursors: unknown[] }> {
  const bodies: string[] = [];
  const links: (string | null)[] = [];
  const cursors: unknown[] = [];
  let url: string | null = `${app.url}${path}`;
  while (url) {
    const res: Response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200, await res.clone().text());
    const text = await res.text();
    bodies.push(text);
    const link = res.headers.get("link");
    links.push(link);
    if (path.includes(".json")) cursors.push((JSON.parse(text) as { next_cursor: unknown }).next_cursor);
    else {
      assert.equal(res.headers.get("content-type"), "text/csv; charset=utf-8; header=present");
      cursors.push(res.headers.get("x-next-cursor"));
    }
    const next = link ? /^<([^>]+)>; rel="next"$/.exec(link) : null;
    url = next?.[1] ? new URL(next[1], url).href : null;
  }
  return { bodies, links, cursors };
}

describe("export", () => {
  let original: Play[];
  before(async () => {
    // Something of every source in the app's table: the import above, live and backfilled listens.
    await live(app.deps.store, {
      id: "Q0000000000000000000qq",
      name: 'Quotes "and", commas',
      artist: "Q",
      start: 50_000,
      end: 50_200,
      duration: 200_000,
    });
    await live(app.deps.store, {
      id: "R0000000000000000000rr",
      name: "R",
      artist: "R",
      start: 50_300,
      end: 50_310,
      duration: 200_000,
      estimated: true,
    });
    original = await allPlays(app.deps.store);
    assert.equal(original.length, 10);
  });

  test("JSON: pages linked by next_cursor and Link: rel=next, every play once, every field", async () => {
    const { bodies, links, cursors } = await pages("/export/plays.json?limit=4");
    assert.equal(bodies.length, 3);
    const items = bodies.flatMap((b) => (JSON.parse(b) as { items: Play[] }).items);
    assert.deepEqual(items, original);
    assert.equal(cursors.at(-1), null);
    assert.equal(links.at(-1), null);
    const first = /^<\/export\/plays\.json\?limit=4&cursor=([^>]+)>; rel="next"$/.exec(links[0] ?? "");
    assert.equal(first?.[1], cursors[0]);
    assert.deepEqual(Object.keys(items[0] ?? {}).sort(), Object.keys(original[0] ?? {}).sort());
  });

  test("CSV: quoted per RFC 4180, a header on each page, the same plays", async () => {
    const { bodies, links } = await pages("/export/plays.csv?limit=6");
    assert.equal(bodies.length, 2);
    assert.equal(links.at(-1), null);
    for (const b of bodies) assert.ok(b.startsWith("track_id,kind,name,artists,album_id,listened_at,"));
    assert.ok(bodies.join("").includes('"Quotes ""and"", commas"'));
    const parsed = parseImportFile("plays.csv", bodies.join(""));
    assert.deepEqual(
      parsed.entries.map((e) => e.play).sort((a, b) => (a.listened_at < b.listened_at ? 1 : -1)),
      original,
    );
  });

  test("round trip: re-importing the export adds nothing; into an empty table it reproduces the plays", async () => {
    const json = JSON.stringify(
      (await pages("/export/plays.json?limit=1000")).bodies.flatMap(
        (b) => (JSON.parse(b) as { items: Play[] }).items,
      ),
    );
    const same = await importContent(app.deps.store, "plays.json", json);
    assert.deepEqual([same.format, same.imported, same.matched], ["hoardify", 0, 10]);
    assert.equal((await allPlays(app.deps.store)).length, 10);

    const { store } = await freshStore();
    const into = await importContent(store, "plays.json", json);
    assert.deepEqual([into.imported, into.matched], [10, 0]);
    assert.deepEqual(await allPlays(store), original);
    for (const id of [A.id, "Q0000000000000000000qq", "B0000000000000000000bb"]) {
      const [was, now] = [await app.deps.store.getTrack(id), await store.getTrack(id)];
      assert.deepEqual(
        [now?.listen_count, now?.skip_count, now?.listened_ms_total, now?.first_listened],
        [was?.listen_count, was?.skip_count, was?.listened_ms_total, was?.first_listened],
        id,
      );
    }
    const csv = (await pages("/export/plays.csv?limit=1000")).bodies.join("");
    const { store: fromCsv } = await freshStore();
    assert.equal((await importContent(fromCsv, "plays.csv", csv)).imported, 10);
    assert.deepEqual(await allPlays(fromCsv), original);
  });

  test("bad paging parameters are a 400", async () => {
    const res = await fetch(`${app.url}/export/plays.json?limit=1001&cursor=nope`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 400);
  });
});

// ------------------------------------------------------------------------------ the scripts

describe("npm run import / npm run export", () => {
  const run = promisify(execFile);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "hoardify-import-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function script(name: "import" | "export", args: string[], tableName: string) {
    const env = {
      ...process.env,
      DYNAMODB_ENDPOINT: await dynamoEndpoint(),
      TABLE_NAME: tableName,
      POWERTOOLS_LOG_LEVEL: "SILENT",
    };
    try {
      const r = await run(process.execPath, [join(root, `infra/scripts/${name}.ts`), ...args], {
        cwd: dir,
        env,
      });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  test("Spotify's zip: the streaming history is imported, the rest ignored; a rerun skips it", async () => {
    const { store, tableName } = await freshStore();
    const zip = join(dir, "my_spotify_data.zip");
    writeFileSync(
      zip,
      makeZip([
        {
          name: "Spotify Extended Streaming History/Streaming_History_Audio_2024.json",
          data: JSON.stringify(realShapedExport(T0)),
        },
        {
          name: "Spotify Extended Streaming History/ReadMeFirst_ExtendedStreamingHistory.pdf",
          data: "%PDF-1.4",
          store: true,
        },
        { name: "Spotify Account Data/Userdata.json", data: '{"username":"x","email":"x@example.com"}' },
      ]),
    );
    const first = await script("import", [zip], tableName);
    assert.equal(first.code, 0, first.stderr);
    const ignored = /ignored \(not streaming history\): (.*)/.exec(first.stderr)?.[1]?.split(", ").sort();
    assert.deepEqual(ignored, ["ReadMeFirst_ExtendedStreamingHistory.pdf", "Userdata.json"]);
    const row = first.stdout.split("\n").find((l) => l.includes("Streaming_History_Audio_2024.json")) ?? "";
    assert.match(
      row,
      /spotify-extended\s+imported\s+12\s+8\s+6\s+0\s+incognito 1, ms_played 0 1, no track\/episode 1, duplicate rows 1/,
    );
    assert.equal((await allPlays(store)).length, 8);

    const second = await script("import", ["--json", zip], tableName);
    assert.equal(second.code, 0, second.stderr);
    const summaries = JSON.parse(second.stdout) as ImportSummary[];
    assert.deepEqual(
      summaries.map((s) => [s.status, s.imported]),
      [["already_imported", 0]],
    );
    const forced = JSON.parse(
      (await script("import", ["--json", "--force", zip], tableName)).stdout,
    ) as ImportSummary[];
    assert.deepEqual(
      forced.map((s) => [s.status, s.imported, s.matched]),
      [["imported", 0, 8]],
    );
    assert.equal((await allPlays(store)).length, 8);
  });

  test("CLI (an endsong file in a zip) and POST /import of one file: identical statistics, artists at once", async () => {
    // One Extended file of three years (over 250 rows: POST /import cuts it into other chunks
    // than the CLI's 1,000), named as older downloads name it, with the quirks of real files.
    const rows = quirkyDownload(5, 100)
      .filter((f) => !f.name.includes("StreamingHistory_music"))
      .flatMap((f) => f.rows);
    assert.ok(rows.length > 250);
    const text = JSON.stringify(rows);
    const { store, tableName } = await freshStore();
    const zip = join(dir, "older_download.zip");
    writeFileSync(zip, makeZip([{ name: "MyData/endsong_0.json", data: text }]));
    const cli = await script("import", ["--json", zip], tableName);
    assert.equal(cli.code, 0, cli.stderr);
    const [viaCli] = JSON.parse(cli.stdout) as ImportSummary[];
    assert.equal(viaCli?.file, "older_download.zip:MyData/endsong_0.json", "picked out of the zip");

    const other = await startTestApp();
    try {
      const auth = { authorization: `Bearer ${await bearer(other)}` };
      let viaHttp: ImportSummary;
      do {
        // A slow machine may run out of the request's budget: sending it again resumes.
        const res = await fetch(`${other.url}/import?file=endsong_0.json`, {
          method: "POST",
          headers: auth,
          body: text,
        });
        assert.equal(res.status, 200, await res.clone().text());
        viaHttp = (await res.json()) as ImportSummary;
      } while (viaHttp.status === "partial");
      assert.deepEqual([viaHttp.entries, viaHttp.skipped], [viaCli?.entries, viaCli?.skipped]);
      const now = Date.now();
      assert.deepEqual(await statistics(other.deps.store, now), await statistics(store, now));

      // Right after the import, before any metadata: artists, albums and genres are there.
      for (const path of ["top-artists", "top-albums", "top-genres"]) {
        const res = await fetch(`${other.url}/stats/${path}?range=all`, { headers: auth });
        assert.equal(res.status, 200);
        const { items } = (await res.json()) as { items: { plays: number }[] };
        assert.ok(items.length > 0 && items.every((i) => i.plays > 0), path);
      }
      const card = await (await fetch(`${other.url}/spotify/top-artists.svg?range=all`)).text();
      assert.doesNotMatch(card, /No plays counted/);
      assert.match(card, /Rick Astley|Kylie Minogue|Bananarama|Dead or Alive|Sinitta/);
    } finally {
      await other.close();
    }
  });

  test("a malformed file among good ones: nothing is written, the file and entry are named", async () => {
    const { store, tableName } = await freshStore();
    const good = join(dir, "Streaming_History_Audio_2023.json");
    writeFileSync(good, JSON.stringify(realShapedExport(T0 - 86_400_000)));
    const bad = join(dir, "Streaming_History_Audio_2024.json");
    const text = JSON.stringify(realShapedExport(T0));
    writeFileSync(bad, text.slice(0, text.length - 40));
    const r = await script("import", [good, bad], tableName);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Nothing was imported: 1 file is malformed/);
    assert.match(r.stderr, /Streaming_History_Audio_2024\.json: entry \[11\]: the file breaks off/);
    assert.equal((await allPlays(store)).length, 0);
  });

  test("export CSV and JSON from one table, import them into empty ones: the same plays", async () => {
    const { store, tableName } = await freshStore();
    await importContent(store, FILE, JSON.stringify(realShapedExport(T0)));
    await live(store, { ...A, start: 9000, end: 9213, duration: 213_000 });
    const plays = await allPlays(store);
    for (const format of ["csv", "json"] as const) {
      const file = join(dir, `plays.${format}`);
      const exported = await script(
        "export",
        ["--format", format, "--out", file, "--page-size", "3"],
        tableName,
      );
      assert.equal(exported.code, 0, exported.stderr);
      assert.match(exported.stderr, /exported 9 plays/);
      if (format === "json") assert.equal((JSON.parse(readFileSync(file, "utf8")) as Play[]).length, 9);
      const target = await freshStore();
      const imported = await script("import", ["--json", file], target.tableName);
      assert.equal(imported.code, 0, imported.stderr);
      assert.deepEqual(
        (JSON.parse(imported.stdout) as ImportSummary[]).map((s) => [s.format, s.imported, s.matched]),
        [["hoardify", 9, 0]],
      );
      assert.deepEqual(await allPlays(target.store), plays, format);
    }
  });
});
