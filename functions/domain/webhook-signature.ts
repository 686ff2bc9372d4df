import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far a signature's timestamp may be from now, either way. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export type SignatureCheck = { valid: true } | { valid: false; reason: string };

/** The `v1` signature of a payment webhook: hex HMAC-SHA256(secret, "<t>.<raw body>"). */
export function signPayload(secret: string, timestamp: number, rawBody: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
}

/** The `payment-signature` header a provider sends: `t=<unix seconds>,v1=<hex>`. */
export function signatureHeader(secret: string, timestamp: number, rawBody: string): string {
  return `t=${timestamp},v1=${signPayload(secret, timestamp, rawBody)}`;
}

/**
 * Checks a `payment-signature` header against the raw body: the timestamp must be within
 * {@link SIGNATURE_TOLERANCE_SECONDS} of `nowSeconds` (no replays of old deliveries), and one of its
 * `v1` signatures must match, compared in constant time. Several `v1` entries are accepted so a
 * provider can sign with the old and the new secret while it is being rotated.
 */
export function verifySignature(
  header: string | undefined,
  rawBody: string,
  secret: string,
  nowSeconds: number,
): SignatureCheck {
  if (!header) return { valid: false, reason: 'missing payment-signature header' };
  const parts = header.split(',').map((part) => part.trim().split('='));
  const timestamps = parts.filter(([key]) => key === 't').map(([, value]) => value ?? '');
  const signatures = parts.filter(([key]) => key === 'v1').map(([, value]) => value ?? '');
  if (timestamps.length !== 1 || !/^\d{1,12}$/.test(timestamps[0] ?? '')) {
    return { valid: false, reason: 'malformed timestamp' };
  }
  const timestamp = Number(timestamps[0]);
  if (Math.abs(nowSeconds - timestamp) > SIGNATURE_TOLERANCE_SECONDS) {
    return { valid: false, reason: 'timestamp outside the tolerance' };
  }
  const expected = Buffer.from(signPayload(secret, timestamp, rawBody), 'hex');
  const matches = signatures.some((signature) => {
    if (!/^[0-9a-f]{64}$/i.test(signature)) return false;
    return timingSafeEqual(Buffer.from(signature, 'hex'), expected);
  });
  return matches ? { valid: true } : { valid: false, reason: 'signature mismatch' };
}
