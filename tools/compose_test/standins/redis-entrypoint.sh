#!/bin/sh
# Like the official image's entrypoint: redis-server runs as the redis user, in /data, and
# without a configuration file protected mode is off (the network is the container's own).
set -eu
if [ "${1:-}" = redis-server ]; then
  shift
  chown -R redis:redis /data
  exec setpriv --reuid redis --regid redis --init-groups redis-server --protected-mode no "$@"
fi
exec "$@"
