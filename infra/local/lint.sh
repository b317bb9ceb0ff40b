#!/usr/bin/env bash
# make lint: gofmt, go vet, a go mod tidy diff (go.mod and go.sum restored
# after), staticcheck and cyclomatic complexity (gocyclo -over 20, tests
# included, .tools/ skipped). Every check runs even when one before it
# failed; the exit status is 1 when any failed. The tools are pinned by the
# Makefile (STATICCHECK_VERSION, GOCYCLO_VERSION) and installed from the Go
# module proxy with `go install` into .tools/<tool>-<version>/; the OpenAPI
# document is linted with @redocly/cli (REDOCLY_VERSION, from npm), and the
# dashboard's ES modules (shared/dashboard/assets) with tsc --noEmit (their
# // @ts-check JSDoc types, TYPESCRIPT_VERSION) and eslint's recommended
# rules (ESLINT_VERSION, ESLINT_JS_VERSION, GLOBALS_VERSION), all from npm
# at pinned exact versions into .tools/<tool>-<version>/.
# The Go client (clients/go) is a module of its own: checked by
# check_go_client (its generated code against openapi.json, vet,
# staticcheck, tidy).
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${STATICCHECK_VERSION:?pinned in the Makefile: run make lint}"
: "${GOCYCLO_VERSION:?pinned in the Makefile: run make lint}"
: "${REDOCLY_VERSION:?pinned in the Makefile: run make lint}"
: "${TYPESCRIPT_VERSION:?pinned in the Makefile: run make lint}"
: "${ESLINT_VERSION:?pinned in the Makefile: run make lint}"
: "${ESLINT_JS_VERSION:?pinned in the Makefile: run make lint}"
: "${GLOBALS_VERSION:?pinned in the Makefile: run make lint}"
CYCLO_OVER="${CYCLO_OVER:-20}"
TOOLS="$PWD/.tools"
log() { printf 'lint: %s\n' "$*" >&2; }

# tool <dir> <module path>@<version>: the binary, installed once per version.
tool() {
  local dir="$TOOLS/$1" pkg="$2" bin="$TOOLS/$1/$(basename "${2%@*}")"
  if [ ! -x "$bin" ]; then
    log "installing $pkg"
    GOBIN="$dir" go install "$pkg" >&2 || return 1
  fi
  printf '%s\n' "$bin"
}

go_files() {
  if git rev-parse --git-dir >/dev/null 2>&1; then
    git ls-files --cached --others --exclude-standard -- '*.go'
  else
    find . -path ./.tools -prune -o -name '*.go' -print
  fi
}

rc=0
step() { # step <name> <command...>: runs it, reports, remembers a failure
  local name="$1"; shift
  if "$@"; then log "$name ok"; else log "$name FAILED"; rc=1; fi
}

check_gofmt() {
  local files unformatted
  files="$(go_files)" || return 1
  unformatted="$(printf '%s\n' "$files" | xargs -r -d '\n' gofmt -l)" || return 1
  [ -z "$unformatted" ] && return 0
  printf 'gofmt needed:\n%s\n' "$unformatted"
  return 1
}

# check_tidy [DIR]: the module in DIR (default .) is tidy.
check_tidy() {
  local saved ok=0 dir="${1:-.}"
  saved="$(mktemp -d)" || return 1
  cp "$dir/go.mod" "$dir/go.sum" "$saved/" || return 1
  if ! (cd "$dir" && go mod tidy); then
    ok=1
  elif ! cmp -s "$dir/go.mod" "$saved/go.mod" || ! cmp -s "$dir/go.sum" "$saved/go.sum"; then
    echo "go mod tidy changes $dir/go.mod or go.sum (run it and commit the result):"
    diff -u "$saved/go.mod" "$dir/go.mod"
    diff -u "$saved/go.sum" "$dir/go.sum"
    ok=1
  fi
  cp "$saved/go.mod" "$saved/go.sum" "$dir/" && rm -rf "$saved"
  return $ok
}

check_staticcheck() {
  local bin
  bin="$(tool "staticcheck-$STATICCHECK_VERSION" "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION")" || return 1
  "$bin" ./...
}

check_cyclo() {
  local bin
  bin="$(tool "gocyclo-$GOCYCLO_VERSION" "github.com/fzipp/gocyclo/cmd/gocyclo@$GOCYCLO_VERSION")" || return 1
  "$bin" -over "$CYCLO_OVER" -ignore '^\.tools/|\.gen\.go$' .
}

