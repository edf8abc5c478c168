#!/usr/bin/env bash
# Makes this checkout ready to run: OS renderers and tools, Node 22 and the npm packages, the
# build, generated example files. Idempotent, and quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*" >&2; }

# --- OS packages: renderers, ffmpeg, Chromium for the browser tests --------------------------
need=()
command -v povray   >/dev/null 2>&1 || need+=(povray povray-includes)
command -v blender  >/dev/null 2>&1 || need+=(blender)
command -v ffmpeg   >/dev/null 2>&1 || need+=(ffmpeg)
command -v ffprobe  >/dev/null 2>&1 || need+=(ffmpeg)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v unshare  >/dev/null 2>&1 || need+=(util-linux)
command -v ip       >/dev/null 2>&1 || need+=(iproute2)
command -v tmux     >/dev/null 2>&1 || need+=(tmux)
# Rendering other members' scenes in a sandbox; cloud backup; containers; NAT test networks.
command -v bwrap    >/dev/null 2>&1 || need+=(bubblewrap)
command -v prlimit  >/dev/null 2>&1 || need+=(util-linux)
command -v rclone   >/dev/null 2>&1 || need+=(rclone)
command -v podman   >/dev/null 2>&1 || need+=(podman)
# The container test's base image without a registry; runc where crun refuses hybrid cgroups.
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v runc     >/dev/null 2>&1 || need+=(runc)
command -v iptables >/dev/null 2>&1 || need+=(iptables)
command -v nft      >/dev/null 2>&1 || need+=(nftables)
if [ ${#need[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    say "installing OS packages: ${need[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    say "missing: ${need[*]}. This is not a Debian/Ubuntu system: install POV-Ray, Blender and ffmpeg"
    say "with your package manager (e.g. 'brew install povray blender ffmpeg' or 'dnf install povray blender ffmpeg')."
  fi
fi

# --- npm packages, including Node 22 itself (the 'node' package) -----------------------------
# A node_modules that is a link belongs to another checkout (a git worktree): never reinstall it from here.
if [ ! -L node_modules ] && { [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; }; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules/.package-lock.json
fi
NODE="$PWD/node_modules/node/bin/node"
"$NODE" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 22 ? 0 : 1)' \
  || { say "node_modules/node is not Node >= 22; remove node_modules and run again"; exit 1; }

# --- build -----------------------------------------------------------------------------------
stamp=dist/.build-stamp
if [ ! -f "$stamp" ] || [ -n "$(find src tsconfig.json package-lock.json -newer "$stamp" -print -quit)" ]; then
  say "building"
  rm -rf dist
  "$NODE" node_modules/typescript/bin/tsc -p tsconfig.json
  touch "$stamp"
fi

# --- generated example files -----------------------------------------------------------------
for gen in scripts/setup.d/*.sh; do
  [ -e "$gen" ] && bash "$gen"
done
exit 0
