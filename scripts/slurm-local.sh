#!/usr/bin/env bash
# slurm-local.sh: a private single-node Slurm cluster on localhost, for
# integration tests.
#
# Usage:
#   scripts/slurm-local.sh start    install (if needed), configure and start; wait for the node to be idle
#   scripts/slurm-local.sh stop     stop exactly the daemons that `start` started
#   scripts/slurm-local.sh status   are our daemons running? plus `sinfo` (exit 3 if not all running)
#   scripts/slurm-local.sh env      print the `export SLURM_CONF=...` line again
#
# What `start` does:
#   1. Installs the Debian packages slurmctld slurmd slurm-client munge with
#      apt-get when any is missing (DEBIAN_FRONTEND=noninteractive; `apt-get
#      update` only when the package lists are missing or the first install
#      attempt fails). While it installs, a temporary /usr/sbin/policy-rc.d
#      (only if none exists) stops the packages from starting the system's own
#      munged/slurmctld/slurmd, so the only daemons running are ours.
#   2. Writes a private configuration in $IDEAFLOW_SLURM_DIR (default
#      /tmp/ideaflow-slurm): slurm.conf (ClusterName=ideaflow-test, one node
#      named after `hostname -s` with the real CPU count and memory, partition
#      `debug`, no accounting, no cgroups, MinJobAge=300 so finished jobs stay
#      visible to `scontrol show job` for 5 minutes). /etc/slurm and
#      /etc/munge are never read or written.
#   3. Creates a private munge key (owned by munge, mode 0400) if absent and
#      starts a private munged on a private socket (as the munge user; as root
#      with --force if that fails), then slurmctld (with -c: a clean queue on
#      every start) and slurmd, as ordinary background daemons (no systemd).
#      Ports are private too: 16817 (slurmctld) and 16818 (slurmd) by default,
#      so a system Slurm on 6817/6818 is not disturbed. They listen on the
#      loopback address only: CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
#      binds them to the address the host's name resolves to (not 0.0.0.0),
#      which must be 127.0.0.1 (checked before starting); after starting,
#      `ss -ltnp` must show every listening socket of our slurmctld and slurmd
#      on 127.0.0.1, or `start` stops them and fails. munged uses a unix socket.
#   4. Records the PIDs it started in $IDEAFLOW_SLURM_DIR/run/*.pid and waits
#      (up to $IDEAFLOW_SLURM_WAIT seconds, default 60) for the node to be idle,
#      resuming it if it comes up down/drained. On failure it prints the tail
#      of the logs and exits non-zero.
#   5. Prints exactly one line on stdout: `export SLURM_CONF=<dir>/slurm.conf`
#      (everything else goes to stderr), and writes the same line to
#      <dir>/env. So a test harness can do either of
#          eval "$(scripts/slurm-local.sh start)"
#          scripts/slurm-local.sh start && . /tmp/ideaflow-slurm/env
#      The client commands (sbatch, squeue, scontrol, scancel, sinfo) need
#      SLURM_CONF set; without it they look for /etc/slurm/slurm.conf.
#   `start` is idempotent: if our daemons are already running and the node
#   responds, it says so, prints the export line and exits 0.
#
# `stop` signals only the PIDs recorded by `start`, and only while each still
# is the same process (same start time, right program name, and a command line
# naming our private config or socket). It never touches a Slurm or munge
# daemon it did not start. It waits for them to exit (SIGKILL after 30 s) and
# removes the PID records. Logs and config stay in the directory.
#
# Jobs without accounting: there is no sacct. A job's final state is in
# `scontrol show job <id>` (JobState=COMPLETED/FAILED/CANCELLED/TIMEOUT/...,
# ExitCode=N:S) for MinJobAge (300 s) after it ends; `squeue -h -j <id>` prints
# nothing once the job has ended. A job whose dependency can never be met is
# cancelled (DependencyParameters=kill_invalid_depend), not left pending:
# JobState=CANCELLED Reason=DependencyNeverSatisfied. `stop` cancels every
# job of this private cluster first, so no job outlives it.
#
# Measured on the 2-core development machine (Slurm 22.05.8, Debian 12):
# `start` 8-9 s the first time (apt-get update + install), 0.2-0.4 s once
# installed; a 4-task array plus a dependent job, submit to all done, 3-5 s
# (SchedulerParameters=batch_sched_delay=1); `stop` about 5.5 s.
#
# Requirements: Debian/Ubuntu with apt-get; root (for apt-get, for running
# munged as the munge user and slurmd); sudo is used for the whole script
# when run as another user. No systemd needed. Free TCP ports 16817/16818.
# The host's name (`hostname`) must resolve to 127.0.0.1 (getent ahostsv4).
#
# Environment (all optional):
#   IDEAFLOW_SLURM_DIR        private directory (default /tmp/ideaflow-slurm)
#   IDEAFLOW_SLURM_CTLD_PORT  slurmctld port (default 16817)
#   IDEAFLOW_SLURM_D_PORT     slurmd port (default 16818)
#   IDEAFLOW_SLURM_WAIT       seconds to wait for the node to be idle (default 60)
#   IDEAFLOW_SLURM_NO_INSTALL=1  never run apt-get; fail if packages are missing
#
# Files left in the directory: slurm.conf, env, munge/ (key, socket, seed,
# munged.log, munged.pid), log/ (slurmctld.log, slurmd.log), state/, spool/,
# run/ (PID files written by slurmctld/slurmd and our records *.pid).

