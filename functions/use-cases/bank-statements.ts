import { type BankStatement, readBankStatement, type StatementCredit } from '../domain/bank-statement.ts';
import { RetryLaterError } from '../domain/errors.ts';
import { orderIdOfReference } from '../domain/order.ts';
import { type IncomingPaymentEvent, type PaymentEventDeps, registerPaymentEvent } from './handle-payment-event.ts';
import type { StatementFiles } from './ports.ts';

export interface BankStatementDeps extends Omit<PaymentEventDeps, 'secret'> {
  files: StatementFiles;
}

/** One credit of the statement and what it did. */
export interface StatementCreditOutcome {
  eventId: string;
  orderId?: string;
  outcome: string;
  anomaly: boolean;
}

export type BankStatementResult =
  | {
      status: 'applied';
      key: string;
      kind: BankStatement['kind'];
      messageId: string;
      /** The booked credits the statement holds (each transaction of a batch booking counts as one). */
      entries: number;
      /** Credits that paid their order (or credited a reseller's top-up). */
      matched: number;
      /** Credits recorded as anomalies: unknown or missing reference, wrong amount or currency, a second credit... */
      anomalies: number;
      /** Credits registered before (the same file again, or the camt.053 after its camt.054): nothing happened. */
      duplicates: number;
      /** Entries that are no booked credit (debits, reversals, pending): not registered. */
      skipped: number;
      credits: StatementCreditOutcome[];
    }
  | { status: 'rejected'; key: string; rejectedKey: string; errors: { path: string; message: string }[] };

/**
 * A bank statement file (camt.054 or camt.053) put in the statements bucket:
 * 1. the whole file is read and validated before anything is applied: a malformed one is set aside
 *    under `rejected/` with its problems, and nothing of it takes effect;
 * 2. every booked credit is registered exactly like a `credit.registered` webhook event
 *    (`registerPaymentEvent`: the same amount rules, the same record), under the id of its entry's
 *    reference, so it takes effect at most once however often the file is processed, and when the
 *    day's camt.053 reports the same bookings as its camt.054;
 * 3. the RF creditor reference in its remittance information names the order; a credit that names
 *    none, an unknown one, or pays the wrong amount or currency is an anomaly, recorded with what
 *    the statement said (payer, IBAN, amount, remittance text).
 * A credit for an order whose workflow is not waiting yet leaves the others applied and fails the
 * run at the end (`RetryLaterError`), so that the retried run, which skips what took effect, finishes it.
 */
export async function processBankStatement(
  deps: BankStatementDeps,
  key: string,
  now: Date,
): Promise<BankStatementResult> {
  const file = await deps.files.read(key);
  const reading = readBankStatement(file.text);
  if (!reading.ok) {
    const rejectedKey = await deps.files.reject(file.key, reading.errors);
    return { status: 'rejected', key: file.key, rejectedKey, errors: reading.errors };
  }

  const { statement } = reading;
  const credits: StatementCreditOutcome[] = [];
  const notWaitingYet: string[] = [];
  for (const credit of statement.credits) {
    const event = paymentEventOf(statement, credit, file.key);
    try {
      const result = await registerPaymentEvent(deps, event, now);
      credits.push({
        eventId: event.id,
        ...(event.orderId ? { orderId: event.orderId } : {}),
        outcome: result.outcome,
        anomaly: result.anomaly,
      });
    } catch (error) {
      if (!(error instanceof RetryLaterError)) throw error;
      notWaitingYet.push(event.id);
    }
  }
  if (notWaitingYet.length > 0) {
    throw new RetryLaterError(
      `${notWaitingYet.length} credit(s) of ${file.key} are for orders not waiting for their payment yet (${notWaitingYet.join(', ')}); the statement is processed again later.`,
    );
  }
  return {
    status: 'applied',
    key: file.key,
    kind: statement.kind,
    messageId: statement.messageId,
    entries: statement.credits.length,
    // A credit that paid its order, or credited a reseller's top-up.
    matched: credits.filter((credit) => credit.outcome === 'paid' || credit.outcome === 'top_up_credited').length,
    anomalies: credits.filter((credit) => credit.anomaly).length,
    duplicates: credits.filter((credit) => credit.outcome === 'duplicate').length,
    skipped: statement.skipped,
    credits,
  };
}

/** A statement's credit as the payment event it registers: what a `credit.registered` webhook would say, and more. */
function paymentEventOf(statement: BankStatement, credit: StatementCredit, key: string): IncomingPaymentEvent {
  const orderId = credit.creditorReference ? orderIdOfReference(credit.creditorReference) : undefined;
  const knowsPayer = credit.payer.name !== undefined || credit.payer.iban !== undefined;
  return {
    id: credit.eventId,
    type: 'credit.registered',
    ...(orderId ? { orderId } : {}),
    amountCents: credit.amountCents,
    currency: credit.currency,
    occurredAt: credit.bookedAt,
    ...(knowsPayer ? { payer: credit.payer } : {}),
    source: {
      kind: statement.kind,
      version: statement.version,
      messageId: statement.messageId,
      file: key,
      account: credit.account,
      entryReference: credit.entryReference,
      remittance: credit.remittance,
      ...(credit.creditorReference ? { creditorReference: credit.creditorReference } : {}),
      ...(credit.endToEndId ? { endToEndId: credit.endToEndId } : {}),
    },
  };
}
