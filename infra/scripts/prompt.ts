import { createInterface } from "node:readline";

/** A hidden prompt on the terminal (stderr), for passwords and secrets: nothing is echoed. */
export async function prompt(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  // Echo nothing while the password is typed.
  const mute = rl as unknown as { _writeToOutput: (s: string) => void };
  process.stderr.write(question);
  mute._writeToOutput = () => undefined;
  const answer = await new Promise<string>((ok) => rl.question("", ok));
  rl.close();
  process.stderr.write("\n");
  return answer;
}
