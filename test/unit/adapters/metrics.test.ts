import { afterEach, expect, it, vi } from 'vitest';

/*
 * The metrics adapter writes CloudWatch embedded metric format (EMF) lines: the namespace and the
 * `service` dimension the alarms name, the latency with its promise as a dimension of its own.
 */

vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'PecProvisioning');
vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'pec-provisioning');
const { metrics, powertoolsMetrics } = await import('../../../functions/adapters/metrics.ts');

afterEach(() => vi.restoreAllMocks());

interface Emf {
  _aws: {
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
  };
  [key: string]: unknown;
}

/** The EMF lines written to stdout while `act` runs. */
function emfLines(act: () => void): Emf[] {
  const lines: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  act();
  vi.restoreAllMocks();
  return lines
    .flatMap((text) => text.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Emf);
}

it('counts go out together at the flush, in the namespace, with the service dimension', () => {
  const [line, ...rest] = emfLines(() => {
    powertoolsMetrics.count('OrdersPaid');
    powertoolsMetrics.count('RenewalsCharged');
    metrics.publishStoredMetrics();
  });
  expect(rest).toEqual([]);
  expect(line?._aws.CloudWatchMetrics).toEqual([
    {
      Namespace: 'PecProvisioning',
      Dimensions: [['service']],
      Metrics: [
        { Name: 'OrdersPaid', Unit: 'Count' },
        { Name: 'RenewalsCharged', Unit: 'Count' },
      ],
    },
  ]);
  expect(line).toMatchObject({ service: 'pec-provisioning', OrdersPaid: 1, RenewalsCharged: 1 });
});

it('the payment-to-active latency carries its promise as a dimension, and leaves the counts without it', () => {
  const lines = emfLines(() => {
    powertoolsMetrics.count('OrdersActivated');
    powertoolsMetrics.paymentToActive(240_000, 'generic');
    metrics.publishStoredMetrics();
  });
  const latency = lines.find((line) => 'PaymentToActiveLatency' in line);
  const counts = lines.find((line) => 'OrdersActivated' in line);
  expect(latency?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service', 'Promise']]);
  expect(latency).toMatchObject({ Promise: 'generic', PaymentToActiveLatency: 240_000 });
  expect(counts?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service']]);
  expect(counts).not.toHaveProperty('Promise');
});

it('a flush with nothing counted writes nothing, and no warning', () => {
  const warnings: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    warnings.push(String(chunk));
    return true;
  });
  metrics.publishStoredMetrics();
  vi.restoreAllMocks();
  expect(warnings.join('')).toBe('');
});
