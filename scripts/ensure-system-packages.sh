#!/usr/bin/env bash
# Installs the Debian packages the tests use as real parts, when they are missing:
# openssl (the independent CMS verifier), libbcprov-java and libbcpkix-java (BouncyCastle, the second
# independent CMS implementation; libbcpkix-java brings libbcutil-java), softhsm2 (a real PKCS#11
# token), postgresql (a real server the tests start themselves), chromium (the page tests' browser) and
# libreoffice-calc-nogui (saves the SEC's New Entry form the way a manufacturer without Excel would).
set -euo pipefail
missing=()
command -v openssl >/dev/null || missing+=(openssl)
[ -e /usr/share/java/bcprov.jar ] || missing+=(libbcprov-java)
[ -e /usr/share/java/bcpkix.jar ] || missing+=(libbcpkix-java)
[ -e /usr/lib/softhsm/libsofthsm2.so ] || missing+=(softhsm2)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v chromium >/dev/null || missing+=(chromium)
command -v soffice >/dev/null || missing+=(libreoffice-calc-nogui)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing Debian packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO=sudo; else
    echo "Need root to install ${missing[*]}: run 'apt-get install ${missing[*]}' as root." >&2; exit 1
  fi
else SUDO=""; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
