import type * as z from "zod";
import type { Config } from "../config.ts";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** The on/off settings of the configuration (`PUBLIC_STATS`, …). */
export type ConfigFlag = { [K in keyof Config]-?: Config[K] extends boolean ? K : never }[keyof Config];

/**
 * One row of the route table. `handler` is the entry file (relative to the repo root) that
 * both the CDK stack bundles into a Lambda and the local server imports; the schemas are
 * what the shared middleware validates and what the OpenAPI document describes.
 */
export type TableAccess = "read" | "readwrite" | "none" | "stats";

export interface RouteDef<
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  P extends z.ZodType = z.ZodType,
> {
  readonly method: HttpMethod;
  readonly path: string;
  readonly handler: `functions/${string}.ts`;
  readonly auth: "none" | "bearer";
  /**
   * Who may call it beyond `auth`, enforced by one middleware (no handler checks a role):
   *   (none) with auth "bearer": a signed-in listener, acting on their own hoard; the owner may
   *          act on another's with `?listener=<handle>`;
   *   (none) with auth "none": anybody, for the owner (the single-user routes: /spotify/… cards);
   *   "owner": the owner only (auth "bearer");
   *   "handle": anybody, for the listener the `{handle}` path parameter names, while that
   *          listener's cards are public (auth "none").
   */
  readonly audience?: "owner" | "handle";
  /**
   * A bearer route that answers without a token while this setting is true (the statistics
   * with PUBLIC_STATS=true). Checked per request by the middleware; the CDK keeps treating the
   * route by its `exposure`.
   */
  readonly publicWhen?: ConfigFlag;
  /** Public routes get the stricter API Gateway throttle. */
  readonly exposure: "public" | "private";
  readonly summary: string;
  readonly tags: readonly string[];
  readonly request?: {
    readonly query?: Q;
    readonly path?: P;
    readonly body?: B;
    readonly bodyType?: "json" | "form";
  };
  /** Status → schema (JSON) or a media type for non-JSON answers. */
  readonly responses: Readonly<
    Record<number, { description: string; schema?: z.ZodType; mediaType?: string }>
  >;
  /**
   * Table access on AWS; by default public GET routes only read and the rest read and write.
   * "none": the function gets no grant at all (least privilege for what never touches it).
   * "stats": reads, and writes statistics snapshots only (items under `SNAP#`, derived data a
   * read builds when it finds none valid: shared/stats/snapshot.ts).
   */
  readonly tableAccess?: TableAccess;
  /** A listener being removed may still call it (DELETE /me, repeated while `more`); else 401. */
  readonly whileRemoving?: true;
  /** Seconds the function may run (CDK); the default suits request handlers. */
  readonly timeoutSeconds?: number;
  readonly memoryMb?: number;
  /** The handler starts the playback loop (shared/capture/kick.ts): on AWS it gets the state machine's ARN and StartExecution on it. */
  readonly startsLoop?: true;
  /** The handler starts the background analysis (POST /analysis/run): on AWS it gets ANALYSIS_FUNCTION_NAME and may invoke that function. */
  readonly startsAnalysis?: true;
}

export function defineRoute<Q extends z.ZodType, B extends z.ZodType, P extends z.ZodType>(
  route: RouteDef<Q, B, P>,
): RouteDef<Q, B, P> {
  return route;
}

export type QueryOf<R> = R extends RouteDef<infer Q, z.ZodType, z.ZodType> ? z.infer<Q> : never;
export type BodyOf<R> = R extends RouteDef<z.ZodType, infer B, z.ZodType> ? z.infer<B> : never;
export type PathOf<R> = R extends RouteDef<z.ZodType, z.ZodType, infer P> ? z.infer<P> : never;

export type Audience = "public" | "listener" | "owner" | "handle";

/** A route's audience with the defaults spelled out (the privacy walk and the docs use it). */
export const audienceOf = (route: Pick<RouteDef, "auth" | "audience">): Audience =>
  route.audience ?? (route.auth === "bearer" ? "listener" : "public");

/** "GET /plays/{id}": API Gateway's route key, which a Lambda event carries as `routeKey`. */
export const routeKeyOf = (route: Pick<RouteDef, "method" | "path">): string =>
  `${route.method} ${route.path}`;
