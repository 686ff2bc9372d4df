import { anyEvent, httpHandler } from '../adapters/http/http-handler.ts';
import { defineConfig, hostList } from '../config.ts';
import { catalog } from '../domain/catalog.ts';

const config = defineConfig({
  /** Comma-separated: the provider's mail exchangers, which a holder's own domain must point its MX records at. */
  PEC_MX_HOSTS: hostList,
});
const body = { ...catalog, domainPec: { mxHosts: config.PEC_MX_HOSTS } };

/** GET /catalog: domains, plans and prices, straight from the catalog data; the MX hosts for PEC on one's own domain. */
export const handler = httpHandler(anyEvent, async () => ({
  status: 200,
  body,
  headers: { 'cache-control': 'public, max-age=300' },
}));