# The OpenAPI document against Redocly's recommended rules (@redocly/cli from
# npm, pinned): 0 errors; warnings are printed.
check_openapi() {
  local dir="$TOOLS/redocly-$REDOCLY_VERSION"
  if [ ! -x "$dir/node_modules/.bin/redocly" ]; then
    log "installing @redocly/cli@$REDOCLY_VERSION from npm"
    mkdir -p "$dir"
    npm install --no-audit --no-fund --loglevel=error --prefix "$dir" "@redocly/cli@$REDOCLY_VERSION" >/dev/null || return 1
  fi
  REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true "$dir/node_modules/.bin/redocly" lint --format=summary \
    shared/openapi/openapi.json 2>&1 | grep -v '[║╔╚]'
}

# npm_tool <dir> <bin> <package@version...>: the node_modules of dir under
# .tools/, the packages installed there once (exact versions, no scripts).
npm_tool() {
  local dir="$TOOLS/$1" bin="$2"; shift 2
  if [ ! -x "$dir/node_modules/.bin/$bin" ]; then
    log "installing $* from npm"
    mkdir -p "$dir"
    npm install --no-audit --no-fund --loglevel=error --ignore-scripts --save-exact --prefix "$dir" "$@" >/dev/null || return 1
  fi
  printf '%s\n' "$dir/node_modules"
}

DASHBOARD_JS=shared/dashboard/assets

# The dashboard's modules type-checked (tsconfig.json there: checkJs, the
# API's types from openapi.d.ts), nothing emitted.
check_tsc() {
  local mods
  mods="$(npm_tool "typescript-$TYPESCRIPT_VERSION" tsc "typescript@$TYPESCRIPT_VERSION")" || return 1
  "$mods/.bin/tsc" --noEmit -p "$DASHBOARD_JS/tsconfig.json"
}

# The dashboard's modules against eslint's recommended rules (the flat
# config eslint.config.mjs there); a warning fails too.
check_eslint() {
  local mods
  mods="$(npm_tool "eslint-$ESLINT_VERSION" eslint "eslint@$ESLINT_VERSION" "@eslint/js@$ESLINT_JS_VERSION" "globals@$GLOBALS_VERSION")" || return 1
  (cd "$DASHBOARD_JS" && PAYLINKS_ESLINT_MODULES="$mods" "$mods/.bin/eslint" --max-warnings 0 .)
}

# The TypeScript client (clients/ts): its types generated anew into a temp
# dir (infra/local/clients.sh ts, openapi-typescript as its lock file pins)
# must be the committed src/openapi.ts, and the package type-checks (its own
# pinned TypeScript, which openapi-typescript needs too; no emit).
check_ts_client() {
  local tmp ok=0
  tmp="$(mktemp -d)" || return 1
  if ! infra/local/clients.sh ts --out "$tmp"; then
    ok=1
  elif ! cmp -s "$tmp/openapi.ts" clients/ts/src/openapi.ts; then
    echo "clients/ts/src/openapi.ts differs from what openapi.json generates (run make clients and commit it):"
    diff -u clients/ts/src/openapi.ts "$tmp/openapi.ts" | head -40
    ok=1
  fi
  rm -rf "$tmp"
  [ $ok -eq 0 ] && clients/ts/node_modules/.bin/tsc --noEmit -p clients/ts/tsconfig.json
}

# The Go client (clients/go, a module of its own that go vet ./... here does
# not reach): its generated package made anew into a temp dir
# (infra/local/clients.sh go) must be the committed api/*.gen.go; go vet,
# staticcheck and the go mod tidy diff in that module (gofmt and gocyclo
# above cover its files, gocyclo without the generated *.gen.go).
check_go_client() {
  local tmp ok=0 bin
  tmp="$(mktemp -d)" || return 1
  if ! infra/local/clients.sh go --out "$tmp"; then
    ok=1
  else
    for f in types.gen.go client.gen.go; do
      if ! cmp -s "$tmp/$f" "clients/go/api/$f"; then
        echo "clients/go/api/$f differs from what openapi.json generates (run make clients and commit it):"
        diff -u "clients/go/api/$f" "$tmp/$f" | head -40
        ok=1
      fi
    done
  fi
  rm -rf "$tmp"
  (cd clients/go && go vet ./...) || ok=1
  bin="$(tool "staticcheck-$STATICCHECK_VERSION" "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION")" || return 1
  (cd clients/go && "$bin" ./...) || ok=1
  check_tidy clients/go || ok=1
  return $ok
}

step gofmt check_gofmt
step "go vet" go vet ./...
step "go mod tidy" check_tidy
step "staticcheck $STATICCHECK_VERSION" check_staticcheck
step "gocyclo -over $CYCLO_OVER" check_cyclo
step "redocly lint $REDOCLY_VERSION (openapi.json)" check_openapi
step "tsc $TYPESCRIPT_VERSION --noEmit (dashboard modules)" check_tsc
step "eslint $ESLINT_VERSION (dashboard modules)" check_eslint
step "TypeScript client: generated types as committed, tsc --noEmit" check_ts_client
step "Go client: generated code as committed, go vet, staticcheck, go mod tidy (clients/go)" check_go_client
exit $rc
