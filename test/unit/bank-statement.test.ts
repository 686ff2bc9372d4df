import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type BankStatement, readBankStatement } from '../../functions/domain/bank-statement.ts';

/*
 * Reading camt.054 and camt.053 files (test/fixtures/camt/, laid out as banks deliver them): the
 * credits taken, their identity, and every reason a file is refused.
 */

const fixture = (name: string) => readFileSync(new URL(`../fixtures/camt/${name}`, import.meta.url), 'utf8');

function statementOf(xml: string): BankStatement {
  const reading = readBankStatement(xml);
  if (!reading.ok) throw new Error(`refused: ${JSON.stringify(reading.errors)}`);
  return reading.statement;
}

function errorsOf(xml: string) {
  const reading = readBankStatement(xml);
  if (reading.ok) throw new Error('the file was accepted');
  return reading.errors;
}

const OUR_IBAN = 'IT60X0542811101000000123456';

describe('readBankStatement: camt.054.001.08', () => {
  const statement = statementOf(fixture('camt054-v08-notification.xml'));

  it('takes the booked credits, one per transaction of a batch booking, and skips the reversal, the debit and the pending entry', () => {
    expect(statement).toMatchObject({ kind: 'camt.054', version: '001.08', messageId: 'CAMT054-20261122-0001' });
    expect(statement.credits.map((credit) => [credit.amountCents, credit.currency, credit.creditorReference])).toEqual([
      [610, 'EUR', 'RF157Q2M9XK4PA1C'],
      [610, 'EUR', 'RF84H3VN8D0RT6WE'],
      [1220, 'EUR', 'RF96K9BZ4M2QX7SF'],
      [5000, 'EUR', undefined],
    ]);
    expect(statement.skipped).toBe(3);
  });

  it('keeps what the statement says of each credit: payer, IBAN, remittance, booking time', () => {
    expect(statement.credits[0]).toEqual({
      eventId: `stmt_${OUR_IBAN}:entry:2611220000412345`,
      entryReference: { kind: 'entry', value: '2611220000412345' },
      account: OUR_IBAN,
      amountCents: 610,
      currency: 'EUR',
      bookedAt: '2026-11-22T00:00:00.000Z',
      payer: { name: 'Mario Rossi', iban: 'IT02L1234512345123456789012' },
      remittance: { structured: ['RF157Q2M9XK4PA1C'], unstructured: [] },
      endToEndId: 'NOTPROVIDED',
      creditorReference: 'RF157Q2M9XK4PA1C',
    });
    // A booking time with an offset, in UTC.
    expect(statement.credits[1]?.bookedAt).toBe('2026-11-22T09:40:00.000Z');
    expect(statement.credits[3]).toMatchObject({
      payer: { name: 'Giuseppe Neri', iban: 'IT91D0300203280000400162854' },
      remittance: { structured: [], unstructured: ['Bonifico per abbonamento annuale'] },
    });
  });

  it('finds a reference typed in lower case with spaces, or amid other words, in the unstructured text', () => {
    expect(statement.credits[1]?.remittance.unstructured).toEqual(['rf84 h3vn 8d0r t6we casella pec']);
    expect(statement.credits[1]?.creditorReference).toBe('RF84H3VN8D0RT6WE');
    expect(statement.credits[2]?.creditorReference).toBe('RF96K9BZ4M2QX7SF');
  });

  it("identifies a batch booking's transactions by the bank's own transaction references", () => {
    expect(statement.credits.slice(1, 3).map((credit) => credit.eventId)).toEqual([
      `stmt_${OUR_IBAN}:tx:2611220000412346-01`,
      `stmt_${OUR_IBAN}:tx:2611220000412346-02`,
    ]);
  });

  it('gives the same credits and ids however often the file is read', () => {
    expect(statementOf(fixture('camt054-v08-notification.xml'))).toEqual(statement);
  });
});

describe('readBankStatement: older versions and camt.053', () => {
  it('reads camt.054.001.02 with a namespace prefix, <Sts>BOOK</Sts>, AmtDtls/TxAmt and Dbtr/Nm', () => {
    const statement = statementOf(fixture('camt054-v02-notification.xml'));
    expect(statement).toMatchObject({ kind: 'camt.054', version: '001.02', skipped: 0 });
    const [typed, unreferenced] = statement.credits;
    expect(typed).toMatchObject({
      amountCents: 610,
      payer: { name: 'ANNA FERRARI', iban: 'IT27Z0306909606100000012345' },
      // The reference runs over two lines of unstructured text.
      remittance: { unstructured: ['Saldo ordine casella certificata RF64 0C5R', '8TJW 3NHP'] },
      creditorReference: 'RF640C5R8TJW3NHP',
      endToEndId: 'PAGAMENTO-PEC-21',
    });
    // NtryRef is unique only within its report: scoped by the message and the report.
    expect(typed?.entryReference).toEqual({
      kind: 'ntry-ref',
      value: '0306920261121CAMT054-77/0306920261121-77-1/000001',
    });
    // No bank reference at all: its place in the file; its text is the entry's additional information.
    expect(unreferenced).toMatchObject({
      entryReference: { kind: 'position', value: '0306920261121CAMT054-77/0306920261121-77-1/2' },
      creditorReference: 'RF37P4D7GMX2Z9KA',
      payer: {},
    });
  });

  it('reads camt.054.001.04 with its currency from the Ccy attribute and a grouped structured reference', () => {
    const [credit] = statementOf(fixture('camt054-v04-notification.xml')).credits;
    expect(credit).toMatchObject({
      amountCents: 610,
      currency: 'USD',
      payer: { name: 'John Smith' },
      remittance: { structured: ['RF15 7Q2M 9XK4 PA1C'] },
      creditorReference: 'RF157Q2M9XK4PA1C',
    });
  });

  it("reads camt.053.001.08, whose booking has the same id as in the day's camt.054", () => {
    const statement = statementOf(fixture('camt053-v08-statement.xml'));
    expect(statement).toMatchObject({ kind: 'camt.053', version: '001.08', skipped: 1 });
    expect(statement.credits.map((credit) => credit.eventId)).toEqual([
      statementOf(fixture('camt054-v08-notification.xml')).credits[0]?.eventId,
    ]);
  });

  it('reads a file that starts with a byte-order mark', () => {
    expect(statementOf(`\uFEFF${fixture('camt054-v04-notification.xml')}`).credits).toHaveLength(1);
  });
});

