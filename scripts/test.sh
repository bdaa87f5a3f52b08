#!/usr/bin/env bash
# Runs the whole test suite against the real local PostgreSQL. Every database test gets a
# fresh database of its own (#[sqlx::test]), created through the server in DATABASE_URL.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-postgres.sh
scripts/ensure-test-packages.sh
export DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
# Dates on screen are the shop's (Nairobi) time whatever TZ is; UTC keeps the rest alike.
export TZ=UTC
# tests/panic_restore.rs runs an example as a program; `cargo test` builds examples only
# as test harnesses, so build it as a program first. The feature fault-injection lets a test
# make one shop-server session panic (serve::PANIC_BYTES); shipped builds leave it out.
cargo build --examples --locked --features fault-injection
cargo test --all-targets --locked --features fault-injection "$@"
