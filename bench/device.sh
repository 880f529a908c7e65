#!/usr/bin/env bash
# Set up and run the full bench (npm run bench: every kernel line with its ratio to the previous
# one measured in the same run, and the fraction of the GPU's exp bound when the GPU is known) on
# a fresh Linux machine with a GPU, then print the table. Meant to finish within 5 minutes.
#
#   bash bench/device.sh                 # everything
#   bash bench/device.sh --only mixed-score
#
# Needs Node.js >= 20 and a Vulkan driver for the GPU (NVIDIA's, Mesa's, ...): Dawn, through the
# `webgpu` package, finds the adapter through the Vulkan loader (libvulkan1). As root on
# Debian/Ubuntu the script installs what is missing (nodejs, npm, libvulkan1); offline, bring
# node_modules/ (or at least node_modules/webgpu and node_modules/fflate) and dist-cli/ along.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'device.sh: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  say 'installing Node.js (apt)'
  as_root apt-get update -qq && as_root apt-get install -y -qq nodejs npm >/dev/null
fi
if ! ldconfig -p 2>/dev/null | grep -q libvulkan.so.1; then
  say 'installing the Vulkan loader (apt libvulkan1)'
  as_root apt-get install -y -qq libvulkan1 >/dev/null || say 'no Vulkan loader: the bench will report no adapter'
fi
if [ ! -d node_modules/webgpu ]; then
  say 'npm ci'
  npm ci --no-audit --no-fund --loglevel=error
fi
if [ ! -f dist-cli/bench.js ] || [ -n "$(find src bench shaders -newer dist-cli/bench.js -print -quit 2>/dev/null)" ]; then
  say 'building dist-cli (vite)'
  npx vite build --config vite.cli.config.ts --logLevel error
fi
# A software Vulkan driver chosen in this shell would hide the GPU.
unset VK_ICD_FILENAMES VK_DRIVER_FILES
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader >&2 || true
say "node $(node --version), $(date -u +%FT%TZ)"
exec node dist-cli/bench.js "$@"
