/**
 * Bank statements in ISO 20022, as Italian banks deliver them: camt.054 (BankToCustomerDebitCredit
 * Notification, `BkToCstmrDbtCdtNtfctn`, intraday) and camt.053 (BankToCustomerStatement,
 * `BkToCstmrStmt`, end of day), message versions 001.02 to 001.13.
 *
 * A file is read as a whole and validated before anything is taken from it: text that is not
 * well-formed XML, a document that is not a camt.053/054 message, or an entry that lacks what the
 * matching relies on refuses the whole file, with every problem named by its path in the document,
 * so that a statement is applied entirely or not at all.
 *
 * What is taken is every credit the bank booked: an entry with `CdtDbtInd` CRDT and status BOOK
 * (`<Sts>BOOK</Sts>` before version 001.07, `<Sts><Cd>BOOK</Cd></Sts>` since), not a reversal
 * (`RvslInd` true). An entry with several transactions (`NtryDtls/TxDtls`, a batch booking) is one
 * credit per transaction, each with its own amount (`TxDtls/Amt`, or `AmtDtls/TxAmt/Amt`). Debits,
 * reversals and pending or informational entries are skipped.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import * as z from 'zod';
import { findCreditorReference } from './creditor-reference.ts';
import type { FieldError } from './errors.ts';
import { orderIdOfReference, type Payer } from './order.ts';
import { fieldErrors, ROOT_PATH } from './schemas.ts';

/**
 * How a credit is told apart from every other one, for all time, so that registering it twice
 * (the same file processed again, or the same booking in the day's camt.054 and in its camt.053)
 * does nothing the second time. The first of these the statement gives:
 * 1. `tx`: the bank's reference of the transaction, `TxDtls/Refs/AcctSvcrRef`;
 * 2. `entry`: the bank's reference of the entry, `Ntry/AcctSvcrRef`, with `/<n>` for the n-th
 *    transaction of a batch booking;
 * 3. `ntry-ref`: `Ntry/NtryRef` (`/<n>` likewise), which is unique only within its report (many
 *    banks number the entries 1, 2, 3...), so it is scoped by the message and report ids;
 * 4. `position`: the entry's place in the file (`<MsgId>/<report Id>/<entry>[/<n>]`), which only
 *    recognises the same file sent again.
 * Each is scoped by the account the statement reports on. `EndToEndId` and `TxId` are chosen by
 * the payer's side (often `NOTPROVIDED`): they are kept as information, never as the identity.
 */
export type EntryReferenceKind = 'tx' | 'entry' | 'ntry-ref' | 'position';

/** One booked credit of a statement, ready to be registered like a `credit.registered` event. */
export interface StatementCredit {
  /** The payment event id the credit is registered under: `stmt_<account>:<kind>:<reference>`. */
  eventId: string;
  /** The statement's reference the id is built from (see `EntryReferenceKind`). */
  entryReference: { kind: EntryReferenceKind; value: string };
  /** The account the statement reports on (our IBAN). */
  account: string;
  amountCents: number;
  /** ISO 4217, from the amount's `Ccy` attribute. */
  currency: string;
  /** When the bank booked it (`BookgDt`, else `ValDt`, else when the report was created), ISO 8601 UTC. */
  bookedAt: string;
  /** `RltdPties/Dbtr/Nm` (or `Dbtr/Pty/Nm` since 001.07) and `RltdPties/DbtrAcct/Id/IBAN`. */
  payer: Payer;
  /** The remittance information as the statement gave it: structured creditor references and free text. */
  remittance: { structured: string[]; unstructured: string[] };
  endToEndId?: string;
  /** The valid RF creditor reference found in the remittance information (compact form), if any. */
  creditorReference?: string;
}

export interface BankStatement {
  kind: 'camt.054' | 'camt.053';
  /** The message version, e.g. `001.08`. */
  version: string;
  /** `GrpHdr/MsgId`. */
  messageId: string;
  credits: StatementCredit[];
  /** Entries (or transactions of a batch) that are not booked credits: debits, reversals, pending. */
  skipped: number;
}

export type StatementReading = { ok: true; statement: BankStatement } | { ok: false; errors: FieldError[] };

