import { type MailboxType, planFor, VAT_RATE_PERCENT } from '../../domain/catalog.ts';
import type { OrderKind } from '../../domain/order.ts';
import type {
  CreditRenewalNotice,
  EmailMessage,
  Notifier,
  OrderConfirmation,
  OrderSummary,
  PaymentInstructions,
} from '../../use-cases/ports.ts';

/** What the notifier port hands over for one email. */
type EmailInput<Email extends keyof Notifier> = Parameters<Notifier[Email]>[0];

/*
 * The emails the holder receives, in Italian, each as plain text and HTML built from the same
 * lines so that the two never say different things.
 */

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

const euro = (cents: number) =>
  new Intl.NumberFormat('it-IT', { style: 'currency', currency: 'EUR' }).format(cents / 100);

/** RF references are read and typed in groups of four characters. */
const formatReference = (reference: string) => reference.replace(/(.{4})(?=.)/g, '$1 ');

const italianDate = (iso: string) =>
  new Intl.DateTimeFormat('it-IT', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Rome' }).format(
    new Date(iso),
  );

interface Body {
  greeting: string;
  paragraphs: string[];
  link?: { href: string; label: string };
  facts?: [string, string][];
}

function render(to: string, subject: string, body: Body): EmailMessage {
  const text = [
    body.greeting,
    '',
    ...body.paragraphs.flatMap((p) => [p, '']),
    ...(body.facts ?? []).map(([label, value]) => `${label}: ${value}`),
    ...(body.facts?.length ? [''] : []),
    ...(body.link ? [`${body.link.label}: ${body.link.href}`, ''] : []),
    'Il team PEC',
  ].join('\n');
  const html = [
    '<!doctype html><html lang="it"><body style="font-family:Arial,sans-serif">',
    `<p>${escapeHtml(body.greeting)}</p>`,
    ...body.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    body.facts?.length
      ? `<table>${body.facts.map(([l, v]) => `<tr><th align="left">${escapeHtml(l)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`
      : '',
    body.link ? `<p><a href="${escapeHtml(body.link.href)}">${escapeHtml(body.link.label)}</a></p>` : '',
    '<p>Il team PEC</p></body></html>',
  ].join('');
  return { to: [to], subject, text, html };
}

const PLAN_NAMES: Record<MailboxType, string> = { standard: 'Standard', pro: 'Pro', premium: 'Premium' };

/** A plan as the holder reads it: its name and the space it includes. */
function planLabel(type: MailboxType): string {
  const { mailboxGb, archiveGb } = planFor(type);
  return `${PLAN_NAMES[type]} (${mailboxGb} GB di casella${archiveGb > 0 ? `, ${archiveGb} GB di archivio` : ''})`;
}

/** The extra GB bought with a renewal, as the holder reads them: one fact, none when none were bought. */
function extraGbFacts(extraGb: OrderSummary['extraGb']): [string, string][] {
  if (!extraGb || (extraGb.mailbox === 0 && extraGb.archive === 0)) return [];
  const parts = [
    ...(extraGb.mailbox > 0 ? [`${extraGb.mailbox} GB di casella`] : []),
    ...(extraGb.archive > 0 ? [`${extraGb.archive} GB di archivio`] : []),
  ];
  return [['Spazio aggiuntivo', `${parts.join(' e ')} in più, per ogni anno`]];
}

/** What was ordered and what it costs: the facts every order confirmation lists. */
const orderFacts = (order: OrderSummary): [string, string][] => [
  ['Ordine', order.orderId],
  ['Casella PEC', order.address],
  ['Piano', `${planLabel(order.type)}${order.domainPec ? ', sul tuo dominio' : ''}`],
  ...extraGbFacts(order.extraGb),
  ['Durata', order.years === 1 ? '1 anno' : `${order.years} anni`],
  ['Imponibile', euro(order.totals.netCents)],
  [`IVA ${VAT_RATE_PERCENT}%`, euro(order.totals.vatCents)],
  ['Totale', euro(order.totals.grossCents)],
];

/** What happens once the payment is registered. */
const afterPayment = (order: OrderSummary) =>
  order.kind === 'renewal'
    ? 'Appena il pagamento è registrato rinnoviamo la casella e ti confermiamo la nuova scadenza.'
    : order.domainPec
      ? 'Appena il pagamento è registrato ti inviamo i record MX da impostare sul tuo dominio; attiviamo la casella quando sono visibili e ti inviamo il link per creare la password.'
      : "Appena il pagamento è registrato attiviamo la casella e ti inviamo un'email con il link per creare la password.";

/** The conditions the holder accepted with a new order, with the link to their text when known. */
const termsNote = (order: OrderSummary): { paragraphs: string[]; link?: Body['link'] } =>
  order.terms
    ? {
        paragraphs: [
          `Con l'ordine hai accettato le condizioni generali di contratto, versione ${order.terms.version}.`,
        ],
        ...(order.terms.url ? { link: { href: order.terms.url, label: 'Condizioni generali di contratto' } } : {}),
      }
    : { paragraphs: [] };

/** The confirmation of a new card or PayPal order ("conferma d'ordine"), sent as the order is placed. */
export function orderConfirmationEmail(input: OrderConfirmation): EmailMessage {
  const terms = termsNote(input);
  return render(input.to, `Conferma dell'ordine ${input.orderId}: casella PEC ${input.address}`, {
    greeting: 'Gentile cliente,',
    paragraphs: [
      `grazie: abbiamo ricevuto il tuo ordine della casella PEC ${input.address}. Qui sotto trovi il riepilogo.`,
      input.method === 'paypal'
        ? `Addebitiamo ora ${euro(input.totals.grossCents)} sul tuo conto PayPal.`
        : `Addebitiamo ora ${euro(input.totals.grossCents)} sulla tua carta.`,
      afterPayment(input),
      "Se il pagamento non va a buon fine te lo comunichiamo per email e l'ordine non viene completato.",
      ...terms.paragraphs,
    ],
    facts: [...orderFacts(input), ['Pagamento', input.method === 'paypal' ? 'PayPal' : 'Carta di pagamento']],
    ...(terms.link ? { link: terms.link } : {}),
  });
}

export function firstAccessEmail(input: EmailInput<'firstAccess'>): EmailMessage {
  const expiry = `Il link si può usare una sola volta e scade il ${italianDate(input.expiresAt)}.`;
  if (input.reissued) {
    return render(input.to, `Nuovo link per il primo accesso alla casella PEC ${input.address}`, {
      greeting: 'Gentile cliente,',
      paragraphs: [
        `come richiesto, ecco un nuovo link per creare la password della casella di posta elettronica certificata ${input.address}.`,
        `${expiry} I link inviati in precedenza non funzionano più.`,
      ],
      link: { href: input.link, label: 'Crea la password' },
    });
  }
  return render(input.to, `La tua casella PEC ${input.address} è attiva`, {
    greeting: 'Gentile cliente,',
    paragraphs: [
      `la casella di posta elettronica certificata ${input.address} è stata attivata.`,
      `Per il primo accesso crea la tua password con il link qui sotto. ${expiry}`,
    ],
    link: { href: input.link, label: 'Crea la password' },
  });
}

export function passwordResetEmail(input: EmailInput<'passwordReset'>): EmailMessage {
  return render(input.to, `Reimposta la password della casella PEC ${input.address}`, {
    greeting: 'Gentile cliente,',
    paragraphs: [
      `abbiamo ricevuto una richiesta di reimpostare la password della casella di posta elettronica certificata ${input.address}.`,
      `Scegli la nuova password con il link qui sotto. Il link si può usare una sola volta e scade il ${italianDate(input.expiresAt)}; i link richiesti in precedenza non funzionano più.`,
      'Se non hai chiesto tu di reimpostare la password, ignora questa email: la password attuale resta valida.',
    ],
    link: { href: input.link, label: 'Reimposta la password' },
  });
}

/** What an unfinished order leaves behind: a free address, or a mailbox that keeps its expiry. */
const afterClosing = (kind: OrderKind) =>
  kind === 'renewal'
    ? 'La casella non è stata rinnovata e mantiene la sua scadenza: puoi rinnovarla con un nuovo ordine.'
    : "L'indirizzo è di nuovo disponibile: puoi effettuare un nuovo ordine quando vuoi.";

/** Said when the order was paid: the money goes back. */
const refundNote = (refundCents: number | undefined) =>
  refundCents === undefined ? [] : [`L'importo pagato, ${euro(refundCents)}, ti verrà rimborsato.`];

export function orderFailedEmail(input: EmailInput<'orderFailed'>) {
  const what = input.kind === 'renewal' ? 'rinnovo non riuscito' : 'attivazione non riuscita';
  return render(input.to, `Ordine ${input.orderId}: ${what}`, {
    greeting: 'Gentile cliente,',
    paragraphs: [
      input.paymentDeclined
        ? `il pagamento dell'ordine ${input.orderId} per la casella ${input.address} è stato rifiutato, quindi l'ordine non è stato completato.`
        : `non è stato possibile completare l'ordine ${input.orderId} per la casella ${input.address}.`,
      ...refundNote(input.refundCents),
      afterClosing(input.kind),
    ],
  });
}

export function orderCancelledEmail(input: EmailInput<'orderCancelled'>) {
  return render(input.to, `Ordine ${input.orderId} annullato`, {
    greeting: 'Gentile cliente,',
    paragraphs: [
      input.onRequest
        ? `come richiesto, l'ordine ${input.orderId} per la casella ${input.address} è stato annullato prima del pagamento.`
        : `non abbiamo ricevuto in tempo il pagamento dell'ordine ${input.orderId} per la casella ${input.address}, quindi l'ordine è stato annullato.`,
      ...(input.onRequest && input.refundCents === undefined
        ? ["Non effettuare il pagamento: se lo hai già disposto, l'importo ti verrà rimborsato."]
        : []),
      ...refundNote(input.refundCents),
      afterClosing(input.kind),
    ],
  });
}

/** The confirmation every renewal ends with: the new expiry, the plan from now on, the years and the totals. */
export function renewalConfirmedEmail(input: EmailInput<'renewalConfirmed'>) {
  return render(input.to, `La casella PEC ${input.address} è rinnovata`, {
    greeting: 'Gentile cliente,',
    paragraphs: [
      `grazie: con l'ordine ${input.orderId} la casella di posta elettronica certificata ${input.address} è stata rinnovata.`,
      `La nuova scadenza è il ${italianDate(input.expiresAt)}.`,
      ...(input.previousType
        ? [`Da ora la casella passa dal piano ${PLAN_NAMES[input.previousType]} al piano ${PLAN_NAMES[input.type]}.`]
        : []),
      ...(input.previousType && !planFor(input.type).archiveGb && planFor(input.previousType).archiveGb
        ? ["Il piano Standard non comprende l'archivio: lo spazio di archivio non è più disponibile."]
        : []),
    ],
    facts: [
      ['Ordine', input.orderId],
      ['Casella PEC', input.address],
      ['Piano', planLabel(input.type)],
      ...extraGbFacts(input.extraGb),
      ['Durata del rinnovo', input.years === 1 ? '1 anno' : `${input.years} anni`],
      ['Nuova scadenza', italianDate(input.expiresAt)],
      ['Imponibile', euro(input.totals.netCents)],
      [`IVA ${VAT_RATE_PERCENT}%`, euro(input.totals.vatCents)],
      ['Totale', euro(input.totals.grossCents)],
    ],
  });
}

/** Where transfers and slips are paid to: configuration, not code. */
export interface Beneficiary {
  beneficiary: string;
  iban: string;
  postalAccount?: string;
}

/**
 * The payment instructions of a transfer or postal slip order. They are its order confirmation as
 * well: what was ordered, the total, how to pay it and what happens next.
 */
export function paymentInstructionsEmail(input: PaymentInstructions & Beneficiary): EmailMessage {
  const bySlip = input.method === 'postal_slip';
  const terms = termsNote(input);
  const facts: [string, string][] = [
    // The total is the amount to pay.
    ...orderFacts(input),
    ['Beneficiario', input.beneficiary],
    ...(bySlip && input.postalAccount
      ? ([['Conto corrente postale', input.postalAccount]] as [string, string][])
      : ([['IBAN', input.iban]] as [string, string][])),
    [bySlip ? 'Causale del bollettino' : 'Causale del bonifico', formatReference(input.reference)],
    ['Scadenza', italianDate(input.deadline)],
  ];
  return render(input.to, `Conferma dell'ordine ${input.orderId}: istruzioni per il pagamento`, {
    greeting: 'Gentile cliente,',
    paragraphs: [
      input.kind === 'renewal'
        ? `grazie per il rinnovo della casella PEC ${input.address}: abbiamo ricevuto l'ordine, qui sotto trovi il riepilogo e i dati per il pagamento.`
        : `grazie per l'ordine della casella PEC ${input.address}: lo abbiamo ricevuto, qui sotto trovi il riepilogo e i dati per il pagamento.`,
      bySlip
        ? 'Per completarlo paga il bollettino postale (tipo 896, premarcato) con i dati qui sotto, indicando esattamente la causale.'
        : 'Per completarlo esegui un bonifico con i dati qui sotto, indicando esattamente la causale: è il riferimento che ci permette di riconoscere il tuo pagamento.',
      `L'ordine resta aperto fino al ${italianDate(input.deadline)}: se il pagamento non arriva entro quella data l'ordine viene annullato${input.kind === 'renewal' ? '.' : " e l'indirizzo torna disponibile."}`,
      afterPayment(input),
      ...terms.paragraphs,
    ],
    facts,
    ...(terms.link ? { link: terms.link } : {}),
  });
}

export function domainDnsInstructionsEmail(input: EmailInput<'domainDnsInstructions'>): EmailMessage {
  return render(input.to, `PEC sul dominio ${input.domain}: imposta i record MX`, {
    greeting: 'Gentile cliente,',
    paragraphs: [
      `il pagamento della casella ${input.address} è registrato. Per attivare la PEC sul tuo dominio ${input.domain}, imposta presso il gestore del dominio questi record MX, e nessun altro:`,
      input.mxHosts.map((host, index) => `MX ${10 * (index + 1)} ${host}`).join(' — '),
      `Attiviamo la casella appena i record sono visibili, di solito entro 48 ore dalla modifica. Se non lo sono entro il ${italianDate(input.deadline)}, l'ordine viene chiuso e il pagamento rimborsato.`,
    ],
  });
}

export function expiryReminderEmail(input: EmailInput<'expiryReminder'>) {
  return render(input.to, `La casella PEC ${input.address} scade tra ${input.daysLeft} giorni`, {
    greeting: 'Gentile cliente,',
    paragraphs: [
      `la casella di posta elettronica certificata ${input.address} scade il ${italianDate(input.expiresAt)}.`,
      'Rinnovala per continuare a usarla: alla scadenza la casella può solo ricevere messaggi per 90 giorni, poi viene cancellata con tutto il suo contenuto.',
    ],
    link: { href: input.renewalLink, label: 'Rinnova la casella' },
  });
}

export function chargeNoticeEmail(input: EmailInput<'chargeNotice'>) {
  const years = input.years === 1 ? '1 anno' : `${input.years} anni`;
  return render(input.to, `Avviso di addebito: rinnovo automatico della casella PEC ${input.address}`, {
    greeting: 'Gentile cliente,',
    paragraphs: [
      `la casella di posta elettronica certificata ${input.address} scade il ${italianDate(input.expiresAt)} e si rinnova automaticamente per ${years}.`,
      `Il ${italianDate(input.chargeAt)} addebiteremo ${euro(input.grossCents)} (IVA inclusa) sul metodo di pagamento che hai usato per l'ultimo pagamento.`,
      'Se non vuoi rinnovarla, disattiva il rinnovo automatico prima di quella data dal sito dove hai acquistato la casella.',
    ],
    facts: [
      ['Data di addebito', italianDate(input.chargeAt)],
      ['Importo', euro(input.grossCents)],
    ],
  });
}

export function renewalDeclinedEmail(input: EmailInput<'renewalDeclined'>) {
  return render(input.to, `Rinnovo automatico non riuscito: la casella PEC ${input.address}`, {
    greeting: 'Gentile cliente,',
    paragraphs: [
      `non siamo riusciti ad addebitare il rinnovo automatico della casella ${input.address}: il pagamento è stato rifiutato (ordine ${input.orderId}).`,
      input.nextAttemptAt
        ? `Riproveremo il ${italianDate(input.nextAttemptAt)}. Per evitarlo, rinnova subito la casella con un altro metodo di pagamento dal link qui sotto.`
        : 'Il rinnovo automatico è stato disattivato: rinnova la casella dal link qui sotto.',
      `Se non viene rinnovata, dal ${italianDate(input.expiresAt)} la casella non può più inviare messaggi: può solo riceverli per 90 giorni, poi viene cancellata.`,
    ],
    facts: [['La casella smette di inviare il', italianDate(input.expiresAt)]],
    link: { href: input.renewalLink, label: 'Rinnova la casella' },
  });
}

/** To a reseller whose prepaid credit went below the threshold it set (once per crossing). */
export function lowBalanceEmail(input: {
  to: string;
  name: string;
  balanceCents: number;
  thresholdCents: number;
}): EmailMessage {
  return render(input.to, 'Credito prepagato in esaurimento', {
    greeting: `Gentile ${input.name},`,
    paragraphs: [
      `il credito prepagato del tuo account rivenditore è sceso sotto la soglia che hai impostato: restano ${euro(input.balanceCents)}.`,
      'Gli ordini e i rinnovi che il credito non copre vengono rifiutati: ricarica il credito con una carta o un bonifico per continuare a ordinare senza interruzioni.',
    ],
    facts: [
      ['Credito disponibile', euro(input.balanceCents)],
      ['Soglia di avviso', euro(input.thresholdCents)],
    ],
  });
}

/** A certified domain's yearly renewal found the reseller's credit short: top up before it lapses. */
export function domainRenewalShortEmail(input: {
  to: string;
  name: string;
  domain: string;
  expiresAt: string;
  priceCents: number;
  balanceCents: number;
}): EmailMessage {
  return render(input.to, `Rinnovo del dominio ${input.domain}: credito insufficiente`, {
    greeting: `Gentile ${input.name},`,
    paragraphs: [
      `non è stato possibile rinnovare la certificazione del dominio ${input.domain}: il credito prepagato (${euro(input.balanceCents)}) non copre il rinnovo annuale (${euro(input.priceCents)} più IVA).`,
      'Ricarica il credito: riproveremo il rinnovo nei prossimi giorni. Se il dominio non viene rinnovato entro la scadenza, la certificazione decade e le caselle sul dominio vengono sospese (solo ricezione) e cancellate dopo 90 giorni.',
    ],
    facts: [
      ['Dominio', input.domain],
      ['Scadenza', italianDate(input.expiresAt)],
      ['Credito disponibile', euro(input.balanceCents)],
    ],
  });
}

/** The operator approved a reseller enrolment: what to pay for the first deposit, which becomes the credit. */
export function enrolmentApprovedEmail(input: {
  to: string;
  name: string;
  grossCents: number;
  reference: string;
}): EmailMessage {
  return render(input.to, 'Adesione al programma rivenditori approvata', {
    greeting: `Gentile ${input.name},`,
    paragraphs: [
      'la tua adesione al programma rivenditori è stata approvata. La chiave API ti è stata consegnata con la risposta di approvazione.',
      'Per attivare il credito prepagato effettua il primo versamento con un bonifico, indicando nella causale il riferimento qui sotto: quando lo riceviamo diventa il tuo credito iniziale.',
    ],
    facts: [
      ['Importo da versare', euro(input.grossCents)],
      ['Riferimento (causale)', input.reference],
    ],
  });
}

/** The operator rejected a reseller enrolment, with the reason. */
export function enrolmentRejectedEmail(input: { to: string; name: string; reason: string }): EmailMessage {
  return render(input.to, 'Adesione al programma rivenditori non accolta', {
    greeting: `Gentile ${input.name},`,
    paragraphs: [
      'abbiamo esaminato la tua richiesta di adesione al programma rivenditori e non possiamo accoglierla.',
      `Motivo: ${input.reason}`,
      'Puoi presentare una nuova richiesta con i dati e i documenti corretti.',
    ],
    facts: [],
  });
}

/** A reseller's mailbox renews automatically: the debit of its credit, and when. */
export function creditRenewalNoticeEmail(input: CreditRenewalNotice): EmailMessage {
  const years = input.years === 1 ? '1 anno' : `${input.years} anni`;
  return render(input.to, `Rinnovo automatico dal credito: la casella PEC ${input.address}`, {
    greeting: `Gentile ${input.name},`,
    paragraphs: [
      `la casella di posta elettronica certificata ${input.address} di un tuo cliente scade il ${italianDate(input.expiresAt)} e si rinnova automaticamente per ${years}.`,
      `Il ${italianDate(input.chargeAt)} addebiteremo ${euro(input.amountCents)} (IVA esclusa) sul tuo credito prepagato: assicurati che il credito lo copra.`,
      'Se non vuoi rinnovarla, disattiva il rinnovo automatico della casella prima di quella data.',
    ],
    facts: [
      ['Data di addebito', italianDate(input.chargeAt)],
      ['Importo (IVA esclusa)', euro(input.amountCents)],
    ],
  });
}

/** A reseller's credit did not cover a mailbox's automatic renewal. */
export function creditRenewalDeclinedEmail(
  input: CreditRenewalNotice & { balanceCents: number; nextAttemptAt?: string },
): EmailMessage {
  return render(input.to, `Rinnovo automatico non riuscito: credito insufficiente per ${input.address}`, {
    greeting: `Gentile ${input.name},`,
    paragraphs: [
      `il credito prepagato (${euro(input.balanceCents)}) non copre il rinnovo automatico della casella ${input.address} (${euro(input.amountCents)}, IVA esclusa).`,
      input.nextAttemptAt
        ? `Riproveremo il ${italianDate(input.nextAttemptAt)}: ricarica il credito prima di quella data.`
        : 'Il rinnovo automatico è stato disattivato: ricarica il credito e rinnova la casella.',
      `Se non viene rinnovata, dal ${italianDate(input.expiresAt)} la casella non può più inviare messaggi: può solo riceverli per 90 giorni, poi viene cancellata.`,
    ],
    facts: [
      ['Credito disponibile', euro(input.balanceCents)],
      ['Importo del rinnovo', euro(input.amountCents)],
      ['La casella smette di inviare il', italianDate(input.expiresAt)],
    ],
  });
}
