import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { recordListen } from "#shared/capture/record.ts";
import type { Play } from "#shared/domain/entities.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import { loadMood, refreshMoodSums } from "#shared/lyrics/mood.ts";
import { createLyricsStore, decodeScores, encodeScores, type LyricsStore } from "#shared/lyrics/store.ts";
import { packClosedMonths } from "#shared/stats/packs.ts";
import { createStatsReader } from "#shared/stats/reader.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import type { Store } from "#shared/store/port.ts";
import { createDynamoStore } from "#shared/store/repository.ts";
import { catalogKeys } from "#shared/store/table.ts";
import { GO_EMOTIONS } from "#test/support/fake-lyrics.ts";
import { type GeneratedPlay, generatePlays, playOf, rng } from "#test/support/plays.ts";
import { dynamoEndpoint, uniqueTableName } from "#test/support/services.ts";
import { allTime, at, type Case, dates, instants, named } from "#test/support/stats-brute-force.ts";

/**
 * The mood of any range, read from the aggregates and the stored vectors, equals a brute-force
 * weighted mean over the plays themselves (each counted play's vector, weighted by 1 or by its
 * listened time), with the coverage shares, in several zones and over named, explicit and
 * sub-day ranges. Vectors: some from lyrics, some from titles, some instrumental, some from
 * another model (pending), some tracks never analysed. Both reads are checked: the vectors'
 * own items (BatchGet) and the packs (what ranges of more than 400 tracks read), including
 * vectors stored before the packs existed and vectors stored after. Long named ranges keep their
 * mood's sums beside their TRACK snapshot: computed once, then added to by the plays since its
 * cutoff, and computed again when a vector changes.
 */

const MODEL = "test/model";
const NOW = Date.parse("2026-03-15T10:20:00.000Z");
const generated: GeneratedPlay[] = generatePlays({ count: 260, seed: 23, now: NOW, spanDays: 700 });
const plays = generated.map((g) => g.play);
const trackIds = [...new Set(plays.map((p) => p.track_id))].sort();

type Kind = "lyrics" | "title" | "instrumental" | "other-model" | "none";
const KINDS: Kind[] = ["lyrics", "lyrics", "lyrics", "title", "instrumental", "other-model", "none"];
const random = rng(5);
const vectors = new Map(
  trackIds.map((id, i) => {
    const kind = KINDS[i % KINDS.length] as Kind;
    // Rounded as stored, so the brute force and the store agree to the last digit.
    const scores = decodeScores(
      encodeScores(
        GO_EMOTIONS.map((label) => ({ label, score: random() })).sort((a, b) => b.score - a.score),
      ),
    );
    return [id, { kind, scores }] as const;
  }),
);

let store: Store;
let lyrics: LyricsStore;
/** The same table, reading the packs whatever the number of tracks. */
let packed: LyricsStore;
let legacyCount = 0;

before(async () => {
  const client = createDocumentClient({ region: "us-east-1", endpoint: await dynamoEndpoint() });
  const tableName = uniqueTableName("mood");
  await ensureTable(client, tableName);
  store = createDynamoStore({ client, tableName, listener: OWNER_ID });
  lyrics = createLyricsStore({ client, tableName });
  packed = createLyricsStore({ client, tableName, packedAbove: 0 });
  for (const g of generated) await recordListen(store, g.play, g.track);
  await packClosedMonths(store, NOW);
  let i = 0;
  for (const [id, v] of vectors) {
    if (v.kind === "none") continue;
    const e = {
      track_id: id,
      source: v.kind === "other-model" ? ("lyrics" as const) : v.kind,
      model: v.kind === "instrumental" ? null : v.kind === "other-model" ? "old/model" : MODEL,
      scores: v.kind === "instrumental" ? [] : v.scores,
      analyzed_at: "2026-03-01T00:00:00.000Z",
    };
    if (i++ % 2 === 0) {
      await lyrics.putEmotions(e);
      continue;
    }
    // Every other vector as stored before the packs existed: its item alone.
    legacyCount++;
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...catalogKeys.emotions(id),
          entity: "emotions",
          gsi1pk: catalogKeys.emotionsIndexPk,
          gsi1sk: id,
          source: e.source,
          model: e.model,
          v: encodeScores(e.scores),
          analyzed_at: e.analyzed_at,
        },
      }),
    );
  }
});