set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        exec sudo -E -- "$0" "$@"
    fi
    echo "slurm-local: must run as root (or with sudo available)" >&2
    exit 1
fi

DIR="${IDEAFLOW_SLURM_DIR:-/tmp/ideaflow-slurm}"
CTLD_PORT="${IDEAFLOW_SLURM_CTLD_PORT:-16817}"
D_PORT="${IDEAFLOW_SLURM_D_PORT:-16818}"
WAIT_SECS="${IDEAFLOW_SLURM_WAIT:-60}"
CONF="$DIR/slurm.conf"
MUNGE_DIR="$DIR/munge"
MUNGE_SOCKET="$MUNGE_DIR/munge.socket"
MUNGE_KEY="$MUNGE_DIR/munge.key"
RUN_DIR="$DIR/run"
LOG_DIR="$DIR/log"
PACKAGES=(slurmctld slurmd slurm-client munge)
DAEMONS=(munged slurmctld slurmd)   # start order; stop is the reverse

export SLURM_CONF="$CONF"

log() { echo "slurm-local: $*" >&2; }
die() { echo "slurm-local: ERROR: $*" >&2; exit 1; }

node_name() { hostname -s; }

# ---------------------------------------------------------------- install ---

missing_packages() {
    local p missing=()
    for p in "${PACKAGES[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$p")
        fi
    done
    echo "${missing[@]}"
}

apt_lists_present() {
    compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null
}

install_packages() {
    local missing
    missing="$(missing_packages)"
    if [ -z "$missing" ]; then
        log "packages already installed: ${PACKAGES[*]}"
        return 0
    fi
    if [ "${IDEAFLOW_SLURM_NO_INSTALL:-0}" = 1 ]; then
        die "missing packages: $missing (and IDEAFLOW_SLURM_NO_INSTALL=1)"
    fi
    command -v apt-get >/dev/null 2>&1 || die "missing packages: $missing, and no apt-get to install them"
    log "installing: $missing"
    export DEBIAN_FRONTEND=noninteractive

    # Keep the packages' maintainer scripts from starting system daemons.
    local policy=/usr/sbin/policy-rc.d made_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\n# temporary, written by ideaflow scripts/slurm-local.sh\nexit 101\n' >"$policy"
        chmod 0755 "$policy"
        made_policy=1
    fi

    local ok=0
    # shellcheck disable=SC2086
    if apt_lists_present && apt-get install -y -q --no-install-recommends $missing >&2; then
        ok=1
    else
        log "running apt-get update"
        # shellcheck disable=SC2086
        if apt-get update -q >&2 && apt-get install -y -q --no-install-recommends $missing >&2; then
            ok=1
        fi
    fi
    if [ "$made_policy" = 1 ]; then rm -f "$policy"; fi
    [ "$ok" = 1 ] || die "apt-get could not install: $missing (see the apt-get output above)"
    missing="$(missing_packages)"
    [ -z "$missing" ] || die "still missing after apt-get install: $missing"
}

