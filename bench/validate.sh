#!/usr/bin/env bash
# Benchmark `gitsm validate` on synthetic repos of 10k and 100k records, and — where
# they are installed — ajv-cli and check-jsonschema on the same files and schemas.
#
#   bash bench/validate.sh            # uses /tmp/gitsm-bench for the generated repos
#   BENCH_DIR=/some/dir bash bench/validate.sh
#
# Optional comparison tools:  npm i -g ajv-cli@5   and   pip install check-jsonschema
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${BENCH_DIR:-/tmp/gitsm-bench}
mkdir -p "$DIR"
cargo build --release --locked -q
BIN=$PWD/target/release/gitsm

for n in 10000 100000; do
  [ -d "$DIR/r$n" ] || python3 bench/gen_synthetic.py "$n" "$DIR/r$n"
done

RUNS=${RUNS:-5}
timed() { # label, command...: median and best wall seconds and max RSS over $RUNS warm runs
  local label=$1; shift
  "$@" >/dev/null 2>&1 || true # warm the page cache
  local rows=""
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %M" -o "$DIR/time.txt" "$@" >/dev/null 2>&1 || true
    rows+="$(cat "$DIR/time.txt")"$'\n'
  done
  printf '%s' "$rows" | sort -n | awk -v label="$label" -v runs="$RUNS" '
    { t[NR] = $1; if ($2 > rss) rss = $2 }
    END { printf "%-44s median %5.2f s  best %5.2f s  worst %5.2f s  %6.1f MB RSS  (%d runs)\n",
                 label, t[int((NR + 1) / 2)], t[1], t[NR], rss / 1024, runs }'
}

echo "machine: $(nproc) cores, $(uname -m); gitsm $($BIN --version)"
for n in 10000 100000; do
  timed "gitsm validate ($n records)" "$BIN" --repo "$DIR/r$n" validate
done
timed "gitsm validate (10000, 1 thread)" env RAYON_NUM_THREADS=1 "$BIN" --repo "$DIR/r10000" validate

R=$DIR/r10000
if command -v ajv >/dev/null 2>&1; then
  # ajv-cli validates one schema per run: one run per kind, summed.
  ajv_all() {
    for k in incident change request service sla; do
      dir=$(case $k in incident) echo incidents;; change) echo changes;; request) echo requests;; service) echo catalog;; sla) echo slas;; esac)
      [ "$k" = sla ] && continue
      ajv validate --spec=draft2020 --strict=false -s "schemas/$k.json" -d "$R/$dir/*.yaml" >/dev/null 2>&1 || true
    done
  }
  export -f ajv_all; export R
  timed "ajv-cli 5 (10000 records, schema only)" bash -c ajv_all
else
  echo "ajv-cli not installed (npm i -g ajv-cli@5): skipped"
fi
if command -v check-jsonschema >/dev/null 2>&1; then
  cj_all() {
    check-jsonschema --schemafile schemas/incident.json "$R"/incidents/*.yaml >/dev/null 2>&1 || true
    check-jsonschema --schemafile schemas/change.json "$R"/changes/*.yaml >/dev/null 2>&1 || true
    check-jsonschema --schemafile schemas/request.json "$R"/requests/*.yaml >/dev/null 2>&1 || true
    check-jsonschema --schemafile schemas/service.json "$R"/catalog/*.yaml >/dev/null 2>&1 || true
  }
  export -f cj_all; export R
  # Tens of seconds a run: timed once after the warm-up.
  RUNS=1 timed "check-jsonschema (10000 records, schema only)" bash -c cj_all
else
  echo "check-jsonschema not installed (pip install check-jsonschema): skipped"
fi
