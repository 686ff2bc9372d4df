/**
 * PEC on the holder's own domain can be activated only once the domain's mail goes to the provider:
 * at least one MX record, and every MX record one of the provider's mail exchangers (a domain whose
 * mail is split between two providers would lose certified messages).
 */
export function mxPointsAtProvider(
  records: readonly { exchange: string }[],
  providerHosts: readonly string[],
): boolean {
  const normalize = (host: string) => host.trim().toLowerCase().replace(/\.$/, '');
  const ours = new Set(providerHosts.map(normalize));
  return records.length > 0 && records.every((record) => ours.has(normalize(record.exchange)));
}

/** How often a holder's domain is checked while the workflow waits for its MX records. */
export interface DnsPollPolicy {
  /** The wait after the first check that finds the records missing. */
  firstSeconds: number;
  /** The longest wait between two checks: each wait doubles the one before, up to this. */
  maxSeconds: number;
}

/**
 * The wait before the next check of a holder's domain: `firstSeconds` after the first check, then
 * double the previous wait, up to `maxSeconds` (checking often while the holder is likely setting
 * the records, seldom once days have passed: a 72-hour wait costs a few dozen checks, and a holder
 * who sets the records asks for a check at once with `POST /mailboxes/{address}/dns-check`). Never
 * longer than what is left before the deadline, so the order fails at its deadline, not a wait later.
 *
 * @param previousSeconds the wait before the check that was just made; undefined after the first check.
 * @param secondsLeft until the deadline.
 * @returns whole seconds, at least 1 (what Step Functions takes as a timeout).
 */
export function nextDnsPollSeconds(
  previousSeconds: number | undefined,
  policy: DnsPollPolicy,
  secondsLeft: number,
): number {
  const backoff =
    previousSeconds === undefined ? policy.firstSeconds : Math.min(previousSeconds * 2, policy.maxSeconds);
  return Math.max(1, Math.ceil(Math.min(backoff, secondsLeft)));
}
