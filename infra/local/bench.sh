#!/usr/bin/env bash
# make bench (`bench.sh all`) and make bench-heat (`bench.sh heat`): the
# benchmarks stage by stage against DynamoDB Local and moto, the raw output
# in build/bench.txt (with each stage's duration), then infra/benchreport's
# report on stdout and build/bench.json. A whole run that passed also
# writes its tables into docs/performance.md (between the bench markers);
# a failed or partial one writes nothing there.
#
# The emulators are started when they do not answer and stopped at the
# end only when this run started them (on a machine where they already
# run, for `make dev` or other tests, they keep running).
#
# Knobs: BENCHTIME (runs per operation, 200x), HEAT_SCALE (the key-heat
# workload's multiplier, 1), BENCH_SECONDS (each throughput loop, 3),
# BENCH_SWEEP_TOTAL (links in the sweep's table, 100000),
# BENCH_RECONCILE_ENTRIES (entries of the reconciled statement, 100000:
# entries/s, peak memory under 200 MB, DynamoDB calls per entry), and the
# emulators' own (DDB_PORT, SQS_PORT, PAYLINKS_RUN_DIR with
# AWS_ENDPOINT_URL_DYNAMODB and AWS_ENDPOINT_URL_SQS to match).
set -uo pipefail
cd "$(dirname "$0")/../.."
what="${1:-all}"
case "$what" in all | heat) ;; *) echo "usage: $0 all|heat" >&2; exit 2 ;; esac

mkdir -p build
rm -f build/heat.json
started=0
if ! log="$(EMULATORS="ddb moto" infra/local/emulators.sh start 2>&1)"; then
  printf '%s\n' "$log" >&2
  exit 1
fi
printf '%s\n' "$log" >&2
case "$log" in *"emulators: starting "*) started=1 ;; esac

# stage runs one go test -bench command (package, then go test's flags) and
# prints its output without the functions' JSON log lines, then how long it
# took.
stage() {
  local name="$1" pkg="$2" t0=$SECONDS rc
  shift 2
  echo "bench: stage $name"
  go test -run '^$' "$@" "$pkg" 2>&1 | grep --line-buffered -v '^{'
  rc=${PIPESTATUS[0]}
  echo "bench: stage $name took $((SECONDS - t0)) s (exit $rc)"
  return "$rc"
}

benchtime="${BENCHTIME:-200x}"
rc=0
{
  stage ops ./tests/perf -bench 'Ops' -benchtime "$benchtime" -timeout 30m &&
    stage heat ./tests/perf -bench 'Heat' -benchtime 1x -timeout 30m &&
    if [ "$what" = all ]; then
      stage cold-start ./tests/perf -bench 'ColdStart' -benchtime 1x -timeout 30m &&
        stage sweep-op ./tests/perf -bench 'SweepOp' -benchtime 3x -timeout 30m &&
        stage throughput ./tests/perf -bench 'Throughput' -benchtime 1x -timeout 30m &&
        stage click ./shared/redirect -bench 'Click' -benchtime "$benchtime" &&
        BENCH_SWEEP_TOTAL="${BENCH_SWEEP_TOTAL:-100000}" stage sweep-100k ./shared/sweep -bench 'Sweep/^due=1000$/' -benchtime 1x -timeout 60m &&
        BENCH_RECONCILE_ENTRIES="${BENCH_RECONCILE_ENTRIES:-100000}" stage reconcile-100k ./tests/perf -bench 'Reconcile' -benchtime 1x -timeout 90m
    fi
} | tee build/bench.txt
rc=${PIPESTATUS[0]}

if [ "$started" = 1 ]; then
  infra/local/emulators.sh stop
fi
doc=()
if [ "$what" = all ] && [ "$rc" = 0 ]; then
  doc=(-doc docs/performance.md -commit "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)")
fi
go run ./infra/benchreport "${doc[@]}" <build/bench.txt || rc=1
exit "$rc"
