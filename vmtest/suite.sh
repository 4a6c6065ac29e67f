#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Run one meson test suite of an already-built tree, inside the vmtest guest:
#
#   vmtest/run --kernel 6.1 -- vmtest/suite.sh BUILDDIR SUITE [extra meson test args]
#
# Never rebuilds: the guest sees the host's build through the read-only shared root. The
# logs meson writes go to the guest's tmpfs overlay and vanish with it, so failed tests'
# logs are printed (--print-errorlogs). Timeouts are multiplied by
# VMTEST_TIMEOUT_MULTIPLIER (10): CPU-bound work runs 7-18x slower under TCG.
# Exit: meson's status; 77 (skip) when the suite has no tests in this build.
set -u
[ $# -ge 2 ] || { echo "usage: $0 BUILDDIR SUITE [meson test args]" >&2; exit 2; }
build=$1 suite=$2
shift 2
MESON=$(command -v meson) || { echo "suite.sh: SKIP: no meson in the guest" >&2; exit 77; }

# No separate "--list" first: every meson start costs seconds under TCG.
out=/tmp/vmtest-suite-$$.log
echo "suite.sh: suite '$suite' of $build on $(uname -r)"
"$MESON" test -C "$build" --no-rebuild --suite "$suite" --print-errorlogs \
	--timeout-multiplier "${VMTEST_TIMEOUT_MULTIPLIER:-10}" "$@" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
if [ $rc = 0 ] && grep -q '^No suitable tests defined' "$out"; then
	echo "suite.sh: SKIP: no tests in suite '$suite' of $build"
	rc=77
fi
rm -f "$out"
exit $rc
