import { anyEvent, httpHandler } from '../adapters/http/http-handler.ts';
import { catalog } from '../domain/catalog.ts';

/** GET /catalog: domains, plans and prices, straight from the catalog data. */
export const handler = httpHandler(anyEvent, async () => ({
  status: 200,
  body: catalog,
  headers: { 'cache-control': 'public, max-age=300' },
}));
