import { createHash } from 'node:crypto';
import { isWellFormedToken } from '../../domain/access-links.ts';
import {
  breaksCheck,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  PASSWORD_RULES,
  type PasswordRuleId,
} from '../../domain/password-policy.ts';

/*
 * The page the emailed links open (GET /password-setup?token=...): one HTML document in Italian, no
 * framework, its style and script inline and allowed by their hashes in the Content-Security-Policy.
 * It lists the password rules of `domain/password-policy.ts` and checks them as the holder types
 * with the policy's own `breaksCheck` (its source is embedded), posts `{ token, password }` to
 * POST /password-setup on the same path, and explains every answer; a link that no longer works
 * offers the password reset (POST /password-reset) and says where to get a new first-access link.
 */

/** How each rule of the policy reads on the page; a new rule without its wording does not compile. */
const RULE_TEXT: Record<PasswordRuleId, string> = {
  minLength: `Almeno ${PASSWORD_MIN_LENGTH} caratteri`,
  maxLength: `Al massimo ${PASSWORD_MAX_LENGTH} caratteri`,
  lowerCase: 'Almeno una lettera minuscola',
  upperCase: 'Almeno una lettera maiuscola',
  digit: 'Almeno una cifra',
  symbol: 'Almeno un simbolo, per esempio ! ? - _ @ #',
  edgeSpace: "Nessuno spazio all'inizio o alla fine",
  controlCharacters: 'Nessun carattere di controllo (tabulazioni, a capo)',
  addressPart: "Nessuna parte dell'indirizzo della casella, come il nome prima della @ (lo controlliamo all'invio)",
};

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** JSON that can sit inside a script element (no `</script>`, no HTML comment opener). */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

const STYLE = `
:root { color-scheme: light; --text: #1f1f1f; --muted: #474747; --accent: #0b57d0; --accent-dark: #0842a0;
  --error: #b3261e; --error-bg: #fdecea; --ok: #146c2e; --ok-bg: #e6f4ea; --info-bg: #eef3fd; --border: #5f6368; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: var(--text);
  font: 1.0625rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 34rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.5rem; line-height: 1.25; margin: 0 0 1rem; }
h2 { font-size: 1.25rem; line-height: 1.3; margin: 1.5rem 0 .5rem; }
h3 { font-size: 1.0625rem; line-height: 1.3; margin: 1.25rem 0 .5rem; }
p { margin: 0 0 1rem; }
.lead { color: var(--muted); }
.field { margin-bottom: 1rem; }
label { display: block; font-weight: 600; margin-bottom: .25rem; }
input[type=password], input[type=text], input[type=email] { width: 100%; font: inherit; color: var(--text);
  background: #fff; padding: .65rem .75rem; border: 2px solid var(--border); border-radius: .375rem; }
input[aria-invalid=true] { border-color: var(--error); }
.hint { font-size: .9375rem; color: var(--muted); margin: .25rem 0 0; min-height: 1.4em; }
.hint.bad { color: var(--error); }
.hint.good { color: var(--ok); }
.check { display: flex; align-items: center; gap: .5rem; margin-bottom: 1rem; }
.check input { width: 1.25rem; height: 1.25rem; margin: 0; accent-color: var(--accent); }
.check label { display: inline; font-weight: 400; margin: 0; }
#rules { list-style: none; padding: 0; margin: 0 0 1.5rem; }
#rules li { display: flex; gap: .5rem; padding: .15rem 0; }
.mark { flex: none; width: 1.25rem; text-align: center; font-weight: 700; }
#rules li[data-state=met] { color: var(--ok); }
#rules li[data-state=unmet] { color: var(--error); }
button { width: 100%; min-height: 2.75rem; font: inherit; font-weight: 600; padding: .65rem 1.25rem; border: 0;
  border-radius: .375rem; background: var(--accent); color: #fff; cursor: pointer;
  -webkit-tap-highlight-color: transparent; }
button:hover, button:active { background: var(--accent-dark); }
button:disabled { background: var(--border); cursor: progress; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 3px; }
input:focus-visible { outline-offset: 1px; }
h1:focus, h2:focus { outline: none; }
.message:empty { display: none; }
.message { border-left: 4px solid; border-radius: .25rem; padding: .75rem 1rem; margin: 0 0 1rem; }
.message.error { border-color: var(--error); background: var(--error-bg); color: #8c1d18; }
.message.success { border-color: var(--ok); background: var(--ok-bg); color: #0d5224; }
.message.info { border-color: var(--accent); background: var(--info-bg); color: #0a3d8f; }
.message p { margin: 0; }
.message ul { margin: .5rem 0 0; padding-left: 1.25rem; }
.steps { padding-left: 1.25rem; }
.steps li { margin-bottom: .5rem; }
.vh { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
[hidden] { display: none !important; }
`;

