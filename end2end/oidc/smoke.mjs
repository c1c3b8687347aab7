// Smoke test for provider.mjs: starts it, then plays a whole relying-party flow with plain
// fetch (manual redirects, cookies carried by hand), as Attest's Rust tests do with reqwest.
//
//   node end2end/oidc/smoke.mjs        # prints `smoke ok` and exits 0, or the failure and exit 1

import * as crypto from 'node:crypto';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

const REDIRECT_URI = 'http://127.0.0.1:9/cb';
const CLIENT_ID = 'attest';
const CLIENT_SECRET = 'attest-secret';

function startProvider() {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./provider.mjs', import.meta.url))], {
    env: { ...process.env, OIDC_REDIRECT_URIS: REDIRECT_URI, OIDC_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr = [];
  child.stderr.on('data', (d) => stderr.push(d));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('provider did not print `ready` within 15s')), 15_000);
    const lines = createInterface({ input: child.stdout });
    let first = true;
    lines.on('line', (line) => {
      if (first) {
        first = false;
        clearTimeout(timer);
        const m = /^ready (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
        if (m) resolve(m[1]);
        else reject(new Error(`unexpected first stdout line: ${JSON.stringify(line)}`));
      } else {
        reject(new Error(`unexpected extra stdout line: ${JSON.stringify(line)}`));
        console.error(`extra stdout line from provider: ${line}`);
        process.exitCode = 1;
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`provider exited early with ${code}`));
    });
  });
  return { child, ready, stderr };
}

// A minimal cookie jar: name -> { value, path }, for one host. Enough for the provider's cookies.
class Jar {
  #cookies = new Map();

