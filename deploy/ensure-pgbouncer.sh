#!/usr/bin/env bash
# Make sure PgBouncer is on the machine (Debian's package when missing). The tests that run
# bulkflow through a transaction pooler start their own pgbouncer on a free port with it.
set -euo pipefail
if command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ]; then
  exit 0
fi
echo "installing PgBouncer from Debian's packages ..."
if [ "$(id -u)" != "0" ]; then SUDO=sudo; else SUDO=""; fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-cache show pgbouncer >/dev/null 2>&1; then
  timeout 300 $SUDO apt-get update -qq
fi
timeout 600 $SUDO apt-get install -y -qq --no-install-recommends pgbouncer >/dev/null
# Debian may start a pooler of its own on port 6432; the tests do not need it
{ $SUDO service pgbouncer stop >/dev/null 2>&1 || true; }
ls /usr/sbin/pgbouncer
