import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { hashPassword } from "#shared/auth/password.ts";

/**
 * First run with no configuration: make a JWT secret and a one-time admin password, keep only
 * the secret and the password's hash under the data folder, and tell the caller the password
 * once. Values set in the environment always win.
 */
export interface LocalSecrets {
  SECRET_KEY: string;
  ADMIN_PASSWORD_HASH: string;
  /** Set only on the run that generated it. */
  generatedPassword?: string;
  file: string;
}

export async function ensureLocalSecrets(
  dataDir: string,
  env: Record<string, string | undefined>,
): Promise<LocalSecrets> {
  const file = join(dataDir, "local-secrets.json");
  let stored: Partial<Record<"SECRET_KEY" | "ADMIN_PASSWORD_HASH", string>> = {};
  try {
    stored = JSON.parse(await readFile(file, "utf8"));
  } catch {
    // absent or unreadable: generate below
  }
  let generatedPassword: string | undefined;
  const next = { ...stored };
  if (!next.SECRET_KEY) next.SECRET_KEY = randomBytes(48).toString("base64url");
  if (!env.ADMIN_PASSWORD_HASH && !next.ADMIN_PASSWORD_HASH) {
    generatedPassword = randomBytes(12).toString("base64url");
    next.ADMIN_PASSWORD_HASH = await hashPassword(generatedPassword);
  }
  if (next.SECRET_KEY !== stored.SECRET_KEY || next.ADMIN_PASSWORD_HASH !== stored.ADMIN_PASSWORD_HASH) {
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  }
  return {
    SECRET_KEY: env.SECRET_KEY || next.SECRET_KEY,
    ADMIN_PASSWORD_HASH: env.ADMIN_PASSWORD_HASH || next.ADMIN_PASSWORD_HASH || "",
    ...(generatedPassword ? { generatedPassword } : {}),
    file,
  };
}
