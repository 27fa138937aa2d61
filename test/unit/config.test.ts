import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ConfigError,
  loadConfig,
  missingSpotifyConfig,
  SPOTIFY_IMAGE_HOSTS,
  spotifyConfigured,
} from "#shared/config.ts";
import { dynamoTimeoutsOf } from "#shared/store/dynamo.ts";

test("an empty environment gives the documented defaults", () => {
  const c = loadConfig({});
  assert.equal(c.PORT, 8000);
  assert.equal(c.ADMIN_USERNAME, "admin");
  assert.equal(c.SPOTIFY_ACCOUNTS_URL, "https://accounts.spotify.com");
  assert.equal(c.SPOTIFY_API_URL, "https://api.spotify.com/v1");
  assert.deepEqual(c.CORS_ORIGINS, []);
  assert.equal(c.ADMIN_PASSWORD_HASH, undefined);
  assert.equal(spotifyConfigured(c), false);
});

test("empty strings count as unset and base URLs lose trailing slashes", () => {
  const c = loadConfig({
    SECRET_KEY: "",
    SPOTIFY_API_URL: "http://127.0.0.1:9000/v1/",
    CORS_ORIGINS: " https://a.dev , * ",
  });
  assert.equal(c.SECRET_KEY, undefined);
  assert.equal(c.SPOTIFY_API_URL, "http://127.0.0.1:9000/v1");
  assert.deepEqual(c.CORS_ORIGINS, ["https://a.dev", "*"]);
});

test("every bad variable is named in one error", () => {
  let err: unknown;
  try {
    loadConfig({
      PORT: "eighty",
      SECRET_KEY: "short",
      ADMIN_PASSWORD_HASH: "plaintext-password",
      SPOTIFY_ACCOUNTS_URL: "ftp://x",
      CORS_ORIGINS: "https://ok.dev,not a url",
    });
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ConfigError);
  const named = err.problems.map((p) => p.split(":")[0]);
  assert.deepEqual(named.sort(), [
    "ADMIN_PASSWORD_HASH",
    "CORS_ORIGINS.1",
    "PORT",
    "SECRET_KEY",
    "SPOTIFY_ACCOUNTS_URL",
  ]);
  assert.match(err.message, /npm run hash-password/);
  assert.doesNotMatch(err.message, /at \w+ \(/, "no stack trace in the message");
});

test("a half-set Spotify app loads (its routes answer 503) and names what is missing", () => {
  const c = loadConfig({ SPOTIFY_CLIENT_ID: "id" });
  assert.equal(spotifyConfigured(c), false);
  assert.deepEqual(missingSpotifyConfig(c), ["SPOTIFY_CLIENT_SECRET", "SPOTIFY_REDIRECT_URI"]);
});

test("on Lambda the memory cache is refused: Upstash is required", () => {
  const onLambda = { AWS_LAMBDA_FUNCTION_NAME: "Hoardify-Health" };
  assert.throws(
    () => loadConfig(onLambda),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.problems.length === 1 &&
      /UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN are required on AWS Lambda/.test(err.message),
  );
  const c = loadConfig({
    ...onLambda,
    UPSTASH_REDIS_REST_URL: "https://x.upstash.io",
    UPSTASH_REDIS_REST_TOKEN: "t",
  });
  assert.equal(c.UPSTASH_REDIS_REST_URL, "https://x.upstash.io");
  // The same environment off Lambda (npm start) runs on the memory cache.
  assert.doesNotThrow(() => loadConfig({}));
});

test("settings that only work together are checked together", () => {
  assert.throws(
    () => loadConfig({ UPSTASH_REDIS_REST_URL: "https://x.upstash.io" }),
    /UPSTASH_REDIS_REST_TOKEN/,
  );
  const c = loadConfig({
    SPOTIFY_CLIENT_ID: "id",
    SPOTIFY_CLIENT_SECRET: "secret",
    SPOTIFY_REDIRECT_URI: "http://127.0.0.1:8000/spotify/callback",
  });
  assert.equal(spotifyConfigured(c), true);
});

test("hardening defaults: loopback, Spotify's image hosts, storage timeouts inside a handler's 10 s", () => {
  const c = loadConfig({});
  assert.equal(c.HOST, "127.0.0.1");
  assert.deepEqual(c.ART_ALLOWED_HOSTS, [...SPOTIFY_IMAGE_HOSTS]);
  // A frozen table costs at most attempts × (connect + request) per call; request handlers get
  // 10 s (infra/cdk/stack.ts), and must still answer the 503 themselves.
  const t = dynamoTimeoutsOf(c);
  const worstMs = t.maxAttempts * (t.connectMs + t.requestMs);
  assert.ok(worstMs < 10_000, `${worstMs} ms`);
  // DynamoDB Local (a JVM on a busy machine) gets more room, and an explicit setting wins.
  const local = dynamoTimeoutsOf(loadConfig({ DYNAMODB_ENDPOINT: "http://127.0.0.1:8001" }));
  assert.ok(local.requestMs > t.requestMs);
  const explicit = loadConfig({
    DYNAMODB_ENDPOINT: "http://127.0.0.1:8001",
    DYNAMODB_REQUEST_TIMEOUT_MS: "400",
  });
  assert.equal(dynamoTimeoutsOf(explicit).requestMs, 400);
  assert.deepEqual(loadConfig({ ART_ALLOWED_HOSTS: " 127.0.0.1 , *.Example.com ," }).ART_ALLOWED_HOSTS, [
    "127.0.0.1",
    "*.example.com",
  ]);
  assert.throws(() => loadConfig({ DYNAMODB_REQUEST_TIMEOUT_MS: "0" }), ConfigError);
});
