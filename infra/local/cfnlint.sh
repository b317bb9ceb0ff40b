#!/usr/bin/env bash
# Lints the synthesized PROD CloudFormation template: cfn-lint (0 errors
# required) and checkov (the checks issue 17 names must pass: CKV_AWS_95
# API Gateway V2 access logging, CKV_AWS_66 CloudWatch log group retention;
# every other checkov finding is listed, not failed on). Both from PyPI,
# pinned, in their own venv under .tools/. The template is synthesized by the
# CDK app itself (go run ./infra/cdk, no CDK CLI) with cdk.json's context,
# stage=prod and placeholder function zips. Figures go to $PAYLINKS_FIGURES.
set -euo pipefail
cd "$(dirname "$0")/../.."
TOOLS="$PWD/.tools"
CFNLINT_VERSION="${CFNLINT_VERSION:-1.58.0}"
CHECKOV_VERSION="${CHECKOV_VERSION:-3.3.30}"
CHECKS="CKV_AWS_95,CKV_AWS_66"
VENV="$TOOLS/cfnlint-venv"
log() { printf 'cfnlint: %s\n' "$*" >&2; }
figure() {
  printf '%-28s %s\n' "$1" "$2"
  [ -n "${PAYLINKS_FIGURES:-}" ] && printf '%-28s %s\n' "$1" "$2" >>"$PAYLINKS_FIGURES"
  return 0
}

stamp="$TOOLS/.cfnlint-$CFNLINT_VERSION-checkov-$CHECKOV_VERSION"
if [ ! -f "$stamp" ]; then
  log "installing cfn-lint==$CFNLINT_VERSION and checkov==$CHECKOV_VERSION from PyPI"
  mkdir -p "$TOOLS"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "cfn-lint==$CFNLINT_VERSION" "checkov==$CHECKOV_VERSION"
  touch "$stamp"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/assets" "$work/out"
# Function code is not linted: an empty zip stands in for each function.
for f in functions/*/; do
  printf 'PK\005\006%018d' 0 | tr 0 '\000' >"$work/assets/$(basename "$f").zip"
done
CDK_CONTEXT_JSON="$(python3 -c '
import json, sys
ctx = json.load(open("cdk.json"))["context"]
ctx.update({"stage": "prod", "assetDir": sys.argv[1]})
print(json.dumps(ctx))' "$work/assets")"
log "synthesizing the prod template (go run ./infra/cdk)"
CDK_CONTEXT_JSON="$CDK_CONTEXT_JSON" CDK_OUTDIR="$work/out" go run ./infra/cdk
tpl="$work/out/paylinks-prod.template.json"
[ -s "$tpl" ] || { log "no template at $tpl"; exit 1; }
mkdir -p build
cp "$tpl" build/paylinks-prod.template.json

rc=0
# cfn-lint: exit status bit 2 = errors, 4 = warnings, 8 = informational;
# anything else (1: it failed, 126/127: it could not run) is no lint.
lint=0
"$VENV/bin/cfn-lint" --format parseable "$tpl" >"$work/cfnlint.txt" || lint=$?
if [ "$lint" -ne 0 ] && [ $((lint & ~14)) -ne 0 ]; then
  log "cfn-lint did not run (exit status $lint)"
  exit 1
fi
errors=$(grep -c ':E[0-9]' "$work/cfnlint.txt" || true)
warnings=$(grep -c ':W[0-9]' "$work/cfnlint.txt" || true)
if [ -s "$work/cfnlint.txt" ]; then sed "s|$tpl|paylinks-prod.template.json|" "$work/cfnlint.txt" >&2; fi
[ "$errors" -eq 0 ] || rc=1
figure "cfn-lint" "prod template: $errors errors, $warnings warnings (cfn-lint $CFNLINT_VERSION)"

# checkov: the named checks must pass.
"$VENV/bin/checkov" --quiet --compact --framework cloudformation --check "$CHECKS" -f "$tpl" -o json >"$work/checks.json" 2>"$work/checkov.err" || true
read -r passed failed < <(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
d = d[0] if isinstance(d, list) else d
s = d.get("summary", {})
print(s.get("passed", 0), s.get("failed", 0))' "$work/checks.json") || { cat "$work/checkov.err" >&2; log "checkov gave no report"; exit 1; }
if [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  rc=1
  python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
d = d[0] if isinstance(d, list) else d
for c in d.get("results", {}).get("failed_checks", []):
    print("checkov FAILED", c["check_id"], c["resource"], c["check_name"])' "$work/checks.json" >&2
fi
figure "checkov" "prod template, $CHECKS: $passed passed, $failed failed (checkov $CHECKOV_VERSION)"

# checkov: every other finding, reported only.
"$VENV/bin/checkov" --quiet --compact --framework cloudformation --skip-check "$CHECKS" -f "$tpl" -o json >"$work/all.json" 2>/dev/null || true
python3 -c '
import collections, json, sys
d = json.load(open(sys.argv[1]))
d = d[0] if isinstance(d, list) else d
failed = d.get("results", {}).get("failed_checks", [])
by = collections.Counter((c["check_id"], c["check_name"]) for c in failed)
print("checkov other findings (not failed on): %d on %d checks" % (len(failed), len(by)))
for (cid, name), n in sorted(by.items()):
    print("  %-12s %3d  %s" % (cid, n, name))' "$work/all.json" >&2 || log "checkov gave no report of the other checks"
exit $rc
