#!/bin/sh
# Runs the libFuzzer targets built by `make fuzz-build` (called by `make fuzz` and `make fuzz-ci`).
#
#   scripts/fuzz.sh SECONDS serial|parallel TARGET... [-- LIBFUZZER_FLAG...]
#
# Each target runs for SECONDS from its corpus (.build/fuzz-corpus/TARGET, kept between runs) and its
# seeds (.build/fuzz-seeds/TARGET); `parallel` starts them all at once (`make fuzz-ci`: 60 s of wall
# time each, not 60 s after one another). The output of each goes to .build/fuzz/logs/TARGET.log; the
# script prints each target's executions and new corpus units, and a crash's input is left in
# .build/fuzz/crashes/TARGET-crash-… with the end of the log printed. Exit status 1 if any target failed.
set -u
seconds=$1; mode=$2; shift 2
targets=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do targets="$targets $1"; shift; done
[ $# -gt 0 ] && shift
build=.build/fuzz
# libFuzzer reports a crash itself; Swift's backtracer would race it (and trips AddressSanitizer).
export SWIFT_BACKTRACE=enable=no
mkdir -p "$build/crashes" "$build/logs"

run() {   # TARGET [LIBFUZZER_FLAG...]
    t=$1; shift
    mkdir -p ".build/fuzz-corpus/$t"
    # Leak checks are off: the Swift runtime keeps type metadata and caches for the process's lifetime.
    "$build/release/$t" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
        -detect_leaks=0 -print_final_stats=1 -artifact_prefix="$build/crashes/$t-" "$@" \
        ".build/fuzz-corpus/$t" ".build/fuzz-seeds/$t" >"$build/logs/$t.log" 2>&1
}

report() {   # TARGET STATUS
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/logs/$1.log")
    added=$(sed -n 's/^stat::new_units_added: *//p' "$build/logs/$1.log")
    if [ "$2" = 0 ]; then
        echo "$1: ${runs:-?} executions in ${seconds} s, ${added:-?} new corpus units, no crash"
    else
        echo "$1: FAILED (exit $2) after ${runs:-?} executions; log $build/logs/$1.log, input in $build/crashes/:"
        grep -v '^#[0-9]' "$build/logs/$1.log" | tail -40
        return 1
    fi
}

status=0
if [ "$mode" = parallel ]; then
    pids=""
    for t in $targets; do run "$t" "$@" & pids="$pids $!"; done
    for t in $targets; do
        pid=${pids# }; pid=${pid%% *}; pids=${pids# }; pids=${pids#"$pid"}
        wait "$pid"; rc=$?
        report "$t" "$rc" || status=1
    done
else
    for t in $targets; do
        run "$t" "$@"; rc=$?
        report "$t" "$rc" || { status=1; break; }
    done
fi
exit $status
