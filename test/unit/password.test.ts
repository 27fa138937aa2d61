import assert from "node:assert/strict";
import { test } from "node:test";
import bcrypt from "bcryptjs";
import { checkLogin, dummyHashFor, hashPassword } from "#shared/auth/password.ts";

/**
 * No username enumeration by timing: bcrypt costs 2^cost, so an unknown username must be
 * compared at the configured hash's cost. Asserted on the cost each login pays for (spied),
 * not on wall-clock time, which a loaded machine would blur.
 */

for (const cost of [4, 5]) {
  test(`cost ${cost}: unknown and known usernames pay for the same bcrypt cost`, async () => {
    const hash = await hashPassword("right password", cost);
    const paid: number[] = [];
    const compare = async (plain: string, h: string) => {
      paid.push(bcrypt.getRounds(h));
      return bcrypt.compare(plain, h);
    };
    const login = (username: string, password: string) =>
      checkLogin({ username, password, expectedUsername: "admin", passwordHash: hash, compare });

    assert.equal(await login("admin", "right password"), true);
    assert.equal(await login("admin", "wrong password"), false);
    assert.equal(await login("mallory", "right password"), false, "a wrong username never logs in");
    assert.equal(await login("mallory", "wrong password"), false);
    assert.deepEqual(paid, [cost, cost, cost, cost]);
  });
}

test("the dummy hash is a valid bcrypt hash at the configured cost that matches nothing", async () => {
  const hash = await hashPassword("x", 10);
  const dummy = dummyHashFor(hash);
  assert.equal(bcrypt.getRounds(dummy), 10);
  assert.match(dummy, /^\$2b\$10\$[./A-Za-z0-9]{53}$/);
  assert.equal(bcrypt.getRounds(dummyHashFor(await hashPassword("x", 4))), 4);
  assert.equal(await bcrypt.compare("", dummyHashFor(await hashPassword("x", 4))), false);
});
