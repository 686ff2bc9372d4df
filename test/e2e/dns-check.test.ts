import { describe, expect, it } from 'vitest';
import { orderBody } from '../support/fixtures.ts';
import { withLocalRuntime } from '../support/runtime.ts';

/*
 * POST /mailboxes/{address}/dns-check over HTTP. The waits between two DNS checks last ten minutes
 * here: a mailbox that becomes active within the test's patience was woken by dns-check, not by a
 * poll.
 */
const local = withLocalRuntime({ dnsPollMs: 600_000 });

const PROVIDER_MX = ['mx1.pec.example.com', 'mx2.pec.example.com'];
let counter = 0;
const ownDomain = () => `ufficio-${process.pid}-${Date.now().toString(36)}-${counter++}.it`;
const setMx = (domain: string, mx: string[]) =>
  local.api.request('PUT', `/_local/dns/${domain}`, { body: { mx }, apiKey: null });
const dnsCheck = (address: string, apiKey?: string | null) =>
  local.api.request('POST', `/mailboxes/${encodeURIComponent(address)}/dns-check`, {
    ...(apiKey === undefined ? {} : { apiKey }),
  });
const mailboxOf = async (address: string) => (await local.api.get(`/mailboxes/${encodeURIComponent(address)}`)).json;

/** An own-domain card order, paid, whose workflow waits for the MX records (the holder has been told which). */
async function waitingMailbox(payment?: Record<string, unknown>) {
  const domain = ownDomain();
  await setMx(domain, []);
  const address = `info@${domain}`;
  const created = await local.api.post('/orders', {
    ...orderBody({ address, ...(payment ? { payment } : {}) }),
    mailbox: { address, type: 'standard', domainPec: true },
  });
  expect(created.status).toBe(201);
  await local.runtime.outbox.waitFor((m) => m.text.includes(domain) && m.subject.includes('record MX'), 10_000);
  return { domain, address, orderId: created.json.orderId as string };
}

const executionOf = (orderId: string) =>
  local.runtime.stepFunctions.executions().find((execution) => execution.name === orderId);

describe('POST /mailboxes/{address}/dns-check', () => {
  it('answers 202 and the mailbox activates at once once the records are set, without waiting for the poll', async () => {
    const { domain, address, orderId } = await waitingMailbox();
    expect(await mailboxOf(address)).toMatchObject({ status: 'activating', domainPec: true });

    await setMx(domain, PROVIDER_MX);
    const checked = await dnsCheck(address);
    expect(checked.status).toBe(202);
    expect(checked.text).toBe('');

    await local.api.waitForOrder(orderId, (order) => order.status === 'completed');
    expect(await mailboxOf(address)).toMatchObject({ status: 'active', domainPec: true });
    const history = executionOf(orderId)?.history ?? [];
    expect(history.some((event) => event.type === 'TaskTimedOut')).toBe(false); // woken, not timed out
    const emails = (await local.api.outbox()).filter((m) => m.text.includes(domain));
    expect(emails.filter((m) => m.text.includes('token='))).toHaveLength(1);
  });

  it('a check before the records are set finds nothing and the mailbox keeps waiting; asking again is harmless', async () => {
    const { domain, address, orderId } = await waitingMailbox();
    expect((await dnsCheck(address)).status).toBe(202);
    expect((await dnsCheck(address)).status).toBe(202);
    // The checks asked for were made (the first check and at least one more), and found no records.
    await waitForChecks(orderId, 2);
    expect(await mailboxOf(address)).toMatchObject({ status: 'activating' });
    expect((await local.api.get(`/orders/${orderId}`)).json.status).toBe('activating');

    await setMx(domain, PROVIDER_MX);
    expect((await dnsCheck(address)).status).toBe(202);
    await local.api.waitForOrder(orderId, (order) => order.status === 'completed');
    expect(await mailboxOf(address)).toMatchObject({ status: 'active' });
  });

  it('many checks at once wake the workflow once: one activation, one first-access email', async () => {
    const { domain, address, orderId } = await waitingMailbox();
    await setMx(domain, PROVIDER_MX);
    const answers = await Promise.all(Array.from({ length: 8 }, () => dnsCheck(address)));
    // Each is accepted, or, once an earlier one has activated the mailbox already, told it no longer waits.
    expect(answers.filter((answer) => answer.status === 202).length).toBeGreaterThan(0);
    for (const answer of answers.filter((a) => a.status !== 202)) {
      expect(answer.json).toMatchObject({ status: 409, code: 'not_waiting_for_dns' });
    }
    await local.api.waitForOrder(orderId, (order) => order.status === 'completed');
    const emails = (await local.api.outbox()).filter((m) => m.text.includes(domain));
    expect(emails.filter((m) => m.text.includes('token='))).toHaveLength(1);
    expect(executionOf(orderId)?.status).toBe('SUCCEEDED');
  });

  it('answers 409 not_waiting_for_dns for a mailbox that is not waiting for its MX records', async () => {
    // An own-domain mailbox active already...
    const { domain, address, orderId } = await waitingMailbox();
    await setMx(domain, PROVIDER_MX);
    await dnsCheck(address);
    await local.api.waitForOrder(orderId, (order) => order.status === 'completed');
    // ...and a mailbox on a generic domain.
    const generic = await local.api.post('/orders', orderBody());
    await local.api.waitForOrder(generic.json.orderId, (order) => order.status === 'completed');

    for (const mailbox of [address, generic.json.mailbox.address as string]) {
      const refused = await dnsCheck(mailbox);
      expect(refused.status).toBe(409);
      expect(refused.headers.get('content-type')).toBe('application/problem+json');
      expect(refused.json).toMatchObject({ status: 409, code: 'not_waiting_for_dns' });
    }
  });

  it('answers 404 for an unknown mailbox and for an own-domain order not paid yet; 401 without the key', async () => {
    const missing = await dnsCheck(`nessuno@${ownDomain()}`);
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ status: 404, code: 'mailbox_not_found' });

    const domain = ownDomain();
    await setMx(domain, PROVIDER_MX);
    const address = `info@${domain}`;
    const unpaid = await local.api.post('/orders', {
      ...orderBody({ address, payment: { method: 'bank_transfer' } }),
      mailbox: { address, type: 'standard', domainPec: true },
    });
    expect(unpaid.status).toBe(201);
    expect((await dnsCheck(address)).status).toBe(404);

    expect((await dnsCheck(address, null)).status).toBe(401);
  });
});

/** Waits until the order's workflow has checked the domain at least `count` times and waits again. */
async function waitForChecks(orderId: string, count: number) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const history = executionOf(orderId)?.history ?? [];
    const entered = history
      .filter((event) => event.type.endsWith('StateEntered'))
      .map((event) => (event.stateEnteredEventDetails as { name?: string } | undefined)?.name);
    const checks = entered.filter((name) => name === 'CheckDomainDns').length;
    const waiting = entered.at(-1) === 'WaitForDns' && history.at(-1)?.type === 'TaskStarted';
    if (checks >= count && waiting) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`order ${orderId} was not checked ${count} times`);
}
