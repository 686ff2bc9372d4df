import { SESClient, SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-ses';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { senderOf, senderVariables, sesNotifier } from '../../../functions/adapters/ses-notifier.ts';
import { bankVariables, sesPaymentInstructions } from '../../../functions/adapters/ses-payment-instructions.ts';
import { defineConfig } from '../../../functions/config.ts';
import type { Notifier, PaymentInstructions } from '../../../functions/use-cases/ports.ts';

const ses = mockClient(SESClient);
const IBAN = 'IT60X0542811101000000123456';

let notifier: Notifier;

const client = new SESClient({});

/**
 * Reads `env` (on top of a sender and a payee) and builds the adapters from it, as a cold start with
 * that configuration does: the notifier, and the payment instructions that carry the bank details.
 */
async function loadNotifier(env: Record<string, string | undefined>): Promise<Notifier> {
  vi.stubEnv('SENDER_EMAIL', 'PEC Provisioning <noreply@pec.example>');
  vi.stubEnv('PAYMENT_BENEFICIARY', 'PEC Provisioning S.p.A.');
  vi.stubEnv('PAYMENT_IBAN', IBAN);
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  const config = defineConfig({ ...senderVariables, ...bankVariables });
  const sender = senderOf(client, config);
  return {
    ...sesNotifier(sender),
    ...sesPaymentInstructions(sender, {
      beneficiary: config.PAYMENT_BENEFICIARY,
      iban: config.PAYMENT_IBAN,
      postalAccount: config.PAYMENT_POSTAL_ACCOUNT,
    }),
  };
}

beforeAll(async () => {
  notifier = await loadNotifier({ SES_CONFIGURATION_SET: 'pec-transactional', PAYMENT_POSTAL_ACCOUNT: '001234567' });
});
beforeEach(() => {
  ses.on(SendEmailCommand).resolves({ MessageId: 'msg-1' });
});
afterEach(() => {
  ses.reset();
});
afterAll(() => {
  vi.unstubAllEnvs();
});

/** The one SendEmail input the test caused. */
function sent(): SendEmailCommandInput {
  const calls = ses.commandCalls(SendEmailCommand);
  expect(calls).toHaveLength(1);
  return calls[0]?.args[0].input as SendEmailCommandInput;
}

const textOf = (input: SendEmailCommandInput) => input.Message?.Body?.Text?.Data ?? '';
const htmlOf = (input: SendEmailCommandInput) => input.Message?.Body?.Html?.Data ?? '';

const instructions = (overrides: Partial<PaymentInstructions> = {}): PaymentInstructions => ({
  to: 'mario.rossi@example.com',
  orderId: '5390075470AB',
  address: 'mario.rossi@pec.it',
  method: 'bank_transfer',
  kind: 'new',
  type: 'standard',
  domainPec: false,
  years: 1,
  totals: { netCents: 500, vatCents: 110, grossCents: 610 },
  terms: { version: '2026-01', url: 'https://pec.example.com/condizioni-generali/2026-01' },
  reference: 'RF185390075470AB',
  deadline: '2025-03-15T09:30:00.000Z',
  ...overrides,
});

describe('SES notifier', () => {
  it('sends from the configured sender to the holder, in UTF-8 text and HTML, and answers the message id', async () => {
    const id = await notifier.orderCancelled({
      to: 'mario.rossi@example.com',
      address: 'mario@pec.it',
      orderId: 'A1',
      kind: 'new',
    });

    expect(id).toBe('msg-1');
    const input = sent();
    expect(input.Source).toBe('PEC Provisioning <noreply@pec.example>');
    expect(input.Destination).toEqual({ ToAddresses: ['mario.rossi@example.com'] });
    expect(input.ConfigurationSetName).toBe('pec-transactional');
    expect(input.Message?.Subject).toEqual({ Data: 'Ordine A1 annullato', Charset: 'UTF-8' });
    expect(input.Message?.Body?.Text?.Charset).toBe('UTF-8');
    expect(input.Message?.Body?.Html?.Charset).toBe('UTF-8');
    expect(textOf(input)).toContain("non abbiamo ricevuto in tempo il pagamento dell'ordine A1");
  });

  it('sends the first-access email with the link and its expiry in Italian time', async () => {
    const link = 'https://pec.example/password?token=abc_DEF-123';
    await notifier.firstAccess({
      to: 'mario.rossi@example.com',
      address: 'mario.rossi@pec.it',
      link,
      expiresAt: '2025-03-15T09:30:00.000Z',
    });

    const input = sent();
    expect(input.Message?.Subject?.Data).toBe('La tua casella PEC mario.rossi@pec.it è attiva');
    expect(textOf(input)).toContain(`Crea la password: ${link}`);
    // 09:30 UTC is 10:30 in Rome in March (CET).
    expect(textOf(input)).toContain('scade il 15 marzo 2025 alle ore 10:30');
    expect(htmlOf(input)).toContain(`<a href="${link}">Crea la password</a>`);
    expect(htmlOf(input)).toContain('15 marzo 2025 alle ore 10:30');
  });

  it('says a first-access link sent again is new, and that the earlier ones no longer work', async () => {
    const link = 'https://pec.example/password?token=abc_DEF-123';
    await notifier.firstAccess({
      to: 'mario.rossi@example.com',
      address: 'mario.rossi@pec.it',
      link,
      expiresAt: '2025-03-15T09:30:00.000Z',
      reissued: true,
    });

    const input = sent();
    expect(input.Message?.Subject?.Data).toBe('Nuovo link per il primo accesso alla casella PEC mario.rossi@pec.it');
    expect(textOf(input)).toContain('I link inviati in precedenza non funzionano più.');
    expect(textOf(input)).toContain(`Crea la password: ${link}`);
  });

  it('sends the password-reset email with its link, its expiry, and what to do when it was not asked for', async () => {
    const link = 'https://pec.example/password?token=xyz_789';
    await notifier.passwordReset({
      to: 'mario.rossi@example.com',
      address: 'mario.rossi@pec.it',
      link,
      expiresAt: '2025-03-15T09:30:00.000Z',
    });

    const input = sent();
    expect(input.Destination).toEqual({ ToAddresses: ['mario.rossi@example.com'] });
    expect(input.Message?.Subject?.Data).toBe('Reimposta la password della casella PEC mario.rossi@pec.it');
    expect(textOf(input)).toContain(`Reimposta la password: ${link}`);
    expect(textOf(input)).toContain('scade il 15 marzo 2025 alle ore 10:30');
    expect(textOf(input)).toContain('ignora questa email: la password attuale resta valida');
    expect(htmlOf(input)).toContain(`<a href="${link}">Reimposta la password</a>`);
  });

  it('sends bank transfer instructions with the amount, the IBAN and the RF reference in groups of four', async () => {
    await notifier.paymentInstructions(instructions());

    const input = sent();
    const text = textOf(input);
    expect(input.Message?.Subject?.Data).toBe("Conferma dell'ordine 5390075470AB: istruzioni per il pagamento");
    expect(text).toMatch(/Totale: 6,10\s€/u);
    expect(text).toContain(`IBAN: ${IBAN}`);
    expect(text).toContain('Beneficiario: PEC Provisioning S.p.A.');
    expect(text).toContain('Causale del bonifico: RF18 5390 0754 70AB');
    expect(text).toContain('Scadenza: 15 marzo 2025 alle ore 10:30');
    expect(text).not.toContain('Conto corrente postale');
    expect(htmlOf(input)).toContain('RF18 5390 0754 70AB');
  });

  it('sends postal slip instructions with the postal account instead of the IBAN', async () => {
    await notifier.paymentInstructions(
      instructions({
        method: 'postal_slip',
        totals: { netCents: 1011940, vatCents: 222627, grossCents: 1234567 },
      }),
    );

    const text = textOf(sent());
    expect(text).toContain('Conto corrente postale: 001234567');
    expect(text).toContain('Causale del bollettino: RF18 5390 0754 70AB');
    expect(text).toMatch(/Totale: 12\.345,67\s€/u);
    expect(text).toContain('bollettino postale');
    expect(text).not.toContain(IBAN);
  });

  it('makes the payment instructions the order confirmation: what was ordered, the total, what happens next', async () => {
    await notifier.paymentInstructions(instructions({ type: 'pro', years: 2 }));

    const text = textOf(sent());
    expect(text).toContain('Casella PEC: mario.rossi@pec.it');
    expect(text).toContain('Piano: Pro (2 GB di casella, 3 GB di archivio)');
    expect(text).toContain('Durata: 2 anni');
    expect(text).toMatch(/Imponibile: 5,00\s€/u);
    expect(text).toMatch(/IVA 22%: 1,10\s€/u);
    expect(text).toContain('attiviamo la casella');
    expect(text).toContain("ti inviamo un'email con il link per creare la password");
    expect(text).toContain('condizioni generali di contratto, versione 2026-01');
    expect(text).toContain('https://pec.example.com/condizioni-generali/2026-01');
  });

  it('confirms a renewal with the new expiry, the plan change, the extra GB, the years and the totals', async () => {
    await notifier.renewalConfirmed({
      to: 'mario.rossi@example.com',
      orderId: '5390075470AB',
      address: 'mario.rossi@pec.it',
      expiresAt: '2027-03-15T09:30:00.000Z',
      type: 'premium',
      previousType: 'standard',
      extraGb: { mailbox: 1, archive: 0 },
      years: 2,
      totals: { netCents: 8200, vatCents: 1804, grossCents: 10004 },
    });

    const input = sent();
    const text = textOf(input);
    expect(input.Message?.Subject?.Data).toBe('La casella PEC mario.rossi@pec.it è rinnovata');
    expect(text).toContain("con l'ordine 5390075470AB la casella di posta elettronica certificata mario.rossi@pec.it");
    expect(text).toContain('La nuova scadenza è il 15 marzo 2027');
    expect(text).toContain('dal piano Standard al piano Premium');
    expect(text).toContain('Piano: Premium (2 GB di casella, 8 GB di archivio)');
    expect(text).toContain('Spazio aggiuntivo: 1 GB di casella in più, per ogni anno');
    expect(text).toContain('Durata del rinnovo: 2 anni');
    expect(text).toMatch(/Totale: 100,04\s€/u);
    expect(htmlOf(input)).toContain('<th align="left">Nuova scadenza</th>');
  });

  it("lists a renewal's extra GB in its payment instructions", async () => {
    await notifier.paymentInstructions(
      instructions({ kind: 'renewal', type: 'pro', extraGb: { mailbox: 0, archive: 4 }, terms: undefined }),
    );

    expect(textOf(sent())).toContain('Spazio aggiuntivo: 4 GB di archivio in più, per ogni anno');
  });

  it('confirms a renewal that keeps its plan without a plan change paragraph', async () => {
    await notifier.renewalConfirmed({
      to: 'mario.rossi@example.com',
      orderId: '5390075470AB',
      address: 'mario.rossi@pec.it',
      expiresAt: '2027-03-15T09:30:00.000Z',
      type: 'standard',
      years: 1,
      totals: { netCents: 500, vatCents: 110, grossCents: 610 },
    });

    const text = textOf(sent());
    expect(text).toContain('Piano: Standard (1 GB di casella)');
    expect(text).not.toContain('dal piano');
    expect(text).not.toContain('Spazio aggiuntivo');
  });

  it('sends the confirmation of a card order: the summary, the charge, what happens next, the conditions accepted', async () => {
    const { reference: _reference, deadline: _deadline, ...summary } = instructions();
    await notifier.orderConfirmation({ ...summary, method: 'card' });

    const input = sent();
    const text = textOf(input);
    expect(input.Message?.Subject?.Data).toBe("Conferma dell'ordine 5390075470AB: casella PEC mario.rossi@pec.it");
    expect(text).toContain('abbiamo ricevuto il tuo ordine della casella PEC mario.rossi@pec.it');
    expect(text).toContain('Piano: Standard (1 GB di casella)');
    expect(text).toContain('Durata: 1 anno');
    expect(text).toMatch(/Totale: 6,10\s€/u);
    expect(text).toMatch(/Addebitiamo ora 6,10\s€ sulla tua carta/u);
    expect(text).toContain('Pagamento: Carta di pagamento');
    expect(text).toContain('il link per creare la password');
    expect(text).toContain('Se il pagamento non va a buon fine');
    expect(text).toContain('Condizioni generali di contratto: https://pec.example.com/condizioni-generali/2026-01');
    expect(htmlOf(input)).toContain('<a href="https://pec.example.com/condizioni-generali/2026-01">');
    expect(text).not.toContain('RF18');
  });

  it('confirms a PayPal order on the holder’s own domain with the MX step', async () => {
    const { reference: _reference, deadline: _deadline, ...summary } = instructions();
    await notifier.orderConfirmation({ ...summary, method: 'paypal', domainPec: true, terms: { version: '2025-01' } });

    const text = textOf(sent());
    expect(text).toContain('sul tuo conto PayPal');
    expect(text).toContain('Piano: Standard (1 GB di casella), sul tuo dominio');
    expect(text).toContain('record MX');
    expect(text).toContain('versione 2025-01');
    expect(text).not.toContain('http');
  });

  it('tells the holder of an order its storefront cancelled that it was cancelled as asked, and not to pay', async () => {
    await notifier.orderCancelled({
      to: 'mario.rossi@example.com',
      address: 'mario@pec.it',
      orderId: 'A1',
      kind: 'new',
      onRequest: true,
    });

    const text = textOf(sent());
    expect(text).toContain("come richiesto, l'ordine A1 per la casella mario@pec.it è stato annullato");
    expect(text).toContain('Non effettuare il pagamento');
    expect(text).toContain("L'indirizzo è di nuovo disponibile");
    expect(text).not.toContain('non abbiamo ricevuto in tempo');
  });

  it('tells the holder of a paid order that failed or was cancelled that the amount is refunded, and only then', async () => {
    const order = { to: 'mario.rossi@example.com', address: 'mario@pec.it', orderId: 'A1', kind: 'new' } as const;
    await notifier.orderFailed({ ...order, paymentDeclined: false, refundCents: 1220 });
    await notifier.orderCancelled({ ...order, refundCents: 610 });
    await notifier.orderFailed({ ...order, paymentDeclined: true });

    const texts = ses.commandCalls(SendEmailCommand).map((call) => call.args[0].input.Message?.Body?.Text?.Data ?? '');
    expect(texts[0]).toMatch(/L'importo pagato, 12,20\s€, ti verrà rimborsato\./u);
    expect(texts[1]).toMatch(/L'importo pagato, 6,10\s€, ti verrà rimborsato\./u);
    expect(texts[2]).not.toContain('rimborsato');
  });

  it('escapes the data it puts in the HTML, and leaves the text as it is', async () => {
    await notifier.orderFailed({
      to: 'mario.rossi@example.com',
      address: '<img src=x onerror=alert(1)>@pec.it',
      orderId: 'A&B"1',
      kind: 'new',
      paymentDeclined: true,
    });

    const input = sent();
    const html = htmlOf(input);
    expect(html).not.toContain('<img');
    expect(html).toContain('&#60;img src=x onerror=alert(1)&#62;@pec.it');
    expect(html).toContain('A&#38;B&#34;1');
    expect(textOf(input)).toContain('<img src=x onerror=alert(1)>@pec.it');
    expect(textOf(input)).toContain('è stato rifiutato');
  });

  it('escapes the first-access link inside the href attribute', async () => {
    await notifier.firstAccess({
      to: 'mario.rossi@example.com',
      address: 'mario.rossi@pec.it',
      link: 'https://pec.example/password?lang=it&token="x"',
      expiresAt: '2025-08-01T10:00:00.000Z',
    });

    expect(htmlOf(sent())).toContain('href="https://pec.example/password?lang=it&#38;token=&#34;x&#34;"');
  });

  it('lets an SES failure reach the caller', async () => {
    ses.on(SendEmailCommand).rejects(
      Object.assign(new Error('Email address is not verified.'), {
        name: 'MessageRejected',
        $metadata: { httpStatusCode: 400 },
      }),
    );

    await expect(
      notifier.orderCancelled({ to: 'mario.rossi@example.com', address: 'mario@pec.it', orderId: 'A1', kind: 'new' }),
    ).rejects.toMatchObject({ name: 'MessageRejected' });
  });

  it('reports an email SES never answered as of unknown outcome (it may have been sent)', async () => {
    const timeout = Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: {} });
    ses.on(SendEmailCommand).rejects(timeout);

    await expect(
      notifier.orderCancelled({ to: 'mario.rossi@example.com', address: 'mario@pec.it', orderId: 'A1', kind: 'new' }),
    ).rejects.toMatchObject({ name: 'EmailOutcomeUnknownError', cause: timeout });
  });
});

describe('SES notifier configuration', () => {
  it('falls back to the IBAN for a postal slip when no postal account is configured', async () => {
    const withoutPostalAccount = await loadNotifier({ PAYMENT_POSTAL_ACCOUNT: undefined });

    await withoutPostalAccount.paymentInstructions(instructions({ method: 'postal_slip' }));

    expect(textOf(sent())).toContain(`IBAN: ${IBAN}`);
  });

  it.each(['PAYMENT_BENEFICIARY', 'PAYMENT_IBAN'])('fails to load without %s, naming it', async (name) => {
    await expect(loadNotifier({ [name]: undefined })).rejects.toThrow(`${name} is not set`);
  });

  it('fails to load with an IBAN that is not one, naming the variable', async () => {
    await expect(loadNotifier({ PAYMENT_IBAN: 'IT60 X054 2811' })).rejects.toThrow(/PAYMENT_IBAN: an IBAN/);
  });

  it('loads the other emails without the bank details (only the payment instructions need them)', async () => {
    vi.stubEnv('PAYMENT_BENEFICIARY', undefined);
    vi.stubEnv('PAYMENT_IBAN', undefined);

    const notifier = sesNotifier(senderOf(client, defineConfig(senderVariables)));
    await notifier.expiryReminder({
      to: 'a@b.it',
      address: 'x@pec.it',
      expiresAt: '2026-01-01',
      daysLeft: 3,
      renewalLink: 'https://shop.example/rinnovo',
    });

    expect(sent().Destination?.ToAddresses).toEqual(['a@b.it']);
  });

  it('fails to load without a sender, naming the variable', async () => {
    vi.stubEnv('SENDER_EMAIL', undefined);

    expect(() => defineConfig(senderVariables)).toThrow(/SENDER_EMAIL/);
  });
});