/** The rules as the script needs them: what to check, the API's sentence, the page's wording. */
const PAGE_RULES = PASSWORD_RULES.map((rule) => ({ id: rule.id, check: rule.check, problem: rule.problem }));

const SCRIPT = `
(() => {
  'use strict';
  const RULES = ${scriptJson(PAGE_RULES)};
  const breaksCheck = ${breaksCheck.toString()};
  const byId = (id) => document.getElementById(id);
  const token = byId('token') ? byId('token').value : '';
  const form = byId('password-form');
  const password = byId('password');
  const confirm = byId('confirm');
  const submit = byId('submit');
  const message = byId('message');
  const ruleItems = new Map(Array.from(document.querySelectorAll('#rules li'), (li) => [li.dataset.rule, li]));
  const ruleText = (id) => ruleItems.get(id).querySelector('.text').textContent;
  const STATE_TEXT = { met: ' (rispettata)', unmet: ' (non rispettata)', pending: '' };

  function say(kind, text, items) {
    message.className = 'message ' + kind;
    message.replaceChildren();
    const paragraph = document.createElement('p');
    paragraph.textContent = text;
    message.append(paragraph);
    if (items && items.length > 0) {
      const list = document.createElement('ul');
      for (const item of items) {
        const li = document.createElement('li');
        li.textContent = item;
        list.append(li);
      }
      message.append(list);
    }
  }
  function quiet() {
    message.className = 'message';
    message.replaceChildren();
  }
  function mark(li, state) {
    li.dataset.state = state;
    li.querySelector('.mark').textContent = state === 'met' ? '✓' : state === 'unmet' ? '✗' : '•';
    li.querySelector('.state').textContent = STATE_TEXT[state];
  }
  /** The rules the browser can check (all but the address rule) that the password breaks. */
  const broken = (value) => RULES.filter((rule) => rule.check.kind !== 'addressPart' && breaksCheck(rule.check, value));
  function showRules() {
    const value = password.value;
    const failing = new Set(broken(value).map((rule) => rule.id));
    for (const rule of RULES) {
      if (rule.check.kind === 'addressPart') continue;
      mark(ruleItems.get(rule.id), value === '' ? 'pending' : failing.has(rule.id) ? 'unmet' : 'met');
    }
    mark(ruleItems.get('addressPart'), 'pending');
    password.removeAttribute('aria-invalid');
  }
  function showMatch() {
    const hint = byId('confirm-hint');
    if (confirm.value === '') {
      hint.className = 'hint';
      hint.textContent = '';
    } else if (confirm.value === password.value) {
      hint.className = 'hint good';
      hint.textContent = 'Le due password coincidono.';
    } else {
      hint.className = 'hint bad';
      hint.textContent = 'Le due password non coincidono ancora.';
    }
    confirm.removeAttribute('aria-invalid');
  }
  function showSection(id) {
    for (const section of document.querySelectorAll('main > section')) section.hidden = section.id !== id;
    const heading = byId(id).querySelector('h2');
    heading.focus();
  }
  function showGone(reason) {
    quiet();
    byId('gone-reason').textContent =
      reason === 'unknown'
        ? "Questo link non è valido: controlla di aver aperto per intero il link dell'ultima email ricevuta."
        : 'Questo link non è più valido: è già stato usato, è scaduto oppure ne è stato inviato uno più recente.';
    byId('gone-title').textContent = reason === 'unknown' ? 'Link non valido' : 'Link non più valido';
    showSection('gone');
  }
  async function post(path, body) {
    return fetch(new URL(path, location.href), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }
  const problemOf = async (response) => {
    try {
      return await response.json();
    } catch {
      return {};
    }
  };

  if (form) {
    password.addEventListener('input', () => {
      showRules();
      if (confirm.value !== '') showMatch();
    });
    confirm.addEventListener('input', showMatch);
    byId('show').addEventListener('change', (event) => {
      const type = event.target.checked ? 'text' : 'password';
      password.type = type;
      confirm.type = type;
    });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const value = password.value;
      const failing = broken(value);
      if (failing.length > 0) {
        showRules();
        password.setAttribute('aria-invalid', 'true');
        say('error', 'La password non rispetta ancora queste regole:', failing.map((rule) => ruleText(rule.id)));
        password.focus();
        return;
      }
      if (confirm.value !== value) {
        showMatch();
        confirm.setAttribute('aria-invalid', 'true');
        say('error', 'Le due password non coincidono: scrivi la stessa password in entrambi i campi.');
        confirm.focus();
        return;
      }
      submit.disabled = true;
      say('info', 'Invio in corso…');
      let response;
      try {
        response = await post('password-setup', { token, password: value });
      } catch {
        submit.disabled = false;
        say('error', 'Non è stato possibile contattare il servizio. Controlla la connessione e riprova.');
        return;
      }
      submit.disabled = false;
      if (response.status === 204) {
        password.value = '';
        confirm.value = '';
        quiet();
        showSection('done');
      } else if (response.status === 400) {
        const problem = await problemOf(response);
        const refused = (problem.errors || []).filter((error) => error.path === 'password').map((error) => error.message);
        const named = RULES.filter((rule) =>
          refused.some((text) => text.startsWith(rule.problem.split('{part}')[0])),
        );
        for (const rule of named) mark(ruleItems.get(rule.id), 'unmet');
        password.setAttribute('aria-invalid', 'true');
        say(
          'error',
          'La password non è stata accettata perché non rispetta queste regole:',
          named.length > 0 ? named.map((rule) => ruleText(rule.id)) : refused,
        );
        password.focus();
      } else if (response.status === 404) {
        showGone('unknown');
      } else if (response.status === 410) {
        showGone('gone');
      } else {
        say('error', 'Si è verificato un problema dal nostro lato e la password non è stata impostata. Riprova tra qualche minuto.');
      }
    });
  }

  const resetForm = byId('reset-form');
  const resetAddress = byId('reset-address');
  const resetMessage = byId('reset-message');
  const resetSay = (kind, text) => {
    resetMessage.className = 'message ' + kind;
    resetMessage.textContent = text;
  };
  resetForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const address = resetAddress.value.trim();
    if (!/^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$/.test(address)) {
      resetAddress.setAttribute('aria-invalid', 'true');
      resetSay('error', "Scrivi l'indirizzo completo della casella PEC, nella forma nome@dominio.");
      resetAddress.focus();
      return;
    }
    resetAddress.removeAttribute('aria-invalid');
    const button = byId('reset-submit');
    button.disabled = true;
    let response;
    try {
      response = await post('password-reset', { address });
    } catch {
      button.disabled = false;
      resetSay('error', 'Non è stato possibile contattare il servizio. Controlla la connessione e riprova.');
      return;
    }
    button.disabled = false;
    if (response.status === 202) {
      resetSay(
        'success',
        "Richiesta ricevuta. Se l'indirizzo è di una casella PEC con la password già impostata, abbiamo inviato all'email di riferimento del titolare un link per sceglierne una nuova: vale un'ora e si può usare una sola volta.",
      );
    } else if (response.status === 400) {
      resetAddress.setAttribute('aria-invalid', 'true');
      resetSay('error', "Questo indirizzo non è valido: controlla di averlo scritto per intero, nella forma nome@dominio.");
      resetAddress.focus();
    } else if (response.status === 429) {
      const seconds = Number(response.headers.get('retry-after')) || 3600;
      const hours = Math.ceil(seconds / 3600);
      resetSay(
        'error',
        'Per questo indirizzo sono già state fatte troppe richieste. Riprova tra ' +
          (hours > 1 ? 'circa ' + hours + ' ore.' : "meno di un'ora."),
      );
    } else {
      resetSay('error', 'Si è verificato un problema dal nostro lato. Riprova tra qualche minuto.');
    }
  });
})();
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * What the page may load and do: only its own inline style and script (by hash), requests to its
 * own origin, no framing; the token in its URL is never sent on as a Referer.
 */
const HEADERS = {
  'content-security-policy': [
    "default-src 'none'",
    `script-src ${sha256(SCRIPT)}`,
    `style-src ${sha256(STYLE)}`,
    "connect-src 'self'",
    // The empty icon of the page (`data:,`), so that the browser asks for no favicon.
    'img-src data:',
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

const ruleItem = (id: PasswordRuleId) =>
  `<li data-rule="${id}" data-state="pending"><span class="mark" aria-hidden="true">•</span>` +
  `<span><span class="text">${escapeHtml(RULE_TEXT[id])}</span><span class="state vh"></span></span></li>`;

const setupSection = (token: string) => `
<section id="setup" aria-labelledby="setup-title">
  <h2 id="setup-title" tabindex="-1">Scegli la password</h2>
  <p class="lead">Con questa password accederai alla tua casella di posta elettronica certificata. Il link che hai aperto si può usare una sola volta.</p>
  <form id="password-form" novalidate>
    <input type="hidden" id="token" value="${escapeHtml(token)}">
    <div class="field">
      <label for="password">Nuova password</label>
      <input id="password" name="password" type="password" autocomplete="new-password" spellcheck="false" autocapitalize="off" aria-describedby="rules" required>
    </div>
    <div class="field">
      <label for="confirm">Ripeti la nuova password</label>
      <input id="confirm" name="confirm" type="password" autocomplete="new-password" spellcheck="false" autocapitalize="off" aria-describedby="confirm-hint" required>
      <p id="confirm-hint" class="hint"></p>
    </div>
    <div class="check">
      <input id="show" type="checkbox">
      <label for="show">Mostra le password</label>
    </div>
    <h3 id="rules-title">Regole per la password</h3>
    <ul id="rules">${PASSWORD_RULES.map((rule) => ruleItem(rule.id)).join('')}</ul>
    <button id="submit" type="submit">Imposta la password</button>
  </form>
