/**
 * The body of CONTRACT.md's "POST /orders body" example, word for word: what `npm start` suggests
 * trying, and what the schema and typed-client tests hold the API to.
 */
export const CONTRACT_ORDER_EXAMPLE = {
  mailbox: { address: 'mario.rossi@pec.it', type: 'standard' },
  years: 1,
  holder: {
    kind: 'person',
    firstName: 'Mario',
    lastName: 'Rossi',
    fiscalCode: 'RSSMRA85T10A562S',
    vatNumber: '12345678903',
    residence: { street: 'Via Roma 1', postalCode: '52100', city: 'Arezzo', province: 'AR' },
    phone: '+39 0575 000000',
    email: 'mario.rossi@example.com',
  },
  billing: { recipientCode: '0000000' },
  payment: { method: 'card', token: 'tok_visa' },
  consents: { termsVersion: '2026-01' },
};
