#!/usr/bin/env bash
# Builds and runs Ferry's libFuzzer harnesses (Fuzz/Harnesses) against the parsers
# that read untrusted input on the request path. See docs/fuzzing.md.
#
#   scripts/fuzz.sh [--time SECONDS] [--runs N] [--crashes DIR] [--build-only] [HARNESS...]
#
# --time SECONDS  how long each harness runs (default 30 unless --runs is given)
# --runs N        how many inputs each harness runs (with --time, whichever ends first)
# --crashes DIR   where reproducers go (default .build-fuzz/crashes)
# --build-only    build the harnesses, run nothing
# HARNESS...      the harnesses to run (default: all of Fuzz/Harnesses)
#
# Only the parser sources are compiled, with -sanitize=fuzzer,address: OCI, four
# Gateway files, two Cache files and Hummingbird's URL-encoded form coder; nothing
# is rebuilt when its inputs are unchanged. Each harness starts from its committed
# seeds (Fuzz/Corpus/<HARNESS>) plus what earlier runs found (.build-fuzz/corpus).
# Exits non-zero when any harness crashes, printing each reproducer and the command
# that replays it.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=""
runs=""
build_only=0
scratch=${FERRY_FUZZ_SCRATCH:-.build-fuzz}
crashes=""
harnesses=()
while (($#)); do
    case "$1" in
        --time) seconds=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --crashes) crashes=$2; shift 2 ;;
        --build-only) build_only=1; shift ;;
        -h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
        *) harnesses+=("$1"); shift ;;
    esac
