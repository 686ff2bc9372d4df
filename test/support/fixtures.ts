/** Request bodies the tests share: a valid order, varied per test by overrides. */

export const validHolder = {
  kind: 'person',
  firstName: 'Mario',
  lastName: 'Rossi',
  fiscalCode: 'RSSMRA85T10A562S',
  vatNumber: '12345678903',
  residence: { street: 'Via Roma 1', postalCode: '52100', city: 'Arezzo', province: 'AR' },
  phone: '+39 0575 000000',
  email: 'mario.rossi@example.com',
} as const;

let counter = 0;

/** A fresh address on a generic domain, unique within the test process. */
export const freshAddress = (domain = 'pec.it') =>
  `test.${process.pid}.${Date.now().toString(36)}.${counter++}@${domain}`;

export function orderBody(
  overrides: { address?: string; type?: string; years?: number; payment?: Record<string, unknown> } = {},
) {
  return {
    mailbox: { address: overrides.address ?? freshAddress(), type: overrides.type ?? 'standard' },
    years: overrides.years ?? 1,
    holder: validHolder,
    billing: { recipientCode: '0000000' },
    payment: overrides.payment ?? { method: 'card', token: 'tok_visa' },
  };
}
