import { xmlEscape } from '../../local/aws/http-util.ts';

/**
 * Bank statement files for tests that need references only known at run time (an order's RF
 * reference): a camt.054.001.08 notification laid out as the fixtures in test/fixtures/camt/ are,
 * one entry per credit (or a batch booking of several), as an Italian bank sends it.
 */

export interface CamtTransaction {
  /** The bank's reference of the transaction (`TxDtls/Refs/AcctSvcrRef`), for a batch booking. */
  bankRef?: string;
  amountCents: number;
  currency?: string;
  /** An RF reference, given as structured remittance information (`Strd/CdtrRefInf/Ref`). */
  structured?: string;
  /** Free text (`Ustrd`), where a payer may have typed the reference. */
  unstructured?: string;
  payer?: { name: string; iban?: string };
}

export interface CamtEntry {
  /** The bank's reference of the entry (`Ntry/AcctSvcrRef`): what makes a credit the same credit. */
  bankRef: string;
  /** One transaction, or several (a batch booking, whose entry amount is their sum). */
  transactions: CamtTransaction[];
}

const amount = (cents: number) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;

function transactionXml(tx: CamtTransaction): string {
  const ccy = tx.currency ?? 'EUR';
  const parties = tx.payer
    ? `<RltdPties><Dbtr><Pty><Nm>${xmlEscape(tx.payer.name)}</Nm></Pty></Dbtr>${
        tx.payer.iban ? `<DbtrAcct><Id><IBAN>${tx.payer.iban}</IBAN></Id></DbtrAcct>` : ''
      }</RltdPties>`
    : '';
  const unstructured = tx.unstructured === undefined ? '' : `<Ustrd>${xmlEscape(tx.unstructured)}</Ustrd>`;
  const structured =
    tx.structured === undefined
      ? ''
      : `<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>ISO</Issr></Tp><Ref>${xmlEscape(
          tx.structured,
        )}</Ref></CdtrRefInf></Strd>`;
  const remittance = unstructured || structured ? `<RmtInf>${unstructured}${structured}</RmtInf>` : '';
  return `
          <TxDtls>
            <Refs>${tx.bankRef ? `<AcctSvcrRef>${tx.bankRef}</AcctSvcrRef>` : ''}<EndToEndId>NOTPROVIDED</EndToEndId></Refs>
            <Amt Ccy="${ccy}">${amount(tx.amountCents)}</Amt>
            <CdtDbtInd>CRDT</CdtDbtInd>
            ${parties}
            ${remittance}
          </TxDtls>`;
}

function entryXml(entry: CamtEntry, index: number): string {
  const total = entry.transactions.reduce((sum, tx) => sum + tx.amountCents, 0);
  const ccy = entry.transactions[0]?.currency ?? 'EUR';
  const batch =
    entry.transactions.length > 1
      ? `<Btch><NbOfTxs>${entry.transactions.length}</NbOfTxs><TtlAmt Ccy="${ccy}">${amount(total)}</TtlAmt><CdtDbtInd>CRDT</CdtDbtInd></Btch>`
      : '';
  return `
      <Ntry>
        <NtryRef>${index + 1}</NtryRef>
        <Amt Ccy="${ccy}">${amount(total)}</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <RvslInd>false</RvslInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2026-11-22</Dt></BookgDt>
        <ValDt><Dt>2026-11-22</Dt></ValDt>
        <AcctSvcrRef>${entry.bankRef}</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls>${batch}${entry.transactions.map(transactionXml).join('')}
        </NtryDtls>
      </Ntry>`;
}

/** A camt.054.001.08 notification of these credit entries to the local beneficiary account. */
export function camt054(entries: CamtEntry[], messageId = `CAMT054-${Date.now()}`): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <BkToCstmrDbtCdtNtfctn>
    <GrpHdr>
      <MsgId>${messageId}</MsgId>
      <CreDtTm>2026-11-22T11:05:31+01:00</CreDtTm>
    </GrpHdr>
    <Ntfctn>
      <Id>${messageId}-1</Id>
      <CreDtTm>2026-11-22T11:05:31+01:00</CreDtTm>
      <Acct><Id><IBAN>IT60X0542811101000000123456</IBAN></Id><Ccy>EUR</Ccy></Acct>${entries.map(entryXml).join('')}
    </Ntfctn>
  </BkToCstmrDbtCdtNtfctn>
</Document>
`;
}

let counter = 0;
/** A bank reference no other test uses (an entry's identity is its bank reference). */
export const bankRef = () => `26112200${process.pid}${String(++counter).padStart(6, '0')}`;
