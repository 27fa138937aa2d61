import * as z from "zod";

/**
 * The one place the environment is read. Every entry point (Lambda handlers, the local
 * runtime, scripts, benchmarks) calls `loadConfig`, so a misnamed variable fails the same
 * way everywhere: one message listing every problem.
 */

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .optional();

const optionalUrl = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .pipe(z.url({ protocol: /^https?$/ }).optional())
  .optional();

const urlWithDefault = (fallback: string) =>
  z
    .string()
    .trim()
    .transform((v) => (v === "" ? fallback : v))
    .pipe(z.url({ protocol: /^https?$/ }))
    .default(fallback)
    // A trailing slash would double up when paths are appended.
    .transform((v) => v.replace(/\/+$/, ""));

const millis = (fallback: number, max: number) => z.coerce.number().int().min(50).max(max).default(fallback);
/** Milliseconds whose default depends on another setting (empty: that default). */
const optionalMillis = (max: number) =>
  optionalString.pipe(z.coerce.number<string | undefined>().int().min(50).max(max).optional());

/** Spotify's image CDNs: the only hosts album art is fetched from unless configured otherwise. */
export const SPOTIFY_IMAGE_HOSTS = [
  "i.scdn.co",
  "mosaic.scdn.co",
  "image-cdn-ak.spotifycdn.com",
  "image-cdn-fa.spotifycdn.com",
  "*.spotifycdn.com",
] as const;

const BCRYPT_HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

export const configSchema = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(8000),
  /**
   * Local runtime only: the address the HTTP server binds. Loopback by default, so nobody else
   * on the network reaches it; `0.0.0.0` (or a LAN address) opens it deliberately.
   */
  HOST: z.string().trim().min(1).default("127.0.0.1"),
  ADMIN_USERNAME: z.string().trim().min(1).default("admin"),
  ADMIN_PASSWORD_HASH: optionalString.pipe(
    z.string().regex(BCRYPT_HASH, "must be a bcrypt hash (run `npm run hash-password`)").optional(),
  ),
  SECRET_KEY: optionalString.pipe(
    z.string().min(32, "must be at least 32 characters (try `openssl rand -base64 48`)").optional(),
  ),
  ACCESS_TOKEN_EXPIRE_MINUTES: z.coerce.number().int().min(1).max(10_080).default(60),
  CORS_ORIGINS: z
    .string()
    .default("")
    .transform((v) =>
      v
        .split(",")
        .map((o) => o.trim())
        .filter((o) => o !== ""),
    )
    .pipe(z.array(z.union([z.literal("*"), z.url({ protocol: /^https?$/ })]))),
  SPOTIFY_CLIENT_ID: optionalString,
  SPOTIFY_CLIENT_SECRET: optionalString,
  SPOTIFY_REDIRECT_URI: optionalUrl,
  SPOTIFY_ACCOUNTS_URL: urlWithDefault("https://accounts.spotify.com"),
  SPOTIFY_API_URL: urlWithDefault("https://api.spotify.com/v1"),
  UPSTASH_REDIS_REST_URL: optionalUrl,
  UPSTASH_REDIS_REST_TOKEN: optionalString,
  TABLE_NAME: z.string().trim().min(3).max(255).default("hoardify"),
  DYNAMODB_ENDPOINT: optionalUrl,
  /**
   * Per DynamoDB call: connecting, then the whole request, and how many attempts in all. A
   * stalled table answers 503 after about attempts × (connect + request) instead of hanging
   * to the Lambda timeout (10 s for request handlers): the defaults stay well inside it.
   */
  // Unset: 1 s and 3 s against DynamoDB, longer against DynamoDB Local (shared/store/dynamo.ts).
  DYNAMODB_CONNECT_TIMEOUT_MS: optionalMillis(60_000),
  DYNAMODB_REQUEST_TIMEOUT_MS: optionalMillis(120_000),
  DYNAMODB_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(2),
  /** One Upstash command, its retries included. */
  UPSTASH_TIMEOUT_MS: millis(2000, 60_000),
  /** Reading the secrets from SSM at a cold start, per attempt. */
  SSM_TIMEOUT_MS: millis(3000, 60_000),
  /**
   * Hosts album art may be fetched from (comma-separated; `*.example.com` matches
   * subdomains). Private, loopback and link-local addresses are refused unless listed
   * literally (tests list 127.0.0.1 for their fake Spotify).
   */
  ART_ALLOWED_HOSTS: z
    .string()
    .default(SPOTIFY_IMAGE_HOSTS.join(","))
    .transform((v) =>
      v
        .split(",")
        .map((h) => h.trim().toLowerCase())
        .filter((h) => h !== ""),
    ),
  AWS_REGION: z.string().trim().min(1).default("us-east-1"),
  /** AWS only (set by the stack): the playback loop's state machine, started by the watchdog and by kicks. */
  STATE_MACHINE_ARN: optionalString.pipe(
    z
      .string()
      .regex(/^arn:[\w-]+:states:[\w-]+:\d{12}:stateMachine:[\w-]{1,80}$/, "must be a state machine ARN")
      .optional(),
  ),
  /** AWS only (set by the stack): the analysis function POST /analysis/run invokes asynchronously. */
  ANALYSIS_FUNCTION_NAME: optionalString.pipe(
    z
      .string()
      .regex(/^[\w:.-]{1,170}$/, "must be a Lambda function name or ARN")
      .optional(),
  ),
  LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).max(1000).default(10),
  LOGIN_WINDOW_SECONDS: z.coerce.number().int().min(10).max(86_400).default(900),
  /** true: the /stats/* routes answer without a bearer token (a public listening profile). */
  PUBLIC_STATS: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(["", "true", "false", "1", "0"], { error: "must be true or false" }))
    .default("false")
    .transform((v) => v === "true" || v === "1"),
  /** Lyrics (no key). Requests name the project in their User-Agent, as LRCLIB asks. */
  LRCLIB_API_URL: urlWithDefault("https://lrclib.net/api"),
  /** Genius song and artist search (`/genius/*`): its routes answer 503 until the token is set. */
  GENIUS_ACCESS_TOKEN: optionalString,
  GENIUS_API_URL: urlWithDefault("https://api.genius.com"),
  /** Emotion classification (Hugging Face Inference API): mood and /analyze-lyrics need the token. */
  HF_TOKEN: optionalString,
  /** The model URL is HF_API_URL/HF_MODEL; stored vectors name the model they came from. */
  HF_API_URL: urlWithDefault("https://router.huggingface.co/hf-inference/models"),
  HF_MODEL: z
    .string()
    .trim()
    .regex(/^[\w.-]+(\/[\w.-]+)?$/, "must be a model id such as SamLowe/roberta-base-go_emotions")
    .default("SamLowe/roberta-base-go_emotions"),
  /** Tracks the background analysis looks up per run (most played first): LRCLIB + HF calls. */
  ANALYSIS_TRACKS_PER_RUN: z.coerce.number().int().min(1).max(1000).default(60),
  /** Local runtime only: where DynamoDB Local's files and the generated local secrets live. */
  DATA_DIR: z.string().trim().min(1).default(".data"),
  /**
   * The built dashboard (infra/web/build.ts). Unset on Lambda, where the files sit next to the
   * web function's bundle; `npm start` builds them under DATA_DIR and sets this itself.
   */
  WEB_ASSETS_DIR: optionalString,
});

