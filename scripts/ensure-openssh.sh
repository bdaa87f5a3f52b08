#!/usr/bin/env bash
# The SSH test (tests/ssh_admin.rs) starts its own sshd on a loopback port and logs in with
# ssh: both come from Debian's OpenSSH packages, installed here when missing. No daemon is
# started or enabled by this script.
set -euo pipefail

if [ -x /usr/sbin/sshd ] && command -v ssh >/dev/null 2>&1 && command -v ssh-keygen >/dev/null 2>&1; then
  exit 0
fi
echo "installing Debian's openssh-server and openssh-client for the SSH test" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
  openssh-server openssh-client >/dev/null
