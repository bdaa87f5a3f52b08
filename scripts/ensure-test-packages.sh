#!/usr/bin/env bash
# Programs some tests run beside the app, from Debian's packages, installed here when
# missing: OpenSSH for the SSH test (tests/ssh_admin.rs starts its own sshd on a loopback
# port; no daemon is started or enabled by this script) and faketime for the clock test
# (tests/cli.rs runs reconciliation with a terminal clock half an hour fast).
set -euo pipefail

missing=()
if ! [ -x /usr/sbin/sshd ] || ! command -v ssh >/dev/null 2>&1 || ! command -v ssh-keygen >/dev/null 2>&1; then
  missing+=(openssh-server openssh-client)
fi
if ! command -v faketime >/dev/null 2>&1; then
  missing+=(faketime)
fi
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing Debian's ${missing[*]} for the tests" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
  "${missing[@]}" >/dev/null