const CAMT_NAMESPACE = /^urn:iso:std:iso:20022:tech:xsd:camt\.(05[34])\.(001\.\d{2})$/;
const MESSAGES = {
  '054': { kind: 'camt.054', root: 'BkToCstmrDbtCdtNtfctn', report: 'Ntfctn' },
  '053': { kind: 'camt.053', root: 'BkToCstmrStmt', report: 'Stmt' },
} as const;
const VERSIONS = { min: 2, max: 13 };

/** The elements a statement may repeat: always arrays in the parsed tree, even with one occurrence. */
const REPEATED = new Set(['Ntfctn', 'Stmt', 'Ntry', 'NtryDtls', 'TxDtls', 'Ustrd', 'Strd', 'AddtlRmtInf', 'Bal']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  // Namespace prefixes (`<ns2:Ntry>`) dropped from element names; the document's namespace is checked apart.
  transformTagName: (name) => name.slice(name.indexOf(':') + 1),
  // Every value stays text: references such as `000123` and amounts such as `610.00` keep their digits.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  isArray: (name, _path, _isLeaf, isAttribute) => !isAttribute && REPEATED.has(name),
});

// --- the parts of a statement that are relied on --------------------------------------------------

const text = z.string().trim().min(1, 'Must not be empty.');
const freeText = z.string();
const creditDebit = z.enum(['CRDT', 'DBIT']);

const AMOUNT = /^\d{1,13}(\.\d{1,5})?$/;
/** `<Amt Ccy="EUR">6.10</Amt>`: the amount in cents and its currency. */
const amount = z.unknown().transform((value, ctx) => {
  if (value === undefined) {
    ctx.addIssue({ code: 'custom', message: 'The amount is missing: <Amt Ccy="EUR">6.10</Amt>.' });
    return z.NEVER;
  }
  const node = value as { '#text'?: unknown; '@_Ccy'?: unknown } | string;
  const digits = typeof node === 'string' ? node : node?.['#text'];
  const currency = typeof node === 'object' ? node?.['@_Ccy'] : undefined;
  if (typeof digits !== 'string' || !AMOUNT.test(digits)) {
    ctx.addIssue({ code: 'custom', message: 'An amount is a decimal number with a dot, e.g. 6.10.' });
    return z.NEVER;
  }
  if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) {
    ctx.addIssue({ code: 'custom', message: 'An amount names its currency: Ccy="EUR" (ISO 4217).' });
    return z.NEVER;
  }
  const [units = '0', fraction = ''] = digits.split('.');
  if (/[1-9]/.test(fraction.slice(2))) {
    ctx.addIssue({ code: 'custom', message: 'The amount is more precise than a cent.' });
    return z.NEVER;
  }
  return { cents: Number(units) * 100 + Number(fraction.slice(0, 2).padEnd(2, '0')), currency };
});

const ISO_DATE = /^\d{4}-\d{2}-\d{2}([+-]\d{2}:\d{2}|Z)?$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;
/** An ISODateTime as ISO 8601 UTC; one without an offset is taken as UTC. */
const dateTime = z
  .string()
  .trim()
  .regex(ISO_DATE_TIME, 'An ISO 8601 date and time, e.g. 2026-11-22T10:15:00+01:00.')
  .transform((value, ctx) => {
    const time = Date.parse(/(Z|[+-]\d{2}:\d{2})$/.test(value) ? value : `${value}Z`);
    if (Number.isNaN(time)) {
      ctx.addIssue({ code: 'custom', message: 'Not a real date and time.' });
      return z.NEVER;
    }
    return new Date(time).toISOString();
  });
/** `<BookgDt>` and `<ValDt>`: `<Dt>` (midnight UTC) or `<DtTm>`. */
const dateChoice = z
  .looseObject({
    Dt: z.string().trim().regex(ISO_DATE, 'An ISO 8601 date, e.g. 2026-11-22.').optional(),
    DtTm: dateTime.optional(),
  })
  .transform((choice) => choice.DtTm ?? (choice.Dt ? `${choice.Dt.slice(0, 10)}T00:00:00.000Z` : undefined));

