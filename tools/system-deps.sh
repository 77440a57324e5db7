#!/usr/bin/env bash
# Install what the project needs from the distribution, only when it is missing.
#   tools/system-deps.sh venv      python3 with venv and pip
#   tools/system-deps.sh redis     redis-server, unless a Redis already answers at REDIS_URL
#   tools/system-deps.sh postgres  PostgreSQL's server programs, for tests that restart one
#   tools/system-deps.sh chromium  Debian's chromium, for the browser tests
#   tools/system-deps.sh wrk       the HTTP load generator of the benchmarks
#   tools/system-deps.sh valgrind  callgrind, which counts the benchmarks' instructions
#   tools/system-deps.sh pdf       Pango, HarfBuzz's subsetter and fonts covering Latin, Cyrillic and Arabic, for
#                                  WeasyPrint and the browser tests
#   tools/system-deps.sh scale     iproute2, HAProxy and redis-server, for make scale-test
#   tools/system-deps.sh compose   podman with runc, catatonit, netavark, iptables and debootstrap, for
#                                  make compose-test
set -euo pipefail

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else
    echo "Please install as root: $*" >&2
    exit 1
  fi
}

apt_install() {
  if ! command -v apt-get >/dev/null; then
    echo "Please install these packages with your system's package manager: $*" >&2
    exit 1
  fi
  echo "Installing from the distribution: $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

redis_answers() {
  python3 - "${REDIS_URL:-redis://127.0.0.1:6379/0}" <<'PY'
import socket, sys, urllib.parse
url = urllib.parse.urlparse(sys.argv[1])
try:
    with socket.create_connection((url.hostname or "127.0.0.1", url.port or 6379), timeout=1) as s:
        s.sendall(b"PING\r\n")
        sys.exit(0 if s.recv(16).startswith((b"+PONG", b"-NOAUTH")) else 1)
except OSError:
    sys.exit(1)
PY
}

case "${1:-}" in
  venv)
    command -v python3 >/dev/null || apt_install python3
    python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
      echo "Atelier needs Python 3.11 or newer; this python3 is $(python3 --version)." >&2
      exit 1
    }
    python3 -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv python3-pip
    ;;
  redis)
    command -v redis-server >/dev/null || redis_answers || apt_install redis-server
    ;;
  chromium)
    command -v chromium >/dev/null || apt_install chromium
    ;;
  postgres)
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null \
      || apt_install postgresql
    ;;
  wrk)
    command -v wrk >/dev/null || apt_install wrk
    ;;
  valgrind)
    command -v valgrind >/dev/null || apt_install valgrind
    ;;
  pdf)
    { ldconfig -p | grep -q libpangoft2-1.0 && ldconfig -p | grep -q libharfbuzz-subset \
        && fc-list :lang=uk | grep -q . \
        && fc-list :lang=ar family | grep -q "Noto Naskh Arabic"; } \
      || apt_install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-noto-core fontconfig
    ;;
  scale)
    missing=()
    command -v ip >/dev/null || missing+=(iproute2)
    command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
    # The scale test runs a Redis of its own on its broker host, whatever answers at REDIS_URL.
    command -v redis-server >/dev/null || missing+=(redis-server)
    [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
    ;;
  compose)
    # runc, since crun refuses hosts whose cgroups are in hybrid mode; netavark needs iptables.
    missing=()
    command -v podman >/dev/null || missing+=(podman)
    command -v runc >/dev/null || missing+=(runc)
    # The init process of the services' `init: true`.
    [ -x /usr/libexec/podman/catatonit ] || missing+=(catatonit)
    [ -x /usr/lib/podman/netavark ] || missing+=(netavark aardvark-dns)
    command -v iptables >/dev/null || [ -x /usr/sbin/iptables ] || missing+=(iptables)
    command -v debootstrap >/dev/null || [ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
    [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
    ;;
  *)
    echo "usage: $0 venv|redis|postgres|chromium|wrk|valgrind|pdf|scale|compose" >&2
    exit 2
    ;;
esac
