import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatedPaymentGateway } from '../../../functions/adapters/simulated-payment-gateway.ts';
import type { ChargeRequest, PaymentGateway } from '../../../functions/use-cases/ports.ts';
import { type LocalTable, startLocalTable } from '../../support/local-dynamodb.ts';

let table: LocalTable;
let gateway: PaymentGateway;

beforeAll(async () => {
  table = await startLocalTable();
  gateway = simulatedPaymentGateway(table);
});
afterAll(() => table?.stop());

let counter = 0;
const charge = (token: string, idempotencyKey = `order-${Date.now().toString(36)}-${counter++}`): ChargeRequest => ({
  idempotencyKey,
  amountCents: 610,
  currency: 'EUR',
  method: 'card',
  token,
  description: 'PEC mario.rossi@pec.it (1 anni)',
});

/** The charge items stored under one idempotency key. */
const chargesFor = async (idempotencyKey: string) =>
  (await table.scan()).filter((item) => item.pk === `CHARGE#${idempotencyKey}`);

describe('simulated payment gateway', () => {
  it('charges a tok_ token', async () => {
    expect(await gateway.charge(charge('tok_visa'))).toEqual({
      status: 'succeeded',
      chargeId: expect.stringMatching(/^ch_[0-9a-f]{24}$/),
    });
  });

  it.each(['tok_declined', 'tok_declined_insufficient_funds'])('declines %s', async (token) => {
    expect(await gateway.charge(charge(token))).toEqual({ status: 'declined', reason: 'card_declined' });
  });

  it.each(['pm_card_visa', '', 'TOK_VISA'])('refuses "%s" as an invalid token', async (token) => {
    expect(await gateway.charge(charge(token))).toEqual({ status: 'declined', reason: 'invalid_token' });
  });

  it('charges one idempotency key once: a retry gets the first answer and stores nothing new', async () => {
    const first = await gateway.charge(charge('tok_visa', 'order-RETRIED'));

    const retry = await gateway.charge(charge('tok_visa', 'order-RETRIED'));

    expect(retry).toEqual(first);
    expect(await chargesFor('order-RETRIED')).toEqual([
      expect.objectContaining({ amountCents: 610, currency: 'EUR', method: 'card', result: first }),
    ]);
  });

  it('answers the first result even when a retry carries another token', async () => {
    const declined = await gateway.charge(charge('tok_declined', 'order-DECLINED'));

    expect(await gateway.charge(charge('tok_visa', 'order-DECLINED'))).toEqual(declined);
    expect(declined.status).toBe('declined');
  });

  it('gives every concurrent attempt with one key the same charge', async () => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => gateway.charge(charge('tok_visa', 'order-RACE'))),
    );

    expect(new Set(answers.map((answer) => JSON.stringify(answer))).size).toBe(1);
    expect(answers[0]?.status).toBe('succeeded');
    expect(await chargesFor('order-RACE')).toHaveLength(1);
  });

  it('gives different keys different charges', async () => {
    const one = await gateway.charge(charge('tok_visa'));
    const other = await gateway.charge(charge('tok_visa'));

    expect(one).not.toEqual(other);
  });
});
