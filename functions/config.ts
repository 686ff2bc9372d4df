import * as z from 'zod';

type Env = Record<string, string | undefined>;

/**
 * Reads and checks the environment variables a module needs, once, when the module loads.
 *
 * Each adapter declares only the variables it uses, so a function deployed with a subset of
 * adapters needs only their variables. Nothing here has a default: the CDK app is the one place
 * settings get their values, and a variable it did not give the function fails the cold start with
 * its name, instead of failing (or silently defaulting on) the first request that touches it.
 * Nothing else reads `process.env`.
 *
 * Takes the variables' shape, or a whole schema over the environment when one rule spans several
 * variables (e.g. "one of these two is required").
 */
export function defineConfig<Shape extends z.ZodRawShape>(shape: Shape): z.output<z.ZodObject<Shape>>;
export function defineConfig<Schema extends z.ZodType<unknown, Env>>(schema: Schema): z.output<Schema>;
export function defineConfig(shapeOrSchema: z.ZodRawShape | z.ZodType): unknown {
  const schema = shapeOrSchema instanceof z.ZodType ? shapeOrSchema : z.object(shapeOrSchema);
  const env: Env = process.env;
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = issue.path.join('.');
      return issue.code === 'invalid_type' && env[name] === undefined
        ? `${name} is not set`
        : `${name}: ${issue.message}`;
    });
    throw new Error(`Invalid configuration: ${problems.join('; ')}`);
  }
  return result.data;
}

/** A positive whole number of seconds, read from a string variable. */
export const seconds = z.coerce.number().int().positive();

/** A comma-separated list of host names (`mx1.example.com,mx2.example.com`), read from a string variable. */
export const hostList = z
  .string()
  .transform((text) => text.split(',').map((host) => host.trim().toLowerCase()))
  .pipe(z.array(z.string().min(1)).min(1));
