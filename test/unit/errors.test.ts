import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { ConfigError } from "#shared/config.ts";
import * as domainErrors from "#shared/errors.ts";
import {
  type DomainErrorName,
  type DomainErrorOf,
  domainErrorClasses,
  errorTable,
  HttpError,
  httpErrorOf,
} from "#shared/http/errors.ts";
import { IntegrationError } from "#shared/lyrics/faults.ts";
import { DependencyUnavailableError } from "#shared/outage.ts";

/** One of each: the mapped type makes a class without a sample (or a row) a type error. */
const samples: { [K in DomainErrorName]: DomainErrorOf<K> } = {
  NotFoundError: new domainErrors.NotFoundError("no track t1 in the hoard"),
  InvalidInputError: new domainErrors.InvalidInputError("cursor is invalid", [
    { field: "query.cursor", message: "was altered" },
  ]),
  ConflictError: new domainErrors.ConflictError("not linked", "spotify_not_linked"),
  ForbiddenError: new domainErrors.ForbiddenError("the owner's only", "owner_only"),
  RateLimitedError: new domainErrors.RateLimitedError("slow down", 2.2),
  NotConfiguredError: new domainErrors.NotConfiguredError("set SPOTIFY_CLIENT_ID", ["SPOTIFY_CLIENT_ID"]),
  ServiceUnavailableError: new domainErrors.ServiceUnavailableError(
    "spotify",
    "Spotify could not be reached",
  ),
  DependencyUnavailableError: new DependencyUnavailableError("storage", "ECONNREFUSED"),
  IntegrationError: new IntegrationError("huggingface", { type: "loading", estimatedSeconds: 20 }),
  ConfigError: new ConfigError(["PORT: expected a number"]),
};

interface Row {
  status: number;
  code: string;
  says: string;
  headers?: Record<string, string>;
}
const expected: { [K in DomainErrorName]: Row } = {
  NotFoundError: { status: 404, code: "not_found", says: "no track t1 in the hoard" },
  InvalidInputError: { status: 400, code: "bad_request", says: "cursor is invalid" },
  ConflictError: { status: 409, code: "spotify_not_linked", says: "not linked" },
  ForbiddenError: { status: 403, code: "owner_only", says: "the owner's only" },
  RateLimitedError: { status: 429, code: "rate_limited", says: "slow down", headers: { "Retry-After": "3" } },
  NotConfiguredError: { status: 503, code: "not_configured", says: "set SPOTIFY_CLIENT_ID" },
  ServiceUnavailableError: { status: 503, code: "spotify_unavailable", says: "Spotify could not be reached" },
  DependencyUnavailableError: {
    status: 503,
    code: "storage_unavailable",
    says: "storage (DynamoDB) is unavailable (ECONNREFUSED); the request was not completed",
    headers: { "Retry-After": "5" },
  },
  IntegrationError: {
    status: 503,
    code: "model_loading",
    says: "Hugging Face is loading the model",
    headers: { "Retry-After": "20" },
  },
  ConfigError: {
    status: 503,
    code: "not_configured",
    says: "The service is misconfigured: PORT: expected a number",
  },
};

test("the error table maps every domain error class to its status, code and headers", () => {
  for (const name of Object.keys(domainErrorClasses) as DomainErrorName[]) {
    const err = samples[name];
    assert.ok(err instanceof domainErrorClasses[name], `${name}: the sample is of its class`);
    const mapped = httpErrorOf(err);
    assert.ok(mapped instanceof HttpError, `${name} has a row`);
    const want = expected[name];
    assert.equal(mapped.status, want.status, name);
    assert.equal(mapped.code, want.code, name);
    assert.deepEqual(mapped.headers, want.headers ?? {}, name);
    assert.ok(mapped.message.includes(want.says), `${name}: ${mapped.message}`);
  }
  assert.deepEqual(Object.keys(errorTable).sort(), Object.keys(domainErrorClasses).sort());
  // Field problems travel to the body.
  assert.deepEqual(httpErrorOf(samples.InvalidInputError)?.toBody().fields, [
    { field: "query.cursor", message: "was altered" },
  ]);
  // Anything else is a bug: no row, so the middleware answers 500.
  assert.equal(httpErrorOf(new Error("boom")), null);
  assert.equal(httpErrorOf("not even an error"), null);
});

test("every error class shared/errors.ts exports is in the table", () => {
  const registered = new Set<unknown>(Object.values(domainErrorClasses));
  const exported = Object.entries(domainErrors).filter(
    ([, v]) => typeof v === "function" && v.prototype instanceof Error,
  );
  assert.ok(exported.length >= 7);
  for (const [name, cls] of exported) assert.ok(registered.has(cls), `${name} has no row in the table`);
});

/** The lower layers throw domain errors and know nothing of HTTP (shared/http/errors.ts maps them). */
const LOWER_LAYERS = ["store", "capture", "spotify", "lyrics", "listeners", "stats"];
const ROOT = resolve(import.meta.dirname, "../..");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

test("no module of the lower layers imports shared/http/", () => {
  const files = LOWER_LAYERS.flatMap((d) => sources(join(ROOT, "shared", d)));
  assert.ok(files.length > 30, "the walk found the sources");
  const offenders: string[] = [];
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    // Static imports, re-exports and dynamic imports alike.
    for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']/g)) {
      const spec = m[1] ?? "";
      const target = spec.startsWith("#shared/")
        ? join(ROOT, "shared", spec.slice("#shared/".length))
        : spec.startsWith(".")
          ? resolve(dirname(file), spec)
          : null;
      if (target && relative(join(ROOT, "shared"), target).startsWith("http/")) {
        offenders.push(`${relative(ROOT, file)} imports ${spec}`);
      }
    }
  }
  assert.deepEqual(offenders, []);
});
