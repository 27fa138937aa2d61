import * as z from "zod";
import { handleSchema } from "../domain/listener.ts";
import { VERSION } from "../version.ts";
import { audienceOf, type RouteDef } from "./route.ts";
import { routeList } from "./routes.ts";

/**
 * The OpenAPI 3.1 document, generated from the route table and its zod schemas (zod's own
 * JSON Schema output; OpenAPI 3.1 schemas are JSON Schema 2020-12). Named schemas
 * (`.meta({ id })`) land in components.schemas.
 */

type JsonSchema = Record<string, unknown>;

function convert(
  schema: z.ZodType,
  io: "input" | "output",
  components: Record<string, JsonSchema>,
): JsonSchema {
  const raw = z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any" }) as JsonSchema;
  const text = JSON.stringify(raw).replaceAll('"#/$defs/', '"#/components/schemas/');
  const {
    $schema: _ignored,
    $defs,
    ...rest
  } = JSON.parse(text) as JsonSchema & { $defs?: Record<string, JsonSchema> };
  for (const [name, def] of Object.entries($defs ?? {})) components[name] = def;
  return rest;
}

function parameters(route: RouteDef, components: Record<string, JsonSchema>) {
  const out: JsonSchema[] = [];
  for (const where of ["path", "query"] as const) {
    const schema = route.request?.[where];
    if (!schema) continue;
    const js = convert(schema, "input", components) as {
      properties?: Record<string, JsonSchema>;
      required?: string[];
    };
    for (const [name, s] of Object.entries(js.properties ?? {})) {
      out.push({
        name,
        in: where,
        required: where === "path" || (js.required ?? []).includes(name),
        schema: s,
        ...(typeof s.description === "string" ? { description: s.description } : {}),
      });
    }
  }
  // The audience middleware (shared/http/middleware.ts) lets the owner act on any listener's hoard.
  const kind = audienceOf(route);
  if (kind === "listener" || kind === "owner") {
    out.push({
      name: "listener",
      in: "query",
      required: false,
      schema: convert(handleSchema, "input", components),
      description: "Owner only: act on this listener's hoard (their handle); others get 403",
    });
  }
  return out;
}

/** OpenAPI has no greedy parameter: API Gateway's `/app/{page+}` is described as `/app/{page}`. */
export const openApiPath = (path: string): string => path.replace(/\{(\w+)\+\}/g, "{$1}");

export function buildOpenApi(serverUrl?: string): JsonSchema {
  const components: Record<string, JsonSchema> = {};
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routeList) {
    const responses: Record<string, JsonSchema> = {};
    for (const [status, r] of Object.entries(route.responses)) {
      const content = r.schema
        ? { "application/json": { schema: convert(r.schema, "output", components) } }
        : r.mediaType
          ? { [r.mediaType]: {} }
          : undefined;
      responses[status] = { description: r.description, ...(content ? { content } : {}) };
    }
    if (route.auth === "bearer") {
      responses["401"] ??= { description: "Missing or invalid bearer token" };
    }
    const body = route.request?.body;
    const mediaType =
      route.request?.bodyType === "form" ? "application/x-www-form-urlencoded" : "application/json";
    const op: JsonSchema = {
      operationId: route.id,
      summary: route.summary,
      tags: route.tags,
      parameters: parameters(route, components),
      ...(body
        ? {
            requestBody: {
              required: true,
              content: { [mediaType]: { schema: convert(body, "input", components) } },
            },
          }
        : {}),
      responses,
      ...(route.auth === "bearer" ? { security: [{ bearer: [] }] } : {}),
    };
    const path = openApiPath(route.path);
    paths[path] ??= {};
    (paths[path] as Record<string, JsonSchema>)[route.method.toLowerCase()] = op;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "hoardify",
      version: VERSION,
      description: "Every Spotify listen, recorded once; now-playing JSON and SVG; statistics.",
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "From POST /token" },
      },
    },
  };
}
