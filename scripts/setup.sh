#!/usr/bin/env bash
# Installs what Attest's build and tests need, each only when missing, and says what it does.
#   scripts/setup.sh build   wasm target, cargo-leptos, wasm-bindgen-cli
#   scripts/setup.sh test    the above, plus Chromium and the end-to-end test packages
# Everything comes from the package registries (crates.io, Debian, npm): nothing is downloaded
# from elsewhere, which is why cargo-leptos is built with `no_downloads`.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-build}

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

CARGO_LEPTOS_VERSION=0.3.10

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
else
  say "wasm32-unknown-unknown target: present"
fi

if [ "$(cargo leptos --version 2>/dev/null | awk '{print $2}')" != "$CARGO_LEPTOS_VERSION" ]; then
  say "building cargo-leptos $CARGO_LEPTOS_VERSION (no_downloads; about 20 minutes on 2 cores)"
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
else
  say "cargo-leptos $CARGO_LEPTOS_VERSION: present"
fi

# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly. Not --locked: its
# own lock file names a crate version the registry no longer serves.
wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ -z "$wb_version" ]; then
  echo "setup: cannot find wasm-bindgen in Cargo.lock" >&2
  exit 1
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wb_version" ]; then
  say "installing wasm-bindgen-cli $wb_version (matches Cargo.lock)"
  cargo install wasm-bindgen-cli --version "$wb_version" --force
else
  say "wasm-bindgen-cli $wb_version: present"
fi

if [ "$what" = test ]; then
  if [ ! -x /usr/bin/chromium ]; then
    say "installing Debian's chromium for the end-to-end tests"
    if [ "$(id -u)" = 0 ]; then apt_get="apt-get"; else apt_get="sudo apt-get"; fi
    $apt_get update -qq
    DEBIAN_FRONTEND=noninteractive $apt_get install -y -qq chromium
  else
    say "chromium: present ($(/usr/bin/chromium --version 2>/dev/null || echo unknown version))"
  fi
  if [ ! -d end2end/node_modules/@playwright/test ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
    say "installing the end-to-end test packages (npm ci; browsers are not downloaded)"
    (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
  else
    say "end-to-end test packages: present"
  fi
  # The notification tests send e-mail to a real SMTP server: Python's aiosmtpd, from PyPI.
  if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
    say "installing aiosmtpd (the SMTP server the notification tests send to)"
    python3 -m pip install --quiet --disable-pip-version-check "aiosmtpd==1.4.6"
  else
    say "aiosmtpd: present"
  fi
fi
