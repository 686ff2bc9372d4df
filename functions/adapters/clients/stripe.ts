import Stripe from 'stripe';

/**
 * Stripe clients (the official `stripe` package), one per secret key, created once and reused for
 * the life of the execution environment (a rotated key gets a client of its own). `apiUrl` points
 * them somewhere else than api.stripe.com: only a sandbox stage (the local runtime's Stripe
 * stand-in) sets it.
 *
 * Each request has its own short timeout and one network retry (the client retries a dropped
 * connection, 409 and 5xx with the request's idempotency key); the workflow's own retries do the rest.
 */
export function stripeClients(settings: { apiUrl?: string | undefined }): (secretKey: string) => Stripe {
  const clients = new Map<string, Stripe>();
  const url = settings.apiUrl ? new URL(settings.apiUrl) : undefined;
  return (secretKey) => {
    let client = clients.get(secretKey);
    if (!client) {
      client = new Stripe(secretKey, {
        maxNetworkRetries: 1,
        timeout: 10_000,
        telemetry: false,
        appInfo: { name: 'pec-provisioning' },
        ...(url
          ? {
              host: url.hostname,
              port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
              protocol: url.protocol === 'https:' ? 'https' : 'http',
            }
          : {}),
      });
      clients.set(secretKey, client);
    }
    return client;
  };
}
