#!/usr/bin/env bash
# Generates examples/blender/spinning-top.blend from its committed script, only when missing or
# older than the script (a .blend is binary, so git keeps the script instead).
set -euo pipefail
cd "$(dirname "$0")/../.."
script=examples/blender/make-spinning-top.py
blend=examples/blender/spinning-top.blend
if ! command -v blender >/dev/null 2>&1; then
  printf 'setup: blender is not installed; skipping %s\n' "$blend" >&2
  exit 0
fi
if [ ! -f "$blend" ] || [ "$script" -nt "$blend" ]; then
  printf 'setup: generating %s\n' "$blend" >&2
  tmp="$blend.tmp.blend"
  rm -f "$tmp"
  log=$(blender -b --factory-startup --python "$script" -- "$PWD/$tmp" 2>&1) || { printf '%s\n' "$log" >&2; exit 1; }
  [ -f "$tmp" ] || { printf '%s\n' "$log" >&2; printf 'setup: blender did not write %s\n' "$blend" >&2; exit 1; }
  mv "$tmp" "$blend"
fi
