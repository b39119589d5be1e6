#!/usr/bin/env bash
# Make bubblewrap (`bwrap`) usable here, so Nightcrew can run code under test in its
# sandbox (docs/verification.md#the-sandbox). Used by the Action (on Linux runners) and by
# `make setup`. Never fails: whether the sandbox works is decided, and reported, by
# Nightcrew's own probe at the start of each night.
set -uo pipefail

note() { echo "nightcrew sandbox setup: $*"; }

if [ "$(uname -s)" != "Linux" ]; then
  note "not Linux: no sandbox here (agent recipes will be skipped)"
  exit 0
fi

as_root=()
if [ "$(id -u)" != "0" ]; then
  if sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    as_root=(none)
  fi
fi
run_as_root() {
  if [ "${as_root[0]:-}" = "none" ]; then return 1; fi
  "${as_root[@]}" "$@"
}

if ! command -v bwrap >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    note "installing bubblewrap"
    run_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || true
    run_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null 2>&1 \
      || note "could not install bubblewrap (needs root or passwordless sudo)"
  else
    note "bubblewrap is missing and there is no apt-get: install it with your package manager"
  fi
fi

# Ubuntu 23.10+ lets only programs with an AppArmor profile create user namespaces. Give
# bwrap (and only bwrap) such a profile, as Ubuntu's own guidance suggests.
restrict=/proc/sys/kernel/apparmor_restrict_unprivileged_userns
bwrap_path=$(command -v bwrap || true)
if [ -n "$bwrap_path" ] && [ -r "$restrict" ] && [ "$(cat "$restrict")" = "1" ] \
  && [ -d /etc/apparmor.d ] && [ ! -e /etc/apparmor.d/nightcrew-bwrap ]; then
  note "allowing $bwrap_path user namespaces (AppArmor profile nightcrew-bwrap)"
  profile="abi <abi/4.0>,
include <tunables/global>

profile nightcrew-bwrap $bwrap_path flags=(unconfined) {
  userns,
  include if exists <local/nightcrew-bwrap>
}
"
  if printf '%s' "$profile" | run_as_root tee /etc/apparmor.d/nightcrew-bwrap >/dev/null 2>&1; then
    run_as_root apparmor_parser -r /etc/apparmor.d/nightcrew-bwrap >/dev/null 2>&1 \
      || note "could not load the AppArmor profile"
  else
    note "could not write the AppArmor profile (needs root or passwordless sudo)"
  fi
fi

if command -v bwrap >/dev/null 2>&1; then
  if bwrap --unshare-all --die-with-parent --ro-bind / / --dev /dev --proc /proc true 2>/dev/null; then
    note "bubblewrap works: code under test will run sandboxed"
  else
    note "bubblewrap is installed but cannot create a sandbox here; see docs/verification.md#the-sandbox"
  fi
fi
exit 0