# ----------------------------------------------------------- pid records ---

# start time of a process (clock ticks since boot), field 22 of /proc/PID/stat
proc_starttime() {
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    # strip "pid (comm) " as comm may contain spaces
    stat="${stat##*) }"
    # now field 3 is state; starttime is original field 22 -> field 20 here
    echo "$stat" | awk '{print $20}'
}

# the marker our daemon's command line must contain
daemon_marker() {
    case "$1" in
        munged) echo "$MUNGE_SOCKET" ;;
        slurmctld|slurmd) echo "$CONF" ;;
    esac
}

# is the process recorded for daemon $1 alive and still ours? prints its pid
recorded_pid() {
    local d="$1" rec="$RUN_DIR/$1.pid" pid start comm
    [ -f "$rec" ] || return 1
    read -r pid start <"$rec" || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [ -d "/proc/$pid" ] || return 1
    comm="$(cat "/proc/$pid/comm" 2>/dev/null)" || return 1
    [ "$comm" = "$d" ] || return 1
    [ "$(proc_starttime "$pid")" = "$start" ] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$(daemon_marker "$d")" || return 1
    echo "$pid"
}

record_pid() {
    local d="$1" pid="$2" start
    start="$(proc_starttime "$pid")" || die "$d (pid $pid) exited right after starting"
    echo "$pid $start" >"$RUN_DIR/$d.pid"
}

# wait for the daemon's own pid file to name a live process, print the pid
wait_pidfile() {
    local file="$1" i pid
    for i in $(seq 1 100); do
        if [ -s "$file" ]; then
            pid="$(tr -dc '0-9' <"$file")"
            if [ -n "$pid" ] && [ -d "/proc/$pid" ]; then echo "$pid"; return 0; fi
        fi
        sleep 0.1
    done
    return 1
}

