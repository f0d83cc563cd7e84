#!/usr/bin/env bash
# Prepares this machine to build and test stg-cluster: Debian packages, host settings, node modules, build.
#
# Idempotent and quiet: one line per step saying what it did or why it skipped; a failing command's output is
# shown only when it fails. Runs from any working directory, and from npm lifecycle scripts ("pretest").
# As root it installs missing Debian packages; as another user it only checks them and says what to install.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO_ROOT=$PWD
readonly REPO_ROOT

# What the product and its tests use: redis-server for lock members and the data store (tests start their own
# instances on free ports; nothing of ours uses the package's default server on 6379), redis-cli, ip, sysctl and
# pgrep/pkill, fuser.
readonly DEB_PACKAGES=(redis-server redis-tools iproute2 procps psmisc resource-agents iputils-ping arping tcpdump sip-tester bind9 bind9-dnsutils dnsperf openssl)
readonly LOCK_STAMP=node_modules/.stg-lock-sha256
readonly WANTED_NODE_MAJOR=24 # the major of the npm package `node` in package.json

say() { printf 'bootstrap: %s\n' "$*"; }
fail() {
  printf 'bootstrap: error: %s\n' "$*" >&2
  exit 1
}

# Runs a command with its output kept in a log that is shown only if the command fails.
quietly() {
  local log status=0
  log=$(mktemp "${TMPDIR:-/tmp}/stg-bootstrap.XXXXXX")
  "$@" >"$log" 2>&1 || status=$?
  if ((status != 0)); then
    printf 'bootstrap: "%s" failed (exit %d); its output:\n' "$*" "$status" >&2
    tail -n 60 "$log" >&2
  fi
  rm -f "$log"
  return "$status"
}

missing_packages() {
  local package status
  for package in "${DEB_PACKAGES[@]}"; do
    if status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null) && [[ $status == *' installed' ]]; then
      continue
    fi
    printf '%s\n' "$package"
  done
}

install_packages() {
  command -v dpkg-query >/dev/null || fail "dpkg-query not found: on a non-Debian host install ${DEB_PACKAGES[*]} by hand"
  local missing
  mapfile -t missing < <(missing_packages)
  if ((${#missing[@]} == 0)); then
    say "debian packages: all present (${DEB_PACKAGES[*]})"
    return
  fi
  if ((EUID != 0)); then
    fail "missing Debian packages: ${missing[*]}. Install them as root:" \
      "apt-get update && apt-get install -y --no-install-recommends ${missing[*]} (or run this script as root)"
  fi
  quietly apt-get update
  quietly env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  say "debian packages: installed ${missing[*]}"
}

# Kernel settings the product needs; each one is justified here, set only when this host lets us, and said.
# sysctl -w lasts until reboot: enough for test and bench hosts (production hosts get a sysctl.d file).
configure_host() {
  # The DNS server and the SIP proxy take UDP bursts (every device of a lost node re-registering at once);
  # a socket may ask for an 8 MiB receive buffer only when net.core.rmem_max allows it.
  local file=/proc/sys/net/core/rmem_max wanted=8388608 current
  if [[ ! -r $file ]]; then
    say "host: net.core.rmem_max not readable here: skipped"
    return
  fi
  current=$(<"$file")
  if ((current >= wanted)); then
    say "host: net.core.rmem_max is $current (>= $wanted): unchanged"
  elif [[ ! -w $file ]]; then
    say "host: net.core.rmem_max is $current, not writable here (not root or read-only /proc/sys): skipped"
  elif quietly sysctl -w "net.core.rmem_max=$wanted"; then
    say "host: net.core.rmem_max raised from $current to $wanted"
  else
    say "host: warning: could not raise net.core.rmem_max from $current (see above): continuing"
  fi
}

# The SIP proxy holds one file descriptor per TLS/TCP/WebSocket flow (tens of thousands on a busy node). systemd units
# set LimitNOFILE themselves (ops/systemd/); this covers processes started from a login shell (tests, benches, the
# demo, an operator's manual run): a limits.d file for new sessions, said when the current shell's limit is lower.
configure_open_files() {
  local wanted=131072 file=/etc/security/limits.d/90-stg-cluster.conf current
  current=$(ulimit -n)
  if [[ -f $file ]]; then
    say "host: open files: $file present (this shell: $current)"
  elif ((EUID != 0)) || [[ ! -d ${file%/*} ]]; then
    say "host: open files: $current in this shell; $file not written (not root, or no limits.d here)"
  else
    # The hard limit at systemd's default (1048576), so this file never lowers it.
    printf '# stg-cluster: SIP flows need one file descriptor each (ops/bootstrap.sh)\n* soft nofile %d\n* hard nofile %d\nroot soft nofile %d\nroot hard nofile %d\n' \
      "$wanted" 1048576 "$wanted" 1048576 >"$file"
    say "host: open files: wrote $file ($wanted for new sessions; this shell: $current)"
  fi
}

node_modules_current() {
  local lock_sum=$1 version
  [[ -d node_modules && -f $LOCK_STAMP && $(<"$LOCK_STAMP") == "$lock_sum" ]] || return 1
  # The npm package `node` installs the project's Node binary from a preinstall script; a broken one reinstalls.
  version=$(node_modules/.bin/node --version 2>/dev/null) || return 1
  [[ $version == "v$WANTED_NODE_MAJOR."* ]]
}

install_node_modules() {
  command -v npm >/dev/null || fail "npm not found: install Node.js (>= 20) with npm first; npm then installs Node 24 (the npm package node@24) for the project"
  local lock_sum version
  lock_sum=$(sha256sum package-lock.json | cut -d ' ' -f 1)
  if node_modules_current "$lock_sum"; then
    say "node modules: up to date with package-lock.json"
    return
  fi
  # Inside npm scripts node_modules/.bin comes first on PATH, so npm would run on the project's node, the very
  # binary `npm ci` deletes and reinstalls: run npm on the system's node instead.
  local entry entries path_without_bin=''
  IFS=: read -r -a entries <<<"$PATH"
  for entry in "${entries[@]}"; do
    [[ $entry == "$REPO_ROOT/node_modules/.bin" ]] || path_without_bin+=${path_without_bin:+:}$entry
  done
  rm -f "$LOCK_STAMP"
  PATH=$path_without_bin quietly npm ci --no-audit --no-fund
  version=$(node_modules/.bin/node --version 2>/dev/null) || fail "npm ci left no working node_modules/.bin/node"
  [[ $version == "v$WANTED_NODE_MAJOR."* ]] || fail "node_modules/.bin/node is $version, expected v$WANTED_NODE_MAJOR"
  printf '%s\n' "$lock_sum" >"$LOCK_STAMP"
  say "node modules: installed with npm ci (project node $version)"
}

build() {
  # tsc is incremental (dist/.tsbuildinfo), so an unchanged tree builds in a moment.
  quietly npm run build
  say "build: npm run build done"
}

main() {
  # Two bootstraps at once (say npm test and npm run demo) would both run npm ci: take turns.
  # The lock file may belong to another user: a read-only descriptor is enough for flock.
  local lock
  lock="${TMPDIR:-/tmp}/stg-cluster-bootstrap-$(printf '%s' "$REPO_ROOT" | sha256sum | cut -c 1-12).lock"
  if command -v flock >/dev/null && { [[ -e $lock ]] || : >"$lock"; } 2>/dev/null && exec 9<"$lock"; then
    flock 9
  fi
  install_packages
  configure_host
  configure_open_files
  install_node_modules
  build
}

main "$@"
