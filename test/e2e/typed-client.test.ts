import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { CONTRACT_ORDER_EXAMPLE } from '../../local/contract-example.ts';
import { withLocalRuntime } from '../support/runtime.ts';

const local = withLocalRuntime();

const cache = join(import.meta.dirname, '../../node_modules/.cache');
let workDir: string | undefined;
afterAll(() => (workDir ? rm(workDir, { recursive: true, force: true }) : undefined));

/**
 * A storefront's code against the client generated from the served document: the requests of
 * CONTRACT.md, each typed as the body of its route. The `@ts-expect-error` lines are requests the
 * contract refuses: the compiler must refuse them too (an unused directive is an error), so the
 * types cannot be so loose that anything compiles.
 */
const STOREFRONT_CODE = `
import type { paths } from './api.ts';

// The JSON body of a route (never for a route that takes none, such as POST /orders/{orderId}/cancel).
type Body<Path extends keyof paths, Method extends 'post' | 'put'> =
  NonNullable<paths[Path][Method]> extends { requestBody: { content: { 'application/json': infer Json } } }
    ? Json
    : never;

// CONTRACT.md, "POST /orders body" (mailbox.domainPec has a default: a storefront need not send it).
const order: Body<'/orders', 'post'> = ${JSON.stringify(CONTRACT_ORDER_EXAMPLE)};
const ownDomain: Body<'/orders', 'post'> = {
  ...order,
  mailbox: { address: 'info@rossi.it', type: 'standard', domainPec: true },
  payment: { method: 'bank_transfer' },
};
// @ts-expect-error years is a number
const yearsAsText: Body<'/orders', 'post'> = { ...order, years: '1' };
// @ts-expect-error a card payment names its PaymentMethod or token
const cardWithoutToken: Body<'/orders', 'post'> = { ...order, payment: { method: 'card' } };
const { consents: _accepted, ...withoutConsents } = order;
// @ts-expect-error a new order names the version of the conditions the holder accepted
const unconsented: Body<'/orders', 'post'> = withoutConsents;

const renewal: Body<'/mailboxes/{address}/renewals', 'post'> = { years: 2, payment: { method: 'postal_slip' } };
// CONTRACT.md, "Renewals": a plan change, extra GB and this renewal's billing identifier.
const planChange: Body<'/mailboxes/{address}/renewals', 'post'> = {
  years: 1, payment: { method: 'card', paymentMethod: 'pm_card_visa' },
  type: 'premium', extraGb: { mailbox: 2, archive: 5 }, billing: { pecAddress: 'fatture@pec.it' },
};
// @ts-expect-error a plan the catalog does not sell
const unknownPlan: Body<'/mailboxes/{address}/renewals', 'post'> = { ...renewal, type: 'gold' };
const autoRenew: Body<'/mailboxes/{address}/auto-renew', 'put'> = { enabled: true };
const passwordSetup: Body<'/password-setup', 'post'> = { token: 'q1w2e3r4t5y6', password: 'Sole-Luna-2026!' };
const passwordReset: Body<'/password-reset', 'post'> = { address: 'mario.rossi@pec.it' };
// @ts-expect-error a reset names the address
const resetWithoutAddress: Body<'/password-reset', 'post'> = {};
const webhookEvent: Body<'/webhooks/payments', 'post'> = {
  id: 'evt_1', type: 'credit.registered', orderId: '7GQ2M3XK9P1A',
  amountCents: 610, currency: 'EUR', occurredAt: '2026-01-15T10:00:00Z',
};
// @ts-expect-error an event type the contract does not know
const unknownEvent: Body<'/webhooks/payments', 'post'> = { ...webhookEvent, type: 'credit.reversed' };

// The lists: their query strings, and a page with the cursor of the next.
type Query<Path extends '/orders' | '/mailboxes'> = NonNullable<paths[Path]['get']['parameters']['query']>;
type Page<Path extends '/orders' | '/mailboxes'> = paths[Path]['get']['responses'][200]['content']['application/json'];
const orderPage: Query<'/orders'> = { status: 'pending_payment', limit: 50 };
const mailboxPage: Query<'/mailboxes'> = { status: 'suspended', expiresBefore: '2026-07-01T00:00:00Z', cursor: 'eyJ2IjoxfQ' };
// @ts-expect-error a reservation is not a mailbox the API lists
const reservedPage: Query<'/mailboxes'> = { status: 'reserved' };
// @ts-expect-error limit is a number
const limitAsText: Query<'/orders'> = { limit: '20' };
const lastPage: Page<'/mailboxes'> = { items: [], nextCursor: null };
const firstOrders = (page: Page<'/orders'>): string[] => page.items.map((listed) => listed.orderId);

export const requests = [order, ownDomain, yearsAsText, cardWithoutToken, unconsented, renewal, planChange, unknownPlan, autoRenew, passwordSetup, passwordReset, resetWithoutAddress, webhookEvent, unknownEvent, orderPage, mailboxPage, reservedPage, limitAsText, lastPage, firstOrders];
`;

/** Type-checks `files` (strict) and answers every diagnostic, as `file:line message`. */
function typeCheck(dir: string, files: string[]): string[] {
  const program = ts.createProgram(
    files.map((file) => join(dir, file)),
    {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      allowImportingTsExtensions: true,
      types: [],
    },
  );
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const where =
      diagnostic.file && diagnostic.start !== undefined
        ? `${diagnostic.file.fileName}:${diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line + 1} `
        : '';
    return where + ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
  });
}

describe('a typed client generated from GET /openapi.json (openapi-typescript)', () => {
  it("compiles the contract's example requests, and refuses requests the contract refuses", async () => {
    const response = await local.api.get('/openapi.json', { apiKey: null });
    expect(response.status).toBe(200);

    await mkdir(cache, { recursive: true });
    workDir = await mkdtemp(join(cache, 'typed-client-'));
    await writeFile(join(workDir, 'api.ts'), astToString(await openapiTS(response.json as OpenAPI3)));
    await writeFile(join(workDir, 'storefront.ts'), STOREFRONT_CODE);

    expect(typeCheck(workDir, ['storefront.ts'])).toEqual([]);
  });
});