function bruteForce(inRange: Play[], by: "plays" | "time") {
  const counted = inRange.filter((p) => p.counted);
  const total = counted.reduce((a, p) => a + p.listened_ms, 0);
  const ms = { lyrics: 0, title: 0, instrumental: 0, pending: 0 };
  const sums = new Map<string, number>();
  let weight = 0;
  for (const p of counted) {
    const v = vectors.get(p.track_id);
    const kind = !v || v.kind === "none" || v.kind === "other-model" ? "pending" : v.kind;
    ms[kind] += p.listened_ms;
    if (kind !== "lyrics" && kind !== "title") continue;
    const w = by === "plays" ? 1 : p.listened_ms;
    weight += w;
    for (const s of v?.scores ?? []) sums.set(s.label, (sums.get(s.label) ?? 0) + w * s.score);
  }
  const share = (x: number) => (total > 0 ? x / total : 0);
  return {
    plays: counted.length,
    listened_ms: total,
    coverage: {
      lyrics: share(ms.lyrics),
      title: share(ms.title),
      instrumental: share(ms.instrumental),
      pending: share(ms.pending),
    },
    scores: new Map([...sums].map(([label, sum]) => [label, sum / weight])),
  };
}

const CASES: Case[] = [
  named("7d", NOW),
  named("4w", NOW),
  named("1y", NOW),
  allTime(plays, NOW),
  instants("2024-12-30T07:13:29.500Z", "2026-02-01T16:52:00.001Z"),
  instants("2025-12-31T16:07:00.000Z", "2026-01-01T05:41:00.000Z"),
  dates("2025-03-01", "2025-11-05"),
];

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

async function checkMood(c: Case, tz: string, by: "plays" | "time", from: LyricsStore) {
  const holds = c.holds(tz);
  const expected = bruteForce(
    plays.filter((p) => holds.test(p) && at(p) <= NOW),
    by,
  );
  const mood = await loadMood(
    { store, lyrics: from, config: { HF_MODEL: MODEL } },
    { ...c.spec(tz), by, limit: 28 },
    NOW,
  );
  assert.equal(mood.plays, expected.plays);
  assert.equal(mood.listened_ms, expected.listened_ms);
  for (const k of ["lyrics", "title", "instrumental", "pending"] as const) {
    assert.ok(
      close(mood.coverage[k], expected.coverage[k]),
      `${k}: ${mood.coverage[k]} vs ${expected.coverage[k]}`,
    );
  }
  assert.equal(mood.emotions.length, expected.scores.size);
  for (const e of mood.emotions) {
    assert.ok(close(e.score, expected.scores.get(e.label) ?? Number.NaN), `${e.label}`);
  }
  const sorted = [...mood.emotions].sort((a, b) => b.score - a.score);
  assert.deepEqual(
    mood.emotions.map((e) => e.label),
    sorted.map((e) => e.label),
  );
}

/** What the packs' counts must say: the stored kinds, other models' vectors as lyrics. */
function expectedCounts() {
  const n = { lyrics: 0, title: 0, instrumental: 0 };
  for (const v of vectors.values()) {
    if (v.kind === "none") continue;
    n[v.kind === "other-model" ? "lyrics" : v.kind]++;
  }
  return { ...n, total: n.lyrics + n.title + n.instrumental };
}

