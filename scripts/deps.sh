#!/usr/bin/env bash
# deps.sh - install the Debian packages Deconflict builds, tests and benchmarks with.
# Idempotent: silent when everything is present; runs apt-get update only when
# something is missing. Needs root (CI runs as root) or passwordless sudo.
set -euo pipefail

packages=(
  build-essential cmake pkg-config clang clang-format libclang-rt-14-dev
  libjansson-dev libmicrohttpd-dev libsqlite3-dev libpq-dev
  libgeos-dev libproj-dev proj-data libsodium-dev libcmocka-dev zlib1g-dev libcurl4-gnutls-dev
  geographiclib-tools chromium fonts-dejavu-core cppcheck
  # the PostgreSQL backend's throwaway clusters (scripts/pg_cluster.sh) and make cluster's balancer
  postgresql-15 postgresql-15-postgis-3 postgresql-contrib haproxy
)
if [ "${1:-}" = "--bench" ]; then
  packages+=(wrk hyperfine valgrind linux-perf)
fi

# Commands that may come from elsewhere on a developer's machine (pyenv, nvm)
# are only installed from Debian when absent.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
command -v python3 >/dev/null 2>&1 || packages+=(python3)
command -v curl >/dev/null 2>&1 || packages+=(curl)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
