#!/usr/bin/env bash
# Spec-driven API testing: schemathesis (PyPI, pinned) generates requests from
# the OpenAPI document the dev server publishes and checks every answer: no
# 5xx, status codes, content types, headers and bodies as documented. Runs
# the dev server on its own port and table against the running emulators.
# ST_MAX_EXAMPLES sets the cases per operation (make test: 25, make soak: 300).
set -euo pipefail
cd "$(dirname "$0")/../.."
TOOLS="$PWD/.tools"
ST_VERSION="${ST_VERSION:-4.32.5}"
PORT="${ST_PORT:-18081}"
MAX="${ST_MAX_EXAMPLES:-25}"
log() { printf 'schemathesis: %s\n' "$*" >&2; }
# The emulators' endpoints, as the Makefile sets them, for standalone runs.
export AWS_REGION="${AWS_REGION:-us-east-1}" AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-local}" \
  AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-local}" AWS_EC2_METADATA_DISABLED=true
if [ -z "${AWS_ENDPOINT_URL:-}" ]; then
  export AWS_ENDPOINT_URL_DYNAMODB="${AWS_ENDPOINT_URL_DYNAMODB:-http://127.0.0.1:${DDB_PORT:-18000}}"
  export AWS_ENDPOINT_URL_SQS="${AWS_ENDPOINT_URL_SQS:-http://127.0.0.1:${SQS_PORT:-19324}}"
fi

if [ ! -f "$TOOLS/.schemathesis-$ST_VERSION" ]; then
  log "installing schemathesis==$ST_VERSION from PyPI"
  python3 -m venv "$TOOLS/st-venv"
  "$TOOLS/st-venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$ST_VERSION"
  touch "$TOOLS/.schemathesis-$ST_VERSION"
fi

mkdir -p build
go build -o build/devserver ./infra/devserver
KEY="$(go run ./infra/admin new-key)"   # a random well-formed key (with its checksum)
TABLE_NAME="st-$(date +%s)" PORT="$PORT" PAYLINKS_DEV_API_KEY="$KEY" SWEEP_INTERVAL=1h LOG_LEVEL=error \
  build/devserver >build/schemathesis-server.log 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
  sleep 0.2
done

# DELETE /v1/api-keys/{id} is left out: the stateful phase links it to the
# key list and revokes the very key the run authenticates with.
log "$MAX examples per operation against http://127.0.0.1:$PORT"
"$TOOLS/st-venv/bin/st" --no-color run "http://127.0.0.1:$PORT/openapi.json" --url "http://127.0.0.1:$PORT" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
  --wait-for-schema 30 --header "Authorization: Bearer $KEY" --max-examples "$MAX" --workers 2 --seed 20261123 \
  --exclude-operation-id revokeApiKey \
  --report junit --report-dir build/schemathesis
