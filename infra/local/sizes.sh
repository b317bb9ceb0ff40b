#!/usr/bin/env bash
# make sizes: builds every function (make -j build) and prints a markdown
# table of each: how many of paylinks' packages it links and which (from
# `go list -deps`, as built: linux/arm64, tag lambda.norpc), its unpacked
# bootstrap and its zip in MB (10^6 bytes). The sizes are appended to
# $PAYLINKS_FIGURES too, and the table kept in build/sizes.md. Exits 1 when
# any bootstrap is 12 MB or more (docs/performance.md, "Function sizes").
set -euo pipefail
cd "$(dirname "$0")/../.."
LIMIT_MB="${LIMIT_MB:-12}"
MODULE="$(go list -m)"
"${MAKE:-make}" --no-print-directory -j"$(nproc)" build >&2

mb() { python3 -c 'import os,sys; print("%.1f" % (os.path.getsize(sys.argv[1]) / 1e6))' "$1"; }
figure() {
  [ -n "${PAYLINKS_FIGURES:-}" ] && printf '%-28s %s\n' "$1" "$2" >>"$PAYLINKS_FIGURES"
  return 0
}

rc=0
table="$(mktemp)"
trap 'rm -f "$table"' EXIT
{
  echo "| function | paylinks packages | packages linked | binary (MB) | zip (MB) |"
  echo "|---|---:|---|---:|---:|"
} >"$table"
for dir in functions/*/; do
  f="$(basename "$dir")"
  bin="build/functions/$f/bootstrap" zip="build/functions/$f.zip"
  deps="$(GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go list -tags lambda.norpc -deps "./functions/$f" | grep "^$MODULE/" || true)"
  count="$(printf '%s\n' "$deps" | grep -c . || true)"
  names="$(printf '%s\n' "$deps" | sed "s#^$MODULE/##; s#^shared/##" | sort | tr '\n' ' ' | sed 's/ $//')"
  size="$(mb "$bin")" zsize="$(mb "$zip")"
  printf '| %s | %s | %s | %s | %s |\n' "$f" "$count" "$names" "$size" "$zsize" >>"$table"
  figure "size $f" "$size MB binary, $zsize MB zip, $count paylinks packages"
  if [ "$(stat -c %s "$bin")" -ge "$((LIMIT_MB * 1000 * 1000))" ]; then
    echo "sizes: $f's bootstrap is $size MB, the limit is under $LIMIT_MB MB" >&2
    rc=1
  fi
done
cp "$table" build/sizes.md
cat "$table"
exit $rc
