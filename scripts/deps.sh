#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Install the Debian 12 packages xmptcp needs to build, test and demo.
# Idempotent: prints nothing and touches nothing when all are installed.
# Needs root (or sudo) only when something is missing. Only Debian's archive
# is used; see docs/dependencies.md for why each package is here.
set -euo pipefail

# package -> why (kept short; docs/dependencies.md has the long form)
XM_PACKAGES=(
	clang          # compiles bpf/*.bpf.c with -target bpf
	llvm           # llvm-strip/llvm-objdump for BPF objects
	bpftool        # generates libbpf skeletons; inspects pinned maps
	libbpf-dev     # loads BPF objects and skeletons (>= 1.1)
	libmnl-dev     # rtnetlink: link events, tc/xdp attach queries
	libcmocka-dev  # unit test framework
	libjansson-dev # JSON for the control protocol and -j output
	libelf-dev     # libbpf's ELF parsing
	zlib1g-dev     # libbpf links zlib
	meson          # build system
	ninja-build    # meson backend
	pkg-config     # dependency discovery
	iproute2       # ip netns/link/mptcp, tc, nstat, ss
	python3        # transfer helpers in tests/netns
	tshark         # MPTCP-aware capture analysis
	tcpdump        # packet captures in tests
	iperf3         # throughput demo and benchmarks
	ethtool        # offload inspection and toggling in tests
	procps         # sysctl, pgrep, ps
)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Other parts of the tree may need more packages (vmtest/ needs qemu, say):
# they list them one a line, '#' comments allowed, in a packages.txt of their
# own, so that this file need not change with them.
EXTRA_LISTS=("$ROOT/vmtest/packages.txt" "$ROOT/bench/packages.txt")

log() { printf 'deps.sh: %s\n' "$*" >&2; }

add_extra_packages() {
	local f line
	for f in "${EXTRA_LISTS[@]}"; do
		[[ -r "$f" ]] || continue
		while IFS= read -r line; do
			line="${line%%#*}"
			line="${line//[[:space:]]/}"
			[[ -n "$line" ]] && XM_PACKAGES+=("$line")
		done <"$f"
	done
}

missing_packages() {
	local pkg
	for pkg in "${XM_PACKAGES[@]}"; do
		# "install ok installed" only; a removed-but-configured package does not count.
		if [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" != "install ok installed" ]]; then
			printf '%s\n' "$pkg"
		fi
	done
}

as_root() {
	if [[ "$(id -u)" -eq 0 ]]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		log "need root to run: $* (run this script as root, or install sudo)"
		return 1
	fi
}

main() {
	if ! command -v dpkg-query >/dev/null 2>&1; then
		log "dpkg-query not found: this script supports Debian 12 only; install the packages in docs/dependencies.md by hand"
		return 1
	fi

	add_extra_packages
	local -a missing
	mapfile -t missing < <(missing_packages)
	if [[ "${#missing[@]}" -eq 0 ]]; then
		return 0
	fi

	log "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# tshark asks whether non-root users may capture; answer before apt asks.
	printf 'wireshark-common wireshark-common/install-setuid boolean false\n' |
		as_root debconf-set-selections

	# A source other than Debian's archive may be unreachable; the install
	# below still works when Debian's own lists were refreshed.
	if ! as_root apt-get update -qq; then
		log "warning: apt-get update reported errors (see above); trying the install anyway"
	fi
	if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends -o Dpkg::Options::=--force-confdef \
		-o Dpkg::Options::=--force-confold "${missing[@]}" >/dev/null; then
		log "apt-get install failed for: ${missing[*]} (is Debian's archive reachable? see /etc/apt/sources.list*)"
		return 1
	fi

	mapfile -t missing < <(missing_packages)
	if [[ "${#missing[@]}" -ne 0 ]]; then
		log "still missing after install: ${missing[*]}"
		return 1
	fi
	log "all packages installed"
}

main "$@"
