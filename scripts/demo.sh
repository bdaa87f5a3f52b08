#!/usr/bin/env bash
# Runs the app on the demo shop: starts PostgreSQL if needed, creates and migrates the
# database, loads the demo catalog and users (again only what is missing), then opens the app.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-postgres.sh
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/bytemtaani}"
cargo build --release --locked --quiet
./target/release/bytemtaani migrate
./target/release/bytemtaani seed --demo --products "${DEMO_PRODUCTS:-5000}"
exec ./target/release/bytemtaani "$@"
