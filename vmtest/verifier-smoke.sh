#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Load every BPF object of a build with "bpftool prog loadall" to prove that the datapath
# passes the running kernel's verifier. Meant for the vmtest guest, on each Debian kernel:
#
#   vmtest/run --kernel 6.1 -- vmtest/verifier-smoke.sh build/bpf
#   vmtest/run --kernel 6.1 -- vmtest/verifier-smoke.sh --xmptcpd build/daemon/xmptcpd build/bpf
#
# Arguments: a directory of *.bpf.o files, or the objects themselves (default: build/bpf).
# --xmptcpd PATH: also run "PATH --probe" through tests/bpf/probe.sh, which checks that every
# required kernel feature is reported present and tcx present exactly on 6.6 and newer (so
# missing on 6.1, present on 6.12); in the same boot, since a boot is the expensive part.
# Pins go to a fresh directory under /sys/fs/bpf and are removed on exit (in the guest the
# bpffs is the VM's own). The verifier log of a rejected program is printed by bpftool.
# Exit 0 all loaded (and the probe right), 1 one or more rejected (or the probe wrong), 77 skip (not root, no bpftool, no objects).
set -u

log() { echo "verifier-smoke: $*"; }
skip() { log "SKIP: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "needs root (run it in the VM: vmtest/run -- $0 $*)"
BPFTOOL=$(command -v bpftool || echo /usr/sbin/bpftool)
[ -x "$BPFTOOL" ] || skip "no bpftool"
xmptcpd=
if [ "${1:-}" = --xmptcpd ]; then
	[ $# -ge 2 ] || { log "--xmptcpd needs a path"; exit 2; }
	xmptcpd=$2
	shift 2
fi
[ $# -gt 0 ] || set -- build/bpf

objs=()
for a in "$@"; do
	if [ -d "$a" ]; then
		for o in "$a"/*.bpf.o; do
			[ -e "$o" ] && objs+=("$o")
		done
	elif [ -f "$a" ]; then
		objs+=("$a")
	else
		log "no such file or directory: $a"
		exit 1
	fi
done
if [ ${#objs[@]} = 0 ]; then
	log "no *.bpf.o in $* (build first: meson compile -C BUILDDIR)"
	exit 1
fi

mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf || skip "no bpffs at /sys/fs/bpf"
# bpffs refuses names with a dot, so no mktemp.
pins=/sys/fs/bpf/verifier_smoke_$$
mkdir "$pins" || skip "cannot make a pin directory in /sys/fs/bpf"
trap 'rm -rf "$pins"' EXIT

kernel=$(uname -r)
log "kernel $kernel, $($BPFTOOL version | head -1)"
rc=0
for o in "${objs[@]}"; do
	name=$(basename "$o" .bpf.o)
	dir=$pins/${name//./_}
	if out=$("$BPFTOOL" prog loadall "$o" "$dir" 2>&1); then
		progs=$(ls "$dir" | wc -l)
		log "PASS $name: $progs program(s) loaded on $kernel"
		for p in "$dir"/*; do
			"$BPFTOOL" prog show pinned "$p" | sed -n '1s/^/  /p;3s/^\s*/      /p'
		done
	else
		log "FAIL $name: rejected on $kernel"
		echo "$out" | sed 's/^/  /'
		rc=1
	fi
	rm -rf "$dir"
done
if [ -n "$xmptcpd" ]; then
	if "$(dirname "$0")/../tests/bpf/probe.sh" "$xmptcpd"; then
		log "PASS xmptcpd --probe on $kernel"
	else
		log "FAIL xmptcpd --probe on $kernel"
		rc=1
	fi
fi
exit $rc
