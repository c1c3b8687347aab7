// A local OpenID Connect provider for Attest's tests.
//
// What it is
//   A real, certified OpenID Provider (the npm package `oidc-provider` by panva, 8.x: the last
//   line that supports Node.js 20; 9.x wants Node.js 22 or later) with a fixed set of test
//   clients and accounts, and a one-step login page in place of the library's development
//   interactions. Attest's Rust integration tests and its Playwright suite start it as a child
//   process and point Attest's OIDC settings at it. Nothing here is fit for production:
//   accounts have no passwords, and keys are generated at every start.
//
// How to run it
//   cd end2end && npm ci        # once; installs oidc-provider (see package.json)
//   OIDC_REDIRECT_URIS=http://127.0.0.1:3000/auth/callback node end2end/oidc/provider.mjs
//
//   Environment:
//     OIDC_REDIRECT_URIS              required; comma-separated redirect URIs, registered for
//                                     every client
//     OIDC_PORT                       optional; port to listen on (default 0: any free port)
//     OIDC_POST_LOGOUT_REDIRECT_URIS  optional; comma-separated post_logout_redirect_uris for
//                                     RP-initiated logout (end_session), registered for every
//                                     client
//
//   It listens on 127.0.0.1 only. Once listening it prints exactly one line to stdout,
//       ready http://127.0.0.1:<port>
//   which is the issuer (discovery: <issuer>/.well-known/openid-configuration). Everything else
//   it logs goes to stderr. SIGTERM or SIGINT closes the server and exits 0.
//
// Clients (client_secret_basic, authorization code flow, PKCE S256 required):
//   attest / attest-secret      the client Attest is configured with
//   other  / other-secret       a second client, for tokens whose audience is not Attest
//
// Accounts (sub, email, name, groups); e-mails are always verified:
//   u-alice    alice@example.com       Alice Admin    [attest-admins]
//   u-bob      bob@example.com         Bob Auditor    [auditors]
//   u-carol    carol@example.com       Carol Viewer   []
//   u-mallory  mallory@elsewhere.test  Mallory        [attest-admins]   (a domain Attest refuses)
//   and, with OIDC_OPEN_DOMAIN=<domain>, any address in that domain (no groups), made on first
//   sign-in.
//
// Scopes: openid email profile groups. Claims go into the ID token as well as userinfo.
//
// GitHub:
//   The authorization and token endpoints sit at GitHub's paths (/login/oauth/authorize,
//   /login/oauth/access_token), the client `github-app` / `github-secret` sends its credentials
//   in the form as GitHub's OAuth apps do, GitHub's scopes (read:user user:email read:org) are
//   known, and /api/v3/user, /api/v3/user/emails and /api/v3/user/teams answer this provider's
//   access tokens in GitHub's shapes: GitHub's OAuth sign-in against a real authorization server.
//
// Login (no consent screen, no JavaScript):
//   The authorization endpoint (<issuer>/login/oauth/authorize) redirects to /interaction/<uid>
//   and sets the cookies op_interaction (path /interaction/<uid>) and op_resume (path
//   /login/oauth/authorize/<uid>), each with
//   a `.sig` companion (cookies are signed). GET /interaction/<uid> shows a form; POSTing
//   `login=<email>` (application/x-www-form-urlencoded) to /interaction/<uid>/login signs the
//   account in, grants every requested scope, and answers 303 to /login/oauth/authorize/<uid>,
//   which (with
//   op_resume) sets op_session and redirects to the client's redirect_uri with code and state.
//   An unknown e-mail answers 400 with the form and an error. A client that keeps cookies per
//   host and path, as a browser or reqwest's cookie jar does, needs nothing else.
//
//   Single sign-on: while op_session is held, an authorization request from a client that
//   already has a grant comes straight back with a code, without the login page. Send
//   `prompt=login` (or use a fresh cookie jar / browser context) to get the page again; signing
//   in there as a different account ends the previous account's provider session.

