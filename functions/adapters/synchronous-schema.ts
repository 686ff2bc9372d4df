import type { ZodType, z } from 'zod';

/**
 * `schema` as a Standard Schema whose validation is always synchronous, for the Powertools parser.
 *
 * zod's own Standard Schema `validate` retries a parse that threw as an asynchronous one and returns
 * its promise; the parser refuses promises with an error of its own and leaves that promise to
 * reject unobserved, which ends the process (an unhandled rejection kills a Lambda execution
 * environment). Here a schema that throws (a bug: every rule must report an issue instead) throws
 * right away, so the middleware answers it like any other error.
 */
export function synchronousSchema<Schema extends ZodType>(
  schema: Schema,
): { '~standard': z.core.$ZodStandardSchema<Schema> } {
  return {
    '~standard': {
      version: 1,
      vendor: 'zod',
      validate: (value) => {
        const result = schema.safeParse(value);
        return result.success ? { value: result.data } : { issues: result.error.issues };
      },
    },
  };
}
