import * as z from 'zod';
import { secrets } from './clients/secrets-manager.ts';

type SecretShape<Name extends string> = { [K in Name | `${Name}_ARN`]: z.ZodOptional<z.ZodString> };

/**
 * The variables of a secret `name`, over the rest of a function's variables `shape`: in AWS
 * `<name>_ARN`, the Secrets Manager secret holding it; locally (and in tests) `<name>`, the secret
 * itself, which takes precedence. One of the two is required.
 */
export function withSecretVariables<Name extends string, Shape extends z.ZodRawShape>(
  name: Name,
  shape: Shape,
  minLength = 8,
) {
  const arn = `${name}_ARN` as const;
  const secretShape = {
    [arn]: z.string().min(1).optional(),
    [name]: z.string().min(minLength).optional(),
  } as SecretShape<Name>;
  return z
    .object({ ...shape, ...secretShape })
    .refine((env: Record<string, unknown>) => env[name] !== undefined || env[arn] !== undefined, {
      path: [arn],
      message: `one of ${arn} (in AWS) or ${name} (locally) is required`,
    });
}

/**
 * A secret's value: `secret` as given, or else read from Secrets Manager (`secretArn`) through
 * Powertools Parameters, cached for five minutes so a warm function does not call Secrets Manager
 * per request, yet picks up a rotated secret soon after. `what` names it in errors.
 */
export function secretValue(source: { secret?: string | undefined; secretArn?: string | undefined }, what: string) {
  return async (): Promise<string> => {
    if (source.secret) return source.secret;
    const secret = await secrets.get(source.secretArn as string, { maxAge: 300 });
    if (typeof secret !== 'string' || secret.length === 0) throw new Error(`The ${what} is empty`);
    return secret;
  };
}
