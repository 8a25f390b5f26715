#!/bin/sh
# Installs the Debian packages fazhi needs to build, run its demo and run its
# tests. Idempotent: it asks dpkg first and calls apt-get only for what is
# missing, so a second run does nothing and returns at once.
#
#   scripts/deps.sh          build, demo and test packages
#   scripts/deps.sh bench    the same, plus the load generators of bench/
set -eu

# Build toolchain and libraries (see the dependency table in README.md).
# The report's PDF writer draws with cairo + pango in the Noto CJK faces
# (fonts-noto-cjk), its DOCX writer zips with libzip; poppler-utils gives
# the tests pdfinfo, pdffonts and pdftotext. libqrencode draws the QR code
# of a resident matter's tracking page.
pkgs="gcc make pkg-config clang-format
libmicrohttpd-dev libjansson-dev libsqlite3-dev libsodium-dev
libxlsxwriter-dev libexpat1-dev libmd4c-dev libzip-dev libqrencode-dev
libpango1.0-dev libcairo2-dev fonts-noto-cjk
libcmocka-dev libcurl4-openssl-dev sqlite3 poppler-utils"
# libcurl4-openssl-dev is needed at run time too: the webhooks' outbound calls
# (and the API tests' HTTP client).

# Browser tests (tests/browser/): Chromium driven by playwright-core, CJK
# fonts so that Chinese text renders in the screenshots, unzip to open the
# XLSX downloads. Node.js comes with the machines (20, from NodeSource) and
# is not replaced; Debian's nodejs and npm only where there is no node.
pkgs="$pkgs chromium fonts-noto-cjk unzip"
command -v node >/dev/null 2>&1 || pkgs="$pkgs nodejs npm"

if [ "${1:-}" = "bench" ]; then
    pkgs="$pkgs wrk nginx-light curl python3"
fi

missing=""
for p in $pkgs; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$status" = "installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