import * as crypto from 'node:crypto';
import * as http from 'node:http';

import Provider from 'oidc-provider';

// stdout carries the single `ready` line; everything else, including the library's own
// console.info notices, goes to stderr.
const stdoutWrite = process.stdout.write.bind(process.stdout);
for (const level of ['log', 'info', 'debug']) {
  // eslint-disable-next-line no-console
  console[level] = (...args) => console.error(...args);
}
const log = (...args) => console.error('[oidc]', ...args);

const splitList = (value) => (value || '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);

const redirectUris = splitList(process.env.OIDC_REDIRECT_URIS);
if (redirectUris.length === 0) {
  log('OIDC_REDIRECT_URIS is required (comma-separated redirect URIs)');
  process.exit(2);
}
const postLogoutRedirectUris = splitList(process.env.OIDC_POST_LOGOUT_REDIRECT_URIS);

const port = Number.parseInt(process.env.OIDC_PORT || '0', 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  log(`invalid OIDC_PORT: ${process.env.OIDC_PORT}`);
  process.exit(2);
}

const HOST = '127.0.0.1';

// `github` is what the GitHub-shaped REST API below answers for the account: its numeric id and
// login, its e-mail addresses, and its teams as `org/team-slug`.
const ACCOUNTS = [
  {
    sub: 'u-alice',
    email: 'alice@example.com',
    name: 'Alice Admin',
    groups: ['attest-admins'],
    github: {
      id: 1001,
      login: 'alice-gh',
      emails: [
        { email: 'alice.private@personal.test', primary: false, verified: true },
        { email: 'alice@example.com', primary: true, verified: true },
      ],
      teams: ['Acme/attest-admins', 'acme/platform'],
    },
  },
  {
    sub: 'u-bob',
    email: 'bob@example.com',
    name: 'Bob Auditor',
    groups: ['auditors'],
    github: {
      id: 1002,
      login: 'bob-gh',
      emails: [{ email: 'bob@example.com', primary: true, verified: true }],
      teams: ['acme/auditors'],
    },
  },
  {
    sub: 'u-carol',
    email: 'carol@example.com',
    name: 'Carol Viewer',
    groups: [],
    github: {
      id: 1003,
      login: 'carol-gh',
      emails: [{ email: 'carol@example.com', primary: true, verified: false }],
      teams: [],
    },
  },
  {
    sub: 'u-mallory',
    email: 'mallory@elsewhere.test',
    name: 'Mallory',
    groups: ['attest-admins'],
    github: {
      id: 1004,
      login: 'mallory-gh',
      emails: [{ email: 'mallory@elsewhere.test', primary: true, verified: true }],
      teams: ['acme/attest-admins'],
    },
  },
];
const accountsById = new Map(ACCOUNTS.map((a) => [a.sub, a]));
const accountsByEmail = new Map(ACCOUNTS.map((a) => [a.email, a]));

// OIDC_OPEN_DOMAIN=acme-corp.com: anyone with an e-mail in that domain signs in too, as an
// account made on first use (no groups), so tests can sign in as the demo organisation's
// people, whose names the demo generator picks.
const OPEN_DOMAIN = (process.env.OIDC_OPEN_DOMAIN ?? '').toLowerCase();

function accountByEmail(email) {
  const known = accountsByEmail.get(email);
  if (known || !OPEN_DOMAIN || !email.endsWith(`@${OPEN_DOMAIN}`) || !/^[a-z0-9._+-]+@/.test(email)) {
    return known;
  }
  const account = {
    sub: `u-${email}`,
    email,
    name: email.split('@')[0],
    groups: [],
    github: { id: 5000 + accountsById.size, login: email.split('@')[0], emails: [{ email, primary: true, verified: true }], teams: [] },
  };
  accountsById.set(account.sub, account);
  accountsByEmail.set(email, account);
  return account;
}

// OpenID Connect's scopes, and GitHub's (for the `github-app` client's plain OAuth requests).
const SCOPES = ['openid', 'email', 'profile', 'groups', 'read:user', 'user:email', 'read:org'];

function client(clientId, secret, authMethod = 'client_secret_basic') {
  const metadata = {
    client_id: clientId,
    client_secret: secret,
    token_endpoint_auth_method: authMethod,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: redirectUris,
  };
  if (postLogoutRedirectUris.length) {
    metadata.post_logout_redirect_uris = postLogoutRedirectUris;
  }
  return metadata;
}

function signingKey() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  const kid = crypto.createHash('sha256')
    .update(JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n }))
    .digest('base64url');
  return {
    ...jwk, kid, alg: 'RS256', use: 'sig',
  };
}

