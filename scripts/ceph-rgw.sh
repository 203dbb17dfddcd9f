#!/usr/bin/env bash
# A throwaway single-node S3 store on loopback for the S3 client's integration tests:
# Debian's Ceph (Pacific 16.2) with one monitor, one BlueStore OSD on a sparse file, one
# radosgw (beast frontend), no manager, cephx off. Modelled on shared/tools/ceph-rgw.sh.
#
#   scripts/ceph-rgw.sh start ROOT   install the packages if missing, bring everything up
#                                    from nothing under ROOT, create a user and a bucket and
#                                    write ROOT/s3.env (FERRY_S3_ENDPOINT, FERRY_S3_REGION,
#                                    FERRY_S3_BUCKET, FERRY_S3_ACCESS_KEY, FERRY_S3_SECRET_KEY)
#   scripts/ceph-rgw.sh stop ROOT    stop exactly the processes start recorded (ROOT/pids)
#
# Ports: the monitor and radosgw take free loopback ports found at start; the OSD binds in
# CEPH_RGW_BIND_MIN..CEPH_RGW_BIND_MAX (default 40800..40899). Everything listens on
# 127.0.0.1 and everything is written under ROOT (which start wipes, if it holds an earlier run).
# Any failure stops what was started and exits non-zero with the reason and the log tail.
#
# Settings that matter (found the hard way, see shared/tools/ceph-rgw.sh):
# - cephx is off (auth_*_required = none), so radosgw must be allowed "crc" on its monitor
#   connection: it defaults to ms_mon_client_mode = secure, which cephx-less auth cannot
#   provide, and then loops forever on "get_initial_auth_request returned -13".
# - pool size 1, 8 PGs per pool, autoscaler off, mon_max_pg_per_osd raised: one OSD holds all.
# - the OSD's BlueStore device is a 10 GiB sparse file; osd_memory_target 896 MiB.
set -euo pipefail

cmd=${1:-}
ROOT=${2:-}
[[ -n $cmd && -n $ROOT ]] || { echo "usage: $0 start|stop ROOT" >&2; exit 2; }
ROOT=$(realpath -m "$ROOT")
CONF=$ROOT/ceph.conf
BIND_MIN=${CEPH_RGW_BIND_MIN:-40800}
BIND_MAX=${CEPH_RGW_BIND_MAX:-40899}
REGION=us-east-1
BUCKET=${CEPH_RGW_BUCKET:-ferry-test}
PACKAGES=(ceph-mon ceph-osd radosgw ceph-common uuid-runtime curl)

