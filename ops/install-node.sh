#!/usr/bin/env bash
# Installs stg-cluster on this node from this checkout: the built tree in /opt/stg-cluster (with the Node.js 24 of its
# node_modules, the runtime every unit names), the systemd units, the kernel settings and, when absent, example
# configuration in /etc/stg-cluster to edit. It enables and starts nothing: edit the files, then
#   systemctl enable --now stg-redis-lock stg-guard
#
# Usage (as root): ops/install-node.sh
# STG_INSTALL_ROOT=DIR installs below DIR instead of / (a staging tree; nothing is reloaded then).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
readonly ROOT=${STG_INSTALL_ROOT:-}
readonly PREFIX=$ROOT/opt/stg-cluster
readonly ETC=$ROOT/etc/stg-cluster

say() { printf 'install-node: %s\n' "$*"; }

if [[ -z $ROOT && $EUID -ne 0 ]]; then
  printf 'install-node: error: run as root (it writes /opt, /etc/systemd/system and /etc/sysctl.d)\n' >&2
  exit 1
fi

# Debian packages, node modules (with node@24) and the build, as for the tests.
bash ops/bootstrap.sh

mkdir -p "$PREFIX" "$ETC" "$ROOT/etc/systemd/system" "$ROOT/etc/sysctl.d"
# The runtime tree only: what the units and the resource agents run.
for part in dist node_modules resource-agents package.json package-lock.json README.md config; do
  rm -rf "${PREFIX:?}/$part"
  cp -a "$part" "$PREFIX/$part"
done
say "installed the built tree in $PREFIX ($("$PREFIX/node_modules/.bin/node" --version))"

install -m 0644 ops/systemd/stg-guard.service ops/systemd/stg-redis-lock.service "$ROOT/etc/systemd/system/"
install -m 0644 ops/sysctl/90-stg-cluster.conf "$ROOT/etc/sysctl.d/"
say "installed the units stg-guard and stg-redis-lock, and /etc/sysctl.d/90-stg-cluster.conf"

# Example configuration, never over an operator's own.
install_example() {
  local from=$1 to=$2
  if [[ -e $to ]]; then
    say "kept $to (exists)"
  else
    install -m 0640 "$from" "$to"
    say "wrote $to from $from: edit it"
  fi
}
install_example config/node.example.yaml "$ETC/node.yaml"
install_example config/cluster.example.yaml "$ETC/cluster.example.yaml"
install_example ops/redis/lock-member.conf "$ETC/redis-lock.conf"

if [[ -z $ROOT ]]; then
  sysctl -q -p /etc/sysctl.d/90-stg-cluster.conf
  systemctl daemon-reload 2>/dev/null || say "systemctl daemon-reload failed (no systemd running here?)"
  say "done: edit $ETC/node.yaml, $ETC/cluster.example.yaml and $ETC/redis-lock.conf, then" \
    "systemctl enable --now stg-redis-lock stg-guard"
fi
