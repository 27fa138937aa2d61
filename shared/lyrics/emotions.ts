import { setTimeout as sleep } from "node:timers/promises";
import * as z from "zod";
import type { Config } from "../config.ts";
import { jsonOf } from "../net/exchange.ts";
import {
  IntegrationError,
  type IntegrationHttpOptions,
  integrationSender,
  requireSetting,
  unexpectedAnswer,
} from "./faults.ts";

/**
 * Emotion classification through the Hugging Face Inference API: POST the text to the model's
 * URL with `top_k: null` (every label, not just the best), read `[[{label, score}, …]]`.
 * While the model is cold the API answers 503 `{error, estimated_time}`: wait that long and
 * ask again, within the caller's patience (a request has seconds, the background job a minute).
 */

export interface EmotionScore {
  label: string;
  score: number;
}

const scoreSchema = z.object({ label: z.string(), score: z.number() });
// The pipeline nests one list per input; some deployments answer the flat list for one input.
const answerSchema = z.union([z.array(z.array(scoreSchema)).min(1), z.array(scoreSchema)]);
const loadingSchema = z.object({ error: z.string().optional(), estimated_time: z.number().optional() });

/**
 * GoEmotions models (RoBERTa) read at most 512 tokens; the API refuses or silently cuts longer
 * inputs. Lyrics repeat themselves (choruses), so repeated lines and section tags go first,
 * then the text is cut on a line boundary at a word and character budget that stays under
 * 512 BPE tokens even for punctuation-heavy text (≈ 1.3 tokens per English word).
 */
export const MAX_WORDS = 300;
export const MAX_CHARS = 1600;

export function prepareText(text: string): { text: string; truncated: boolean } {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^\s*\[[^\]]*\]\s*$/, "").trim();
    if (line === "") continue;
    const key = line.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    lines.push(line);
  }
  const out: string[] = [];
  let words = 0;
  let chars = 0;
  for (const line of lines) {
    const w = line.split(/\s+/).length;
    if (out.length > 0 && (words + w > MAX_WORDS || chars + line.length + 1 > MAX_CHARS)) {
      return { text: out.join("\n"), truncated: true };
    }
    // A single enormous line: cut it on a word boundary.
    const cut = w > MAX_WORDS || line.length > MAX_CHARS;
    out.push(cut ? line.slice(0, MAX_CHARS).split(/\s+/).slice(0, MAX_WORDS).join(" ") : line);
    if (cut) return { text: out.join("\n"), truncated: true };
    words += w;
    chars += line.length + 1;
  }
  return { text: out.join("\n"), truncated: false };
}

export interface EmotionClient {
  readonly model: string;
  /** Scores for every label, best first. */
  classify(text: string, opts?: { maxWaitMs?: number }): Promise<EmotionScore[]>;
}

export interface EmotionClientOptions extends IntegrationHttpOptions {
  /** Injected so tests of the loading path need not wait in real time. */
  sleep?: (ms: number) => Promise<unknown>;
}

export function createEmotionClient(
  config: Pick<Config, "HF_TOKEN" | "HF_API_URL" | "HF_MODEL">,
  opts: EmotionClientOptions = {},
): EmotionClient {
  const send = integrationSender("huggingface", { timeoutMs: 20_000, ...opts }, { answerStatuses: [503] });
  const wait = opts.sleep ?? sleep;
  const model = config.HF_MODEL;
  const url = `${config.HF_API_URL}/${model}`;
  const path = new URL(url).pathname;
  return {
    model,
    async classify(text, { maxWaitMs = 5000 } = {}) {
      const token = requireSetting("huggingface", config);
      let waited = 0;
      for (;;) {
        const res = await send(url, {
          method: "POST",
          headers: {
            authorization: `Bearer ${token}`,
            "content-type": "application/json",
            accept: "application/json",
          },
          body: JSON.stringify({ inputs: text, parameters: { top_k: null } }),
        });
        if (res.status === 503) {
          const body = loadingSchema.safeParse(jsonOf(res.text));
          const estimated = body.success ? (body.data.estimated_time ?? 20) : 20;
          const ms = Math.max(250, Math.ceil(estimated * 1000));
          if (waited + ms > maxWaitMs) {
            throw new IntegrationError("huggingface", {
              type: "loading",
              estimatedSeconds: Math.max(1, Math.ceil(estimated)),
            });
          }
          await wait(ms);
          waited += ms;
          continue;
        }
        if (res.status !== 200) {
          const body = loadingSchema.safeParse(jsonOf(res.text));
          throw unexpectedAnswer(
            "huggingface",
            path,
            res.status,
            body.success ? (body.data.error ?? "") : "",
          );
        }
        const parsed = answerSchema.safeParse(jsonOf(res.text));
        if (!parsed.success) {
          throw unexpectedAnswer("huggingface", path, 200, "not a list of {label, score}");
        }
        const first = parsed.data[0];
        const scores = (Array.isArray(first) ? first : (parsed.data as EmotionScore[])).filter((s) =>
          Number.isFinite(s.score),
        );
        return [...scores].sort((a, b) => b.score - a.score);
      }
    },
  };
}
