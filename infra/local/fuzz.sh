#!/usr/bin/env bash
# Runs every fuzz target for FUZZTIME (make test: 4s each, make soak: 60s)
# and prints executions and crashes per target (appended to
# $PAYLINKS_FIGURES too). A crash fails the run; Go writes the input to the
# package's testdata/fuzz/<target>/, where it stays as a regression seed.
# SAVE_CORPUS=1 copies up to 60 interesting inputs per target from the Go
# cache into testdata/fuzz (the committed corpora every `go test` replays).
set -uo pipefail
cd "$(dirname "$0")/../.."
FUZZTIME="${FUZZTIME:-4s}"
# Every fuzz target of the module, found in the test files (a target that
# moves or is added is fuzzed without editing this list).
TARGETS="$(grep -rl --include='*_test.go' '^func Fuzz' shared | sort | while read -r f; do
  for name in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //'); do echo "./$(dirname "$f") $name"; done
done)"
[ -n "$TARGETS" ] || { echo "fuzz: no targets found"; exit 1; }
cache="$(go env GOCACHE)/fuzz/$(go list -m)"
fail=0 total=0 crashes=0
mkdir -p build
printf '%-46s %12s %8s\n' "fuzz target" "executions" "crashes"
while read -r pkg name; do
  [ -z "$pkg" ] && continue
  out="$(PAYLINKS_SKIP_BROWSER=1 go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$pkg" 2>&1)"
  rc=$?
  # The engine itself sometimes stops a worker that is mid-input when the
  # time is up on a loaded machine ("context deadline exceeded", no input
  # written): that is no crash of ours, the target runs once more. A real
  # crash always writes its input ("Failing input written to ...").
  if [ $rc -ne 0 ] && printf '%s\n' "$out" | grep -q 'context deadline exceeded' && ! printf '%s\n' "$out" | grep -q 'Failing input written'; then
    printf 'fuzz: %s %s: the engine timed out a worker (no failing input); running it again\n' "$pkg" "$name"
    out="$(PAYLINKS_SKIP_BROWSER=1 go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$pkg" 2>&1)"
    rc=$?
  fi
  execs="$(printf '%s\n' "$out" | grep -o 'execs: [0-9]*' | tail -1 | grep -o '[0-9]*')"
  execs="${execs:-0}"
  c=0
  if [ $rc -ne 0 ]; then c=1; fail=1; printf '%s\n' "$out" | tail -20; fi
  if printf '%s\n' "$out" | grep -q 'no fuzz tests to fuzz'; then fail=1; printf 'fuzz: %s has no target %s\n' "$pkg" "$name"; fi
  total=$((total + execs)); crashes=$((crashes + c))
  printf '%-46s %12s %8s\n' "${pkg#./shared/} $name" "$execs" "$c"
  [ -n "${PAYLINKS_FIGURES:-}" ] && printf '%-28s %s: %s executions in %s, %s crashes\n' "fuzz" "${pkg#./shared/} $name" "$execs" "$FUZZTIME" "$c" >>"$PAYLINKS_FIGURES"
  if [ "${SAVE_CORPUS:-}" = 1 ] && [ -d "$cache/${pkg#./}/$name" ]; then
    mkdir -p "$pkg/testdata/fuzz/$name"
    ls "$cache/${pkg#./}/$name" | head -60 | while read -r f; do cp "$cache/${pkg#./}/$name/$f" "$pkg/testdata/fuzz/$name/"; done
  fi
done <<<"$TARGETS"
printf '%-46s %12s %8s\n' "total" "$total" "$crashes"
exit $fail
