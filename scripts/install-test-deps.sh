#!/usr/bin/env bash
# Installs the Debian packages the tests use as real clients and judges.
# Idempotent: does nothing when everything is already present.
set -euo pipefail
need=()
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
command -v ffprobe >/dev/null 2>&1 || need+=(ffmpeg)
# The WHIP publisher in test/ingest/whip (driven by playwright-core, which never downloads a browser).
[ -x /usr/bin/chromium ] || need+=(chromium)
# OpenStack Swift with s3api + memcached (test/helpers/swift-server.ts): the S3 destination's
# tests against a server that verifies signatures.
swift_missing=0
for cmd in swift-proxy-server swift-account-server swift-container-server swift-object-server memcached; do
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/bin/$cmd" ] || swift_missing=1
done
[ -f /etc/swift/swift.conf ] || swift_missing=1
[ "$swift_missing" -eq 0 ] || need+=(swift swift-proxy swift-account swift-container swift-object python3-swift memcached)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing Debian packages: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
