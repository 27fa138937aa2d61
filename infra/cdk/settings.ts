import fs from "node:fs";
import * as z from "zod";

/**
 * The deploy's non-secret settings. They live in `hoardify.config.json` at the project root
 * (copy `hoardify.config.example.json`), so a second `npm run deploy` cannot forget one; a
 * `-c name=value` flag still overrides a value for one run. Secrets never go here: they are
 * SSM SecureStrings written by `npm run secrets`.
 */
export const SETTINGS_FILE = "hoardify.config.json";

const csv = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : v.split(",")).map((o) => o.trim()).filter((o) => o !== ""))
  .pipe(z.array(z.union([z.literal("*"), z.url({ protocol: /^https?$/ })])));

export const deploySettingsSchema = z.object({
  /** Your Spotify app's client id (its secret goes to SSM). */
  spotifyClientId: z.string().trim().min(1, "is required"),
  /** `https://<db>.upstash.io`: every function shares it (the OAuth state, the loop lease). */
  upstashRedisRestUrl: z
    .url({ protocol: /^https?$/ })
    // http only for a stand-in on this machine (the deployed-shape tests).
    .refine((u) => u.startsWith("https://") || /^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(u), {
      error: "must be an https:// URL",
    }),
  /** Default: the API's own `…/spotify/callback`, known after the API exists. */
  spotifyRedirectUri: z.url({ protocol: /^https?$/ }).optional(),
  /** Allowed browser origins (a list, or comma-separated); none by default. */
  corsOrigins: csv.default([]),
  adminUsername: z.string().trim().min(1).default("admin"),
  ssmSecretsPrefix: z
    .string()
    .regex(/^\/[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*\/$/, "must look like /hoardify/")
    .default("/hoardify/"),
  /** Where the alarms write (an SNS e-mail subscription to confirm once); none by default. */
  alertEmail: z.email().optional(),
});

export type DeploySettings = z.infer<typeof deploySettingsSchema>;
export const SETTING_NAMES = Object.keys(deploySettingsSchema.shape) as (keyof DeploySettings)[];

/** The example file's values ("your-db", "your-spotify-app-client-id"). */
const PLACEHOLDER = /\byour[-_]/i;

/** The names a person might be tempted to put in the file; they belong in SSM. */
const SECRET_LIKE = /secret|password|token|key$/i;

export class SettingsError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(
      `Cannot synthesize: fix these deploy settings in ${SETTINGS_FILE} (copy hoardify.config.example.json) or pass -c name=value:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
    this.name = "SettingsError";
    this.problems = problems;
  }
}

/** The file's settings, or none when it does not exist. */
export function readSettingsFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new SettingsError([`${SETTINGS_FILE} is not valid JSON: ${(err as Error).message}`]);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new SettingsError([`${SETTINGS_FILE} must hold one JSON object`]);
  }
  const known = new Set<string>(SETTING_NAMES);
  const unknown = Object.keys(parsed).filter((key) => !known.has(key) && !key.startsWith("//"));
  if (unknown.length > 0) {
    throw new SettingsError(
      unknown.map((key) =>
        SECRET_LIKE.test(key)
          ? `${key}: secrets do not go in the settings (they would land in the template); run npm run secrets`
          : `${key}: unknown setting (known: ${SETTING_NAMES.join(", ")})`,
      ),
    );
  }
  return parsed as Record<string, unknown>;
}

/** The settings among CDK context values (the file's, then `-c` flags over them). */
export function settingsFromContext(get: (name: string) => unknown): Record<string, unknown> {
  return Object.fromEntries(SETTING_NAMES.map((name) => [name, get(name)]));
}

/** Validates every setting at once; one SettingsError names each missing or bad one. */
export function deploySettings(values: Record<string, unknown>): DeploySettings {
  const present = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined && v !== ""));
  const result = deploySettingsSchema.safeParse(present);
  const problems = result.success
    ? []
    : result.error.issues.map(
        (issue) => `${issue.path.join(".")}: ${issue.input === undefined ? "is required" : issue.message}`,
      );
  // A copied example that was never filled in would deploy a stack that cannot work.
  for (const [name, value] of Object.entries(present)) {
    if (typeof value === "string" && PLACEHOLDER.test(value)) {
      problems.push(`${name}: still the example's placeholder (${value})`);
    }
  }
  if (result.success && problems.length === 0) return result.data;
  throw new SettingsError(problems);
}