  store(response) {
    for (const header of response.headers.getSetCookie()) {
      const [pair, ...attrs] = header.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = '/';
      let expired = value === '';
      for (const attr of attrs) {
        const [k, v = ''] = attr.split('=');
        if (k.toLowerCase() === 'path') path = v;
        if (k.toLowerCase() === 'expires' && Date.parse(v) <= Date.now()) expired = true;
        if (k.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
        if (k.toLowerCase() === 'secure') throw new Error(`cookie ${name} is Secure on plain http`);
      }
      const key = `${name}\0${path}`;
      if (expired) this.#cookies.delete(key);
      else this.#cookies.set(key, { name, value, path });
    }
  }

  header(url) {
    const { pathname } = new URL(url);
    const matching = [...this.#cookies.values()].filter(
      (c) => pathname === c.path || pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`),
    );
    return matching.map((c) => `${c.name}=${c.value}`).join('; ');
  }

  names() {
    return [...this.#cookies.values()].map((c) => `${c.name} (path ${c.path})`);
  }
}

async function request(jar, url, init = {}) {
  const headers = new Headers(init.headers);
  const cookie = jar.header(url);
  if (cookie) headers.set('cookie', cookie);
  const response = await fetch(url, { ...init, headers, redirect: 'manual' });
  jar.store(response);
  return response;
}

function decodeJwtPayload(jwt) {
  const parts = jwt.split('.');
  assert.equal(parts.length, 3, 'ID token is not a compact JWS');
  return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
}

async function tokenRequest(tokenEndpoint, code, verifier) {
  return fetch(tokenEndpoint, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(CLIENT_SECRET)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    }),
  });
}

async function flow(issuer) {
  // Discovery.
  const discoveryResponse = await fetch(`${issuer}/.well-known/openid-configuration`);
  assert.equal(discoveryResponse.status, 200, 'discovery status');
  const discovery = await discoveryResponse.json();
  assert.equal(discovery.issuer, issuer, 'discovery issuer');
  assert.ok(discovery.code_challenge_methods_supported.includes('S256'), 'S256 supported');
  for (const scope of ['openid', 'email', 'profile', 'groups']) {
    assert.ok(discovery.scopes_supported.includes(scope), `scope ${scope} supported`);
  }

  // Authorization request.
  const state = crypto.randomBytes(16).toString('base64url');
  const nonce = crypto.randomBytes(16).toString('base64url');
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  const authUrl = new URL(discovery.authorization_endpoint);
  authUrl.search = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    scope: 'openid email profile groups',
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();

  const jar = new Jar();

  // PKCE is required: the same request without a challenge must be refused.
  {
    const noPkce = new URL(authUrl);
    noPkce.searchParams.delete('code_challenge');
    noPkce.searchParams.delete('code_challenge_method');
    const r = await fetch(noPkce, { redirect: 'manual' });
    const loc = r.headers.get('location') || '';
    assert.ok(r.status >= 300 && r.status < 400, `no-PKCE request: expected a redirect, got ${r.status}`);
    const back = new URL(loc);
    assert.equal(back.origin + back.pathname, REDIRECT_URI, 'no-PKCE error goes back to the client');
    assert.equal(back.searchParams.get('error'), 'invalid_request', 'no-PKCE error code');
  }

  let response = await request(jar, authUrl.href);
  assert.equal(response.status, 303, `authorization: expected 303, got ${response.status}`);
  const interactionUrl = new URL(response.headers.get('location'), issuer);
  const uidMatch = /^\/interaction\/([A-Za-z0-9_-]+)$/.exec(interactionUrl.pathname);
  assert.ok(uidMatch, `interaction URL: ${interactionUrl.href}`);
  const uid = uidMatch[1];

  // The login page.
  response = await request(jar, interactionUrl.href);
  assert.equal(response.status, 200, `interaction page: expected 200, got ${response.status}`);
  const html = await response.text();
  assert.ok(html.includes(`<form method="post" action="/interaction/${uid}/login">`), 'form action');
  assert.ok(/<input[^>]*name="login"/.test(html), 'login input');
  assert.ok(html.includes('E-mail') && html.includes('Sign in'), 'label and button');

  const loginUrl = new URL(`/interaction/${uid}/login`, issuer).href;
  const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };

  // An unknown account gets the form again, with a 400.
  response = await request(jar, loginUrl, {
    method: 'POST', headers: formHeaders, body: new URLSearchParams({ login: 'nobody@example.com' }),
  });
  assert.equal(response.status, 400, `unknown account: expected 400, got ${response.status}`);
  const errorHtml = await response.text();
  assert.ok(errorHtml.includes('nobody@example.com') && errorHtml.includes('name="login"'), 'unknown account page');

  // A known account completes the login.
  response = await request(jar, loginUrl, {
    method: 'POST', headers: formHeaders, body: new URLSearchParams({ login: 'alice@example.com' }),
  });
  assert.equal(response.status, 303, `login: expected 303, got ${response.status}`);

  // Follow redirects until the provider sends us back to the client.
  let location = new URL(response.headers.get('location'), issuer);
  for (let hops = 0; location.origin + location.pathname !== REDIRECT_URI; hops += 1) {
    assert.ok(hops < 10, 'too many redirects');
    assert.equal(location.origin, issuer, `unexpected redirect to ${location.href}`);
    response = await request(jar, location.href);
    assert.ok(
      response.status >= 300 && response.status < 400,
      `expected a redirect from ${location.href}, got ${response.status}: ${(await response.text()).slice(0, 500)}`,
    );
    location = new URL(response.headers.get('location'), location);
  }
  assert.equal(location.searchParams.get('error'), null,
    `authorization error: ${location.searchParams.get('error')} ${location.searchParams.get('error_description')}`);
  assert.equal(location.searchParams.get('state'), state, 'state round-trips');
  assert.equal(location.searchParams.get('iss'), issuer, 'iss in the authorization response');
  const code = location.searchParams.get('code');
  assert.ok(code, 'code in the authorization response');

  // Token exchange.
  response = await tokenRequest(discovery.token_endpoint, code, verifier);
  const tokens = await response.json();
  assert.equal(response.status, 200, `token: ${response.status} ${JSON.stringify(tokens)}`);
  assert.ok(tokens.id_token, 'id_token issued');
  assert.ok(tokens.access_token, 'access_token issued');

  const header = JSON.parse(Buffer.from(tokens.id_token.split('.')[0], 'base64url').toString('utf8'));
  assert.equal(header.alg, 'RS256', 'ID token alg');
  const claims = decodeJwtPayload(tokens.id_token);
  assert.equal(claims.iss, issuer, 'iss');
  assert.equal(claims.aud, CLIENT_ID, 'aud');
  assert.equal(claims.nonce, nonce, 'nonce');
  assert.equal(claims.sub, 'u-alice', 'sub');
  assert.equal(claims.email, 'alice@example.com', 'email');
  assert.equal(claims.email_verified, true, 'email_verified');
  assert.equal(claims.name, 'Alice Admin', 'name');
  assert.ok(Array.isArray(claims.groups) && claims.groups.includes('attest-admins'), `groups: ${JSON.stringify(claims.groups)}`);

  // The ID token's signature checks out against the published JWKS.
  const jwks = await (await fetch(discovery.jwks_uri)).json();
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  assert.ok(jwk, 'signing key published');
  const [h, p, s] = tokens.id_token.split('.');
  const verified = crypto.verify('RSA-SHA256', Buffer.from(`${h}.${p}`), crypto.createPublicKey({ key: jwk, format: 'jwk' }), Buffer.from(s, 'base64url'));
  assert.ok(verified, 'ID token signature');

  // Userinfo agrees.
  response = await fetch(discovery.userinfo_endpoint, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  const userinfo = await response.json();
  assert.equal(response.status, 200, `userinfo: ${JSON.stringify(userinfo)}`);
  assert.equal(userinfo.email, 'alice@example.com', 'userinfo email');

  // The code is single-use.
  response = await tokenRequest(discovery.token_endpoint, code, verifier);
  const second = await response.json();
  assert.equal(response.status, 400, `second exchange: expected 400, got ${response.status}`);
  assert.equal(second.error, 'invalid_grant', `second exchange error: ${JSON.stringify(second)}`);

  return jar.names();
}

const { child, ready, stderr } = startProvider();
let ok = false;
try {
  const issuer = await ready;
  const cookies = await flow(issuer);
  if (process.env.SMOKE_VERBOSE) console.error(`issuer ${issuer}; cookies held at the end: ${cookies.join(', ')}`);
  ok = true;
} catch (err) {
  console.log(`smoke FAILED: ${err.stack || err}`);
  console.log('--- provider stderr ---');
  console.log(Buffer.concat(stderr).toString('utf8'));
} finally {
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.kill('SIGTERM');
  const { code, signal } = child.exitCode !== null ? { code: child.exitCode } : await exited;
  if (ok && code !== 0) {
    ok = false;
    console.log(`smoke FAILED: provider exited with ${code ?? signal} after SIGTERM`);
  }
}
if (ok && process.exitCode !== 1) {
  console.log('smoke ok');
  process.exit(0);
}
process.exit(1);
