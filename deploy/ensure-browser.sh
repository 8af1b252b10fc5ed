#!/usr/bin/env bash
# Make sure headless Chromium and its WebDriver are on the machine (Debian's packages when
# missing), and axe-core (pinned, from npm, into .bulkflow/npm) for the accessibility checks.
# tests/integration/test_page.py drives the upload page with them through Selenium; axe-core
# is injected by the test only, never loaded by the page.
set -euo pipefail
cd "$(dirname "$0")/.."
AXE_VERSION=4.10.3
AXE_DIR=.bulkflow/npm
if [ "$(id -u)" != "0" ]; then SUDO=sudo; else SUDO=""; fi
export DEBIAN_FRONTEND=noninteractive
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} from Debian's packages ..."
  timeout 300 $SUDO apt-get update -qq
  # the lock timeout waits for another apt run to finish instead of failing at once
  timeout 900 $SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
if ! grep -qs "\"version\": \"$AXE_VERSION\"" "$AXE_DIR/node_modules/axe-core/package.json"; then
  echo "installing axe-core $AXE_VERSION from npm into $AXE_DIR ..."
  mkdir -p "$AXE_DIR"
  timeout 300 npm install --silent --no-audit --no-fund --prefix "$AXE_DIR" "axe-core@$AXE_VERSION" >/dev/null
fi
command -v chromium && command -v chromedriver && ls "$AXE_DIR/node_modules/axe-core/axe.min.js"
