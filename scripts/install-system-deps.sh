#!/usr/bin/env bash
# System packages the tests and the pyshark backend need, from Debian's archive.
# Idempotent: installs only what is missing. Needs root (or sudo).
#   tshark      capture dissection (pyshark backend, golden counts), dumpcap for the lab
#   postgresql  store tests on a real server (the tests start their own throwaway cluster)
#   sip-tester  SIPp: a real SIP peer for reboot tests, and the lab's user agents
#   kamailio    the lab's registrar (lab/kamailio.cfg)
#   iproute2    `ip`, to bring up loopback inside the lab's network namespace
#   util-linux  `unshare`, to create that namespace
#   chromium, chromium-driver  headless browser for the web-page tests (driven by
#               Playwright with executable_path=/usr/bin/chromium; no browser downloads)
set -euo pipefail
packages=(tshark postgresql sip-tester kamailio iproute2 util-linux chromium chromium-driver)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]})) || exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing system packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# wireshark-common asks whether non-root users may capture; answer "no" up front.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
# No service may start while installing: the lab runs its own Kamailio inside a
# private network namespace (the distribution's would listen on every interface),
# and the store tests their own PostgreSQL cluster.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod 755 /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  $SUDO systemctl disable --now kamailio.service >/dev/null 2>&1 || true
fi
