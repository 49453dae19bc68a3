// Loopback OpenID Connect provider for the test suite (panva/oidc-provider 9.x).
//
// NOT for production: throwaway keys, in-memory storage, and an interaction
// that signs in whoever types a login name.
//
// Input (environment):
//   OIDC_TEST_PORT     TCP port to listen on, on 127.0.0.1 only.
//   OIDC_TEST_CLIENTS  JSON array of client metadata objects, passed as-is to
//                      oidc-provider's `clients` option.
//
// Output: one line `READY http://127.0.0.1:PORT` on stdout once listening.
//   OIDC_TEST_EXIT_ON_STDIN_EOF=1  (optional) exit when stdin reaches EOF.
// Diagnostics (errors, events) go to stderr. Exits cleanly on SIGTERM/SIGINT.
// Invalid client metadata makes it exit with status 2 before READY.
//
// Sign-in: GET /interaction/:uid shows a form with one field, `login`;
// POST /interaction/:uid/login signs that account in AND grants consent, so a
// single form post completes the authorization request.
//   sub   = uuid5(ACCOUNT_NAMESPACE, login)  (stable; see tests/support/oidc.py)
//   email = login if it contains "@", else `${login}@example.com`
//   email_verified = true

import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import process from 'node:process';

import Provider, { interactionPolicy } from 'oidc-provider';

const ACR_VALUES = ['urn:acr.login.gov:auth-only'];
// Fixed namespace for account ids; mirrored in tests/support/oidc.py.
const ACCOUNT_NAMESPACE = '6f1c1a3e-2b9e-5d0c-9a57-1f0e4c2b7d10';
const COOKIE_KEYS = ['tt2-test-only-cookie-key-not-a-secret'];

function fail(message) {
  process.stderr.write(`provider.mjs: ${message}\n`);
  process.exit(2);
}

const port = Number.parseInt(process.env.OIDC_TEST_PORT ?? '', 10);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  fail('OIDC_TEST_PORT must be a TCP port number');
}

let clients;
try {
  clients = JSON.parse(process.env.OIDC_TEST_CLIENTS ?? '[]');
} catch (err) {
  fail(`OIDC_TEST_CLIENTS is not valid JSON: ${err.message}`);
}
if (!Array.isArray(clients)) {
  fail('OIDC_TEST_CLIENTS must be a JSON array of client metadata objects');
}

const issuer = `http://127.0.0.1:${port}`;

// ---------------------------------------------------------------- accounts

function uuid5(namespace, name) {
  const ns = Buffer.from(namespace.replaceAll('-', ''), 'hex');
  const hash = createHash('sha1').update(ns).update(Buffer.from(name, 'utf8')).digest();
  const b = hash.subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x50; // version 5
  b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// accountId -> login, filled in at sign-in (accounts only exist once used).
const accounts = new Map();

function accountIdFor(login) {
  const accountId = uuid5(ACCOUNT_NAMESPACE, login);
  accounts.set(accountId, login);
  return accountId;
}

async function findAccount(ctx, accountId) {
  const login = accounts.get(accountId);
  if (login === undefined) return undefined;
  return {
    accountId,
    async claims() {
      return {
        sub: accountId,
        email: login.includes('@') ? login : `${login}@example.com`,
        email_verified: true,
      };
    },
  };
}

// ---------------------------------------------------------------- pages

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
}[c]));