</section>
<section id="done" aria-labelledby="done-title" hidden>
  <h2 id="done-title" tabindex="-1">Password impostata</h2>
  <p class="message success">La password della tua casella PEC è stata impostata.</p>
  <p>Da ora accedi alla casella con il suo indirizzo e la nuova password, dalla webmail del tuo fornitore o dal tuo programma di posta. Puoi chiudere questa pagina.</p>
</section>`;

const goneSection = (invalid: boolean) => `
<section id="gone" aria-labelledby="gone-title"${invalid ? '' : ' hidden'}>
  <h2 id="gone-title" tabindex="-1">Link non valido</h2>
  <p id="gone-reason">${
    invalid
      ? "Il link che hai aperto non è completo o non è valido: controlla di aver aperto per intero il link dell'ultima email ricevuta."
      : ''
  }</p>
  <h3>Cosa puoi fare</h3>
  <ul class="steps">
    <li><strong>Non hai ancora impostato la password?</strong> Chiedi un nuovo link di primo accesso a chi ti ha venduto la casella PEC: arriverà per email e i link precedenti smetteranno di funzionare.</li>
    <li><strong>Hai già impostato la password e non la ricordi?</strong> Chiedi qui sotto un link per reimpostarla.</li>
  </ul>
  <form id="reset-form" novalidate>
    <div class="field">
      <label for="reset-address">Indirizzo della casella PEC</label>
      <input id="reset-address" name="address" type="email" inputmode="email" autocomplete="username" spellcheck="false" autocapitalize="off" placeholder="nome@pec.it" required>
    </div>
    <button id="reset-submit" type="submit">Invia il link per reimpostare la password</button>
  </form>
  <div id="reset-message" class="message" role="status" aria-live="polite"></div>
</section>`;

/**
 * The page for a link's token. A missing or malformed token still gets the page (200), saying the
 * link is not valid and what to do; a well-formed one gets the form (whether the token is usable is
 * learnt on submit, so the page reads nothing and never tells a guessed token from a real one).
 */
export function passwordSetupPage(token: string | undefined): { html: string; headers: Record<string, string> } {
  const usable = isWellFormedToken(token);
  const html = `<!doctype html>
<html lang="it">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>Password della casella PEC</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>Password della casella PEC</h1>
<div id="message" class="message" role="alert" aria-live="assertive" aria-atomic="true"></div>
${usable ? setupSection(token) : ''}${goneSection(!usable)}
<noscript><p class="message error">Per impostare la password attiva JavaScript nel browser.</p></noscript>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
  return { html, headers: HEADERS };
}
