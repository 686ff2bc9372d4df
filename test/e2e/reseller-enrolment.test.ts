import { describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.ts';
import { withLocalRuntime } from '../support/runtime.ts';
import { deliver, paymentEvent } from '../support/webhooks.ts';

/*
 * Reseller enrolment over HTTP: a company applies (public, rate-limited per IP), uploads its documents
 * through the presigned S3 forms it is given, an operator approves it (its key works at once; its
 * first deposit becomes its credit when the transfer is registered) or rejects it with a reason.
 */

const local = withLocalRuntime();
const operator = () => new ApiClient(local.runtime.url, 'ok_local_ops');
/** Applications accepted in this file: they count against the per-IP limit (5 an hour). */
let accepted = 0;

const application = (companyName: string, email: string) => ({
  company: {
    companyName,
    fiscalCode: '12345678903',
    vatNumber: '12345678903',
    residence: { street: 'Corso Italia 10', postalCode: '20122', city: 'Milano', province: 'MI' },
    phone: '02 1234567',
    email,
  },
  billing: { recipientCode: 'M5UXCR1' },
  documents: { adhesionForm: { contentType: 'application/pdf' }, identityDocument: { contentType: 'image/jpeg' } },
});

interface Form {
  url: string;
  fields: Record<string, string>;
  maxBytes: number;
}

async function apply(body: unknown) {
  const response = await local.api.post('/resellers', body, { apiKey: null });
  if (response.status === 202) accepted++;
  return response;
}

/** Uploads `bytes` through a presigned POST form, as a browser would: the fields, then the file. */
function upload(form: Form, bytes: Uint8Array<ArrayBuffer>, contentType = form.fields['Content-Type'] ?? '') {
  const data = new FormData();
  for (const [name, value] of Object.entries(form.fields))
    data.append(name, name === 'Content-Type' ? contentType : value);
  data.append('file', new Blob([bytes], { type: contentType }), 'document');
  return fetch(form.url, { method: 'POST', body: data });
}

const lastEmailTo = async (to: string) =>
  (await local.api.outbox()).filter((message) => message.to.includes(to)).at(-1);

describe('reseller enrolment', () => {
  it('enrols a company: documents uploaded through the forms, approved by an operator, credit after the first deposit', async () => {
    const applied = await apply(application('Rivendite Bianchi S.r.l.', 'rivendite@bianchi.example'));
    expect(applied.status).toBe(202);
    expect(applied.json).toMatchObject({ status: 'pending_documents', companyName: 'Rivendite Bianchi S.r.l.' });
    const { enrolmentId, uploads } = applied.json as { enrolmentId: string; uploads: Record<string, Form> };
    expect(Object.keys(uploads).sort()).toEqual(['adhesionForm', 'identityDocument']);
    expect(uploads.adhesionForm?.maxBytes).toBe(10 * 1024 * 1024);

    const adhesion = uploads.adhesionForm as Form;
    const pdf = new TextEncoder().encode('%PDF-1.7 modulo di adesione firmato');
    expect((await upload(adhesion, pdf, 'text/html')).status).toBe(403);
    expect((await upload(adhesion, new Uint8Array(adhesion.maxBytes + 1), 'application/pdf')).status).toBe(400);
    expect((await upload(adhesion, pdf)).status).toBe(204);
    expect((await upload(uploads.identityDocument as Form, new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).status).toBe(204);
    const documents = [...local.runtime.auditObjects().keys()].filter((key) => key.includes(enrolmentId));
    expect(documents.sort()).toEqual([
      `documents/enrolments/${enrolmentId}/adhesion-form`,
      `documents/enrolments/${enrolmentId}/identity-document`,
    ]);

    const path = `/operator/resellers/${enrolmentId}/approve`;
    expect((await local.api.post(path, {}, { apiKey: null })).status).toBe(401);
    expect((await local.api.post(path, {})).status).toBe(403);
    const approved = await operator().post(path, {});
    expect(approved.status).toBe(200);
    expect(approved.json).toMatchObject({
      enrolmentId,
      status: 'approved',
      resellerId: expect.any(String),
      apiKey: expect.stringMatching(/^rk_/),
      topUp: { amountCents: 20_000, totals: { grossCents: 24_400 }, status: 'pending' },
    });
    const again = await operator().post(path, {});
    expect(again.status).toBe(409);
    expect(again.json.code).toBe('enrolment_not_pending');

    const email = await lastEmailTo('rivendite@bianchi.example');
    expect(email?.text).toContain(approved.json.topUp.payment.reference);
    const audit = local.runtime.auditObjects();
    const entry = [...audit.entries()].find(([key]) =>
      key.startsWith(`orders/enrolment-${enrolmentId}/operator-approve`),
    );
    expect(JSON.parse(entry?.[1] ?? '{}')).toMatchObject({ detail: { operator: 'local-operator' } });

    const newReseller = new ApiClient(local.runtime.url, approved.json.apiKey);
    const before = await newReseller.get('/reseller/credit');
    expect(before.status).toBe(200);
    expect(before.json.balanceCents).toBe(0);
    const registered = await deliver(local.api, paymentEvent(approved.json.topUp.topUpId, 24_400));
    expect(registered.status).toBe(200);
    const after = await newReseller.get('/reseller/credit');
    expect(after.json.balanceCents).toBe(20_000);
    expect(after.json.movements).toContainEqual(expect.objectContaining({ kind: 'top_up', amountCents: 20_000 }));
  });

  it('rejects an enrolment with its reason, emailed to the applicant; decided once', async () => {
    const applied = await apply(application('Verdi Servizi S.p.A.', 'servizi@verdi.example'));
    expect(applied.status).toBe(202);
    const { enrolmentId } = applied.json;
    const rejected = await operator().post(`/operator/resellers/${enrolmentId}/reject`, {
      reason: 'Il modulo di adesione non è firmato.',
    });
    expect(rejected.status).toBe(200);
    expect(rejected.json).toMatchObject({ status: 'rejected', reason: 'Il modulo di adesione non è firmato.' });
    expect((await lastEmailTo('servizi@verdi.example'))?.text).toContain('Il modulo di adesione non è firmato.');
    const approve = await operator().post(`/operator/resellers/${enrolmentId}/approve`, {});
    expect(approve.status).toBe(409);
    const noReason = await operator().post(`/operator/resellers/${enrolmentId}/reject`, {});
    expect(noReason.status).toBe(400);
    expect(noReason.json.errors).toContainEqual(expect.objectContaining({ path: 'reason' }));
    expect((await operator().post('/operator/resellers/NOSUCHENROLMENT/approve', {})).status).toBe(404);
  });

  it('lists the enrolments awaiting a decision to operators, longest waiting first, a page at a time', async () => {
    const first = await apply(application('Gialli Rivendite S.r.l.', 'rivendite@gialli.example'));
    const second = await apply(application('Rossi Telematica S.r.l.', 'telematica@rossi.example'));
    expect([first.status, second.status]).toEqual([202, 202]);
    const waiting = [first.json.enrolmentId, second.json.enrolmentId];

    expect((await local.api.get('/operator/resellers?status=pending', { apiKey: null })).status).toBe(401);
    expect((await local.api.get('/operator/resellers?status=pending')).status).toBe(403);
    const noStatus = await operator().get('/operator/resellers');
    expect(noStatus.status).toBe(400);
    expect(noStatus.json.errors).toContainEqual(expect.objectContaining({ path: 'status' }));

    const page1 = await operator().get('/operator/resellers?status=pending&limit=1');
    expect(page1.status).toBe(200);
    expect(page1.json.items).toEqual([
      expect.objectContaining({
        enrolmentId: waiting[0],
        status: 'pending_documents',
        companyName: 'Gialli Rivendite S.r.l.',
      }),
    ]);
    expect(JSON.stringify(page1.json)).not.toContain('rivendite@gialli.example');
    const page2 = await operator().get(
      `/operator/resellers?status=pending&limit=1&cursor=${encodeURIComponent(page1.json.nextCursor)}`,
    );
    expect(page2.json.items.map((item: { enrolmentId: string }) => item.enrolmentId)).toEqual([waiting[1]]);
    expect(page2.json.nextCursor).toBeNull();
    const forged = await operator().get('/operator/resellers?status=pending&cursor=bm90LWEtY3Vyc29y');
    expect(forged.status).toBe(400);
    expect(forged.json.errors).toContainEqual(expect.objectContaining({ path: 'cursor' }));

    expect((await operator().post(`/operator/resellers/${waiting[0]}/approve`, {})).status).toBe(200);
    const after = await operator().get('/operator/resellers?status=pending');
    expect(after.json.items.map((item: { enrolmentId: string }) => item.enrolmentId)).toEqual([waiting[1]]);
  });

  it('refuses invalid company data and document types, naming each field', async () => {
    const body = application('Neri S.r.l.', 'neri@example.com');
    const refused = await apply({
      ...body,
      company: {
        ...body.company,
        vatNumber: '12345678901',
        residence: { ...body.company.residence, postalCode: '2012', province: 'XX' },
      },
      documents: { ...body.documents, identityDocument: { contentType: 'text/html' } },
    });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.json.errors.map((error: { path: string }) => error.path).sort()).toEqual([
      'company.residence.postalCode',
      'company.residence.province',
      'company.vatNumber',
      'documents.identityDocument.contentType',
    ]);
  });

  it('lets at most 5 applications an hour through from one address', async () => {
    let refused: Awaited<ReturnType<typeof apply>> | undefined;
    for (let attempt = 0; attempt < 6 && !refused; attempt++) {
      const response = await apply(application(`Applicant ${attempt} S.r.l.`, `applicant${attempt}@example.com`));
      if (response.status !== 202) refused = response;
    }
    expect(accepted).toBe(5);
    expect(refused?.status).toBe(429);
    expect(refused?.json.code).toBe('too_many_requests');
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
