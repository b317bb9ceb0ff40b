#!/usr/bin/env bash
# buildfn.sh <function>: builds functions/<function> for Lambda's
# provided.al2023 on arm64 as build/functions/<function>/bootstrap and zips it
# to build/functions/<function>.zip, bootstrap at the root. The zip is
# reproducible: fixed timestamps and modes, so the same sources give the same
# bytes (and CDK the same asset hash). make build runs it once per function.
# PAYLINKS_GOARCH (arm64) and PAYLINKS_ASSET_DIR (build/functions) change the
# architecture and the output directory (infra/local/localstack.sh builds for
# this machine into build/localstack-functions).
set -euo pipefail
cd "$(dirname "$0")/../.."
f="${1:?usage: buildfn.sh <function under functions/>}"
[ -d "functions/$f" ] || { echo "buildfn: no functions/$f" >&2; exit 2; }
out="${PAYLINKS_ASSET_DIR:-build/functions}"
mkdir -p "$out/$f"
CGO_ENABLED=0 GOOS=linux GOARCH="${PAYLINKS_GOARCH:-arm64}" go build -trimpath -buildvcs=false -tags lambda.norpc -ldflags "-s -w" \
  -o "$out/$f/bootstrap.tmp" "./functions/$f"
mv "$out/$f/bootstrap.tmp" "$out/$f/bootstrap"
python3 - "$out/$f/bootstrap" "$out/$f.zip.tmp" <<'PY'
import sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with open(src, "rb") as fh:
    data = fh.read()
info = zipfile.ZipInfo("bootstrap", date_time=(1980, 1, 1, 0, 0, 0))
info.create_system = 3                  # unix, so the mode below counts
info.external_attr = 0o100755 << 16     # a regular, executable file
info.compress_type = zipfile.ZIP_DEFLATED
with zipfile.ZipFile(dst, "w") as z:
    z.writestr(info, data, compresslevel=9)
PY
mv "$out/$f.zip.tmp" "$out/$f.zip"
