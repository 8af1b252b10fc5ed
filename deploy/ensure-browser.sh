#!/usr/bin/env bash
# Make sure headless Chromium and its WebDriver are on the machine (Debian's packages when
# missing). tests/integration/test_page.py drives the upload page with them through Selenium.
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  exit 0
fi
echo "installing Chromium and chromium-driver from Debian's packages ..."
if [ "$(id -u)" != "0" ]; then SUDO=sudo; else SUDO=""; fi
export DEBIAN_FRONTEND=noninteractive
timeout 300 $SUDO apt-get update -qq
# the lock timeout waits for another apt run to finish instead of failing at once
timeout 900 $SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends \
  chromium chromium-driver >/dev/null
command -v chromium && command -v chromedriver