/** `<Sts>BOOK</Sts>` (001.02 to 001.06) or `<Sts><Cd>BOOK</Cd></Sts>` (since 001.07). */
const entryStatus = z
  .union([text, z.looseObject({ Cd: text.optional(), Prtry: text.optional() })], {
    error: 'The entry status: <Sts>BOOK</Sts> or <Sts><Cd>BOOK</Cd></Sts>.',
  })
  .transform((status) => (typeof status === 'string' ? status : (status.Cd ?? '')));

/** The account reported on (ours): its IBAN, or another identification. */
const reportAccount = z
  .looseObject({
    Id: z.union([z.looseObject({ IBAN: text }), z.looseObject({ Othr: z.looseObject({ Id: text }) })], {
      error: 'The account reported on: Id/IBAN or Id/Othr/Id.',
    }),
  })
  .transform(({ Id }) =>
    'IBAN' in Id && typeof Id.IBAN === 'string' ? Id.IBAN : (Id as { Othr: { Id: string } }).Othr.Id,
  );

const party = z.looseObject({ Nm: freeText.optional(), Pty: z.looseObject({ Nm: freeText.optional() }).optional() });

const transaction = z.looseObject({
  Refs: z
    .looseObject({ AcctSvcrRef: freeText.optional(), EndToEndId: freeText.optional(), TxId: freeText.optional() })
    .optional(),
  Amt: amount.optional(),
  CdtDbtInd: creditDebit.optional(),
  AmtDtls: z.looseObject({ TxAmt: z.looseObject({ Amt: amount }).optional() }).optional(),
  RltdPties: z
    .looseObject({
      Dbtr: party.optional(),
      DbtrAcct: z.looseObject({ Id: z.looseObject({ IBAN: freeText.optional() }).optional() }).optional(),
    })
    .optional(),
  RmtInf: z
    .looseObject({
      Ustrd: z.array(freeText).optional(),
      Strd: z
        .array(
          z.looseObject({
            CdtrRefInf: z.looseObject({ Ref: freeText.optional() }).optional(),
            AddtlRmtInf: z.array(freeText).optional(),
          }),
        )
        .optional(),
    })
    .optional(),
  AddtlTxInf: freeText.optional(),
});
type Transaction = z.infer<typeof transaction>;

const transactionAmount = (tx: Transaction) => tx.Amt ?? tx.AmtDtls?.TxAmt?.Amt;

const entry = z
  .looseObject({
    NtryRef: freeText.optional(),
    Amt: amount,
    CdtDbtInd: creditDebit,
    RvslInd: z.enum(['true', 'false', '1', '0']).optional(),
    Sts: entryStatus,
    BookgDt: dateChoice.optional(),
    ValDt: dateChoice.optional(),
    AcctSvcrRef: freeText.optional(),
    NtryDtls: z.array(z.looseObject({ TxDtls: z.array(transaction).optional() })).optional(),
    AddtlNtryInf: freeText.optional(),
  })
  .superRefine((ntry, ctx) => {
    // A booked credit made of several transactions is several credits: each needs its own amount.
    if (!isBookedCredit(ntry)) return;
    const batch = (ntry.NtryDtls ?? []).flatMap((details) => details.TxDtls ?? []).length > 1;
    if (!batch) return;
    for (const [d, details] of (ntry.NtryDtls ?? []).entries()) {
      for (const [t, tx] of (details.TxDtls ?? []).entries()) {
        if (transactionAmount(tx)) continue;
        ctx.addIssue({
          code: 'custom',
          path: ['NtryDtls', d, 'TxDtls', t, 'Amt'],
          message: 'Each transaction of a batch booking needs its own amount (Amt, or AmtDtls/TxAmt/Amt).',
        });
      }
    }
  });
type Entry = z.infer<typeof entry>;

const report = z.looseObject({
  Id: text,
  CreDtTm: dateTime.optional(),
  Acct: reportAccount,
  Ntry: z.array(entry).optional(),
});
type Report = z.infer<typeof report>;

const groupHeader = z.looseObject({ MsgId: text, CreDtTm: dateTime });
const notificationMessage = z.looseObject({ GrpHdr: groupHeader, Ntfctn: z.array(report).min(1) });
const statementMessage = z.looseObject({ GrpHdr: groupHeader, Stmt: z.array(report).min(1) });