function page(title, body) {
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${esc(title)}</title></head>\n<body>\n${body}\n</body></html>\n`;
}

async function renderError(ctx, out) {
  ctx.type = 'html';
  ctx.body = page('oidc-provider error', `<h1>oidc-provider error</h1>\n<pre id="error">${esc(JSON.stringify(out, null, 2))}</pre>`);
}

async function logoutSource(ctx, form) {
  // `form` is <form id="op.logoutForm" method="post" action="..."><input type="hidden" name="xsrf" .../></form>
  ctx.body = page('Sign out', `<h1>Sign out of ${esc(ctx.host)}?</h1>\n${form}\n<button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>\n<button type="submit" form="op.logoutForm">No, stay signed in</button>`);
}

async function postLogoutSuccessSource(ctx) {
  ctx.body = page('Signed out', '<h1>Signed out</h1>');
}

// ---------------------------------------------------------------- keys

function signingJwks() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    keys: [{ ...privateKey.export({ format: 'jwk' }), kid: `test-${randomUUID()}`, alg: 'RS256', use: 'sig' }],
  };
}

// ---------------------------------------------------------------- policy

// The relying party always sends prompt=select_account (Login.gov profile).
// oidc-provider rejects prompt values that are not a requestable prompt in the
// interaction policy ("unsupported prompt value requested"), so register one.
// Its implicit check makes every request carrying it go through the
// interaction, where the login form serves as the account chooser.
const policy = interactionPolicy.base();
policy.add(new interactionPolicy.Prompt({ name: 'select_account', requestable: true }), 1);

// ---------------------------------------------------------------- provider

const provider = new Provider(issuer, {
  clients,
  findAccount,
  jwks: signingJwks(),
  cookies: { keys: COOKIE_KEYS },
  responseTypes: ['code'],
  scopes: ['openid', 'email', 'offline_access'],
  claims: {
    acr: null,
    sid: null,
    auth_time: null,
    iss: null,
    openid: ['sub'],
    email: ['email', 'email_verified'],
  },
  acrValues: ACR_VALUES,
  // Also put scope-requested claims (email) in the ID token, not only userinfo.
  conformIdTokenClaims: false,
  // PKCE (S256 only in v9) required for public clients only.
  pkce: { required: (ctx, client) => client.clientAuthMethod === 'none' },
  clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
    userinfo: { enabled: true },
    revocation: { enabled: true },
  },
  interactions: {
    policy,
    url: (ctx, interaction) => `/interaction/${interaction.uid}`,
  },
  renderError,
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 600,
    IdToken: 3600,
    Interaction: 3600,
    Session: 24 * 3600,
    Grant: 24 * 3600,
    RefreshToken: 24 * 3600,
  },
});

for (const event of ['server_error', 'authorization.error', 'grant.error', 'end_session.error',
  'userinfo.error', 'jwks.error', 'discovery.error', 'revocation.error', 'introspection.error',
  'check_session_origin.error', 'backchannel.error']) {
  provider.on(event, (ctx, err) => {
    const e = err ?? ctx;
    const detail = [e?.error_description, e?.error_detail, e?.cause?.message]
      .filter((v, i, all) => v && all.indexOf(v) === i).join('; ');
    process.stderr.write(`[${event}] ${e?.name}: ${e?.message}${detail ? ` (${detail})` : ''}\n`);
    if (event === 'server_error' && e?.stack) process.stderr.write(`${e.stack}\n`);
  });
}

// ---------------------------------------------------------------- interactions

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// Grant openid + every requested scope/claim for this client and account.
async function autoGrant(details, accountId) {
  const { params } = details;
  let grant;
  if (details.grantId) {
    grant = await provider.Grant.find(details.grantId);
    if (grant && grant.accountId !== accountId) grant = undefined; // another user's grant
  }
  grant ??= new provider.Grant({ accountId, clientId: params.client_id });

  grant.addOIDCScope(['openid', ...(params.scope ?? '').split(' ').filter(Boolean)].join(' '));
  const promptDetails = details.prompt?.details ?? {};
  if (promptDetails.missingOIDCClaims) grant.addOIDCClaims(promptDetails.missingOIDCClaims);
  if (params.claims) {
    try {
      const { id_token: idToken = {}, userinfo = {} } = JSON.parse(params.claims);
      grant.addOIDCClaims([...Object.keys(idToken), ...Object.keys(userinfo)]);
    } catch { /* invalid claims would already have been rejected */ }
  }
  for (const [indicator, scopes] of Object.entries(promptDetails.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  return grant.save();
}

function selectAccountRequested(details) {
  return String(details.params.prompt ?? '').split(' ').includes('select_account');
}

function acrFor(details) {
  const requested = String(details.params.acr_values ?? '').split(' ').filter(Boolean);
  return requested.find((v) => ACR_VALUES.includes(v)) ?? ACR_VALUES[0];
}

async function finish(ctx, details, login) {
  const result = {};
  let accountId = details.session?.accountId;
  if (login !== undefined) {
    accountId = accountIdFor(login);
    result.login = { accountId, acr: acrFor(details), amr: ['pwd'], remember: true };
  }
  result.consent = { grantId: await autoGrant(details, accountId) };
  if (selectAccountRequested(details)) result.select_account = {};
  await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  ctx.respond = false;
}

const LOGIN_PATH = /^\/interaction\/([^/]+)\/login$/;
const INTERACTION_PATH = /^\/interaction\/([^/]+)$/;

provider.use(async (ctx, next) => {
  const loginMatch = LOGIN_PATH.exec(ctx.path);
  const pageMatch = INTERACTION_PATH.exec(ctx.path);
  if (!loginMatch && !pageMatch) return next();

  ctx.set('cache-control', 'no-store');
  let details;
  try {
    details = await provider.interactionDetails(ctx.req, ctx.res);
  } catch (err) {
    ctx.status = 400;
    ctx.type = 'html';
    ctx.body = page('interaction error', `<h1>interaction error</h1>\n<pre id="error">${esc(err.name)}: ${esc(err.message)}</pre>`);
    return undefined;
  }
  const uid = (loginMatch ?? pageMatch)[1];
  if (uid !== details.uid) {
    ctx.throw(400, 'interaction uid mismatch');
  }

  if (pageMatch && ctx.method === 'GET') {
    const needsForm = details.prompt.name !== 'consent' || selectAccountRequested(details);
    if (!needsForm && details.session?.accountId && accounts.has(details.session.accountId)) {
      // Already signed in, only consent is missing: grant it straight away.
      return finish(ctx, details, undefined);
    }
    ctx.type = 'html';
    ctx.body = page('Sign in', `<h1>Sign in to the test provider</h1>
<p>client: <code>${esc(details.params.client_id)}</code>; prompt: <code>${esc(details.prompt.name)}</code></p>
<form method="post" action="/interaction/${esc(details.uid)}/login">
<label>Login <input name="login" autofocus></label>
<button type="submit">Sign in</button>
</form>`);
    return undefined;
  }

  if (loginMatch && ctx.method === 'POST') {
    const form = await readForm(ctx.req);
    const login = (form.get('login') ?? '').trim();
    if (!login) {
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = page('interaction error', '<h1>interaction error</h1>\n<pre id="error">login is required</pre>');
      return undefined;
    }
    return finish(ctx, details, login);
  }

  ctx.throw(405);
  return undefined;
});

// ---------------------------------------------------------------- run

// oidc-provider validates static client metadata lazily; fail fast instead.
for (const { client_id: clientId } of clients) {
  try {
    if (!await provider.Client.find(String(clientId))) fail(`client ${clientId} could not be loaded`);
  } catch (err) {
    fail(`invalid client metadata for ${clientId}: ${err.error_description ?? err.message}`);
  }
}

const server = provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`READY ${issuer}\n`);
});
server.on('error', (err) => fail(`listen failed: ${err.code ?? ''} ${err.message}`));

function shutdown(signal) {
  process.stderr.write(`provider.mjs: ${signal}, shutting down\n`);
  server.close(() => process.exit(0));
  server.closeAllConnections?.();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
// Opt-in: exit when the parent closes our stdin (or dies), so no orphan survives it.
if (process.env.OIDC_TEST_EXIT_ON_STDIN_EOF === '1') {
  process.stdin.on('end', () => shutdown('stdin EOF'));
  process.stdin.on('error', () => shutdown('stdin error'));
  process.stdin.resume();
}
