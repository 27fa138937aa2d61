import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import type { RouteDef } from "#shared/http/route.ts";
import { routeList } from "#shared/http/routes.ts";

const root = new URL("../../", import.meta.url);
const areaDir = new URL("shared/http/routes/", root);

/** Each area module's `<area>Routes`, by area name. */
async function areas(): Promise<Map<string, Record<string, RouteDef>>> {
  const out = new Map<string, Record<string, RouteDef>>();
  for (const file of readdirSync(areaDir).filter((f) => f.endsWith(".ts") && f !== "common.ts")) {
    const area = file.replace(/\.ts$/, "");
    const mod = (await import(new URL(file, areaDir).href)) as Record<string, Record<string, RouteDef>>;
    const rows = mod[`${area}Routes`];
    assert.ok(rows, `shared/http/routes/${file} exports ${area}Routes`);
    out.set(area, rows);
  }
  return out;
}

test("the route table is every area's rows, each id in one area only", async () => {
  const seen = new Map<string, string>();
  for (const [area, rows] of await areas()) {
    for (const id of Object.keys(rows)) {
      // routes.ts spreads the areas: a second row with the same id would silently replace the first.
      assert.equal(seen.get(id), undefined, `${id} is in both ${seen.get(id)} and ${area}`);
      seen.set(id, area);
    }
  }
  assert.deepEqual([...seen.keys()].sort(), routeList.map((r) => r.id).sort());
});

test("every handler imports its route from its area module, not the whole table", async () => {
  const areaOf = new Map<string, string>();
  for (const [area, rows] of await areas()) for (const id of Object.keys(rows)) areaOf.set(id, area);
  for (const route of routeList) {
    const source = readFileSync(new URL(route.handler, root), "utf8");
    const area = areaOf.get(route.id);
    // The whole table would put every route's schemas in this Lambda's bundle.
    assert.doesNotMatch(source, /#shared\/http\/routes\.ts/, `${route.handler} imports the whole table`);
    assert.match(
      source,
      new RegExp(`import \\{[^}]*\\b${area}Routes\\b[^}]*\\} from "#shared/http/routes/${area}\\.ts"`),
      `${route.handler} imports ${area}Routes`,
    );
    assert.match(source, new RegExp(`\\b${area}Routes\\.${route.id}\\b`), `${route.handler} uses its row`);
  }
});
