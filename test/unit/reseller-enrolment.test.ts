import { describe, expect, it } from 'vitest';
import {
  APPROVAL_CLAIM_SECONDS,
  approvalStep,
  newEnrolment,
  OPENING_DEPOSIT_CENTS,
} from '../../functions/domain/reseller-enrolment.ts';
import { EnrolmentRequestSchema } from '../../functions/domain/schemas.ts';
import { approveEnrolment, rejectEnrolment } from '../../functions/use-cases/reseller-enrolment.ts';
import {
  InMemoryApiKeys,
  InMemoryEnrolmentRepository,
  InMemoryMailboxRepository,
  InMemoryOrderRepository,
  InMemoryResellerRepository,
  RecordingAuditLog,
  RecordingResellerNotifier,
} from '../support/fakes.ts';

/*
 * Approving an enrolment takes several writes outside one transaction (a key in API Gateway, the
 * reseller and its first top-up in DynamoDB): claimed first, each step idempotent, so racing
 * decisions and a retried approval that stopped half-way leave one key, one reseller, one top-up.
 */

const now = new Date('2026-11-23T09:00:00.000Z');
const later = (seconds: number) => new Date(now.getTime() + seconds * 1000);

const request = EnrolmentRequestSchema.parse({
  company: {
    companyName: 'Rivendite Bianchi S.r.l.',
    fiscalCode: '12345678903',
    vatNumber: '12345678903',
    residence: { street: 'Corso Italia 10', postalCode: '20122', city: 'Milano', province: 'MI' },
    phone: '02 1234567',
    email: 'rivendite@bianchi.example',
  },
  billing: { recipientCode: 'M5UXCR1' },
  documents: { adhesionForm: { contentType: 'application/pdf' }, identityDocument: { contentType: 'image/jpeg' } },
});

async function setUp() {
  const enrolments = new InMemoryEnrolmentRepository();
  const resellers = new InMemoryResellerRepository(new InMemoryOrderRepository(), new InMemoryMailboxRepository());
  const apiKeys = new InMemoryApiKeys();
  const audit = new RecordingAuditLog();
  const notifier = new RecordingResellerNotifier();
  const enrolment = newEnrolment(request, 'ENROLMENT0001', now);
  await enrolments.create(enrolment);
  const deps = { enrolments, resellers, apiKeys, audit, notifier };
  const approve = (operator: string, at = now, overrides: Partial<typeof deps> = {}) =>
    approveEnrolment({ ...deps, ...overrides }, { enrolmentId: enrolment.enrolmentId, operator }, { now: at });
  const reject = (operator: string, at = now) =>
    rejectEnrolment(deps, { enrolmentId: enrolment.enrolmentId, operator, reason: 'Modulo non firmato.' }, at);
  return { ...deps, enrolment, approve, reject };
}

const codeOf = (result: PromiseSettledResult<unknown>) =>
  result.status === 'rejected' ? (result.reason as { code?: string }).code : 'ok';

describe('enrolment approval (domain)', () => {
  it('claims a pending enrolment, resumes a stale claim, waits on a fresh one, refuses a decided one', () => {
    const claimedAt = now.toISOString();
    expect(approvalStep({ status: 'pending_documents' }, now)).toBe('claim');
    expect(approvalStep({ status: 'approving', approvingAt: claimedAt }, later(APPROVAL_CLAIM_SECONDS - 1))).toBe(
      'wait',
    );
    expect(approvalStep({ status: 'approving', approvingAt: claimedAt }, later(APPROVAL_CLAIM_SECONDS))).toBe('resume');
    expect(approvalStep({ status: 'approved' }, now)).toBe('refuse');
    expect(approvalStep({ status: 'rejected' }, now)).toBe('refuse');
  });
});

