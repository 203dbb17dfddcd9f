#!/usr/bin/env bash
# Starts (or stops) a private PostgreSQL 15 cluster for Ferry: its own data directory,
# listening on 127.0.0.1:PORT only, run as the `postgres` user when invoked as root
# (PostgreSQL refuses to run as root). Prints the database URL on start.
#
# pg_stat_statements is preloaded, so tests can count the statements a page costs.
#
# Usage: scripts/local-postgres.sh start DIR [PORT] | stop DIR
set -euo pipefail

command=${1:?usage: local-postgres.sh start DIR [PORT] | stop DIR}
dir=${2:?usage: local-postgres.sh start DIR [PORT] | stop DIR}
port=${3:-15432}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x "$bin/pg_ctl" ]] || { echo "local-postgres: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
    if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The server must not inherit the caller's file descriptors (a caller waiting for this
# script's pipes or sockets to close would wait for the server's whole life).
close_inherited_descriptors() {
    local fd
    for fd in $(ls /proc/$$/fd 2>/dev/null); do
        if ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
}

case "$command" in
    start)
        close_inherited_descriptors
        mkdir -p "$dir"
        dir=$(cd "$dir" && pwd)
        if [[ $(id -u) -eq 0 ]]; then
            chown postgres "$dir"
            # The postgres user must be able to reach the directory.
            path=$dir
            while [[ "$path" != "/" ]]; do chmod o+x "$path" 2>/dev/null || true; path=$(dirname "$path"); done
        fi
        if [[ ! -f "$dir/data/PG_VERSION" ]]; then
            as_owner "$bin/initdb" -D "$dir/data" --auth=trust -U postgres -E UTF8 >"$dir/initdb.log" 2>&1 \
                || { cat "$dir/initdb.log" >&2; exit 1; }
        fi
        if ! as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
            as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 30 \
                -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=200 -c shared_preload_libraries=pg_stat_statements" start >/dev/null \
                || { tail -20 "$dir/postgres.log" >&2; exit 1; }
        fi
        echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
        ;;
    stop)
        if [[ -f "$dir/data/postmaster.pid" ]]; then
            as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
        fi
        ;;
    *) echo "usage: local-postgres.sh start DIR [PORT] | stop DIR" >&2; exit 2 ;;
esac
