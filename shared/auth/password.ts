import bcrypt from "bcryptjs";

export const BCRYPT_ROUNDS = 12;

export function hashPassword(plain: string, rounds = BCRYPT_ROUNDS): Promise<string> {
  return bcrypt.hash(plain, rounds);
}

// A valid hash of a random string: comparing against it when the username is wrong makes a
// wrong username cost as much time as a wrong password (no user enumeration by timing).
const DUMMY_HASH = "$2b$12$cIsf2UpR8MP.1pGqLizIaOp5D80txH.7QjcfWiQ7rKPlZ8Rdo4RWe";

/**
 * The dummy at the cost of the configured hash. bcrypt's time is 2^cost, read from the hash
 * itself, so a fixed cost-12 dummy next to a cost-10 password made unknown usernames 4× slower
 * than known ones. Only the cost field changes: the comparison still fails, at the same price.
 */
export function dummyHashFor(passwordHash: string): string {
  const cost = bcrypt.getRounds(passwordHash);
  return DUMMY_HASH.replace(/^\$2b\$\d{2}\$/, `$2b$${String(cost).padStart(2, "0")}$`);
}

export async function checkLogin(opts: {
  username: string;
  password: string;
  expectedUsername: string;
  passwordHash: string;
  /** bcrypt's compare; tests spy on which hash (and so which cost) each login pays for. */
  compare?: (plain: string, hash: string) => Promise<boolean>;
}): Promise<boolean> {
  const compare = opts.compare ?? bcrypt.compare;
  const userOk = opts.username === opts.expectedUsername;
  const passOk = await compare(opts.password, userOk ? opts.passwordHash : dummyHashFor(opts.passwordHash));
  return userOk && passOk;
}
