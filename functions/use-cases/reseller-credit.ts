import { ResellerOnlyError } from '../domain/errors.ts';
import { toPublicMovement } from '../domain/reseller-credit.ts';
import type { ResellerCredit, ResellerCreditQuery, ResellerSettingsRequest } from '../domain/schemas.ts';
import { readCursor, writeCursor } from './lists.ts';
import type { ResellerRepository } from './ports.ts';

/*
 * A reseller's own view of its credit. A storefront's key is refused with 403 `reseller_only`: the
 * key is valid but the route is not for it (nothing here names a resource another caller owns, so
 * the 404 that hides another storefront's order does not apply).
 */

/** The cursor's list: a movements cursor is valid only for this list, and only for the reseller it was given to. */
const CREDIT_LIST = { list: 'credit' };

/** GET /reseller/credit: the balance, and a page of movements newest first. */
export async function resellerCredit(
  resellers: Pick<ResellerRepository, 'get' | 'movements'>,
  resellerId: string,
  query: ResellerCreditQuery,
): Promise<ResellerCredit> {
  const after = readCursor(query.cursor, resellerId, CREDIT_LIST);
  const reseller = await resellers.get(resellerId);
  if (!reseller) throw new ResellerOnlyError();
  const page = await resellers.movements(resellerId, { limit: query.limit, ...(after ? { after } : {}) });
  return {
    balanceCents: reseller.balanceCents,
    lowBalanceThresholdCents: reseller.lowBalanceThresholdCents,
    movements: page.items.map(toPublicMovement),
    nextCursor: page.next ? writeCursor(resellerId, CREDIT_LIST, page.next) : null,
  };
}

/** PUT /reseller/settings: the low-balance threshold; a threshold now at or below the balance lets the next crossing email again. */
export async function updateResellerSettings(
  resellers: Pick<ResellerRepository, 'setLowBalanceThreshold' | 'rearmLowBalanceNotice'>,
  resellerId: string,
  settings: ResellerSettingsRequest,
) {
  const updated = await resellers.setLowBalanceThreshold(resellerId, settings.lowBalanceThresholdCents);
  if (!updated) throw new ResellerOnlyError();
  await resellers.rearmLowBalanceNotice(resellerId);
  return { balanceCents: updated.balanceCents, lowBalanceThresholdCents: updated.lowBalanceThresholdCents };
}
