#!/usr/bin/env bash
# Installs the Debian packages the suites drive for real, only when missing, and checks PostgreSQL.
set -euo pipefail
need=()
command -v oathtool >/dev/null || need+=(oathtool)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v zbarimg >/dev/null || need+=(zbar-tools)
[ -x /usr/sbin/slapd ] || need+=(slapd)
command -v ldapadd >/dev/null || need+=(ldap-utils)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
if ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  echo "PostgreSQL is not reachable on 127.0.0.1:5432; the storage suites need it" >&2
  exit 1
fi