describe('readBankStatement: refused files', () => {
  it('names every problem of a file whose entries lack what matching relies on', () => {
    expect(errorsOf(fixture('malformed-entries.xml'))).toEqual([
      {
        path: 'BkToCstmrDbtCdtNtfctn.Ntfctn.0.Ntry.1.Amt',
        message: 'An amount is a decimal number with a dot, e.g. 6.10.',
      },
      {
        path: 'BkToCstmrDbtCdtNtfctn.Ntfctn.0.Ntry.2.Amt',
        message: 'An amount names its currency: Ccy="EUR" (ISO 4217).',
      },
      { path: 'BkToCstmrDbtCdtNtfctn.Ntfctn.0.Ntry.2.CdtDbtInd', message: expect.any(String) },
      {
        path: 'BkToCstmrDbtCdtNtfctn.Ntfctn.0.Ntry.3.NtryDtls.0.TxDtls.1.Amt',
        message: 'Each transaction of a batch booking needs its own amount (Amt, or AmtDtls/TxAmt/Amt).',
      },
    ]);
  });

  it('refuses text that is not well-formed XML, with where it breaks', () => {
    const [error] = errorsOf(fixture('malformed-truncated.xml'));
    expect(error?.path).toBe('(body)');
    expect(error?.message).toMatch(/^Not well-formed XML \(line \d+, column \d+\)/);
    expect(errorsOf('')).toEqual([{ path: '(body)', message: expect.stringMatching(/^Not/) }]);
    const cutAtAnEnd = fixture('camt054-v04-notification.xml').split('</Ntry>')[0] ?? '';
    expect(errorsOf(`${cutAtAnEnd}</Ntry>`)).toEqual([
      {
        path: '(body)',
        message:
          'Not well-formed XML: the text ends before these elements are closed: Document, BkToCstmrDbtCdtNtfctn, Ntfctn.',
      },
    ]);
    expect(errorsOf('610 EUR RF157Q2M9XK4PA1C')[0]?.path).toBe('(body)');
  });

  it('refuses another ISO 20022 message, or a version it does not know', () => {
    expect(errorsOf(fixture('not-a-statement.xml'))).toEqual([
      { path: 'Document', message: expect.stringContaining('camt.054 or camt.053') },
    ]);
    const tooOld = fixture('camt054-v04-notification.xml').replace('camt.054.001.04', 'camt.054.001.01');
    expect(errorsOf(tooOld)[0]?.path).toBe('Document');
    expect(errorsOf('<Invoice><Amt>6.10</Amt></Invoice>')).toEqual([
      { path: 'Document', message: 'The root element must be an ISO 20022 Document.' },
    ]);
  });

  it('refuses a camt.053 namespace around a camt.054 message', () => {
    const mixed = fixture('camt054-v04-notification.xml').replace('camt.054.001.04', 'camt.053.001.04');
    expect(errorsOf(mixed)).toEqual([
      { path: 'Document.BkToCstmrStmt', message: 'A camt.053 document holds BkToCstmrStmt.' },
    ]);
  });

  it('refuses a DOCTYPE (no entity is ever expanded)', () => {
    const withEntity = `<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "RF157Q2M9XK4PA1C">]>${fixture(
      'camt054-v04-notification.xml',
    ).replace(/^<\?xml[^>]*>/, '')}`;
    expect(errorsOf(withEntity)).toEqual([{ path: '(body)', message: 'A bank statement has no DOCTYPE declaration.' }]);
  });

  it('refuses an amount more precise than a cent, and takes trailing zeros', () => {
    const precise = fixture('camt054-v04-notification.xml').replaceAll('>6.10<', '>6.105<');
    expect(errorsOf(precise)).toContainEqual({
      path: 'BkToCstmrDbtCdtNtfctn.Ntfctn.0.Ntry.0.Amt',
      message: 'The amount is more precise than a cent.',
    });
    const zeros = fixture('camt054-v04-notification.xml').replaceAll('>6.10<', '>6.10000<');
    expect(statementOf(zeros).credits[0]?.amountCents).toBe(610);
  });

  it('refuses a booked credit without a status, and a date that is not ISO 8601', () => {
    const noStatus = fixture('camt054-v04-notification.xml').replace('<Sts>BOOK</Sts>', '');
    expect(errorsOf(noStatus)).toEqual([
      { path: 'BkToCstmrDbtCdtNtfctn.Ntfctn.0.Ntry.0.Sts', message: expect.stringContaining('<Sts>BOOK</Sts>') },
    ]);
    const badDate = fixture('camt054-v04-notification.xml').replace('<Dt>2026-11-23</Dt>', '<Dt>23/11/2026</Dt>');
    expect(errorsOf(badDate)).toEqual([
      { path: 'BkToCstmrDbtCdtNtfctn.Ntfctn.0.Ntry.0.BookgDt.Dt', message: 'An ISO 8601 date, e.g. 2026-11-22.' },
    ]);
  });
});
