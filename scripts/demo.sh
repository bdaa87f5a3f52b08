#!/usr/bin/env bash
# Runs the app on the demo shop: starts PostgreSQL if needed, creates and migrates a database
# of its own (bytemtaani_demo, never the shop's), loads the demo catalog and users (again only
# what is missing), then opens the app with the demo's settings (config/demo.toml: pretend
# payment providers, said on every screen and receipt).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-postgres.sh
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/bytemtaani_demo}"
demo=(./target/release/bytemtaani --config config/demo.toml)
cargo build --release --locked --quiet
"${demo[@]}" migrate
"${demo[@]}" seed --demo --products "${DEMO_PRODUCTS:-5000}"
exec "${demo[@]}" "$@"
