#!/usr/bin/env bash
# A one-node Ceph with a RADOS Gateway, for the tests labelled `s3` (issue 18): no systemd, nothing
# outside a state folder, every daemon bound to 127.0.0.1.
#   scripts/ceph-rgw.sh start   # starts ceph-mon, one memstore ceph-osd and radosgw, creates a user
#                               # and a bucket, prints the environment lines for the tests
#   eval "$(scripts/ceph-rgw.sh env)"   # those lines again, for a running gateway
#   scripts/ceph-rgw.sh stop    # stops the daemons it started (their pid files) and removes the state
# The state folder is $CERTVAULT_CEPH_DIR (default /tmp/certvault-ceph); CERTVAULT_RGW_PORT and
# CERTVAULT_CEPH_MON_PORT choose the ports (default: the first free ones from 7480 and 3300).
# The OSD keeps its objects in memory (memstore, CERTVAULT_CEPH_MEMSTORE_BYTES, default 2 GiB),
# pools have one replica, and there is no ceph-mgr: nothing here needs one.
set -euo pipefail

state=${CERTVAULT_CEPH_DIR:-/tmp/certvault-ceph}
conf=$state/ceph.conf
memstore_bytes=${CERTVAULT_CEPH_MEMSTORE_BYTES:-$((2 << 30))}
bucket=${CERTVAULT_S3_BUCKET:-certvault}
packages=(ceph-mon ceph-osd radosgw curl)

log() { echo "ceph-rgw: $*" >&2; }
die() {
  log "$*"
  exit 1
}

# The last lines of a daemon's log, to say why it did not come up.
log_tail() {
  local file=$state/log/$1.log
  [ -f "$file" ] && {
    echo "--- last lines of $file:" >&2
    tail -n 25 "$file" >&2
  }
  return 0
}

