#!/usr/bin/env bash
# Installs the Debian packages the project needs (hiredis headers, Redis, HAProxy…) when any is missing.
set -euo pipefail
packages=(libhiredis-dev redis-server redis-tools redis-sentinel haproxy openssl python3 docker-compose)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
