#!/usr/bin/env bash
# One-time set-up for a fresh Debian/Ubuntu machine (idempotent; safe to run again).
#  - Chromium: the e2e tests drive it, and it ships SwiftShader, the CPU Vulkan driver that lets
#    WebGPU (Dawn in Node, and Chromium itself) run on machines without a GPU.
#  - libvulkan1: the Vulkan loader Dawn opens.
#  - python3-numpy: the CLI test checks that numpy reads our .npz (skipped if absent).
#  - npm ci: the exact dependency versions of package-lock.json.
#  - npm run build:cli: the `flowlab` CLI and library in dist-cli/ (npx flowlab ... works at once).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

need_node_major=20
need_node_minor=19
if ! command -v node >/dev/null 2>&1; then
  echo "setup: Node.js is missing. Install Node.js >= ${need_node_major}.${need_node_minor} (e.g. from nodejs.org or with nvm), then run this again." >&2
  exit 1
fi
node_version=$(node -p 'process.versions.node')
major=${node_version%%.*}; rest=${node_version#*.}; minor=${rest%%.*}
if [ "$major" -lt "$need_node_major" ] || { [ "$major" -eq "$need_node_major" ] && [ "$minor" -lt "$need_node_minor" ]; }; then
  echo "setup: Node.js $node_version is too old; Vite 8 needs >= ${need_node_major}.${need_node_minor}." >&2
  exit 1
fi

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1' || missing+=(libvulkan1)
python3 -c 'import numpy' >/dev/null 2>&1 || missing+=(python3-numpy)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

npm run --silent build:cli -- --logLevel warn