install_packages() {
  local missing=() p
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return
  [ "$(id -u)" -eq 0 ] || die "missing packages ${missing[*]}; install them (apt-get install --no-install-recommends) or run as root"
  log "installing ${missing[*]}"
  env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

port_in_use() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

free_port() {
  local port=$1
  while port_in_use "$port"; do port=$((port + 1)); done
  echo "$port"
}

# wait_for SECONDS WHAT DAEMON-LOG COMMAND...: runs COMMAND every 0.2 s until it succeeds.
wait_for() {
  local seconds=$1 what=$2 daemon=$3
  shift 3
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      log "$what did not happen within $seconds s"
      log_tail "$daemon"
      exit 1
    fi
    sleep 0.2
  done
}

ceph_cli() { timeout 30 ceph -c "$conf" --name client.admin "$@"; }

random_text() { head -c 256 /dev/urandom | tr -dc "$1" | head -c "$2"; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

rgw_answers() { curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$rgw_port/"; }

osd_up() { ceph_cli osd dump --format json | grep -q '"up":1'; }

write_config() {
  cat >"$conf" <<EOF
[global]
fsid = $fsid
mon_initial_members = a
mon_host = [v2:127.0.0.1:$mon_port]
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_ipv6 = false
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
keyring = $state/keyring
run_dir = $state/run
admin_socket = $state/run/\$name.asok
pid_file = $state/run/\$name.pid
log_file = $state/log/\$name.log
mon_cluster_log_file = $state/log/cluster.log
crash_dir = $state/crash
# One OSD: one replica, placement across OSDs instead of hosts, few placement groups.
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
mon_allow_pool_delete = true
mon_warn_on_pool_no_redundancy = false
osd_crush_chooseleaf_type = 0
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
mon_max_pg_per_osd = 1000
osd_objectstore = memstore
memstore_device_bytes = $memstore_bytes
[mon.a]
mon_data = $state/mon
[osd.0]
osd_data = $state/osd
# The OSD and the gateway stay small: a test engine, not a production cluster.
osd_memory_target = 939524096
[client.rgw.a]
rgw_frontends = beast endpoint=127.0.0.1:$rgw_port
rgw_data = $state/rgw
rgw_enable_usage_log = false
# Removed and overwritten objects' data is reclaimed within a minute, not after two hours: the OSD
# keeps everything in memory.
rgw_gc_obj_min_wait = 30
rgw_gc_processor_period = 30
EOF
}

start() {
  local started=$SECONDS
  if pid_alive "$state/run/client.rgw.a.pid"; then
    log "already running in $state"
    cat "$state/env"
    return
  fi
  [ -e "$state" ] && die "$state exists but no gateway runs from it: run '$0 stop' first"
  install_packages
  for tool in ceph-mon ceph-osd radosgw radosgw-admin ceph ceph-authtool monmaptool curl ss uuidgen; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
  done
  mkdir -p "$state"/{mon,osd,rgw,run,log,crash}
  mon_port=$(free_port "${CERTVAULT_CEPH_MON_PORT:-3300}")
  rgw_port=$(free_port "${CERTVAULT_RGW_PORT:-7480}")
  fsid=$(uuidgen)
  write_config

  # Keys: one keyring for every entity; the monitor imports them all at mkfs.
  local keyring=$state/keyring
  ceph-authtool --create-keyring "$keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool "$keyring" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
  ceph-authtool "$keyring" --gen-key -n osd.0 --cap mon 'allow profile osd' --cap osd 'allow *' --cap mgr 'allow profile osd' >/dev/null
  ceph-authtool "$keyring" --gen-key -n client.rgw.a --cap mon 'allow rw' --cap osd 'allow rwx' --cap mgr 'allow rw' >/dev/null

  monmaptool --create --clobber --addv a "[v2:127.0.0.1:$mon_port]" --fsid "$fsid" "$state/monmap" >/dev/null
  ceph-mon -c "$conf" --mkfs -i a --monmap "$state/monmap" --keyring "$keyring" >"$state/log/mkfs-mon.log" 2>&1 ||
    {
      cat "$state/log/mkfs-mon.log" >&2
      die "ceph-mon --mkfs failed"
    }
  ceph-mon -c "$conf" -i a 2>>"$state/log/mon-start.log" || {
    cat "$state/log/mon-start.log" >&2
    log_tail mon.a
    die "ceph-mon did not start"
  }
  wait_for 30 "the monitor answering on 127.0.0.1:$mon_port" mon.a ceph_cli mon stat

  local osd_uuid
  osd_uuid=$(uuidgen)
  local osd_id
  osd_id=$(ceph_cli osd new "$osd_uuid") || die "ceph osd new failed"
  [ "$osd_id" = 0 ] || die "the new OSD got id $osd_id, expected 0"
  ceph-osd -c "$conf" -i 0 --mkfs --osd-uuid "$osd_uuid" >"$state/log/mkfs-osd.log" 2>&1 || {
    cat "$state/log/mkfs-osd.log" >&2
    die "ceph-osd --mkfs failed"
  }
  # It prints notes (the interface it falls back to) on stderr: they go to its start log.
  ceph-osd -c "$conf" -i 0 2>>"$state/log/osd-start.log" || {
    cat "$state/log/osd-start.log" >&2
    log_tail osd.0
    die "ceph-osd did not start"
  }
  wait_for 60 "osd.0 up" osd.0 osd_up

  radosgw -c "$conf" -n client.rgw.a 2>>"$state/log/rgw-start.log" || {
    cat "$state/log/rgw-start.log" >&2
    log_tail client.rgw.a
    die "radosgw did not start"
  }
  wait_for 90 "radosgw answering on 127.0.0.1:$rgw_port" client.rgw.a rgw_answers

  local access_key secret_key
  access_key=$(random_text 'A-Z0-9' 20)
  secret_key=$(random_text 'A-Za-z0-9' 40)
  timeout 60 radosgw-admin -c "$conf" -n client.admin user create --uid=certvault --display-name="certvault tests" \
    --access-key="$access_key" --secret="$secret_key" >"$state/log/user.json" 2>"$state/log/user.err" || {
    cat "$state/log/user.err" >&2
    die "radosgw-admin user create failed"
  }
  # The bucket, through S3 itself (curl signs with SigV4; RGW wants the payload's hash).
  local status
  status=$(curl -s -o "$state/log/bucket.xml" -w '%{http_code}' --max-time 30 -X PUT \
    --aws-sigv4 "aws:amz:us-east-1:s3" --user "$access_key:$secret_key" \
    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
    "http://127.0.0.1:$rgw_port/$bucket")
  [ "$status" = 200 ] || {
    cat "$state/log/bucket.xml" >&2
    die "creating bucket $bucket answered HTTP $status"
  }

  cat >"$state/env" <<EOF
export CERTVAULT_S3_ENDPOINT=http://127.0.0.1:$rgw_port
export CERTVAULT_S3_BUCKET=$bucket
export AWS_ACCESS_KEY_ID=$access_key
export AWS_SECRET_ACCESS_KEY=$secret_key
export AWS_DEFAULT_REGION=us-east-1
EOF
  log "gateway on http://127.0.0.1:$rgw_port (bucket $bucket) up in $((SECONDS - started)) s; state in $state"
  cat "$state/env"
}

stop() {
  [ -d "$state" ] || return 0
  local pid_file pid pids=()
  # The gateway first, the monitor last: each daemon still finds the ones it talks to while it stops.
  for pid_file in "$state/run/client.rgw.a.pid" "$state/run/osd.0.pid" "$state/run/mon.a.pid"; do
    [ -f "$pid_file" ] || continue
    pid=$(cat "$pid_file")
    # Only a process that is still the daemon this state folder started.
    if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$conf"; then
      kill "$pid"
      pids+=("$pid")
    fi
  done
  local deadline=$((SECONDS + 20))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null; do
      if [ $SECONDS -ge $deadline ]; then
        log "process $pid did not stop within 20 s; killing it"
        kill -9 "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.1
    done
  done
  rm -rf "$state"
  log "stopped; removed $state"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env)
    [ -f "$state/env" ] || die "no gateway state in $state: run '$0 start'"
    cat "$state/env"
    ;;
  *) die "usage: $0 start|stop|env" ;;
esac
