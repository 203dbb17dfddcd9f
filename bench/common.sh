# Pieces the bench scripts share. Source it from the repository root once `work` (a
# scratch directory) and `pids=()` are set.

# Kills the processes in `pids` and waits for them.
stop_pids() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}

# Waits until a URL answers (20 s at most), else ends the script.
wait_up() {
    for _ in $(seq 1 400); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done
    echo "bench: $1 did not come up" >&2
    exit 1
}

# registry NAME PORT [PROXY_OF]: a CNCF registry on loopback, storing under $work/NAME
# (a proxy of PROXY_OF when given); its pid is `last_pid`, and in `pids`.
registry() {
    {
        echo "version: 0.1"
        echo "log: {level: warn, accesslog: {disabled: true}}"
        echo "storage: {filesystem: {rootdirectory: $work/$1}, delete: {enabled: true}}"
        echo "http: {addr: 127.0.0.1:$2}"
        if [[ -n "${3:-}" ]]; then echo "proxy: {remoteurl: $3}"; fi
    } >"$work/$1.yml"
    docker-registry serve "$work/$1.yml" >"$work/$1.log" 2>&1 &
    last_pid=$!
    pids+=("$last_pid")
    wait_up "http://127.0.0.1:$2/v2/"
}

# The digest of the first layer of an OCI layout's first manifest.
first_layer_digest() {
    python3 - "$1" <<'PY'
import json, sys
index = json.load(open(f"{sys.argv[1]}/index.json"))
manifest = json.load(open(f"{sys.argv[1]}/blobs/sha256/{index['manifests'][0]['digest'].split(':')[1]}"))
print(manifest["layers"][0]["digest"])
PY
}