log() { printf '[ceph-rgw %s] %s\n' "$(date +%H:%M:%S.%2N)" "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
ceph_() { timeout 20 ceph -c "$CONF" --connect-timeout 10 "$@"; }

# The processes this script started, "pid name" per line; a pid counts only while its
# command line still names ROOT's ceph.conf (so a reused pid is never signalled).
ours() {
  local pid name
  [[ -f $ROOT/pids ]] || return 0
  while read -r pid name; do
    [[ $pid =~ ^[0-9]+$ ]] || continue
    if [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$CONF"; then
      echo "$pid $name"
    fi
  done <"$ROOT/pids"
}

spawn() { # spawn NAME COMMAND...: start in the background, record the pid
  local name=$1
  shift
  "$@" >>"$ROOT/log/$name.stdout" 2>&1 &
  echo "$! $name" >>"$ROOT/pids"
  log "started $name (pid $!)"
}

logs_of() { # the last lines of a daemon's logs, for error messages
  local name=$1
  tail -n 15 "$ROOT/log/$name.log" "$ROOT/log/$name.stdout" 2>/dev/null || true
}

wait_for() { # wait_for SECONDS NAME DESCRIPTION COMMAND...
  local limit=$1 name=$2 what=$3 start
  shift 3
  start=$(now)
  until "$@" >/dev/null 2>&1; do
    if [[ -z $(ours | awk -v n="$name" '$2 == n') ]]; then
      logs_of "$name" >&2
      die "$name exited while waiting for $what (logs in $ROOT/log)"
    fi
    if awk -v a="$start" -v b="$(now)" -v l="$limit" 'BEGIN { exit !(b - a > l) }'; then
      logs_of "$name" >&2
      die "$what not ready after ${limit}s (logs in $ROOT/log)"
    fi
    sleep 0.2
  done
}

free_port() { # a TCP port nobody listens on, outside the OSD's bind range
  python3 - "$BIND_MIN" "$BIND_MAX" <<'PY'
import socket, sys
lo, hi = int(sys.argv[1]), int(sys.argv[2])
while True:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    if not lo <= port <= hi and port + 1 < 65536:
        print(port)
        break
PY
}

install_packages() {
  local missing=()
  for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  if ((${#missing[@]} == 0)); then
    return 0
  fi
  ((EUID == 0)) || die "packages missing (${missing[*]}) and not root to install them"
  log "installing ${missing[*]}"
  local t0
  t0=$(now)
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >"/tmp/ceph-rgw-apt.$$.log" 2>&1 ||
    { tail -20 "/tmp/ceph-rgw-apt.$$.log" >&2; die "apt-get update failed"; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"/tmp/ceph-rgw-apt.$$.log" 2>&1 ||
    { tail -20 "/tmp/ceph-rgw-apt.$$.log" >&2; die "apt-get install ${missing[*]} failed"; }
  rm -f "/tmp/ceph-rgw-apt.$$.log"
  log "installed in $(since "$t0") s"
}

write_conf() {
  local fsid=$1 mon_v1=$2 mon_v2=$3 rgw_port=$4
  cat >"$CONF" <<CONF
[global]
fsid = $fsid
mon_host = [v2:127.0.0.1:$mon_v2,v1:127.0.0.1:$mon_v1]
public_addr = 127.0.0.1
ms_bind_port_min = $BIND_MIN
ms_bind_port_max = $BIND_MAX
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
keyring = $ROOT/keyring
run_dir = $ROOT/run
admin_socket = $ROOT/run/\$name.asok
pid_file = $ROOT/run/\$name.pid
log_file = $ROOT/log/\$name.log
mon_cluster_log_file = $ROOT/log/cluster.log
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
mon_max_pg_per_osd = 1000

[mon]
mon_data = $ROOT/mon.\$id
mon_allow_pool_delete = true

[osd]
osd_data = $ROOT/osd.\$id
osd_objectstore = bluestore
bluestore_block_create = true
bluestore_block_size = 10737418240
bluestore_fsck_on_mkfs = false
bdev_enable_discard = false
osd_memory_target = 939524096

[client.rgw.a]
# radosgw defaults its monitor connection to msgr2 "secure" mode, which cephx-less auth
# cannot provide (get_initial_auth_request returned -13): allow crc.
ms_mon_client_mode = crc secure
rgw_data = $ROOT/rgw.a
rgw_frontends = beast endpoint=127.0.0.1:$rgw_port
rgw_thread_pool_size = 64
CONF
}

start() {
  install_packages
  for tool in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool ceph-authtool uuidgen curl python3; do
    command -v "$tool" >/dev/null || die "$tool not found after installing ${PACKAGES[*]}"
  done
  [[ -z $(ours) ]] || die "already running under $ROOT (run: $0 stop $ROOT)"
  if [[ -d $ROOT && -n $(ls -A "$ROOT") && ! -f $CONF ]]; then
    die "$ROOT is not empty and holds no earlier run; pick another ROOT"
  fi
  local t0 fsid uuid id mon_v1 mon_v2 rgw_port endpoint
  t0=$(now)
  # A start that fails half-way stops what it had started.
  trap 'rc=$?; if ((rc != 0)); then log "start failed (rc $rc): stopping what it started"; stop; fi' EXIT
  rm -rf "$ROOT"
  mkdir -p "$ROOT"/{run,log,mon.a,osd.0,rgw.a}
  : >"$ROOT/pids"
  mon_v1=$(free_port)
  mon_v2=$(free_port)
  rgw_port=$(free_port)
  [[ $mon_v1 != "$mon_v2" && $mon_v1 != "$rgw_port" && $mon_v2 != "$rgw_port" ]] || die "could not find three distinct free ports"
  endpoint=http://127.0.0.1:$rgw_port
  fsid=$(uuidgen)
  write_conf "$fsid" "$mon_v1" "$mon_v2" "$rgw_port"

  # Monitor: a monmap with one mon, then mkfs (a mon keyring is needed even with cephx off).
  ceph-authtool --create-keyring "$ROOT/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  monmaptool --create --clobber --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_v2,v1:127.0.0.1:$mon_v1]" "$ROOT/monmap" >/dev/null
  ceph-mon -c "$CONF" --mkfs -i a --monmap "$ROOT/monmap" --keyring "$ROOT/mon.keyring" >"$ROOT/log/mon.a.mkfs" 2>&1 ||
    die "ceph-mon --mkfs failed: $(tail -5 "$ROOT/log/mon.a.mkfs")"
  spawn mon.a ceph-mon -c "$CONF" -i a -f
  wait_for 60 mon.a "ceph-mon" ceph_ mon stat
  log "mon up after $(since "$t0") s"

  # OSD: register it, mkfs its store, start it, wait until it is up and in.
  uuid=$(uuidgen)
  id=$(ceph_ osd new "$uuid")
  [[ $id == 0 ]] || die "expected osd id 0, got '$id'"
  ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$uuid" >"$ROOT/log/osd.0.mkfs" 2>&1 ||
    die "ceph-osd --mkfs failed: $(tail -5 "$ROOT/log/osd.0.mkfs")"
  spawn osd.0 ceph-osd -c "$CONF" -i 0 -f
  wait_for 120 osd.0 "ceph-osd" bash -c "ceph -c '$CONF' --connect-timeout 5 osd dump 2>/dev/null | grep -q '^osd.0 up *in'"
  log "osd up after $(since "$t0") s"

  # radosgw creates its pools (.rgw.root, default.rgw.*) on first start.
  spawn rgw.a radosgw -c "$CONF" -n client.rgw.a -f
  wait_for 180 rgw.a "radosgw on $endpoint" bash -c "[[ \$(curl -s -o /dev/null -m 2 -w '%{http_code}' $endpoint/) == 200 ]]"
  log "radosgw answering after $(since "$t0") s"

  local access secret code
  access=$(head -c 10 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
  secret=$(head -c 30 /dev/urandom | base64 | tr -d '/+=\n' | head -c 40)
  radosgw-admin -c "$CONF" user create --uid=ferry --display-name="Ferry tests" \
    --access-key="$access" --secret-key="$secret" >"$ROOT/user.json" 2>"$ROOT/log/user-create.stderr" ||
    die "radosgw-admin user create failed: $(tail -5 "$ROOT/log/user-create.stderr")"
  # The bucket, with curl's SigV4 signer (radosgw needs x-amz-content-sha256 on signed requests).
  code=$(curl -s -o "$ROOT/log/create-bucket.body" -w '%{http_code}' -X PUT \
    --aws-sigv4 "aws:amz:$REGION:s3" --user "$access:$secret" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$endpoint/$BUCKET")
  [[ $code == 200 ]] || die "creating bucket $BUCKET answered $code: $(cat "$ROOT/log/create-bucket.body")"

  umask 077
  cat >"$ROOT/s3.env" <<ENV
FERRY_S3_ENDPOINT=$endpoint
FERRY_S3_REGION=$REGION
FERRY_S3_BUCKET=$BUCKET
FERRY_S3_ACCESS_KEY=$access
FERRY_S3_SECRET_KEY=$secret
ENV
  local ready
  ready=$(since "$t0")
  echo "$ready" >"$ROOT/ready-seconds"
  log "ready: S3 at $endpoint, bucket $BUCKET, settings in $ROOT/s3.env, ${ready} s from nothing"
  trap - EXIT
}

stop() {
  local pid name left
  [[ -f $ROOT/pids ]] || { log "nothing started under $ROOT"; return 0; }
  # radosgw first, then the OSD, then the monitor: the reverse of the start.
  while read -r pid name; do
    kill -TERM "$pid" 2>/dev/null && log "sent TERM to $name (pid $pid)"
    for _ in $(seq 1 50); do
      [[ -d /proc/$pid ]] || break
      sleep 0.2
    done
  done < <(ours | tac)
  left=$(ours)
  if [[ -n $left ]]; then
    while read -r pid name; do
      kill -KILL "$pid" 2>/dev/null && log "sent KILL to $name (pid $pid)"
    done <<<"$left"
  fi
  : >"$ROOT/pids"
  log "stopped"
}

case $cmd in
start) start ;;
stop) stop ;;
*) die "usage: $0 start|stop ROOT" ;;
esac
