import { creditorReference } from '../../functions/domain/creditor-reference.ts';
import type { Mailbox } from '../../functions/domain/mailbox.ts';
import { type Order, orderIdFromBytes } from '../../functions/domain/order.ts';
import type { SavedPaymentMethod } from '../../functions/domain/payment-methods.ts';
import { CONTRACT_ORDER_EXAMPLE } from '../../local/contract-example.ts';

/** Request bodies and stored entities the tests share, varied per test by overrides. */

/** The holder of CONTRACT.md's example order. */
export const validHolder = CONTRACT_ORDER_EXAMPLE.holder;

/**
 * A card saved with Stripe for automatic renewals: the Customer and the PaymentMethod ids of
 * Stripe's published example objects (test/support/stripe/*.json).
 */
export const savedCard: SavedPaymentMethod = {
  method: 'card',
  customerId: 'cus_QXg1o8vcGmoR32',
  paymentMethod: 'pm_1Pgc75B7WZ01zgkWlHVgdEGJ',
};

let counter = 0;

/** A fresh address on a generic domain, unique within the test process. */
// Its numbers carry a letter: a bare run of digits (a pid such as 7391 or 2026) could be found inside
// a test's password, which the password policy then refuses as part of the address.
export const freshAddress = (domain = 'pec.it') =>
  `test.p${process.pid}.${Date.now().toString(36)}.n${counter++}@${domain}`;

/** The documents a reseller's order declares (it uploads them through the forms of the answer). */
export const RESELLER_DOCUMENTS = {
  signedContract: { contentType: 'application/pdf' },
  identityDocument: { contentType: 'image/jpeg' },
};

export function orderBody(
  overrides: { address?: string; type?: string; years?: number; payment?: Record<string, unknown> } = {},
) {
  return {
    mailbox: { address: overrides.address ?? freshAddress(), type: overrides.type ?? 'standard' },
    years: overrides.years ?? 1,
    holder: validHolder,
    billing: { recipientCode: '0000000' },
    payment: overrides.payment ?? { method: 'card', token: 'tok_visa' },
    consents: CONTRACT_ORDER_EXAMPLE.consents,
  };
}

/** A stored, unpaid bank-transfer order (as the repository keeps it), with an id of its own. */
export function storedOrder(overrides: Partial<Order> = {}, now = new Date('2025-03-15T09:30:00.000Z')): Order {
  const orderId = overrides.orderId ?? orderIdFromBytes(crypto.getRandomValues(new Uint8Array(8)));
  return {
    orderId,
    storefrontId: 'storefront-1',
    kind: 'new',
    status: 'pending_payment',
    mailbox: { address: `${orderId.toLowerCase()}@pec.it`, type: 'standard', domainPec: false },
    years: 1,
    totals: { netCents: 500, vatCents: 110, grossCents: 610 },
    payment: { method: 'bank_transfer', status: 'pending', reference: creditorReference(orderId) },
    holder: { kind: 'person', firstName: 'Mario', lastName: 'Rossi', email: 'mario.rossi@example.com' },
    billing: { recipientCode: '0000000' },
    createdAt: now.toISOString(),
    paidAt: null,
    completedAt: null,
    requestHash: 'a'.repeat(64),
    paymentDeadline: new Date(now.getTime() + 5 * 24 * 3600 * 1000).toISOString(),
    ...overrides,
  };
}

/** The Standard mailbox `order` reserved (as intake stores it), changed by `overrides`. */
export function mailboxOf(order: Order, overrides: Partial<Mailbox> = {}): Mailbox {
  return {
    address: order.mailbox.address,
    type: 'standard',
    domainPec: false,
    status: 'reserved',
    orderId: order.orderId,
    holderEmail: order.holder.email,
    autoRenew: false,
    passwordSet: false,
    ...overrides,
  } as Mailbox;
}

/** A stored, active Standard mailbox of `storefrontId`, ordered at `orderedAt`, with an address of its own. */
export function storedMailbox(storefrontId: string, orderedAt: Date, overrides: Partial<Mailbox> = {}): Mailbox {
  const id = counter++;
  const minutes = (n: number) => new Date(orderedAt.getTime() + n * 60_000).toISOString();
  return {
    address: `box.${process.pid}.${id}@pec.it`,
    status: 'active',
    storefrontId,
    orderId: `ORDER${id}`,
    orderedAt: orderedAt.toISOString(),
    type: 'standard',
    domainPec: false,
    holderEmail: 'mario.rossi@example.com',
    activatedAt: minutes(1),
    expiresAt: minutes(365 * 24 * 60),
    autoRenew: false,
    passwordSet: false,
    ...overrides,
  };
}
