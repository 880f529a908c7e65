#!/usr/bin/env bash
# Packs what bench/device.sh needs on a GPU machine that cannot reach any package registry (the
# lent machines of this workplace: no Node.js, no network) into .device-pack/ (git-ignored, about
# 35 MiB so it travels with the working tree):
#   node.xz          this machine's Node.js binary (x86-64 Linux, linked against glibc only)
#   modules.tar.xz   node_modules/webgpu (its linux-x64 Dawn addon only) and node_modules/fflate,
#                    the bench bundle's only packages
#   dist-cli.tar.xz  the built Node bundle (bench.js and its chunks)
#   *.deb            the Vulkan loader (libvulkan1), unpacked by device.sh where it is missing
#   sources.sha256   the hash of the sources the bundle was built from (bench/device-sources.sh)
# Run it here after `bash scripts/setup.sh`; then on the GPU machine `bash bench/device.sh` with
# .device-pack carried along. Needs x86-64 Linux here (the pack is for x86-64 machines).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf 'device-pack.sh: %s\n' "$*" >&2; }

[ "$(uname -m)" = x86_64 ] || { say "this machine is $(uname -m); the pack must be x86-64"; exit 1; }
[ -d node_modules/webgpu/dist/linux-x64 ] && [ -d node_modules/fflate ] || { say 'node_modules missing: run bash scripts/setup.sh first'; exit 1; }
node_bin=$(readlink -f "$(command -v node)")
# Anything beyond glibc and the C++ runtime would be missing there.
if ldd "$node_bin" | grep -v -E 'linux-vdso|ld-linux|lib(c|m|dl|pthread|rt|stdc\+\+|gcc_s)\.so' | grep -q '=>'; then
  say "$node_bin links libraries beyond glibc (a distribution build?): use an official Node.js build"
  ldd "$node_bin" >&2
  exit 1
fi

pack=.device-pack
rm -rf "$pack" && mkdir -p "$pack"
say 'building dist-cli (vite)'
npx vite build --config vite.cli.config.ts --logLevel error
say "compressing $node_bin ($(node --version))"
xz -T0 -6 -c "$node_bin" > "$pack/node.xz"
tar -cJf "$pack/modules.tar.xz" --exclude='node_modules/webgpu/dist/darwin-*' --exclude='node_modules/webgpu/dist/win32-*' \
  --exclude='node_modules/webgpu/dist/linux-arm64' node_modules/webgpu node_modules/fflate
tar -cJf "$pack/dist-cli.tar.xz" dist-cli
# What the bundle was built from, so device.sh refuses a pack older than the tree it runs in.
bash bench/device-sources.sh > "$pack/sources.sha256"
(cd "$pack" && apt-get download libvulkan1 >/dev/null 2>&1) || (apt-get update -qq && cd "$pack" && apt-get download libvulkan1 >/dev/null 2>&1) ||
  say 'could not download libvulkan1 (no apt?): device.sh then needs the machine to have a Vulkan loader'
say "$(du -sh "$pack" | cut -f1) in $pack: carry it (run's carry: [\"$pack\"]) and run bash bench/device.sh"
