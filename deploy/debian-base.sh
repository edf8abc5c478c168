#!/bin/sh
# Makes a Debian 12 (bookworm) base image with debootstrap, for a machine that cannot pull
# debian:12-slim from a registry but reaches a Debian mirror. Then:
#   podman build --format docker --build-arg BASE=TAG -f deploy/Containerfile -t farm .
# usage: deploy/debian-base.sh TAG [MIRROR]    (run as root; MIRROR default deb.debian.org)
set -eu
tag=${1:?usage: deploy/debian-base.sh TAG [MIRROR]}
mirror=${2:-http://deb.debian.org/debian}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! debootstrap --variant=minbase bookworm "$work/root" "$mirror" >"$work/log" 2>&1; then
  tail -n 20 "$work/log" >&2
  echo "debian-base: debootstrap from $mirror failed (log above)" >&2
  exit 1
fi
cat >"$work/root/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
SOURCES
# What debian:12-slim leaves out too: downloaded packages and package lists.
rm -rf "$work"/root/var/cache/apt/archives/*.deb "$work"/root/var/lib/apt/lists/*
tar -C "$work/root" -c . | podman import --change 'CMD ["/bin/bash"]' - "$tag" >/dev/null
echo "$tag"
