import {
  type APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  GetApiKeysCommand,
  GetUsagePlansCommand,
} from '@aws-sdk/client-api-gateway';
import * as z from 'zod';
import type { ApiKeyIssuer } from '../use-cases/ports.ts';

/** The usage plan reseller keys are put on, by name, for the `defineConfig` of a function that creates them. */
export const resellerKeyVariables = { RESELLER_USAGE_PLAN_NAME: z.string().min(1) };

/**
 * Reseller keys as API Gateway API keys on the resellers' usage plan (its throttle): a key not on a
 * plan opens nothing, so the key is usable once CreateUsagePlanKey has put it there. The key's id
 * is what API Gateway passes the functions (`identity.apiKeyId`): the reseller's id. The plan is
 * found by its name once per execution environment (its id cannot be configured, see NeedsBinder).
 * API Gateway does not refuse a second key with the same name, so a key is looked up by its name
 * (GetApiKeys `nameQuery`, a prefix match, hence the exact comparison) before one is created, and
 * putting a key on the plan again is harmless (ConflictException: it is there).
 */
export function apiGatewayKeys({
  client,
  usagePlanName,
}: {
  client: APIGatewayClient;
  usagePlanName: string;
}): ApiKeyIssuer {
  let usagePlanId: Promise<string> | undefined;
  const findPlan = async () => {
    let position: string | undefined;
    do {
      const page = await client.send(new GetUsagePlansCommand({ limit: 500, ...(position ? { position } : {}) }));
      const plan = page.items?.find((candidate) => candidate.name === usagePlanName);
      if (plan?.id) return plan.id;
      position = page.position;
    } while (position);
    throw new Error(`There is no usage plan named ${usagePlanName}.`);
  };
  const findKey = async (name: string) => {
    let position: string | undefined;
    do {
      const page = await client.send(
        new GetApiKeysCommand({ nameQuery: name, includeValues: true, limit: 500, ...(position ? { position } : {}) }),
      );
      const key = page.items?.find((candidate) => candidate.name === name);
      if (key?.id && key.value) return { id: key.id, value: key.value };
      position = page.position;
    } while (position);
    return undefined;
  };
  const createKey = async (name: string) => {
    const key = await client.send(new CreateApiKeyCommand({ name, enabled: true }));
    if (!key.id || !key.value) throw new Error('API Gateway created a key without an id or a value.');
    return { id: key.id, value: key.value };
  };
  return {
    async findOrCreate(name) {
      usagePlanId ??= findPlan().catch((error: unknown) => {
        usagePlanId = undefined;
        throw error;
      });
      const planId = await usagePlanId;
      const key = (await findKey(name)) ?? (await createKey(name));
      try {
        await client.send(new CreateUsagePlanKeyCommand({ usagePlanId: planId, keyId: key.id, keyType: 'API_KEY' }));
      } catch (error) {
        if (!(error instanceof Error && error.name === 'ConflictException')) throw error;
      }
      return key;
    },
  };
}
