import * as z from 'zod';

/**
 * Reads and checks the environment variables a module needs, once, when the module loads.
 *
 * Each adapter declares only the variables it uses, so a function deployed with a subset of
 * adapters needs only their variables; a missing or malformed one fails the cold start with its
 * name, instead of failing the first request that happens to touch it. Nothing else reads
 * `process.env`.
 */
export function defineConfig<Shape extends z.ZodRawShape>(shape: Shape): z.infer<z.ZodObject<Shape>> {
  const result = z.object(shape).safeParse(process.env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid configuration: ${problems.join('; ')}`);
  }
  return result.data;
}

/** A positive whole number of seconds, read from a string variable. */
export const seconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);