function configuration() {
  return {
    clients: [
      client('attest', 'attest-secret'),
      client('other', 'other-secret'),
      // A GitHub OAuth app: credentials in the form, as GitHub takes them.
      client('github-app', 'github-secret', 'client_secret_post'),
    ],

    // GitHub's paths, so that a GitHub OAuth client pointed at this issuer finds them where
    // it finds them on github.com (OpenID clients read them from discovery).
    routes: {
      authorization: '/login/oauth/authorize',
      token: '/login/oauth/access_token',
    },
    jwks: { keys: [signingKey()] },

    // Cookies over plain http. oidc-provider adds the Secure attribute only when the request
    // itself is secure (ctx.secure; `proxy` stays false so X-Forwarded-Proto is not trusted),
    // so on http://127.0.0.1 its cookies go out without Secure. But its default for the long
    // (session) cookie is SameSite=None, which browsers drop unless the cookie is Secure: the
    // session cookie would silently vanish in Chromium. Both kinds are therefore SameSite=Lax,
    // which is all a top-level redirect flow needs. They are signed (a `.sig` companion cookie
    // each) with a key that lives as long as the process.
    // Names carry an `op_` prefix: cookies are scoped by host, not port, so the provider's
    // cookies also reach Attest on its own 127.0.0.1 port, and Attest's reach the provider.
    cookies: {
      keys: [crypto.randomBytes(32).toString('base64url')],
      names: {
        session: 'op_session',
        interaction: 'op_interaction',
        resume: 'op_resume',
      },
      long: { httpOnly: true, sameSite: 'lax', signed: true },
      short: { httpOnly: true, sameSite: 'lax', signed: true },
    },

    async findAccount(ctx, id) {
      const account = accountsById.get(id);
      if (!account) return undefined;
      return {
        accountId: account.sub,
        async claims() {
          return {
            sub: account.sub,
            email: account.email,
            email_verified: true,
            name: account.name,
            groups: [...account.groups],
          };
        },
      };
    },

    scopes: SCOPES,
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups'],
    },
    conformIdTokenClaims: false,

    // PKCE on every authorization request, S256 only.
    pkce: { methods: ['S256'], required: () => true },

    interactions: {
      url: (ctx, interaction) => `/interaction/${interaction.uid}`,
    },

    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: true },
    },

    async renderError(ctx, out, error) {
      log('error page:', out.error, out.error_description || '', error?.message || '');
      ctx.type = 'html';
      ctx.body = page('Error', `<h1>Error</h1><p>${escapeHtml(out.error)}</p>`
        + `<p>${escapeHtml(out.error_description || '')}</p>`);
    },
  };
}

function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  })[c]);
}

