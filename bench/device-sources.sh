#!/usr/bin/env bash
# One hash of the sources the Node bundle is built from (src, bench, shaders and the build's
# configuration), printed for bench/device-pack.sh and checked by bench/device.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
find src bench shaders vite.cli.config.ts package.json tsconfig.json -type f ! -name '*.md' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
