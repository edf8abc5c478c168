#!/bin/sh
# The container's `farm join --headless`: it listens on the container's own address (0.0.0.0
# would also announce 127.0.0.1, which in another container is that container), logs JSON lines
# on stdout and, on SIGTERM, has 25 s to finish or release its frames: Kubernetes and Podman
# kill after 30 s, a spot VM's preemption notice is 30 s. Arguments go on to `farm join`.
#   FARM_INVITE / FARM_INVITE_FILE   the invite (or a file holding it), read the first time
#   FARM_ADDRESS                     the address to listen on (default: this container's IPv4)
#   FARM_PORT                        the TCP port (default 4001)
#   FARM_GRACE                       the grace period on SIGTERM (default 25s)
#   FARM_ANNOUNCE                    a public address to announce, e.g. a LoadBalancer's
#                                    /ip4/203.0.113.7/tcp/4001 (a relay behind a Service needs it)
set -eu
address=${FARM_ADDRESS:-}
if [ -z "$address" ]; then
  for candidate in $(hostname -i); do
    case "$candidate" in
      *.*.*.*) address=$candidate; break ;;
    esac
  done
fi
if [ -z "$address" ]; then
  echo "farm-container: this container has no IPv4 address; set FARM_ADDRESS" >&2
  exit 2
fi
if [ -n "${FARM_ANNOUNCE:-}" ]; then set -- --announce "$FARM_ANNOUNCE" "$@"; fi
exec farm join --headless --log-format json --log-to stdout --grace "${FARM_GRACE:-25s}" \
  --listen "/ip4/${address}/tcp/${FARM_PORT:-4001}" "$@"
