#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# xmptcpd --probe on the running kernel: it must exit 0, list every required
# feature as present (in text and in JSON), and report tcx as present exactly
# when the kernel is 6.6 or newer; and without cgroup2 (a private mount
# namespace) --probe and the daemon both exit 1 naming it. The same test runs
# in the vm suites on Debian's 6.1 (tcx missing) and 6.12 (tcx present).
#
#   tests/bpf/probe.sh [XMPTCPD]    (default: $XM_BUILD/daemon/xmptcpd, else build/...)
#
# Exit 0 pass, 1 fail, 77 skip (not root).
set -u

log() { echo "probe: $*"; }
fail() {
	echo "probe: FAIL: $*" >&2
	exit 1
}

[[ "$(id -u)" == 0 ]] || { log "SKIP: xmptcpd --probe loads test programs: needs root"; exit 77; }
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
xmptcpd="${1:-${XM_BUILD:-$root/build}/daemon/xmptcpd}"
[[ -x "$xmptcpd" ]] || fail "$xmptcpd is not built (meson compile -C BUILDDIR)"

kernel="$(uname -r)"
IFS=. read -r major minor _ <<<"$kernel"
# tcx (BPF_TCX_*) arrived in Linux 6.6.
if ((major > 6 || (major == 6 && minor >= 6))); then
	want_tcx=present
else
	want_tcx=missing
fi

rc=0
text="$("$xmptcpd" --probe 2>&1)" || rc=$?
printf '%s\n' "$text" | sed 's/^/  /'
((rc == 0)) || fail "xmptcpd --probe exited $rc on Linux $kernel, expected 0"
bad="$(grep -E '  required  ' <<<"$text" | grep -v ' present$' || true)"
[[ -z "$bad" ]] || fail "required features not shown as present:"$'\n'"$bad"
grep -Eq '^All [0-9]+ required features are present\.$' <<<"$text" ||
	fail "no 'All N required features are present.' line"
tcx_line="$(grep -E '^tcx ' <<<"$text")" || fail "no tcx line in the table"
[[ "$tcx_line" == *"not used  $want_tcx"* ]] ||
	fail "on Linux $kernel tcx should be '$want_tcx' (and not used), the table says: $tcx_line"

rc=0
json="$("$xmptcpd" --probe -j)" || rc=$?
((rc == 0)) || fail "xmptcpd --probe -j exited $rc, expected 0"
check_json=$(
	cat <<'EOF'
import json, sys
want_tcx = sys.argv[1]
d = json.load(sys.stdin)
errs = []
if d.get("ok") is not True:
    errs.append(f"ok is {d.get('ok')!r}, expected true")
req = [f for f in d["features"] if f["required"]]
if len(req) != d["required"] or d["missing_required"] != 0:
    errs.append(f"required {d['required']} / missing {d['missing_required']}, "
                f"{len(req)} required rows")
for f in req:
    if f["state"] != "present":
        errs.append(f"{f['id']}: {f['state']} ({f.get('detail', '')})")
for key in ("prog:xdp", "prog:sched_cls", "prog:sock_ops", "map:ringbuf", "map:sk_storage",
            "map:queue", "helper:xdp:bpf_loop", "helper:sock_ops:bpf_get_netns_cookie",
            "helper:sock_ops:bpf_reserve_hdr_opt", "helper:sock_ops:bpf_store_hdr_opt",
            "sockops:hdr_opt_cbs", "link:xdp", "link:cgroup", "btf:vmlinux"):
    if not any(f["id"] == key and f["required"] for f in d["features"]):
        errs.append(f"{key} is not in the table as required")
tcx = [f for f in d["features"] if f["id"] == "tcx"]
if len(tcx) != 1 or tcx[0]["used"] or tcx[0]["required"] or tcx[0]["state"] != want_tcx:
    errs.append(f"tcx: expected one optional, unused row '{want_tcx}', got {tcx}")
for e in errs:
    print("  " + e, file=sys.stderr)
sys.exit(1 if errs else 0)
EOF
)
python3 -c "$check_json" "$want_tcx" <<<"$json" || fail "the JSON table is wrong (above)"
# The failure path, on a real lack rather than a simulated one: in a private mount
# namespace without cgroup2 (and a fresh network namespace, so that a daemon that wrongly
# went on would find nothing but lo to attach to), --probe must exit 1 naming it, and the
# daemon must stop before loading anything, with the same words.
without_cgroup2() {
	unshare -m -n bash -c '
		for m in $(awk "\$3 == \"cgroup2\" { print \$2 }" /proc/self/mounts); do
			umount -l "$m" || exit 99
		done
		exec "$@"' without_cgroup2 "$@"
}
rc=0
out="$(without_cgroup2 "$xmptcpd" --probe 2>&1)" || rc=$?
((rc == 1)) || fail "--probe without cgroup2 exited $rc, expected 1:"$'\n'"$out"
grep -q '^Missing 1 of [0-9]* required features' <<<"$out" ||
	fail "--probe without cgroup2 does not say 'Missing 1 of N':"$'\n'"$out"
grep -q 'lacks a mounted cgroup2 hierarchy' <<<"$out" ||
	fail "--probe without cgroup2 does not name it:"$'\n'"$out"
rc=0
out="$(without_cgroup2 timeout 20 "$xmptcpd" 2>&1)" || rc=$?
printf '%s\n' "$out" | sed 's/^/  /'
((rc == 1)) || fail "xmptcpd without cgroup2 exited $rc, expected 1"
grep -q 'xmptcp cannot run here (Linux [^)]*); nothing was loaded:' <<<"$out" &&
	grep -q 'lacks a mounted cgroup2 hierarchy (Linux 4.5+); sockops_mptcp attaches' <<<"$out" ||
	fail "xmptcpd without cgroup2 does not say what is missing before loading"

log "PASS: Linux $kernel: every required feature present, tcx $want_tcx; a missing one is named"
