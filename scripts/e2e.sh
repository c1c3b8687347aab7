#!/usr/bin/env bash
# End-to-end: load demo data into a fresh SQLite file, serve it with the built front end on a
# free loopback port, and drive it with Playwright in Debian's Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

# The server binary, the wasm front end, styles and assets come from `cargo leptos build`.
for built in target/debug/attest target/site/pkg/attest.wasm target/site/pkg/attest.css; do
  if [ ! -e "$built" ]; then
    echo "e2e: $built is missing: run \`make build\` first" >&2
    exit 1
  fi
done

work=$(mktemp -d)
db="sqlite://$work/e2e.db"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
server_pid=
provider_pid=
cleanup() {
  for pid in $server_pid $provider_pid; do
    kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

# The findings page needs an account snapshot, which the demo does not make: the cloudsplaining
# example export from the shared fixtures (read there, never copied), imported first so that
# the demo's grant changes stay the most recent.
fixtures=${ATTEST_FIXTURES:-$PWD/../shared/fixtures}
aws_export="$fixtures/aws-iam/authorization-details/cloudsplaining-example.json"
if [ ! -f "$aws_export" ]; then
  echo "e2e: $aws_export is missing (set ATTEST_FIXTURES to the shared fixtures folder)" >&2
  exit 1
fi
echo "e2e: importing an AWS account snapshot for the findings"
target/debug/attest --database-url "$db" import aws-iam "$aws_export"

echo "e2e: loading demo data into $work/e2e.db"
# --force: the database already holds the snapshot above.
target/debug/attest --database-url "$db" demo --events 1500 --days 60 --no-serve --force

# People sign in through a real OpenID provider (end2end/oidc/provider.mjs, on npm's
# oidc-provider): it prints its issuer once it listens.
echo "e2e: starting the test OpenID provider"
OIDC_OPEN_DOMAIN=acme-corp.com OIDC_REDIRECT_URIS="http://127.0.0.1:$port/auth/callback" node end2end/oidc/provider.mjs \
  >"$work/provider.out" 2>"$work/provider.log" &
provider_pid=$!
issuer=
for _ in $(seq 1 100); do
  issuer=$(sed -n 's/^ready //p' "$work/provider.out")
  if [ -n "$issuer" ]; then break; fi
  if ! kill -0 "$provider_pid" 2>/dev/null; then cat "$work/provider.log"; echo "e2e: provider exited" >&2; exit 1; fi
  sleep 0.1
done
if [ -z "$issuer" ]; then echo "e2e: the OpenID provider did not start" >&2; exit 1; fi

# Webhook secrets made on the webhooks page are derived from this key.
target/debug/attest --database-url "$db" hook-secret key "$work/secrets.key"

echo "e2e: serving on 127.0.0.1:$port (sign-in at $issuer)"
ATTEST_GITHUB_WEBHOOK_SECRET=e2e-secret ATTEST_SECRETS_KEY_FILE="$work/secrets.key" \
ATTEST_PUBLIC_URL="http://127.0.0.1:$port" \
ATTEST_OIDC_ISSUER="$issuer" ATTEST_OIDC_NAME="Test IdP" \
ATTEST_OIDC_CLIENT_ID=attest ATTEST_OIDC_CLIENT_SECRET=attest-secret ATTEST_OIDC_SCOPES=groups \
ATTEST_ROLES="admin:group:attest-admins,auditor:email:bob@example.com,reviewer:domain:acme-corp.com" \
ATTEST_ALLOWED_EMAIL_DOMAINS=example.com,acme-corp.com \
  target/debug/attest --database-url "$db" serve \
  --listen "127.0.0.1:$port" --site-root target/site >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then cat "$work/server.log"; echo "e2e: server exited" >&2; exit 1; fi
  sleep 0.1
done

status=0
(cd end2end && ATTEST_GITHUB_WEBHOOK_SECRET=e2e-secret ATTEST_BASE_URL="http://127.0.0.1:$port" npx playwright test) || status=$?
if [ "$status" != 0 ]; then
  echo "e2e: server log follows"; cat "$work/server.log"
fi
exit "$status"