function page(title, body) {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body>
${body}
</body>
</html>
`;
}

// Plain HTML, no script. The input is type=text, not type=email, so that the browser never
// blocks a submission: the server alone decides, and answers 400 for an unknown account.
function loginPage(uid, { clientId, error, login } = {}) {
  const errorHtml = error ? `<p class="error" role="alert">${escapeHtml(error)}</p>\n` : '';
  return page('Sign in', `<h1>Sign in</h1>
${clientId ? `<p>to continue to <strong>${escapeHtml(clientId)}</strong></p>\n` : ''}${errorHtml}<form method="post" action="/interaction/${escapeHtml(uid)}/login">
  <label for="login">E-mail</label>
  <input id="login" name="login" type="text" inputmode="email" autocomplete="username" value="${escapeHtml(login || '')}" autofocus>
  <button type="submit">Sign in</button>
</form>`);
}

function send(res, status, html) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(html);
}

async function readForm(req, limit = 16 * 1024) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw Object.assign(new Error('request body too large'), { statusCode: 413 });
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// Loads the interaction from its cookie and checks it is the one named in the path.
async function interactionFor(provider, req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) {
    throw Object.assign(new Error('interaction cookie does not match the URL'), { statusCode: 400 });
  }
  return details;
}

function requestedClaims(params) {
  // Claims asked for by name through the `claims` request parameter, if any.
  if (!params.claims) return [];
  try {
    const parsed = JSON.parse(params.claims);
    return [...new Set([
      ...Object.keys(parsed?.id_token || {}),
      ...Object.keys(parsed?.userinfo || {}),
    ])];
  } catch {
    return [];
  }
}

async function handleInteraction(provider, req, res, uid, action) {
  try {
    if (!action && (req.method === 'GET' || req.method === 'HEAD')) {
      const details = await interactionFor(provider, req, res, uid);
      send(res, 200, loginPage(uid, { clientId: details.params.client_id }));
      return;
    }
    if (action === 'login' && req.method === 'POST') {
      const form = await readForm(req);
      const details = await interactionFor(provider, req, res, uid);
      const { params } = details;
      const login = (form.get('login') || '').trim();
      const account = accountByEmail(login.toLowerCase());
      if (!account) {
        log(`login refused for unknown account ${JSON.stringify(login)}`);
        send(res, 400, loginPage(uid, {
          clientId: params.client_id,
          login,
          error: `No account for ${login || 'an empty e-mail'}.`,
        }));
        return;
      }

      // Signing in as someone else ends the provider session of the previous account here and
      // now. Otherwise oidc-provider would answer the resume with a page whose JavaScript posts
      // a logout confirmation first, which an HTTP client such as reqwest cannot follow.
      if (details.session && details.session.accountId !== account.sub) {
        const { accountId: previousAccount, uid: previousUid } = details.session;
        const previous = previousUid ? await provider.Session.findByUid(previousUid) : undefined;
        if (previous) await previous.destroy();
        delete details.session;
        delete details.grantId;
        await details.persist();
        const name = provider.cookieName('session');
        const gone = 'path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; samesite=lax; httponly';
        res.setHeader('Set-Cookie', [`${name}=; ${gone}`, `${name}.sig=; ${gone}`]);
        log(`provider session of ${previousAccount} ended: signing in as ${account.sub}`);
      }

      // Grant what was asked for (within what this provider knows), so no consent prompt follows.
      let grant;
      if (details.grantId) {
        grant = await provider.Grant.find(details.grantId);
      }
      if (!grant || grant.accountId !== account.sub) {
        grant = new provider.Grant({ accountId: account.sub, clientId: params.client_id });
      }
      const requested = String(params.scope || '').split(' ').filter((s) => SCOPES.includes(s));
      grant.addOIDCScope(requested.join(' '));
      const claims = requestedClaims(params);
      if (claims.length) grant.addOIDCClaims(claims);
      const grantId = await grant.save();

      log(`login ${account.email} (${account.sub}) for client ${params.client_id}, scope "${requested.join(' ')}"`);
      await provider.interactionFinished(req, res, {
        login: { accountId: account.sub },
        consent: { grantId },
      }, { mergeWithLastSubmission: false });
      return;
    }
    res.setHeader('Allow', action ? 'POST' : 'GET, HEAD');
    send(res, 405, page('Method not allowed', '<h1>Method not allowed</h1>'));
  } catch (err) {
    const status = err.statusCode && err.statusCode < 500 ? err.statusCode : 500;
    log(`interaction ${uid}: ${err.name}: ${err.message}${err.error_description ? ` (${err.error_description})` : ''}`);
    if (!res.headersSent) {
      send(res, status, page('Sign-in failed', `<h1>Sign-in failed</h1><p>${escapeHtml(err.error_description || err.message)}</p>`));
    } else {
      res.end();
    }
  }
}

const INTERACTION_PATH = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login))?\/?$/;

// GitHub's REST API as far as signing in reads it, answering access tokens this provider issued
// (to any client) in the shapes docs.github.com gives for GET /user, /user/emails and
// /user/teams. An unknown or expired token gets GitHub's 401.
const GITHUB_API_PATH = /^\/api\/v3\/user(\/emails|\/teams)?$/;

async function handleGithubApi(provider, req, res, which) {
  const json = (status, body) => {
    res.statusCode = status;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(JSON.stringify(body));
  };
  const auth = req.headers.authorization || '';
  const [scheme, value] = auth.split(' ');
  const token = value && /^(bearer|token)$/i.test(scheme)
    ? await provider.AccessToken.find(value)
    : undefined;
  const account = token && !token.isExpired ? accountsById.get(token.accountId) : undefined;
  if (!account) {
    json(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    return;
  }
  const gh = account.github;
  if (which === '/emails') {
    json(200, gh.emails.map((e) => ({ ...e, visibility: e.primary ? 'private' : null })));
  } else if (which === '/teams') {
    json(200, gh.teams.map((team, i) => {
      const [org, slug] = team.split('/');
      return {
        id: 500 + i,
        name: slug,
        slug,
        privacy: 'closed',
        permission: 'pull',
        organization: { login: org, id: 900, type: 'Organization' },
      };
    }));
  } else {
    json(200, {
      login: gh.login,
      id: gh.id,
      type: 'User',
      name: account.name === 'Bob Auditor' ? null : account.name,
      email: null,
    });
  }
  log(`GitHub API ${req.url} for ${gh.login}`);
}

let handler = (req, res) => {
  res.statusCode = 503;
  res.end();
};
const server = http.createServer((req, res) => handler(req, res));

server.listen(port, HOST, () => {
  const issuer = `http://${HOST}:${server.address().port}`;
  const provider = new Provider(issuer, configuration());
  provider.proxy = false;

  for (const event of [
    'server_error', 'authorization.error', 'grant.error', 'userinfo.error',
    'end_session.error', 'introspection.error', 'revocation.error', 'discovery.error',
    'jwks.error', 'check_session.error', 'backchannel.error',
  ]) {
    provider.on(event, (...args) => {
      const err = args.find((a) => a instanceof Error);
      log(`${event}: ${err ? `${err.name}: ${err.message}${err.error_description ? ` (${err.error_description})` : ''}` : ''}`);
    });
  }
  provider.on('grant.success', (ctx) => log(`token issued to ${ctx.oidc.client?.clientId}`));

  const callback = provider.callback();
  handler = (req, res) => {
    const { pathname } = new URL(req.url, issuer);
    const api = GITHUB_API_PATH.exec(pathname);
    if (api) {
      handleGithubApi(provider, req, res, api[1]).catch((err) => {
        log(`GitHub API: ${err.message}`);
        if (!res.headersSent) { res.statusCode = 500; }
        res.end();
      });
      return;
    }
    const match = INTERACTION_PATH.exec(pathname);
    if (match) {
      handleInteraction(provider, req, res, match[1], match[2]);
      return;
    }
    callback(req, res);
  };

  stdoutWrite(`ready ${issuer}\n`);
  log(`issuer ${issuer}; redirect_uris ${redirectUris.join(' ')}`);
});

server.on('error', (err) => {
  log(`server error: ${err.message}`);
  process.exit(1);
});

function shutdown(signal) {
  log(`${signal}: shutting down`);
  server.close(() => process.exit(0));
  server.closeAllConnections?.();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
