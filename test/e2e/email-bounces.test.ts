import { describe, expect, it } from 'vitest';
import { freshAddress, orderBody } from '../support/fixtures.ts';
import { withLocalRuntime } from '../support/runtime.ts';

/*
 * A hard bounce of the holder's reference email, as SES reports it through the configuration set
 * (locally: POST /_local/ses/bounces), marks the mailbox's contact undeliverable, which the
 * storefront sees in GET /mailboxes/{address}. Other mailboxes are left alone.
 */

const local = withLocalRuntime();

/** An order with a holder email of its own, completed; answers the mailbox address. */
async function activeMailbox(holderEmail: string): Promise<string> {
  const address = freshAddress('arubapec.it');
  const body = orderBody({ address });
  const created = await local.api.post('/orders', { ...body, holder: { ...body.holder, email: holderEmail } });
  expect(created.status).toBe(201);
  await local.api.waitForOrder(created.json.orderId, (order) => order.status === 'completed');
  return address;
}

describe('SES bounces', () => {
  it("a hard bounce of the holder's email marks the mailbox's contact undeliverable, once", async () => {
    const holderEmail = `bounce.${Date.now().toString(36)}@example.com`;
    const address = await activeMailbox(holderEmail);
    const other = await activeMailbox(`fine.${Date.now().toString(36)}@example.com`);
    const path = `/mailboxes/${encodeURIComponent(address)}`;
    expect((await local.api.get(path)).json).not.toHaveProperty('contact');

    const bounced = await local.api.post(
      '/_local/ses/bounces',
      { recipient: holderEmail.toUpperCase() },
      { apiKey: null },
    );
    expect(bounced.status).toBe(200);
    // The order confirmation and the first-access email, both about the mailbox: the first marks it.
    expect(bounced.json).toEqual({
      recipient: holderEmail,
      bounced: 2,
      outcomes: ['contact_undeliverable', 'already_recorded'],
    });

    const mailbox = await local.api.get(path);
    expect(mailbox.status).toBe(200);
    expect(mailbox.json).toMatchObject({
      address,
      status: 'active',
      contact: { undeliverable: true, since: expect.any(String), reason: 'smtp; 550 5.1.1 user unknown' },
    });
    expect((await local.api.get(`/mailboxes/${encodeURIComponent(other)}`)).json).not.toHaveProperty('contact');
  });

  it('refuses a body without a recipient, naming the field', async () => {
    const refused = await local.api.post('/_local/ses/bounces', { to: 'x' }, { apiKey: null });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.json)).toContain('recipient');
  });
});
