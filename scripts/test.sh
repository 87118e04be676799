#!/usr/bin/env bash
# Runs every suite: formatting, lints, unit tests, the integration tests on SQLite and on
# PostgreSQL (with real SMTP, gpg and openssl interop), and the browser tests in headless Chromium. Installs what the suites need
# (Debian packages, npm packages) when it is missing, and starts PostgreSQL if it is not running.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }

install_missing_packages() {
  local missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
  command -v pg_dump >/dev/null 2>&1 || missing+=(postgresql-client)
  command -v gpg >/dev/null 2>&1 || missing+=(gnupg)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
  command -v nginx >/dev/null 2>&1 || missing+=(nginx)
  command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
  [[ -f /usr/include/openssl/ssl.h ]] || missing+=(libssl-dev)
  ls /etc/postgresql/*/main >/dev/null 2>&1 || missing+=(postgresql)
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2046
    apt-get install -y -qq $(printf '%s\n' "${missing[@]}" | sort -u) >/dev/null
  fi
}

# Prints a URL of a PostgreSQL database the tests may create databases from.
ensure_postgres() {
  if [[ -n "${TEST_POSTGRES_URL:-}" ]]; then
    echo "$TEST_POSTGRES_URL"
    return
  fi
  if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    log "starting PostgreSQL" >&2
    local version
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
  fi
  local url="postgres://postgres@127.0.0.1:5432/test"
  if ! psql "$url" -qtAc 'SELECT 1' >/dev/null 2>&1; then
    # A freshly installed server asks for a password over TCP: give the test role one.
    su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null
    su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname = 'test'\"" | grep -q 1 \
      || su postgres -c "createdb test"
    url="postgres://postgres:postgres@127.0.0.1:5432/test"
  fi
  # Databases left by earlier runs of the integration tests.
  psql "$url" -qtAc "SELECT datname FROM pg_database WHERE datname LIKE 'pc_test_%'" \
    | while read -r name; do [[ -n "$name" ]] && psql "$url" -qc "DROP DATABASE IF EXISTS $name" >/dev/null; done
  echo "$url"
}

install_missing_packages
TEST_POSTGRES_URL=$(ensure_postgres)
export TEST_POSTGRES_URL

log "cargo fmt --check"
cargo fmt --all -- --check

log "cargo clippy"
cargo clippy --all-targets --locked -- -D warnings

log "unit and integration tests on SQLite"
cargo test --locked

log "integration tests on PostgreSQL"
TEST_DATABASE=postgres cargo test --locked --test api

log "browser test in headless Chromium"
(cd e2e && npm ci --no-audit --no-fund --loglevel=error && PORTCULLIS_BIN=../target/debug/portcullis node --test)

log "all suites passed"
