import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { bearer, startTestApp, type TestApp } from "#test/support/app.ts";

/**
 * The year-in-review card's opt-in: a setting of PATCH /me, off by default.
 */

let app: TestApp;
let token: string;
before(async () => {
  app = await startTestApp();
  token = await bearer(app);
});
after(() => app.close());

const me = (init: RequestInit = {}) =>
  fetch(`${app.url}/me`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers },
  });

test("PATCH /me turns the year card on and off; it is off by default; an empty patch is a 422", async () => {
  const initial = (await (await me()).json()) as { year_card: boolean; public: boolean };
  assert.equal(initial.year_card, false);
  const on = await me({ method: "PATCH", body: JSON.stringify({ year_card: true }) });
  assert.equal(on.status, 200);
  const body = (await on.json()) as { year_card: boolean; public: boolean };
  assert.equal(body.year_card, true);
  assert.equal(body.public, initial.public, "the other setting is left as it was");
  assert.equal(((await (await me()).json()) as { year_card: boolean }).year_card, true);
  const off = await me({ method: "PATCH", body: JSON.stringify({ year_card: false }) });
  assert.equal(((await off.json()) as { year_card: boolean }).year_card, false);

  for (const bad of [{}, { year_card: "yes" }, { year_card: true, other: 1 }]) {
    const res = await me({ method: "PATCH", body: JSON.stringify(bad) });
    assert.equal(res.status, 422, JSON.stringify(bad));
    const err = (await res.json()) as { error: string; message: string };
    assert.ok(err.message.length > 0);
  }
});
