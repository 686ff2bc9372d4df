import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The structured logger every function uses. Log identifiers (order id, address, event id) and
 * outcomes; never a fiscal code, a password, a first-access token or a task token.
 */
export const logger = new Logger({ serviceName: 'pec-provisioning' });