done
[[ -z "$seconds" && -z "$runs" ]] && seconds=30
crashes=${crashes:-$scratch/crashes}
if ((${#harnesses[@]} == 0)); then
    for file in Fuzz/Harnesses/*.swift; do harnesses+=("$(basename "$file" .swift)"); done
fi
for harness in "${harnesses[@]}"; do
    [[ -f "Fuzz/Harnesses/$harness.swift" ]] || { echo "fuzz.sh: no harness Fuzz/Harnesses/$harness.swift" >&2; exit 2; }
done

swiftc=${SWIFTC:-$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)}
flags=(-sanitize=fuzzer,address -parse-as-library -O -swift-version 6 -enable-testing -use-ld=lld)
modules="$scratch/modules"
mkdir -p "$modules" "$scratch/bin" "$scratch/stamps" "$scratch/corpus" "$crashes"

# Hummingbird's form coder comes from the resolved checkout (a no-op when resolved),
# or from FERRY_FUZZ_HUMMINGBIRD_SOURCES (a checkout's Sources directory).
hummingbird=${FERRY_FUZZ_HUMMINGBIRD_SOURCES:-}
if [[ -z "$hummingbird" ]]; then
    swift package --scratch-path "$scratch" resolve >"$scratch/resolve.log" 2>&1 ||
        { cat "$scratch/resolve.log" >&2; exit 1; }
    hummingbird="$scratch/checkouts/hummingbird/Sources"
fi

# up_to_date NAME FILE...: whether NAME was last built from exactly these inputs.
up_to_date() {
    local name=$1
    shift
    stamp=$( (echo "${flags[*]}"; "$swiftc" --version 2>/dev/null; cat "$@") | sha256sum | cut -d' ' -f1)
    [[ -f "$scratch/stamps/$name" && "$(cat "$scratch/stamps/$name")" == "$stamp" ]]
}

# module NAME [-OPTION VALUE]... FILE...: a static library and module interface under
# $modules, built again when its files change (or, for Gateway and Cache, the OCI
# module they import).
module() {
    local name=$1
    shift
    local options=()
    while [[ "$1" == -* ]]; do options+=("$1" "$2"); shift 2; done
    local inputs=("$@")
    [[ "$name" == Gateway || "$name" == Cache ]] && inputs+=("$scratch/stamps/module-OCI")
    if up_to_date "module-$name" <(echo "${options[*]}") "${inputs[@]}"; then return; fi
    echo "fuzz.sh: building module $name"
    "$swiftc" "${flags[@]}" "${options[@]}" -package-name "$name" -I "$modules" -module-name "$name" \
        -emit-module -emit-module-path "$modules/$name.swiftmodule" \
        -emit-library -static -o "$modules/lib$name.a" "$@"
    echo "$stamp" >"$scratch/stamps/module-$name"
}

# since START: seconds from START (date +%s.%N) to now, one decimal.
since() { awk -v start="$1" -v now="$(date +%s.%N)" 'BEGIN { printf "%.1f", now - start }'; }

build_started=$(date +%s.%N)
module OCI Sources/OCI/*.swift
module Gateway Sources/Gateway/{BasicCredentials,ForwardedFor,IPNetwork,TokenRequestFields}.swift
module Cache Sources/Cache/{ImageIndex,ManifestFields}.swift
module HummingbirdURLEncodedForm -enable-experimental-feature "AvailabilityMacro=hummingbird 2.0:macOS 14.0" \
    "$hummingbird"/Hummingbird/Codable/URLEncodedForm/URLEncodedForm{,Decoder,Encoder,Node}.swift \
    "$hummingbird"/Hummingbird/Utils/SplitStringSequences.swift \
    "$hummingbird"/HummingbirdCore/Utils/String+percentEncode.swift
for harness in "${harnesses[@]}"; do
    sources=(Fuzz/Support/*.swift "Fuzz/Harnesses/$harness.swift")
    if up_to_date "harness-$harness" "${sources[@]}" "$scratch/stamps"/module-*; then continue; fi
    echo "fuzz.sh: building harness $harness"
    "$swiftc" "${flags[@]}" -module-name "Fuzz$harness" -I "$modules" -L "$modules" "${sources[@]}" \
        -lGateway -lCache -lOCI -lHummingbirdURLEncodedForm -o "$scratch/bin/$harness"
    echo "$stamp" >"$scratch/stamps/harness-$harness"
done
echo "fuzz.sh: build took $(since "$build_started") s"
((build_only)) && exit 0

# Swift's runtime keeps caches LeakSanitizer would report; reports are symbolized.
# libFuzzer, not Swift's backtracer (which trips AddressSanitizer), handles a crash.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:symbolize=1}
export SWIFT_BACKTRACE=enable=no
symbolizer=$(dirname "$swiftc")/llvm-symbolizer
[[ -x "$symbolizer" ]] && export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$symbolizer}

limits=(-detect_leaks=0 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
[[ -n "$seconds" ]] && limits+=("-max_total_time=$seconds")
[[ -n "$runs" ]] && limits+=("-runs=$runs")
failed=()
results=()
for harness in "${harnesses[@]}"; do
    corpus="$scratch/corpus/$harness"
    mkdir -p "$corpus"
    log="$scratch/$harness.log"
    started=$(date +%s.%N)
    status=0
    "$scratch/bin/$harness" "${limits[@]}" -artifact_prefix="$crashes/$harness-" \
        "$corpus" "Fuzz/Corpus/$harness" >"$log" 2>&1 || status=$?
    elapsed=$(since "$started")
    inputs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    reproducers=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log")
    count=$(echo -n "$reproducers" | grep -c . || true)
    if ((status != 0)) && ((count == 0)); then count=1; reproducers="(none written; see $log)"; fi
    results+=("$(printf '%-20s %10s %8.1f %8d' "$harness" "${inputs:-?}" "$elapsed" "$count")")
    if ((count > 0)); then
        failed+=("$harness")
        echo "fuzz.sh: $harness crashed (log: $log)" >&2
        grep -E "fuzz property violated|Fatal error|ERROR: (AddressSanitizer|libFuzzer)" "$log" | head -3 >&2 || true
        # The first Swift frames of the crash, demangled (a trap in -O code has no message).
        grep -E '^ +#[0-9]+ .* in \$s' "$log" | head -4 | swift demangle --simplified >&2 || true
        while read -r reproducer; do
            echo "fuzz.sh: reproducer $reproducer (replay: $scratch/bin/$harness $reproducer)" >&2
        done <<<"$reproducers"
    fi
done

printf '%-20s %10s %8s %8s\n' harness inputs seconds crashes
printf '%s\n' "${results[@]}"
if ((${#failed[@]})); then
    echo "fuzz.sh: crashes in ${failed[*]}; reproducers are in $crashes" >&2
    exit 1
fi
