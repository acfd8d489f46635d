#!/usr/bin/env bash
# System packages the tests and the pyshark backend need, from Debian's archive:
# tshark (pyshark backend), postgresql (store tests on a real server; the tests start
# their own throwaway cluster), sip-tester (SIPp, a real SIP peer for reboot tests).
# Idempotent: installs only what is missing. Needs root (or sudo).
set -euo pipefail
packages=(tshark postgresql sip-tester)
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
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
