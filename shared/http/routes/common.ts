import * as z from "zod";
import { errorBodySchema } from "../errors.ts";

/** Pieces every area's routes share. */
/**
 * THE route table. The CDK stack makes one Lambda + one HTTP API route per row, the local
 * server dispatches from it, and /openapi.json is generated from it. Paths keep those of the
 * service we replace.
 */

export const error = (description: string) => ({ description, schema: errorBodySchema });

export const pageOf = (item: z.ZodType) =>
  z.object({ items: z.array(item), next_cursor: z.string().nullable() });