export type Config = z.infer<typeof configSchema>;

/** Every setting at its default (what an empty environment gives). */
export const CONFIG_DEFAULTS: Config = configSchema.parse({});

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** Parses the environment; throws one ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = configSchema.safeParse(env);
  if (result.success) {
    const cfg = result.data;
    const problems: string[] = [];
    // A half-set Spotify app is not an error here: it would take every route (and /health)
    // down with it. The Spotify routes answer 503 naming what is missing, /health lists it.
    if (Boolean(cfg.UPSTASH_REDIS_REST_URL) !== Boolean(cfg.UPSTASH_REDIS_REST_TOKEN)) {
      problems.push("UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN must be set together");
    } else if (!cfg.UPSTASH_REDIS_REST_URL && env.AWS_LAMBDA_FUNCTION_NAME) {
      // Each Lambda container would get its own memory cache: the OAuth state written by
      // /spotify/authorize is never seen by /spotify/callback, and the watchdog never sees the
      // loop's lease (a new chain every minute). Refuse instead of failing silently.
      problems.push(
        "UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN are required on AWS Lambda (a per-container memory cache cannot hold the OAuth state or the loop lease)",
      );
    }
    if (problems.length > 0) throw new ConfigError(problems);
    return cfg;
  }
  throw new ConfigError(
    result.error.issues.map((issue) => `${issue.path.join(".") || "(environment)"}: ${issue.message}`),
  );
}

export const SPOTIFY_SETTINGS = [
  "SPOTIFY_CLIENT_ID",
  "SPOTIFY_CLIENT_SECRET",
  "SPOTIFY_REDIRECT_URI",
] as const;

/** The Spotify settings still unset (all three when Spotify is simply not configured). */
export function missingSpotifyConfig(cfg: Config): (typeof SPOTIFY_SETTINGS)[number][] {
  return SPOTIFY_SETTINGS.filter((name) => !cfg[name]);
}

export function spotifyConfigured(cfg: Config): boolean {
  return missingSpotifyConfig(cfg).length === 0;
}

/** The variables a person may set, with a line of help each; `.env.example` mirrors this. */
export const CONFIG_NAMES = Object.keys(configSchema.shape) as (keyof Config)[];
