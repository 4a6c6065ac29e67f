#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Install what is missing, build, and run every test suite: unit, bpf, netns,
# and vm when vmtest/ defines it. The exit code is the truth: 0 only when
# every selected test passed or skipped for a stated reason.
#
#   ./scripts/test.sh            # as root: all suites
#   XM_SUITES="unit" ./scripts/test.sh          # only these suites
#   XM_BUILD_DIR=/path ./scripts/test.sh        # another build dir (default build/)
#
# Works from a fresh clone (CI runs it as root with CI=true via .ci/run).
# Build dir: build/ (the netns tests and the demo use build/daemon/xmptcpd).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${XM_BUILD_DIR:-$ROOT/build}"
SUITES_DEFAULT=(unit bpf netns)

log() { printf '\n== test.sh: %s\n' "$*"; }
die() {
	printf 'test.sh: %s\n' "$*" >&2
	exit 1
}

# configure: set up build/, or bring an existing one up to date. A build dir
# made by another meson version, or left half-configured, is wiped and redone.
configure() {
	if [[ ! -e "$BUILD" ]]; then
		meson setup "$BUILD" "$ROOT"
	elif [[ ! -f "$BUILD/meson-private/coredata.dat" ]]; then
		die "$BUILD exists but is not a meson build dir: move it away or remove it"
	elif ! meson setup --reconfigure "$BUILD" "$ROOT"; then
		log "reconfigure failed; wiping $BUILD and configuring anew"
		meson setup --wipe "$BUILD" "$ROOT"
	fi
}

# suites_defined: names of the suites build/ has tests in, one a line.
suites_defined() {
	meson test -C "$BUILD" --no-rebuild --list 2>/dev/null |
		sed -n 's/^[^:]*:\([^ ]*\) \/ .*/\1/p' | tr '+' '\n' | sort -u
}

# summary LOGBASE: one line per suite and the closing "N passed, N failed" line.
summary() {
	python3 - "$BUILD/meson-logs" "$@" <<'EOF'
import json, os, sys
logdir, bases = sys.argv[1], sys.argv[2:]
per = {}
total = {"OK": 0, "FAIL": 0, "SKIP": 0, "TIMEOUT": 0, "OTHER": 0}
for base in bases:
    path = os.path.join(logdir, base + ".json")
    if not os.path.exists(path):
        continue
    for line in open(path):
        t = json.loads(line)
        # "name" is "project:suite / test"
        full = t.get("name", "?:? / ?")
        suite = full.split(" / ")[0].split(":")[-1]
        name = full.split(" / ")[-1]
        res = t.get("result", "OTHER")
        res = res if res in total else ("FAIL" if res in ("ERROR", "UNEXPECTEDPASS") else "OTHER")
        s = per.setdefault(suite, {"OK": 0, "FAIL": 0, "SKIP": 0, "TIMEOUT": 0, "OTHER": 0, "time": 0.0})
        s[res] += 1
        s["time"] += t.get("duration", 0.0)
        total[res] += 1
        if res not in ("OK", "SKIP"):
            print(f"  {res:8} {suite} / {name} ({t.get('duration', 0):.1f}s)")
            # CI keeps only the tail of the output: the failure's own lines
            # must be here, not only in the log file.
            out = (t.get("stdout") or "") + (t.get("stderr") or "")
            why = [l for l in out.splitlines()
                   if "FAIL" in l or "CORRUPT" in l or "Error" in l or "error:" in l]
            for l in why[-8:]:
                print(f"      | {l[:200]}")
for suite, s in per.items():
    print(f"  suite {suite:6}: {s['OK']} ok, {s['FAIL'] + s['TIMEOUT'] + s['OTHER']} failed, "
          f"{s['SKIP']} skipped, {s['time']:.1f}s")
failed = total["FAIL"] + total["TIMEOUT"] + total["OTHER"]
print(f"{total['OK']} passed, {failed} failed, {total['SKIP']} skipped")
EOF
}

main() {
	local t0 rc=0 vm_rc=0 suites=() defined=() s args=()
	t0=$SECONDS
	cd "$ROOT"

	log "dependencies"
	"$ROOT/scripts/deps.sh"

	log "configure"
	configure

	log "build"
	meson compile -C "$BUILD"

	if [[ "$(id -u)" -ne 0 ]]; then
		printf 'test.sh: not root: the bpf and netns suites will skip\n' >&2
	fi

	mapfile -t defined < <(suites_defined)
	if [[ -n "${XM_SUITES:-}" ]]; then
		read -r -a suites <<<"$XM_SUITES"
	else
		suites=("${SUITES_DEFAULT[@]}")
	fi
	for s in "${suites[@]}"; do
		if printf '%s\n' "${defined[@]}" | grep -qx -- "$s"; then
			args+=(--suite "$s")
		else
			printf 'test.sh: suite %s has no tests in this build\n' "$s" >&2
		fi
	done
	((${#args[@]})) || die "none of the suites (${suites[*]}) has tests: nothing to run"

	rm -f "$BUILD/meson-logs/testlog.json" "$BUILD/meson-logs/testlog-vm.json"
	log "test: ${args[*]}"
	meson test -C "$BUILD" --no-rebuild --print-errorlogs "${args[@]}" || rc=$?

	# The vm suite boots kernels; run it only where vmtest/ defined it.
	# The VM suites boot Debian's 6.1 and 6.12 kernels under TCG: CI runs the
	# vm-ci subset (verifier, impairment, impair-xmptcp and bpf on both kernels,
	# ~7 min);
	# the whole matrix, netns inside the VMs too, is `meson test --suite vm`
	# (docs/vmtest.md). XM_VM_SUITE picks another one; XM_VM_SUITE=none skips.
	local vm_suite="${XM_VM_SUITE:-vm-ci}"
	if [[ -z "${XM_SUITES:-}" && "$vm_suite" != none ]] &&
		printf '%s\n' "${defined[@]}" | grep -qx -- "$vm_suite"; then
		log "test: --suite $vm_suite"
		meson test -C "$BUILD" --no-rebuild --print-errorlogs --suite "$vm_suite" \
			--logbase testlog-vm || vm_rc=$?
	fi

	log "summary ($((SECONDS - t0))s)"
	if ((rc != 0 || vm_rc != 0)); then
		printf 'test.sh: FAILED (meson test exit %s, vm suite exit %s); logs in %s/meson-logs\n' \
			"$rc" "$vm_rc" "$BUILD"
	fi
	# The closing "N passed, N failed, N skipped" line comes last.
	summary testlog testlog-vm
	((rc == 0 && vm_rc == 0)) || exit 1
}

main "$@"
