import { createHash } from 'node:crypto';
import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { DomainWaitStarter } from '../use-cases/ports.ts';

/**
 * The name of a domain's wait: `domain-<domain>`, or for a name too long for Step Functions (80
 * characters) its beginning and a hash. One name per domain: Step Functions itself refuses a second
 * execution with it (for 90 days after one ended), so concurrent requests start one wait.
 */
export function domainWaitName(domain: string): string {
  const name = `domain-${domain}`;
  if (name.length <= 80) return name;
  const hash = createHash('sha256').update(domain).digest('hex').slice(0, 24);
  return `domain-${domain.slice(0, 48)}-${hash}`;
}

/** Starts the reseller-domain certification workflow (DOMAIN_WORKFLOW_ARN) for a pending domain, once. */
export const stepFunctionsDomainWait = ({
  client,
  stateMachineArn,
}: {
  client: SFNClient;
  stateMachineArn: string;
}): DomainWaitStarter => ({
  async startDomainWait(domain) {
    try {
      await client.send(
        new StartExecutionCommand({ stateMachineArn, name: domainWaitName(domain), input: JSON.stringify({ domain }) }),
      );
    } catch (error) {
      // Running already, or run and ended (then the check-now route still certifies it).
      if (!(error instanceof Error && error.name === 'ExecutionAlreadyExists')) throw error;
    }
  },
});