describe("the packs", () => {
  test("until every stored vector is packed, the packs' reader reads the index; then the packs", async () => {
    assert.ok(legacyCount > 10, "vectors stored before the packs");
    assert.equal(await packed.analysisCounts(), null, "not complete yet");
    assert.equal(await lyrics.countEmotions(), expectedCounts().total, "the index's count meanwhile");
    await checkMood(allTime(plays, NOW), "UTC", "time", packed);
    const first = await packed.packAllEmotions();
    assert.equal(typeof first === "object" && first.packed, expectedCounts().total);
    assert.equal(await packed.packAllEmotions(), "complete", "once");
    assert.deepEqual(await packed.analysisCounts(), expectedCounts());
    assert.equal(await lyrics.countEmotions(), expectedCounts().total);
    const ids = [...vectors.keys()];
    const fromPacks = await packed.emotionsFor(ids);
    const fromItems = await lyrics.emotionsFor(ids);
    assert.equal(fromPacks.size, expectedCounts().total);
    assert.deepEqual(fromPacks, fromItems, "the same vectors to the last digit");
  });
});

test("the generated history has every kind of track in it", () => {
  const kinds = new Set(plays.filter((p) => p.counted).map((p) => vectors.get(p.track_id)?.kind));
  assert.deepEqual([...kinds].sort(), ["instrumental", "lyrics", "none", "other-model", "title"]);
});

for (const tz of ["UTC", "Asia/Kathmandu", "America/New_York"]) {
  describe(`the mood in ${tz} equals a brute force over the plays`, () => {
    for (const c of CASES) {
      for (const by of ["plays", "time"] as const) {
        test(`${c.name} by ${by}, from the items`, () => checkMood(c, tz, by, lyrics));
        test(`${c.name} by ${by}, from the packs`, () => checkMood(c, tz, by, packed));
      }
    }
  });
}

describe("after the analysis stores more vectors", () => {
  test("new and replaced vectors are in the packs at once, and in their counts", async () => {
    const now = "2026-03-16T00:00:00.000Z";
    const changed: string[] = [];
    for (const [id, v] of vectors) {
      // Never analysed: now from lyrics; another model's: analysed again with this one.
      if (v.kind !== "none" && v.kind !== "other-model") continue;
      changed.push(id);
      vectors.set(id, { ...v, kind: "lyrics" });
    }
    await packed.putEmotionsMany(
      changed.slice(0, 3).map((id) => ({
        track_id: id,
        source: "lyrics" as const,
        model: MODEL,
        scores: vectors.get(id)?.scores ?? [],
        analyzed_at: now,
      })),
    );
    for (const id of changed.slice(3)) {
      await lyrics.putEmotions({
        track_id: id,
        source: "lyrics",
        model: MODEL,
        scores: vectors.get(id)?.scores ?? [],
        analyzed_at: now,
      });
    }
    assert.deepEqual(await packed.analysisCounts(), expectedCounts());
    for (const c of [allTime(plays, NOW), named("1y", NOW)]) {
      for (const from of [lyrics, packed]) await checkMood(c, "Europe/Paris", "time", from);
    }
  });
});

