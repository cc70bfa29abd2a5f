#!/bin/sh
# Run every libFuzzer target over its seed corpus for a fixed number of
# runs (deterministic enough for CI); long fuzzing happens outside CI.
srcdir=${WARMD_SRCDIR:-${srcdir:-.}}
builddir=${WARMD_BUILDDIR:-.}
runs=${FUZZ_RUNS:-20000}
set -- proxy acctline config mailru_json cookies htmllink action ipecho template addrcheck preflight
echo "1..$#"
i=0
for t in "$@"; do
	i=$((i + 1))
	work=$(mktemp -d)
	cp -r "$srcdir/tests/fuzz/corpus/$t/." "$work/" 2>/dev/null
	if "$builddir/tests/fuzz/fuzz_$t" -runs="$runs" -seed=1 "$work" >"$work.log" 2>&1; then
		echo "ok $i - fuzz_$t $runs runs"
	else
		echo "not ok $i - fuzz_$t"
		sed 's/^/# /' "$work.log" | tail -40
	fi
	rm -rf "$work" "$work.log"
done
