import bcrypt from "bcryptjs";

export const BCRYPT_ROUNDS = 12;

export function hashPassword(plain: string, rounds = BCRYPT_ROUNDS): Promise<string> {
  return bcrypt.hash(plain, rounds);
}

// A valid hash of a random string: comparing against it when the username is wrong makes
// a wrong username cost as much time as a wrong password (no user enumeration by timing).
const DUMMY_HASH = "$2b$12$cIsf2UpR8MP.1pGqLizIaOp5D80txH.7QjcfWiQ7rKPlZ8Rdo4RWe";

export async function checkLogin(opts: {
  username: string;
  password: string;
  expectedUsername: string;
  passwordHash: string;
}): Promise<boolean> {
  const userOk = opts.username === opts.expectedUsername;
  const passOk = await bcrypt.compare(opts.password, userOk ? opts.passwordHash : DUMMY_HASH);
  return userOk && passOk;
}