describe("a long range's kept sums (beside its TRACK snapshot)", () => {
  /** The packed store, counting what it is asked: every vector (sums computed) or a few. */
  const spy = () => {
    const asked = { packed: 0, ids: [] as string[] };
    const from: LyricsStore = {
      ...packed,
      packedVectors: () => {
        asked.packed++;
        return packed.packedVectors();
      },
      emotionsFor: (ids) => {
        asked.ids.push(...ids);
        return packed.emotionsFor(ids);
      },
    };
    return { asked, from };
  };
  const all = () => allTime(plays, NOW);

  test("computed once from every vector and stored; the next reads only add to them", async () => {
    // A new TRACK snapshot: the first read builds it (not stored then: no sums kept on it yet).
    await store.bumpStatsGeneration();
    await checkMood(all(), "UTC", "time", packed);
    const first = spy();
    await checkMood(all(), "UTC", "time", first.from);
    await checkMood(all(), "UTC", "plays", first.from);
    assert.equal(first.asked.packed, 1, "computed once, then kept");
    const next = spy();
    for (const by of ["time", "plays"] as const) await checkMood(all(), "UTC", by, next.from);
    assert.equal(next.asked.packed, 0, "no vector read but the changed tracks'");
  });

  test("plays after the snapshot's cutoff: exact, reading only the vectors of their tracks", async () => {
    const again = generated.find((g) => vectors.get(g.track.track_id)?.kind === "lyrics");
    assert.ok(again);
    // A track first played today, analysed before (its vector is in the sums' version).
    const fresh = { ...again.track, track_id: "t-first-played-today" };
    const scores = decodeScores(encodeScores(GO_EMOTIONS.map((label, i) => ({ label, score: i / 30 }))));
    vectors.set(fresh.track_id, { kind: "title", scores });
    await packed.putEmotions({
      track_id: fresh.track_id,
      source: "title",
      model: MODEL,
      scores,
      analyzed_at: "2026-03-15T09:00:00.000Z",
    });
    const ranges = [all(), named("1y", NOW)];
    // The sums computed again for the new vector (after a TRACK snapshot is stored).
    for (const c of ranges) for (let i = 0; i < 2; i++) await checkMood(c, "UTC", "time", packed);
    const todays = [
      playOf(again.track, NOW - 9 * 60_000, 200_000, true),
      playOf(fresh, NOW - 5 * 60_000, 180_000, true),
      playOf(again.track, NOW - 2 * 60_000, 20_000, false),
    ];
    for (const p of todays) {
      await recordListen(store, p, p.track_id === fresh.track_id ? fresh : again.track);
      plays.push(p);
    }
    const s = spy();
    for (const c of ranges)
      for (const by of ["time", "plays"] as const) await checkMood(c, "UTC", by, s.from);
    assert.equal(s.asked.packed, 0, "the kept sums, plus today's");
    // The snapshots' cutoff: today's UTC midnight (the generated history has plays today too).
    const cutoff = Math.floor(NOW / 86_400_000) * 86_400_000;
    const since = new Set(plays.filter((p) => p.counted && at(p) >= cutoff).map((p) => p.track_id));
    assert.ok(since.has(fresh.track_id) && since.has(again.track.track_id));
    assert.deepEqual(
      [...new Set(s.asked.ids)].sort(),
      [...since].sort(),
      "the vectors of the tracks played since the cutoff, no other",
    );
  });

  test("a vector written after the sums (a new model's, counts unchanged): computed again, exact", async () => {
    const [id, v] = [...vectors].find(([, x]) => x.kind === "lyrics") ?? [];
    assert.ok(id && v);
    const before = await packed.analysisCounts();
    const version = await packed.vectorsVersion();
    const scores = decodeScores(encodeScores(v.scores.map((s, i) => ({ ...s, score: (i + 1) / 40 }))));
    vectors.set(id, { kind: "lyrics", scores });
    await packed.putEmotions({
      track_id: id,
      source: "lyrics",
      model: MODEL,
      scores,
      analyzed_at: "2026-03-16T00:00:00.000Z",
    });
    assert.deepEqual(await packed.analysisCounts(), before, "a replaced vector moves no count");
    assert.notEqual(await packed.vectorsVersion(), version, "but moves the version");
    const s = spy();
    await checkMood(all(), "UTC", "time", s.from);
    assert.equal(s.asked.packed, 1, "stale: computed again");
    await checkMood(all(), "UTC", "plays", s.from);
    assert.equal(s.asked.packed, 1, "then kept");
  });

  test("the hourly refresh keeps the sums of the snapshots it builds: reads then compute none", async () => {
    await store.bumpStatsGeneration();
    assert.ok((await createStatsReader(store).refreshSnapshots(NOW)).built > 0);
    const deps = { store, lyrics: packed, config: { HF_MODEL: MODEL } };
    const first = await refreshMoodSums(deps, NOW);
    assert.ok(first.computed > 0, "stale after the new snapshots: computed");
    assert.deepEqual(await refreshMoodSums(deps, NOW), { computed: 0 }, "then current");
    const s = spy();
    for (const tz of ["UTC", "Europe/Paris"]) {
      for (const c of [all(), named("1y", NOW), named("7d", NOW)]) await checkMood(c, tz, "time", s.from);
    }
    assert.equal(s.asked.packed, 0);
  });
});