const isOrderReference = (reference: string) => orderIdOfReference(reference) !== undefined;

function isBookedCredit(ntry: { CdtDbtInd: string; Sts: string; RvslInd?: string | undefined }): boolean {
  const reversal = ntry.RvslInd === 'true' || ntry.RvslInd === '1';
  return ntry.CdtDbtInd === 'CRDT' && ntry.Sts === 'BOOK' && !reversal;
}

// --- reading -------------------------------------------------------------------------------------

const refused = (path: string, message: string): StatementReading => ({ ok: false, errors: [{ path, message }] });

/**
 * Reads a camt.054 or camt.053 document: its booked credits, or every reason it cannot be used.
 * Pure: the same text always gives the same answer.
 */
export function readBankStatement(file: string): StatementReading {
  const xml = file.replace(/^\uFEFF/, '');
  // Bank files never declare a DOCTYPE; refusing one keeps entity expansion out entirely.
  if (/<!DOCTYPE/i.test(xml)) return refused(ROOT_PATH, 'A bank statement has no DOCTYPE declaration.');
  const wellFormed = XMLValidator.validate(xml);
  if (wellFormed !== true) {
    const { line, col, msg } = wellFormed.err;
    // The validator lists the elements a truncated file leaves open as a JSON array: said plainly.
    const unclosed = msg.match(/^Invalid '(\[.*\])' found\.$/)?.[1];
    if (unclosed) {
      const names = (JSON.parse(unclosed) as string[]).join(', ');
      return refused(ROOT_PATH, `Not well-formed XML: the text ends before these elements are closed: ${names}.`);
    }
    return refused(ROOT_PATH, `Not well-formed XML (line ${line}, column ${col}): ${msg}`);
  }
  let tree: unknown;
  try {
    tree = parser.parse(xml);
  } catch (error) {
    return refused(ROOT_PATH, `Not readable XML: ${error instanceof Error ? error.message : String(error)}`);
  }
  const document = (tree as { Document?: unknown } | undefined)?.Document;
  if (typeof document !== 'object' || document === null) {
    return refused('Document', 'The root element must be an ISO 20022 Document.');
  }
  const namespace = Object.entries(document)
    .filter(([name]) => name === '@_xmlns' || name.startsWith('@_xmlns:'))
    .map(([, value]) => String(value).match(CAMT_NAMESPACE))
    .find((match) => match !== null);
  const version = namespace?.[2] ?? '';
  const versionNumber = Number(version.slice(4));
  if (!namespace || versionNumber < VERSIONS.min || versionNumber > VERSIONS.max) {
    return refused(
      'Document',
      'The document must be a camt.054 or camt.053 message: namespace urn:iso:std:iso:20022:tech:xsd:camt.054.001.NN or camt.053.001.NN (02 to 13).',
    );
  }
  const message = MESSAGES[namespace[1] as keyof typeof MESSAGES];
  const body = (document as Record<string, unknown>)[message.root];
  if (body === undefined)
    return refused(`Document.${message.root}`, `A ${message.kind} document holds ${message.root}.`);

  const parsed =
    message.kind === 'camt.054'
      ? notificationMessage.transform((m) => ({ header: m.GrpHdr, reports: m.Ntfctn })).safeParse(body)
      : statementMessage.transform((m) => ({ header: m.GrpHdr, reports: m.Stmt })).safeParse(body);
  if (!parsed.success) {
    return {
      ok: false,
      errors: fieldErrors(parsed.error.issues).map((error) => ({ ...error, path: `${message.root}.${error.path}` })),
    };
  }
  const { header, reports } = parsed.data;
  const credits: StatementCredit[] = [];
  let skipped = 0;
  for (const rpt of reports) {
    for (const [position, ntry] of (rpt.Ntry ?? []).entries()) {
      const found = creditsOfEntry({ messageId: header.MsgId, createdAt: header.CreDtTm, report: rpt, ntry, position });
      credits.push(...found.credits);
      skipped += found.skipped;
    }
  }
  return { ok: true, statement: { kind: message.kind, version, messageId: header.MsgId, credits, skipped } };
}