port_in_use() {
    local hex
    hex="$(printf ':%04X' "$1")"
    # state 0A = LISTEN
    awk -v p="$hex" 'NR > 1 && $4 == "0A" && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# The daemons bind their ports to the address this host's name resolves to
# (CommunicationParameters=NoCtldInAddrAny,NoInAddrAny: Slurm resolves
# gethostname()), and clients reach them at 127.0.0.1: so that name must
# resolve to 127.0.0.1 first, or the cluster would listen elsewhere.
check_loopback_name() {
    local name addr
    name="$(hostname)"
    addr="$({ getent ahostsv4 "$name" 2>/dev/null || true; } | awk 'NR == 1 { print $1 }')"
    [ "$addr" = 127.0.0.1 ] || die "this host's name '$name' resolves to '${addr:-nothing}', not 127.0.0.1; the private Slurm binds its ports to that address (to listen on the loopback address only), so it would not be reachable at 127.0.0.1 or would listen on the network. Make '$name' resolve to 127.0.0.1 (e.g. a line '127.0.0.1 $name' in /etc/hosts) and start again"
}

# every TCP socket our slurmctld and slurmd listen on is on 127.0.0.1, and
# each listens on its port; prints what is wrong and returns 1 otherwise
check_listening() {
    command -v ss >/dev/null 2>&1 || { log "ss not found (iproute2); cannot check the listening addresses"; return 0; }
    local d pid port lines bad=0
    for d in slurmctld slurmd; do
        pid="$(recorded_pid "$d")" || { log "$d is not running"; return 1; }
        if [ "$d" = slurmctld ]; then port="$CTLD_PORT"; else port="$D_PORT"; fi
        lines="$(ss -Hltnp | grep -F "pid=$pid," || true)"
        if ! awk -v want="127.0.0.1:$port" '$4 == want { found = 1 } END { exit !found }' <<<"$lines"; then
            log "$d (pid $pid) does not listen on 127.0.0.1:$port"; bad=1
        fi
        if awk 'NF && $4 !~ /^127\.0\.0\.1:[0-9]+$/ { found = 1 } END { exit !found }' <<<"$lines"; then
            log "$d (pid $pid) listens on an address other than 127.0.0.1:"; echo "$lines" >&2; bad=1
        fi
    done
    return "$bad"
}

show_logs() {
    local f
    for f in "$MUNGE_DIR/munged.log" "$LOG_DIR/slurmctld.log" "$LOG_DIR/slurmd.log"; do
        if [ -f "$f" ]; then
            echo "----- tail of $f -----" >&2
            tail -n 30 "$f" >&2
        fi
    done
}

fail_start() {
    echo "slurm-local: ERROR: $*" >&2
    show_logs
    stop_daemons quiet
    exit 1
}

# ---------------------------------------------------------------- config ---

slurm_version() {
    slurmctld -V 2>/dev/null | awk '{print $2}'
}

write_config() {
    local node ncpu mem_kb mem_mb slack real ver major select
    node="$(node_name)"
    ncpu="$(nproc)"
    mem_kb="$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)"
    mem_mb=$((mem_kb / 1024))
    slack=$((mem_mb / 20))
    [ "$slack" -ge 256 ] || slack=256
    real=$((mem_mb - slack))
    [ "$real" -ge 1 ] || real=1
    ver="$(slurm_version)"
    major="${ver%%.*}"
    if [ -n "$major" ] && [ "$major" -ge 19 ] 2>/dev/null; then
        select=select/cons_tres
    else
        select=select/cons_res
    fi

    cat >"$CONF" <<EOF
# Written by scripts/slurm-local.sh (ideaflow) for Slurm $ver; private single-node test cluster.
# Clients need: export SLURM_CONF=$CONF
ClusterName=ideaflow-test
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$D_PORT
# Listen on the loopback address only: bind to the address this host's name
# resolves to (checked to be 127.0.0.1 before starting) instead of 0.0.0.0.
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
# batch_sched_delay (default 3 s) paces event-triggered scheduling: 1 s makes short test jobs start sooner
SchedulerParameters=batch_sched_delay=1
SelectType=$select
SelectTypeParameters=CR_Core
DependencyParameters=kill_invalid_depend
ReturnToService=2
MinJobAge=300
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
Waittime=0
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool/slurmd-%n
SlurmctldPidFile=$RUN_DIR/slurmctld.pidfile
SlurmdPidFile=$RUN_DIR/slurmd.pidfile
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName=$node NodeAddr=127.0.0.1 NodeHostname=$node CPUs=$ncpu RealMemory=$real State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
    echo "export SLURM_CONF=$CONF" >"$DIR/env"
    log "wrote $CONF (Slurm $ver, node $node: CPUs=$ncpu RealMemory=$real, $select)"
}

# ----------------------------------------------------------------- munge ---

start_munged() {
    local pid as_root=0
    mkdir -p "$MUNGE_DIR"
    if getent passwd munge >/dev/null; then
        chown munge: "$MUNGE_DIR"
    else
        as_root=1
    fi
    chmod 0755 "$MUNGE_DIR"   # munged requires o+x on the socket directory
    if [ ! -s "$MUNGE_KEY" ]; then
        if command -v mungekey >/dev/null 2>&1; then
            mungekey --create --keyfile="$MUNGE_KEY" >&2 || die "mungekey failed"
        else
            dd if=/dev/urandom of="$MUNGE_KEY" bs=1024 count=1 status=none
        fi
        log "created munge key $MUNGE_KEY"
    fi
    rm -f "$MUNGE_DIR/munged.pid" "$MUNGE_DIR/munged.log" "$MUNGE_SOCKET" "$MUNGE_SOCKET.lock"

    local args=(--socket="$MUNGE_SOCKET" --key-file="$MUNGE_KEY"
        --pid-file="$MUNGE_DIR/munged.pid" --log-file="$MUNGE_DIR/munged.log"
        --seed-file="$MUNGE_DIR/munged.seed")
    if [ "$as_root" = 0 ]; then
        chown munge: "$MUNGE_KEY"
        chmod 0400 "$MUNGE_KEY"
        if ! runuser -u munge -- munged "${args[@]}" >&2; then
            log "munged as user munge failed; retrying as root with --force"
            as_root=1
        fi
    fi
    if [ "$as_root" = 1 ]; then
        chown -R root: "$MUNGE_DIR"
        chmod 0400 "$MUNGE_KEY"
        munged --force "${args[@]}" >&2 || fail_start "munged failed to start"
    fi
    pid="$(wait_pidfile "$MUNGE_DIR/munged.pid")" || fail_start "munged wrote no pid file"
    record_pid munged "$pid"
    # munge round trip on our socket
    local i
    for i in $(seq 1 50); do
        if munge -n -S "$MUNGE_SOCKET" 2>/dev/null | unmunge -S "$MUNGE_SOCKET" >/dev/null 2>&1; then
            log "munged running (pid $pid, socket $MUNGE_SOCKET)"
            return 0
        fi
        sleep 0.1
    done
    fail_start "munged does not answer on $MUNGE_SOCKET"
}

# ----------------------------------------------------------------- slurm ---

node_state() {
    sinfo -h -n "$(node_name)" -o %T 2>/dev/null | head -n1
}

start_daemons() {
    local pid node
    node="$(node_name)"
    for p in "$CTLD_PORT" "$D_PORT"; do
        if port_in_use "$p"; then
            die "TCP port $p is already in use (another Slurm?); set IDEAFLOW_SLURM_CTLD_PORT / IDEAFLOW_SLURM_D_PORT"
        fi
    done
    check_loopback_name
    # clean slate: fresh state, spool and logs on each start
    rm -rf "$DIR/state" "$DIR/spool" "$RUN_DIR"
    mkdir -p "$DIR/state" "$DIR/spool" "$RUN_DIR" "$LOG_DIR"
    rm -f "$LOG_DIR"/*.log "$LOG_DIR"/*.start
    chmod 0755 "$DIR"
    write_config

    start_munged

    slurmctld -c -f "$CONF" 2>>"$LOG_DIR/slurmctld.start" >&2 || fail_start "slurmctld failed to start"
    pid="$(wait_pidfile "$RUN_DIR/slurmctld.pidfile")" || fail_start "slurmctld wrote no pid file"
    record_pid slurmctld "$pid"
    log "slurmctld running (pid $pid, port $CTLD_PORT)"

    slurmd -f "$CONF" -N "$node" 2>>"$LOG_DIR/slurmd.start" >&2 || fail_start "slurmd failed to start"
    pid="$(wait_pidfile "$RUN_DIR/slurmd.pidfile")" || fail_start "slurmd wrote no pid file"
    record_pid slurmd "$pid"
    log "slurmd running (pid $pid, port $D_PORT)"

    local deadline state resumed=0
    deadline=$((SECONDS + WAIT_SECS))
    while :; do
        for d in "${DAEMONS[@]}"; do
            recorded_pid "$d" >/dev/null || fail_start "$d exited"
        done
        state="$(node_state)"
        case "$state" in
            idle) break ;;
            down*|drain*|fail*)
                if [ "$resumed" = 0 ]; then
                    log "node $node is $state; resuming it"
                    scontrol update nodename="$node" state=resume >&2 || true
                    resumed=1
                fi
                ;;
        esac
        [ "$SECONDS" -lt "$deadline" ] || fail_start "node $node not idle after ${WAIT_SECS}s (state: ${state:-no answer})"
        sleep 0.5
    done
    check_listening || fail_start "the daemons must listen on 127.0.0.1 only"
    log "node $node is idle; cluster ideaflow-test ready (listening on 127.0.0.1:$CTLD_PORT and 127.0.0.1:$D_PORT only)"
}

# stop every daemon we recorded (reverse order); "quiet" = no per-daemon chatter
# cancel every job of our private cluster so that no slurmstepd or job
# process outlives slurmd; only when the slurmctld we started is up
cancel_jobs() {
    recorded_pid slurmctld >/dev/null || return 0
    local ids i
    ids="$(squeue -h -o %A 2>/dev/null | tr '\n' ' ')" || return 0
    [ -n "${ids// /}" ] || return 0
    log "cancelling jobs still queued or running: $ids"
    # shellcheck disable=SC2086
    scancel $ids 2>/dev/null || true
    # squeue lists pending, running and completing jobs only
    for i in $(seq 1 150); do
        [ -n "$(squeue -h -o %A 2>/dev/null)" ] || break
        sleep 0.1
    done
}

stop_daemons() {
    local quiet="${1:-}" i d pid pids=() names=()
    cancel_jobs
    for ((i = ${#DAEMONS[@]} - 1; i >= 0; i--)); do
        d="${DAEMONS[$i]}"
        if pid="$(recorded_pid "$d")"; then
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$pid"); names+=("$d")
            [ -n "$quiet" ] || log "stopping $d (pid $pid)"
            # let slurmd go before slurmctld, and both before munged
            local _
            for _ in $(seq 1 100); do
                [ -d "/proc/$pid" ] || break
                sleep 0.1
            done
        elif [ -f "$RUN_DIR/$d.pid" ] && [ -z "$quiet" ]; then
            log "$d: recorded pid $(cut -d' ' -f1 "$RUN_DIR/$d.pid") is no longer ours or not running; leaving it alone"
        fi
    done
    local deadline=$((SECONDS + 30)) alive
    while :; do
        alive=()
        for i in "${!pids[@]}"; do
            if [ -d "/proc/${pids[$i]}" ] && [ "$(cat "/proc/${pids[$i]}/comm" 2>/dev/null)" = "${names[$i]}" ]; then
                alive+=("$i")
            fi
        done
        [ "${#alive[@]}" -gt 0 ] || break
        if [ "$SECONDS" -ge "$deadline" ]; then
            for i in "${alive[@]}"; do
                log "${names[$i]} (pid ${pids[$i]}) did not exit after SIGTERM; sending SIGKILL"
                kill -KILL "${pids[$i]}" 2>/dev/null || true
            done
            sleep 0.5
            break
        fi
        sleep 0.2
    done
    for d in "${DAEMONS[@]}"; do rm -f "$RUN_DIR/$d.pid"; done
}

all_running() {
    local d
    for d in "${DAEMONS[@]}"; do
        recorded_pid "$d" >/dev/null || return 1
    done
}

any_recorded() {
    local d
    for d in "${DAEMONS[@]}"; do
        [ -f "$RUN_DIR/$d.pid" ] && return 0
    done
    return 1
}

# ------------------------------------------------------------ subcommands ---

cmd_start() {
    local t0=$SECONDS
    install_packages
    local b
    for b in slurmctld slurmd sinfo sbatch scontrol munged munge; do
        command -v "$b" >/dev/null || die "$b not found after installing ${PACKAGES[*]}"
    done
    mkdir -p "$DIR"
    if all_running; then
        local state
        state="$(node_state)"
        case "$state" in
            idle|mixed|allocated|completing)
                check_listening || die "the running daemons listen on other addresses than 127.0.0.1 (started by an older slurm-local.sh?): run '$0 stop', then start again"
                log "already running (node $(node_name) is $state)"
                echo "export SLURM_CONF=$CONF"
                return 0
                ;;
        esac
        log "daemons running but node state is '${state:-no answer}'; restarting"
    fi
    if any_recorded; then
        stop_daemons quiet
    fi
    start_daemons
    log "started in $((SECONDS - t0))s"
    echo "export SLURM_CONF=$CONF"
}

cmd_stop() {
    if ! any_recorded; then
        log "nothing to stop (no daemons recorded in $RUN_DIR)"
        return 0
    fi
    stop_daemons
    log "stopped"
}

cmd_status() {
    local d pid rc=0
    for d in "${DAEMONS[@]}"; do
        if pid="$(recorded_pid "$d")"; then
            echo "$d: running (pid $pid)"
        else
            echo "$d: not running"
            rc=3
        fi
    done
    echo "SLURM_CONF=$CONF"
    if [ "$rc" = 0 ]; then
        sinfo || rc=3
    fi
    return "$rc"
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) echo "export SLURM_CONF=$CONF" ;;
    *)
        echo "usage: $0 start|stop|status|env" >&2
        exit 2
        ;;
esac
