import type { Cache } from "./cache/port.ts";
import { type LoopStarter, type LoopStarters, stepFunctionsStarters } from "./capture/starter.ts";
import type { Clock } from "./clock.ts";
import { systemClock } from "./clock.ts";
import { type Config, ConfigError, loadConfig } from "./config.ts";
import { OWNER_ID } from "./domain/listener.ts";
import { createLyricsStore, type LyricsStore } from "./lyrics/store.ts";
import { withSsmSecrets } from "./secrets.ts";
import { createDocumentClient, dynamoTimeoutsOf } from "./store/dynamo.ts";
import { createHousehold, type Household } from "./store/household.ts";
import type { Store } from "./store/port.ts";

/**
 * Everything a handler talks to, for one listener: `store`, the cache keys the capture code
 * builds (shared/cache/keys.ts) and `startLoop` all act for `listener`. Built once per Lambda
 * container for the owner (or given by the local runtime); `forListener` gives another
 * listener's (the HTTP middleware does, from the caller).
 */
export interface Deps {
  config: Config;
  cache: Cache;
  /** The hoard of `listener`. */
  store: Store;
  /** Catalog lyrics and emotion vectors (shared/lyrics/store.ts), in the same table. */
  lyrics: LyricsStore;
  clock: Clock;
  listener: string;
  /** Who listens here, and every listener's store. */
  household: Household;
  /** Starts `listener`'s playback loop now (shared/capture/kick.ts); absent where there is no loop. */
  startLoop?: LoopStarter | undefined;
  /** Every listener's loop starter (the AWS state machine, or the local loops). */
  starters?: LoopStarters | undefined;
}

/** The same dependencies acting for another listener. */
export function forListener(deps: Deps, listener: string): Deps {
  if (listener === deps.listener) return deps;
  return {
    ...deps,
    listener,
    store: deps.household.storeOf(listener),
    startLoop: deps.starters?.(listener),
  };
}

let current: Promise<Deps> | undefined;

/** The local runtime and tests hand over their own adapters. */
export function setDeps(deps: Deps): void {
  current = Promise.resolve(deps);
}

export function resetDeps(): void {
  current = undefined;
}

export function getDeps(): Promise<Deps> {
  if (!current) {
    current = buildFromEnvironment().catch((err: unknown) => {
      // Do not cache a failure: a secret fixed in SSM is picked up by the next request.
      current = undefined;
      throw err;
    });
  }
  return current;
}

export async function buildFromEnvironment(
  env: Record<string, string | undefined> = process.env,
): Promise<Deps> {
  const config = loadConfig(await withSsmSecrets(env));
  return buildDeps(config);
}

export async function buildDeps(config: Config, overrides: Partial<Deps> = {}): Promise<Deps> {
  let client: ReturnType<typeof createDocumentClient> | undefined;
  const documentClient = () => {
    client ??= createDocumentClient({
      region: config.AWS_REGION,
      endpoint: config.DYNAMODB_ENDPOINT,
      timeouts: dynamoTimeoutsOf(config),
    });
    return client;
  };
  const household =
    overrides.household ??
    createHousehold({
      client: documentClient(),
      tableName: config.TABLE_NAME,
      cursorSecret: config.SECRET_KEY,
    });
  const listener = overrides.listener ?? OWNER_ID;
  const store = overrides.store ?? household.storeOf(listener);
  const lyrics =
    overrides.lyrics ?? createLyricsStore({ client: documentClient(), tableName: config.TABLE_NAME });
  let cache = overrides.cache;
  if (!cache) {
    if (config.UPSTASH_REDIS_REST_URL && config.UPSTASH_REDIS_REST_TOKEN) {
      const { createUpstashCache } = await import("./cache/upstash.ts");
      cache = createUpstashCache({
        url: config.UPSTASH_REDIS_REST_URL,
        token: config.UPSTASH_REDIS_REST_TOKEN,
        timeoutMs: config.UPSTASH_TIMEOUT_MS,
      });
    } else {
      // Only one process (npm start, tests): loadConfig refuses a Lambda without Upstash.
      const { createMemoryCache } = await import("./cache/memory.ts");
      cache = createMemoryCache();
    }
  }
  const starters =
    overrides.starters ??
    (config.STATE_MACHINE_ARN ? stepFunctionsStarters(config.STATE_MACHINE_ARN) : undefined);
  return {
    config,
    cache,
    store,
    lyrics,
    clock: overrides.clock ?? systemClock,
    listener,
    household,
    starters,
    startLoop: overrides.startLoop ?? starters?.(listener),
  };
}

export { ConfigError };
