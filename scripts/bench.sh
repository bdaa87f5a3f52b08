#!/usr/bin/env bash
# The benchmarks of BENCHMARKS.md: seeds a database with a million products (once), then
# measures checkout against pgbench running the same SQL, search and category paging
# against the bare statements, drawing against a bare ratatui table, and the app's start-up
# and memory. Every figure is printed beside its baseline from the same run, as a ratio.
#
#   scripts/bench.sh                          # everything, about 20 minutes on 2 cores
#   BENCH_ONLY=checkout scripts/bench.sh      # one part: checkout, etims, search, render, scan, flood, sessions, startup
#   BENCH_PRODUCTS=100000 BENCH_SECONDS=3 scripts/bench.sh   # a quick look
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-postgres.sh

products=${BENCH_PRODUCTS:-1000000}
seconds=${BENCH_SECONDS:-5}
only=${BENCH_ONLY:-all}
export DATABASE_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/bytemtaani_bench}
out=target/bench
mkdir -p "$out"
results="$out/results.txt"
: >"$results"
say() { echo "$*" | tee -a "$results"; }
part() { [ "$only" = all ] || [ "$only" = "$1" ]; }

cargo build --release --locked --quiet --bin bytemtaani
cargo bench --locked --no-run --quiet --bench load --bench render
./target/release/bytemtaani migrate
./target/release/bytemtaani seed --demo --products "$products"
sql() { psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -At "$@"; }
sql -f scripts/bench/prepare.sql
load() { cargo bench --locked --quiet --bench load -- "$@"; }

say "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), $(psql "$DATABASE_URL" -XAtc 'show server_version'), $(sql -c 'select count(*) from products') products, $(date -u +%F)"

# Units sold since $1 must be exactly what left the shelves, and no stock below zero.
stock() { sql -c "select sum(p.stock_quantity) from products p join bench_ids b on b.id = p.id"; }
check_stock() {
  local before=$1 since=$2 after sold negative
  after=$(stock)
  sold=$(sql -c "select coalesce(sum(i.quantity), 0) from order_items i join orders o on o.id = i.order_id where o.created_at >= '$since'")
  negative=$(sql -c "select count(*) from products where stock_quantity < 0")
  if [ $((before - after)) -ne "$sold" ] || [ "$negative" -ne 0 ]; then
    say "OVERSOLD: stock fell by $((before - after)), $sold units sold, $negative products below zero" >&2
    exit 1
  fi
  echo "$sold"
}

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {printf "%.0f", v[int((NR + 1) / 2)]}'; }

if part checkout; then
  walkin=00000000-0000-0000-0000-00000000000a
  cashier=$(sql -c "select id from users where username = 'cashier'")
  total=$(sql -c "select count(*) from bench_ids")
  for hot in 0 20; do
    if [ "$hot" = 0 ]; then base=20 n=$((total - 20)); else base=0 n=20; fi
    for clients in 1 4 16 64; do
      # Three runs each, interleaved, so a noisy moment hits both sides; medians compared.
      pg_runs=() app_runs=() lines=() checked=0
      for _ in 1 2 3; do
        sql -f scripts/bench/prepare.sql
        before=$(stock) since=$(sql -c "select now()")
        pg_runs+=("$(pgbench -n -M prepared -c "$clients" -j "$(( clients < 2 ? 1 : 2 ))" -T "$seconds" \
          -D base=$base -D n=$n -D walkin=$walkin -D cashier="$cashier" \
          -f scripts/bench/checkout.sql "$DATABASE_URL" 2>&1 | awk '/^tps/ {print $3; exit}')")
        pg_checked=$(check_stock "$before" "$since")
        sql -f scripts/bench/prepare.sql
        before=$(stock) since=$(sql -c "select now()")
        lines+=("$(load checkout "$clients" "$seconds" "$hot")")
        app_runs+=("$(sed -E 's/.*tps=([0-9.]+).*/\1/' <<<"${lines[-1]}")")
        app_checked=$(check_stock "$before" "$since")
        checked=$((checked + pg_checked + app_checked))
      done
      pg=$(median "${pg_runs[@]}") app=$(median "${app_runs[@]}")
      say "checkout hot=$hot clients=$clients pgbench_tps=$pg app_tps=$app ratio=$(awk "BEGIN {printf \"%.2f\", $app / $pg}") | runs pgbench ${pg_runs[*]} app ${app_runs[*]} | units checked $checked, oversold 0 | last app run: ${lines[-1]}"
    done
  done
fi

