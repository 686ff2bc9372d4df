import { anyEvent, httpHandler } from '../adapters/http/http-handler.ts';
import { buildOpenApiDocument } from '../adapters/http/openapi.ts';

const document = buildOpenApiDocument();

/** GET /openapi.json: the OpenAPI 3.1 document, generated from the schemas that validate requests. */
export const handler = httpHandler(anyEvent, async () => ({ status: 200, body: document }));
