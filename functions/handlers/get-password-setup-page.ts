import { httpHandler, withQuery } from '../adapters/http/http-handler.ts';
import { passwordSetupPage } from '../adapters/http/password-setup-page.ts';
import { PasswordSetupPageQuerySchema } from '../domain/schemas.ts';

/** GET /password-setup?token=...: the page the emailed links open (HTML, in Italian); it reads nothing. */
export const handler = httpHandler(withQuery(PasswordSetupPageQuerySchema), async (event) => {
  const { html, headers } = passwordSetupPage(event.queryStringParameters.token);
  return { status: 200, html, headers };
});
