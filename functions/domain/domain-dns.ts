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
