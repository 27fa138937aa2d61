import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DEFAULT_MATCH_TOLERANCE_MS, matchRecent, type StoredListen } from "#shared/capture/backfill.ts";

const T0 = Date.parse("2026-11-21T20:00:00.000Z");
const S = 1000;
const TOL = DEFAULT_MATCH_TOLERANCE_MS;
const at = (s: number) => new Date(T0 + s * S).toISOString();

const entry = (track_id: string, endS: number) => ({ track_id, played_at: at(endS) });
const listen = (
  track_id: string,
  startS: number,
  endS: number,
  estimated = false,
): StoredListen & { id: string } => ({
  id: `${track_id}@${startS}`,
  track_id,
  listened_at: at(startS),
  ended_at: at(endS),
  estimated,
});

/** Which stored listen (by id) each entry got, in entry order. */
const ids = (
  r: ReturnType<typeof matchRecent<{ track_id: string; played_at: string }, StoredListen & { id: string }>>,
) => r.map((m) => m.stored?.id ?? null);

describe("matchRecent", () => {
  test("an entry whose end equals a stored listen's end matches it", () => {
    const r = matchRecent([entry("A", 200)], [listen("A", 0, 200)], TOL);
    assert.deepEqual(ids(r), ["A@0"]);
    assert.equal(r[0]?.how, "end");
  });

  test("ends within the tolerance match, either side; just outside does not", () => {
    assert.deepEqual(ids(matchRecent([entry("A", 290)], [listen("A", 0, 200)], TOL)), ["A@0"], "+90 s");
    assert.deepEqual(ids(matchRecent([entry("A", 110)], [listen("A", 0, 200)], TOL)), ["A@0"], "−90 s");
    assert.deepEqual(
      ids(matchRecent([entry("A", 290.001)], [listen("A", 0, 200)], TOL)),
      [null],
      "+90.001 s",
    );
    assert.deepEqual(
      ids(matchRecent([entry("A", 109.999)], [listen("A", 0, 200)], TOL)),
      [null],
      "−90.001 s",
    );
  });

  test("well outside the tolerance, the entry is a play we never stored", () => {
    const r = matchRecent([entry("A", 1000)], [listen("A", 0, 200)], TOL);
    assert.deepEqual(ids(r), [null]);
    assert.equal(r[0]?.how, null);
  });

  test("the same track twice back to back: each entry gets its own listen, in order", () => {
    // 60 s plays: each entry is within the tolerance of both listens.
    const stored = [listen("A", 0, 60), listen("A", 60, 120)];
    assert.deepEqual(ids(matchRecent([entry("A", 61), entry("A", 121)], stored, TOL)), ["A@0", "A@60"]);
    // Entries given newest first and listens in any order: same pairing.
    assert.deepEqual(ids(matchRecent([entry("A", 121), entry("A", 61)], stored.toReversed(), TOL)), [
      "A@60",
      "A@0",
    ]);
  });

  test("two entries, one stored listen: the nearer entry takes it, the other stays unmatched", () => {
    const r = matchRecent([entry("A", 60), entry("A", 125)], [listen("A", 65, 124)], TOL);
    assert.deepEqual(ids(r), [null, "A@65"]);
  });

  test("a different track ending at the same time does not match", () => {
    const r = matchRecent([entry("B", 200)], [listen("A", 0, 200)], TOL);
    assert.deepEqual(ids(r), [null]);
    const both = matchRecent([entry("A", 200), entry("B", 200)], [listen("B", 0, 200)], TOL);
    assert.deepEqual(ids(both), [null, "B@0"]);
  });

  describe("paused listens (opt-in)", () => {
    // A played 0–40 s, stood paused, and was skipped at 700 s; B started then.
    const stored = [listen("A", 0, 40), listen("B", 700, 900)];
    const pauses = { since: null, maxPauseMs: 6 * 3600 * S };

    test("without the option, the paused listen is too far from the entry", () => {
      assert.deepEqual(ids(matchRecent([entry("A", 700)], stored, TOL)), [null]);
    });

    test("with it, the last listen before the entry is the same play", () => {
      const r = matchRecent([entry("A", 700), entry("B", 900)], stored, TOL, { pauses });
      assert.deepEqual(ids(r), ["A@0", "B@700"]);
      assert.equal(r[0]?.how, "pause");
    });

    test("not when something else started in between", () => {
      const between = [...stored, listen("C", 100, 300)];
      assert.deepEqual(ids(matchRecent([entry("A", 700)], between, TOL, { pauses })), [null]);
    });

    test("not when something else was listed in between", () => {
      const r = matchRecent([entry("C", 300), entry("A", 700)], stored, TOL, { pauses });
      assert.deepEqual(ids(r), [null, null]);
    });

    test("not for a listen that started before an entry already processed", () => {
      // The last run processed up to 300 s: A's own entry may have been one of them.
      const r = matchRecent([entry("A", 700)], stored, TOL, {
        pauses: { since: T0 + 300 * S, maxPauseMs: pauses.maxPauseMs },
      });
      assert.deepEqual(ids(r), [null]);
      const fresh = matchRecent([entry("A", 700)], stored, TOL, {
        pauses: { since: T0 - 1 * S, maxPauseMs: pauses.maxPauseMs },
      });
      assert.deepEqual(ids(fresh), ["A@0"]);
    });

    test("not for estimated listens, nor past the longest pause", () => {
      assert.deepEqual(ids(matchRecent([entry("A", 700)], [listen("A", 0, 40, true)], TOL, { pauses })), [
        null,
      ]);
      const short = { since: null, maxPauseMs: 600 * S };
      assert.deepEqual(ids(matchRecent([entry("A", 700)], stored, TOL, { pauses: short })), [null]);
    });
  });
});
