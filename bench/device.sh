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
# Debian/Ubuntu the script installs what is missing (nodejs, npm, libvulkan1). On a machine that
# reaches no registry, bring .device-pack/ along (made by bench/device-pack.sh on a machine that
# has the project set up): Node.js, the two packages, the built bundle and the Vulkan loader.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'device.sh: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

if [ -d .device-pack ]; then
  say 'unpacking .device-pack'
  if [ "$(bash bench/device-sources.sh)" != "$(cat .device-pack/sources.sha256 2>/dev/null)" ]; then
    say '.device-pack was built from other sources than this tree: run bash bench/device-pack.sh again'
    exit 1
  fi
  if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
    mkdir -p /tmp/flowlab-node/bin
    xz -dc .device-pack/node.xz > /tmp/flowlab-node/bin/node && chmod +x /tmp/flowlab-node/bin/node
    export PATH="/tmp/flowlab-node/bin:$PATH"
  fi
  [ -d node_modules/webgpu ] || tar -xJf .device-pack/modules.tar.xz
  tar -xJf .device-pack/dist-cli.tar.xz && touch dist-cli/bench.js
  if ! ldconfig -p 2>/dev/null | grep -q libvulkan.so.1; then
    for f in .device-pack/*.deb; do [ -e "$f" ] && as_root dpkg -x "$f" /; done
    as_root ldconfig || true
  fi
fi
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
# A software Vulkan driver chosen in this shell would hide the GPU. NVIDIA's driver in a container
# may keep its Vulkan ICD outside the loader's search path (/usr/local/nvidia here): name it.
unset VK_ICD_FILENAMES VK_DRIVER_FILES
if ! ls /usr/share/vulkan/icd.d/*nvidia* /etc/vulkan/icd.d/*nvidia* >/dev/null 2>&1; then
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/icd.d/nvidia_icd.json; do
    [ -f "$icd" ] && { export VK_DRIVER_FILES="$icd"; say "Vulkan ICD: $icd"; break; }
  done
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader >&2 || true
say "node $(node --version), $(date -u +%FT%TZ)"
exec node dist-cli/bench.js "$@"