/** The credits of one entry: none, one, or one per transaction of a batch booking. */
function creditsOfEntry(at: { messageId: string; createdAt: string; report: Report; ntry: Entry; position: number }): {
  credits: StatementCredit[];
  skipped: number;
} {
  const { report: rpt, ntry } = at;
  if (!isBookedCredit(ntry)) return { credits: [], skipped: 1 };
  const account = rpt.Acct;
  const bookedAt = ntry.BookgDt ?? ntry.ValDt ?? rpt.CreDtTm ?? at.createdAt;
  const transactions = (ntry.NtryDtls ?? []).flatMap((details) => details.TxDtls ?? []);
  const batch = transactions.length > 1;
  const entryText = [ntry.AddtlNtryInf ?? ''];

  const credit = (tx: Transaction | undefined, index: number): StatementCredit => {
    const reference = entryReference({ ...at, tx, suffix: batch ? `/${index + 1}` : '' });
    const money = (tx && transactionAmount(tx)) ?? ntry.Amt;
    const remittance = {
      structured: (tx?.RmtInf?.Strd ?? []).flatMap((strd) => (strd.CdtrRefInf?.Ref ? [strd.CdtrRefInf.Ref] : [])),
      unstructured: tx?.RmtInf?.Ustrd ?? [],
    };
    const additional = [
      ...(tx?.RmtInf?.Strd ?? []).flatMap((strd) => strd.AddtlRmtInf ?? []),
      tx?.AddtlTxInf ?? '',
      // The entry's own text speaks for its transaction only when it has no other.
      ...(batch ? [] : entryText),
    ];
    // The structured reference as given; in free text, only what can be one of our orders' references.
    const inText = (words: string) => findCreditorReference(words, isOrderReference);
    const creditorReference =
      remittance.structured.map((ref) => findCreditorReference(ref)).find((found) => found !== undefined) ??
      inText(remittance.unstructured.join(' ')) ??
      inText(remittance.unstructured.join('')) ??
      inText(additional.join(' '));
    const payerName = (tx?.RltdPties?.Dbtr?.Pty?.Nm ?? tx?.RltdPties?.Dbtr?.Nm)?.trim();
    const payerIban = tx?.RltdPties?.DbtrAcct?.Id?.IBAN?.replace(/\s+/g, '').toUpperCase();
    const endToEndId = tx?.Refs?.EndToEndId?.trim();
    return {
      eventId: `stmt_${[account, reference.kind, reference.value].map(encodeURIComponent).join(':')}`,
      entryReference: reference,
      account,
      amountCents: money.cents,
      currency: money.currency,
      bookedAt,
      payer: { ...(payerName ? { name: payerName } : {}), ...(payerIban ? { iban: payerIban } : {}) },
      remittance,
      ...(endToEndId ? { endToEndId } : {}),
      ...(creditorReference ? { creditorReference } : {}),
    };
  };

  if (transactions.length === 0) return { credits: [credit(undefined, 0)], skipped: 0 };
  const credits: StatementCredit[] = [];
  let skipped = 0;
  for (const [index, tx] of transactions.entries()) {
    // A transaction booked the other way within a credit entry (a return in a batch) is no credit.
    if (tx.CdtDbtInd === 'DBIT') skipped++;
    else credits.push(credit(tx, index));
  }
  return { credits, skipped };
}

/** The statement's reference that identifies one credit for good: see `EntryReferenceKind`. */
function entryReference(at: {
  messageId: string;
  report: Report;
  ntry: Entry;
  position: number;
  tx: Transaction | undefined;
  suffix: string;
}): StatementCredit['entryReference'] {
  const { ntry, tx, suffix } = at;
  const txReference = tx?.Refs?.AcctSvcrRef?.trim();
  if (txReference) return { kind: 'tx', value: txReference };
  const entryRef = ntry.AcctSvcrRef?.trim();
  if (entryRef) return { kind: 'entry', value: `${entryRef}${suffix}` };
  const scope = `${at.messageId}/${at.report.Id}`;
  const ntryRef = ntry.NtryRef?.trim();
  if (ntryRef) return { kind: 'ntry-ref', value: `${scope}/${ntryRef}${suffix}` };
  return { kind: 'position', value: `${scope}/${at.position + 1}${suffix}` };
}
