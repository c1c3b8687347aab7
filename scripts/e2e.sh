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
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
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

echo "e2e: serving on 127.0.0.1:$port"
ATTEST_GITHUB_WEBHOOK_SECRET=e2e-secret target/debug/attest --database-url "$db" serve \
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
