#!/usr/bin/env bash
# Runs the whole test suite against the real local PostgreSQL. Every database test gets a
# fresh database of its own (#[sqlx::test]), created through the server in DATABASE_URL.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-postgres.sh
export DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
# Dates on screen are drawn in local time; snapshots are taken in UTC.
export TZ=UTC
cargo test --all-targets --locked "$@"
