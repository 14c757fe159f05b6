#!/usr/bin/env bash
# libvirtd.sh: make sure one root libvirtd answers on /var/run/libvirt/libvirt-sock, without systemd.
#
# Idempotent: installs the Debian packages only when missing, creates the users and groups libvirt's
# QEMU driver expects, starts virtlogd and libvirtd in the background, waits until
# `virsh -c qemu:///system version` answers and prints the socket path. A libvirtd that already
# answers is reused: only one root libvirtd can own the socket and the pid file on a machine.
#
# Env: LIBVIRTD_WAIT (seconds to wait for the daemon, default 30).
set -euo pipefail

SOCK_DIR=/var/run/libvirt
SOCK="$SOCK_DIR/libvirt-sock"
CONF=/etc/libvirt/libvirtd-cloudbroker.conf
WAIT="${LIBVIRTD_WAIT:-30}"
PACKAGES=(libvirt-daemon libvirt-clients qemu-system-x86 qemu-utils)

log() { echo "libvirtd.sh: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (it installs packages and starts the system libvirtd)"

# answers: the daemon is up when virsh gets a version back through the default socket.
answers() { command -v virsh >/dev/null && timeout 10 virsh -c qemu:///system version >/dev/null 2>&1; }

# Without udev, /dev/kvm stays root-only: libvirt probes QEMU as root (KVM usable) but checks its
# cache as the qemu user (KVM not usable), finds the cache outdated and re-probes QEMU on every call
# (~4 s per version/capabilities call). Debian's udev rule gives group kvm rw; do the same.
fix_kvm() {
	if [ -c /dev/kvm ] && getent group kvm >/dev/null && [ "$(stat -c %G /dev/kvm)" != kvm ]; then
		chgrp kvm /dev/kvm && chmod 0660 /dev/kvm || log "warning: could not give group kvm access to /dev/kvm"
	fi
}

# running: a live process of that name. Zombies do not count: a container's PID 1 may be slow
# to reap a killed daemon, and pgrep alone would take the corpse for a running daemon.
# Reads /proc directly: procps (pgrep, ps) is not on every minimal image.
running() {
	local f comm state
	for f in /proc/[0-9]*/stat; do
		read -r _ comm state _ <"$f" 2>/dev/null || continue
		[ "$comm" = "($1)" ] && [ "$state" != Z ] && return 0
	done
	return 1
}

# virtlogd collects the guests' console logs; libvirtd cannot start a QEMU guest without it.
ensure_virtlogd() {
	if ! running virtlogd || [ ! -S "$SOCK_DIR/virtlogd-sock" ]; then
		log "starting virtlogd"
		virtlogd -d
	fi
}

if answers; then
	fix_kvm
	ensure_virtlogd
	log "reusing the libvirtd already answering"
	echo "$SOCK"
	exit 0
fi

# Packages: only the missing ones, so a second run makes no network call.
missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >&2
	apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi
# The QEMU driver ships separately on some releases (a Recommends that --no-install-recommends skips).
if ! ls /usr/lib/*/libvirt/connection-driver/libvirt_driver_qemu.so >/dev/null 2>&1; then
	log "installing libvirt-daemon-driver-qemu"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q --no-install-recommends libvirt-daemon-driver-qemu >&2 ||
		{ apt-get update -q >&2 && apt-get install -y -q --no-install-recommends libvirt-daemon-driver-qemu >&2; }
fi

# Debian's qemu.conf runs guests as libvirt-qemu:libvirt-qemu with access to /dev/kvm; the package
# scripts create these under systemd-sysusers, which a container without systemd may not run.
getent group kvm >/dev/null || groupadd --system kvm
getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
id -u libvirt-qemu >/dev/null 2>&1 ||
	useradd --system -g libvirt-qemu -G kvm -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
mkdir -p /var/log/libvirt/qemu "$SOCK_DIR" /var/lib/libvirt/images
fix_kvm

ensure_virtlogd

if running libvirtd; then
	# Someone else's daemon, maybe still starting: wait for it rather than fight over the pid file.
	log "a libvirtd is running but does not answer yet; waiting for it"
else
	cat >"$CONF" <<EOF
# Written by test/scripts/libvirtd.sh: a root daemon reachable by virsh's default URI, no auth.
unix_sock_dir = "$SOCK_DIR"
auth_unix_rw = "none"
auth_unix_ro = "none"
EOF
	libvirtd -d -f "$CONF"
fi

for ((i = 0; i < WAIT * 2; i++)); do
	if answers; then
		log "libvirtd answers after ~$((i / 2))s"
		echo "$SOCK"
		exit 0
	fi
	sleep 0.5
done
die "libvirtd did not answer on $SOCK within ${WAIT}s (virsh -c qemu:///system version: $(timeout 10 virsh -c qemu:///system version 2>&1 | tail -1)); see /var/log/libvirt/ and 'libvirtd -v -f $CONF' in the foreground"
