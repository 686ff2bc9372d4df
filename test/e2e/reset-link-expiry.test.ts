import { expect, it } from 'vitest';
import { emailsAbout, linkIn, mailboxWithPassword, setPassword, tokenOfLink } from '../support/holder.ts';
import { withLocalRuntime } from '../support/runtime.ts';

// A runtime whose password-reset links expire after 1 second instead of an hour.
const local = withLocalRuntime({ context: { 'pec:passwordResetTokenTtlSeconds': 1 } });

it('an expired password-reset link is 410 and changes nothing', async () => {
  const address = await mailboxWithPassword(local.api, 'Sole-Luna-2026!');
  expect((await local.api.post('/password-reset', { address }, { apiKey: null })).status).toBe(202);
  const [email] = (await emailsAbout(local.api, address)).filter((m) => m.subject.startsWith('Reimposta'));
  const token = tokenOfLink(linkIn(email));

  await new Promise((resolve) => setTimeout(resolve, 1500)); // past the 1-second lifetime
  const late = await setPassword(local.api, token, 'Nuova-Frase-Sicura-7?');

  expect(late.status).toBe(410);
  expect(late.json).toMatchObject({ code: 'token_gone', detail: 'This link has expired.' });
  // The link stays refused, and a new one can be asked for.
  expect((await setPassword(local.api, token, 'Nuova-Frase-Sicura-7?')).status).toBe(410);
  expect((await local.api.post('/password-reset', { address }, { apiKey: null })).status).toBe(202);
});
