/**
 * `npm run hash-password`: prints a bcrypt hash for ADMIN_PASSWORD_HASH. The password is read
 * from stdin (piped) or a hidden prompt, never from argv, where `ps` and shell history see it.
 */
import { BCRYPT_ROUNDS, hashPassword } from "#shared/auth/password.ts";
import { prompt } from "./prompt.ts";

const MIN_LENGTH = 12;

async function readPiped(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

async function main() {
  if (process.argv.length > 2) {
    process.stderr.write(
      "hash-password takes no arguments: type the password at the prompt or pipe it in.\n",
    );
    process.exit(2);
  }
  let password: string;
  if (process.stdin.isTTY) {
    password = await prompt("Password: ");
    const again = await prompt("Again: ");
    if (again !== password) {
      process.stderr.write("The two passwords differ.\n");
      process.exit(1);
    }
  } else {
    password = await readPiped();
  }
  if (password.length < MIN_LENGTH) {
    process.stderr.write(`Use at least ${MIN_LENGTH} characters.\n`);
    process.exit(1);
  }
  const hash = await hashPassword(password, BCRYPT_ROUNDS);
  process.stdout.write(`${hash}\n`);
  process.stderr.write(
    "Set it as ADMIN_PASSWORD_HASH (in .env, or the SSM parameter on AWS). Quote it in .env: it contains $.\n",
  );
}

void main();
