#!/usr/bin/env bash
# Make sure PostgreSQL's server binaries are on the machine (Debian's package when missing).
# The test suite and the benchmarks start their own throw-away server with them.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/initdb" ]; then
  exit 0
fi
if [ -n "${BULKFLOW_TEST_POSTGRES_URL:-}" ]; then
  exit 0
fi
echo "installing PostgreSQL from Debian's packages ..."
if [ "$(id -u)" != "0" ]; then SUDO=sudo; else SUDO=""; fi
export DEBIAN_FRONTEND=noninteractive
timeout 300 $SUDO apt-get update -qq
timeout 600 $SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
# Debian starts a cluster of its own; the tests do not need it
$SUDO pg_ctlcluster --help >/dev/null 2>&1 && { $SUDO service postgresql stop >/dev/null 2>&1 || true; }
ls /usr/lib/postgresql/*/bin/initdb