describe('enrolment approval (use case)', () => {
  it('approves once: the key, the reseller with an empty ledger, the opening top-up, then approved', async () => {
    const { approve, apiKeys, resellers, enrolments, enrolment, notifier } = await setUp();
    const approved = await approve('ops-anna');
    expect(apiKeys.keys).toEqual([{ id: 'key-1', name: `reseller-${enrolment.enrolmentId}`, value: 'rk_test_1' }]);
    expect(approved).toMatchObject({ status: 'approved', resellerId: 'key-1', apiKey: 'rk_test_1' });
    expect(resellers.resellers.get('key-1')?.balanceCents).toBe(0);
    expect([...resellers.topUps.values()]).toEqual([
      expect.objectContaining({ resellerId: 'key-1', amountCents: OPENING_DEPOSIT_CENTS, status: 'pending' }),
    ]);
    expect(await enrolments.get(enrolment.enrolmentId)).toMatchObject({
      status: 'approved',
      approvingBy: 'ops-anna',
      decidedBy: 'ops-anna',
      openingTopUpId: approved.topUp?.topUpId,
    });
    expect(notifier.enrolmentEmails).toEqual([{ kind: 'approved', to: 'rivendite@bianchi.example' }]);
    await expect(approve('ops-anna', later(3600))).rejects.toMatchObject({ code: 'enrolment_not_pending' });
  });

  it('lets one of two concurrent approvals through: one key, the other answered 409', async () => {
    const { approve, apiKeys, resellers } = await setUp();
    const results = await Promise.allSettled([approve('ops-anna'), approve('ops-bruno')]);
    expect(results.map(codeOf).sort()).toEqual(['enrolment_being_approved', 'ok']);
    expect(apiKeys.keys).toHaveLength(1);
    expect(resellers.resellers.size).toBe(1);
    expect(resellers.topUps.size).toBe(1);
  });

  it('decides an approval racing a rejection one way only', async () => {
    for (const approvalFirst of [true, false]) {
      const { approve, reject, apiKeys, resellers, enrolments, enrolment } = await setUp();
      const racing = approvalFirst
        ? [approve('ops-anna'), reject('ops-bruno')]
        : [reject('ops-bruno'), approve('ops-anna')];
      const [first, second] = await Promise.allSettled(racing);
      expect(codeOf(first as PromiseSettledResult<unknown>)).toBe('ok');
      const stored = await enrolments.get(enrolment.enrolmentId);
      if (approvalFirst) {
        expect(codeOf(second as PromiseSettledResult<unknown>)).toBe('enrolment_being_approved');
        expect(stored?.status).toBe('approved');
        expect(apiKeys.keys).toHaveLength(1);
      } else {
        expect(codeOf(second as PromiseSettledResult<unknown>)).toBe('enrolment_not_pending');
        expect(stored?.status).toBe('rejected');
        expect(apiKeys.keys).toHaveLength(0);
        expect(resellers.resellers.size).toBe(0);
      }
    }
  });

  it('refuses to reject an enrolment being approved', async () => {
    const { approve, reject, enrolments, enrolment, resellers } = await setUp();
    const crash = {
      enrol: () => Promise.reject(new Error('the function timed out')),
      createTopUp: resellers.createTopUp.bind(resellers),
      getTopUp: resellers.getTopUp.bind(resellers),
    };
    await expect(approve('ops-anna', now, { resellers: crash as unknown as typeof resellers })).rejects.toThrow(
      'timed out',
    );
    expect((await enrolments.get(enrolment.enrolmentId))?.status).toBe('approving');
    await expect(reject('ops-bruno', later(3600))).rejects.toMatchObject({ code: 'enrolment_being_approved' });
  });

  it('finishes an approval that stopped after the key was created: same key, one reseller, one top-up', async () => {
    const { approve, apiKeys, resellers, enrolments, enrolment, notifier } = await setUp();
    let crashes = 1;
    const crashing = {
      enrol: (...args: Parameters<typeof resellers.enrol>) =>
        crashes-- > 0 ? Promise.reject(new Error('the function timed out')) : resellers.enrol(...args),
      createTopUp: resellers.createTopUp.bind(resellers),
      getTopUp: resellers.getTopUp.bind(resellers),
    };
    await expect(approve('ops-anna', now, { resellers: crashing as unknown as typeof resellers })).rejects.toThrow(
      'timed out',
    );
    expect(apiKeys.keys).toHaveLength(1);
    // Within the claim, a second approval could still be racing the first: refused, nothing created.
    await expect(approve('ops-bruno', later(APPROVAL_CLAIM_SECONDS - 1))).rejects.toMatchObject({
      code: 'enrolment_being_approved',
    });
    const first = await approve('ops-bruno', later(APPROVAL_CLAIM_SECONDS), {
      resellers: crashing as unknown as typeof resellers,
    });
    expect(first).toMatchObject({ status: 'approved', resellerId: 'key-1', apiKey: 'rk_test_1' });
    expect(apiKeys.keys).toHaveLength(1);
    expect([...resellers.resellers.keys()]).toEqual(['key-1']);
    expect(resellers.topUps.size).toBe(1);
    expect(notifier.enrolmentEmails).toHaveLength(1);
    expect((await enrolments.get(enrolment.enrolmentId))?.decidedBy).toBe('ops-bruno');
  });

  it('finishes an approval that stopped after the top-up: the same top-up answered, not a second', async () => {
    const { approve, resellers, audit, enrolment } = await setUp();
    const crashingAudit = { record: () => Promise.reject(new Error('S3 is unavailable')) };
    await expect(approve('ops-anna', now, { audit: crashingAudit as unknown as typeof audit })).rejects.toThrow(
      'S3 is unavailable',
    );
    const [stored] = [...resellers.topUps.values()];
    const resumed = await approve('ops-anna', later(APPROVAL_CLAIM_SECONDS));
    expect(resumed.topUp).toMatchObject({ topUpId: stored?.topUpId, createdAt: now.toISOString() });
    expect(resellers.topUps.size).toBe(1);
    expect(audit.eventsOf(`enrolment-${enrolment.enrolmentId}`)).toEqual(['operator-approve']);
  });
});
