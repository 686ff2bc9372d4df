import fc from 'fast-check';
import type { WorkflowCallbacks } from '../../functions/use-cases/ports.ts';

/*
 * What the webhook properties share (payment-events.property.test.ts for POST /webhooks/payments,
 * stripe-events.property.test.ts for POST /webhooks/stripe): random scenarios of events about a few
 * orders, delivered in any order, duplicated, and surrounded by forgeries; and a recorder playing
 * Step Functions' task tokens.
 */

/** How a forged delivery is made: signed with another secret, signed too long ago, or a body changed after signing. */
export type Forgery = 'wrong-secret' | 'stale' | 'tampered';

/** One round of deliveries: `copies` genuine deliveries of event `event`, at once, with its `forgeries`. */
export interface DeliveryStep {
  event: number;
  copies: number;
  forgeries: Forgery[];
}

export interface DeliveryScenario<Spec> {
  /** How many orders the events are about. */
  orders: number;
  /** The events, each about order `order` (0 to `orders` - 1). */
  events: (Spec & { order: number })[];
  steps: DeliveryStep[];
}

/**
 * Scenarios of 1 to 3 orders and 1 to 6 events (each drawn from `spec`, about one of the orders),
 * delivered in 1 to 10 rounds of `minCopies` to 3 simultaneous copies of one event, with up to two
 * forgeries of it. With `minCopies: 0`, an event may only ever be forged.
 */
export function deliveryScenario<Spec extends object>(
  spec: fc.Arbitrary<Spec>,
  options: { minCopies?: number } = {},
): fc.Arbitrary<DeliveryScenario<Spec>> {
  return fc
    .record({
      orders: fc.integer({ min: 1, max: 3 }),
      events: fc.array(fc.tuple(fc.nat(), spec), { minLength: 1, maxLength: 6 }),
    })
    .chain(({ orders, events: drawn }) => {
      const events = drawn.map(([order, event]) => ({ ...event, order: order % orders }));
      const step = fc.record({
        event: fc.nat({ max: events.length - 1 }),
        copies: fc.integer({ min: options.minCopies ?? 1, max: 3 }),
        forgeries: fc.array(fc.constantFrom<Forgery>('wrong-secret', 'tampered', 'stale'), { maxLength: 2 }),
      });
      return fc.record({
        orders: fc.constant(orders),
        events: fc.constant(events),
        steps: fc.array(step, { minLength: 1, maxLength: 10 }),
      });
    });
}

/** Workflows waiting on tokens: each token resumes (succeeds or fails) at most once, as in Step Functions. */
export class TokenRecorder implements WorkflowCallbacks {
  readonly outcome = new Map<string, 'succeeded' | 'failed'>();
  readonly calls: { token: string; kind: 'succeed' | 'fail'; resumed: boolean }[] = [];
  private resume(token: string, kind: 'succeeded' | 'failed') {
    const resumed = !this.outcome.has(token);
    if (resumed) this.outcome.set(token, kind);
    this.calls.push({ token, kind: kind === 'succeeded' ? 'succeed' : 'fail', resumed });
    return Promise.resolve(resumed ? ('resumed' as const) : ('closed' as const));
  }
  succeed(token: string) {
    return this.resume(token, 'succeeded');
  }
  fail(token: string) {
    return this.resume(token, 'failed');
  }
  /** How many times `token` resumed its workflow (at most once). */
  resumes(token: string): number {
    return this.calls.filter((call) => call.token === token && call.resumed).length;
  }
}
