import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The structured logger every function uses. Log identifiers (order id, address, event id) and
 * outcomes; never a fiscal code, a password, a first-access token or a task token.
 */
export const logger = new Logger({ serviceName: 'pec-provisioning' });

/**
 * Tags every later log line of this invocation with the order it handles and its storefront (the
 * wrappers reset the keys per invocation, `resetKeys`), so one order can be followed through its
 * intake, workflow steps and webhooks by its id. Identifiers only, never holder data.
 */
export function logOrderKeys(order: { orderId: string; storefrontId?: string | undefined }): void {
  logger.appendKeys({
    orderId: order.orderId,
    ...(order.storefrontId ? { storefrontId: order.storefrontId } : {}),
  });
}