if part etims; then
  # The same till sales with eTIMS on (each paid sale numbered from the branch's counter row
  # as it commits, its receipt reading the invoice) against off, interleaved, medians
  # compared; pgbench's SQL sales are numbered by the same trigger.
  for clients in 1 16 64; do
    app_off=() app_on=() pg_off=() pg_on=()
    for _ in 1 2 3; do
      for mode in off on; do
        sql -c "update etims_policy set enabled = $([ "$mode" = on ] && echo true || echo false)"
        sql -f scripts/bench/prepare.sql
        pg=$(pgbench -n -M prepared -c "$clients" -j "$(( clients < 2 ? 1 : 2 ))" -T "$seconds" \
          -D base=20 -D n=$(( $(sql -c "select count(*) from bench_ids") - 20 )) \
          -D walkin=00000000-0000-0000-0000-00000000000a \
          -D cashier="$(sql -c "select id from users where username = 'cashier'")" \
          -f scripts/bench/checkout.sql "$DATABASE_URL" 2>&1 | awk '/^tps/ {print $3; exit}')
        app=$(load checkout "$clients" "$seconds" 0 $([ "$mode" = on ] && echo etims) \
          | sed -E 's/.*tps=([0-9.]+).*/\1/')
        if [ "$mode" = on ]; then app_on+=("$app") pg_on+=("$pg"); else app_off+=("$app") pg_off+=("$pg"); fi
      done
    done
    sql -c "update etims_policy set enabled = false"
    numbered=$(sql -c "select count(*) from etims_invoices")
    a_off=$(median "${app_off[@]}") a_on=$(median "${app_on[@]}")
    p_off=$(median "${pg_off[@]}") p_on=$(median "${pg_on[@]}")
    say "etims clients=$clients app_tps off=$a_off on=$a_on on/off=$(awk "BEGIN {printf \"%.2f\", $a_on / $a_off}") | pgbench_tps off=$p_off on=$p_on on/off=$(awk "BEGIN {printf \"%.2f\", $p_on / $p_off}") | app on/pgbench on=$(awk "BEGIN {printf \"%.2f\", $a_on / $p_on}") | invoices numbered so far $numbered"
  done
fi

if part search; then
  # The checkout runs leave dead rows and dirty pages behind: clean up first, so that the
  # searches do not share the 2 cores with autovacuum or a checkpoint.
  sql -c "vacuum analyze"
  sql -c "checkpoint"
  load search 4 "${BENCH_ROUNDS:-25}" flat-out | tee -a "$results"
  load search 4 5 typing | tee -a "$results"
fi

if part render; then
  cargo bench --locked --quiet --bench render -- --warm-up-time 1 --measurement-time 3 >/dev/null
  for size in 80x24 200x50; do
    bare=$(python3 -c "import json;print(json.load(open('target/criterion/draw $size/bare table/new/estimates.json'))['mean']['point_estimate']/1000)")
    for screen in catalog till; do
      us=$(python3 -c "import json;print(json.load(open('target/criterion/draw $size/$screen/new/estimates.json'))['mean']['point_estimate']/1000)")
      say "draw size=$size screen=$screen us=$(printf %.1f "$us") bare_table_us=$(printf %.1f "$bare") ratio=$(awk "BEGIN {printf \"%.2f\", $us / $bare}")"
    done
  done
fi

if part scan; then
  home=$(mktemp -d)
  printf '[database]\nurl = "%s"\n' "$DATABASE_URL" >"$home/bench.toml"
  # The till's own scan line: 200 scans, the sale voided every 20.
  RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup} CARGO_HOME=${CARGO_HOME:-$HOME/.cargo} \
    HOME=$home load scan "$PWD/target/release/bytemtaani" "$home/bench.toml" "${BENCH_SCANS:-200}" | tee -a "$results"
  rm -rf "$home"
fi

if part flood; then
  home=$(mktemp -d)
  printf '[database]\nurl = "%s"\n' "$DATABASE_URL" >"$home/bench.toml"
  # The callback receiver under 50 and 150 clients at once, each posting a 1.9 MB body.
  for requests in 50 150; do
    RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup} CARGO_HOME=${CARGO_HOME:-$HOME/.cargo} HOME=$home \
      load flood "$PWD/target/release/bytemtaani" "$home/bench.toml" "$requests" | tee -a "$results"
  done
  rm -rf "$home"
fi

if part sessions; then
  home=$(mktemp -d)
  printf '[database]\nurl = "%s"\n[server]\nhost_key = "%s/host_key"\nmax_per_source = 1000\nnew_per_minute = 10000\nmax_sessions = 1000\n' \
    "$DATABASE_URL" "$home" >"$home/bench.toml"
  # Kiosks on one shop server (bytemtaani serve), each a real SSH client logging in and
  # typing searches a letter at a time at a person's pace.
  for n in ${BENCH_SESSIONS:-50 200 500}; do
    RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup} CARGO_HOME=${CARGO_HOME:-$HOME/.cargo} HOME=$home \
      load sessions "$PWD/target/release/bytemtaani" "$home/bench.toml" "$n" "${BENCH_SESSION_SECONDS:-20}" | tee -a "$results"
  done
  # The same kiosks through OpenSSH, one app process (and pool) per session, as far as it
  # goes before PostgreSQL runs out of connections.
  scripts/ensure-test-packages.sh # sshd, ssh-keygen
  printf '[database]\nurl = "%s"\n[kiosk]\nallow_direct_database = true\n' "$DATABASE_URL" >"$home/openssh.toml"
  for n in ${BENCH_OPENSSH_SESSIONS:-20 50}; do
    RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup} CARGO_HOME=${CARGO_HOME:-$HOME/.cargo} HOME=$home \
      load openssh "$PWD/target/release/bytemtaani" "$home/openssh.toml" "$n" "${BENCH_SESSION_SECONDS:-20}" | tee -a "$results"
  done
  rm -rf "$home"
fi

if part startup; then
  home=$(mktemp -d)
  printf '[database]\nurl = "%s"\n' "$DATABASE_URL" >"$home/bench.toml"
  for _ in 1 2 3; do
    # The app keeps its log under HOME; cargo and rustup must still find theirs.
    RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup} CARGO_HOME=${CARGO_HOME:-$HOME/.cargo} \
      HOME=$home load startup "$PWD/target/release/bytemtaani" "$home/bench.toml" | tee -a "$results"
  done
  rm -rf "$home"
fi

echo "results in $results"
