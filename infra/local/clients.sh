#!/usr/bin/env bash
# make clients: regenerates the API clients from the OpenAPI document
# (shared/openapi/openapi.json). `clients.sh` runs every step; `clients.sh
# go` one. Each step can write into another directory (make lint's drift
# check): clients.sh go --out DIR.
#
# go: clients/go/api/types.gen.go and client.gen.go (two files, each under the
# repository's 1 MB limit). oapi-codegen reads OpenAPI 3.0 only, so
# clients/go/internal/cmd/openapi30 derives a 3.0 document from the 3.1 one
# first (the source document is not edited); oapi-codegen is pinned by the
# Makefile (OAPI_CODEGEN_VERSION) and installed from the Go module proxy into
# .tools/oapi-codegen-<version>/.
#
# ts: clients/ts/src/openapi.ts, by openapi-typescript as pinned in
# clients/ts/package-lock.json (npm ci into clients/ts/node_modules first,
# when it is missing or older than the lock file).
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${OAPI_CODEGEN_VERSION:?pinned in the Makefile: run make clients}"
ROOT="$PWD"
log() { printf 'clients: %s\n' "$*" >&2; }

# gen_go [DIR]: the Go client's generated package into DIR (clients/go/api).
gen_go() {
  local out="${1:-$ROOT/clients/go/api}" bin="$ROOT/.tools/oapi-codegen-$OAPI_CODEGEN_VERSION/oapi-codegen" tmp
  if [ ! -x "$bin" ]; then
    log "installing oapi-codegen $OAPI_CODEGEN_VERSION"
    GOBIN="$(dirname "$bin")" go install "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@$OAPI_CODEGEN_VERSION" >&2
  fi
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' RETURN
  (cd clients/go && go run ./internal/cmd/openapi30) <shared/openapi/openapi.json >"$tmp/openapi30.json"
  mkdir -p "$out"
  "$bin" -config clients/go/api/types.yaml -o "$out/types.gen.go" "$tmp/openapi30.json"
  "$bin" -config clients/go/api/client.yaml -o "$out/client.gen.go" "$tmp/openapi30.json"
  log "go: $out/types.gen.go $out/client.gen.go"
}

# ts_deps: clients/ts/node_modules as the lock file has it.
ts_deps() {
  local stamp="$ROOT/clients/ts/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$ROOT/clients/ts/package-lock.json" -nt "$stamp" ]; then
    log "npm ci in clients/ts"
    (cd "$ROOT/clients/ts" && npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
}

# gen_ts [DIR]: the TypeScript client's generated types into DIR/openapi.ts (clients/ts/src).
gen_ts() {
  local out="${1:-$ROOT/clients/ts/src}"
  ts_deps
  mkdir -p "$out"
  "$ROOT/clients/ts/node_modules/.bin/openapi-typescript" shared/openapi/openapi.json --output "$out/openapi.ts" >/dev/null
  log "ts: $out/openapi.ts"
}

steps=() out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    go|ts) steps+=("$1"); shift ;;
    *) echo "clients.sh: unknown step or flag $1 (steps: go, ts)" >&2; exit 2 ;;
  esac
done
[ ${#steps[@]} -gt 0 ] || steps=(go ts)
for s in "${steps[@]}"; do
  case "$s" in
    go) gen_go "$out" ;;
    ts) gen_ts "$out" ;;
  esac
done
