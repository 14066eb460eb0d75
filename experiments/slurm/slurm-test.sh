#!/usr/bin/env bash
# Proves that sharded runs work under a real cluster scheduler: starts a
# private single-node Slurm cluster (munged, slurmctld, slurmd) in a temp dir,
# runs experiments/demo.toml and the quick profile of experiments/blr.toml as
# Slurm job arrays (task i runs `gradbench run -shard i/n`), merges the shards
# with `gradbench merge` and compares the merged results with an unsharded
# run (experiments/cmpcsv, timing columns ignored). See experiments/slurm/README.md.
#
# Usage: bash experiments/slurm/slurm-test.sh [--keep]
#   --keep                      keep the temp dir (configs, logs, results)
#   GRADBENCH_SLURM_SHARDS=n    number of shards / array tasks (default 3)
#   GRADBENCH_SLURM_TIMEOUT=s   limit for each job array (default 1800)
#
# Needs root (apt-get, munged as the munge user, slurmctld/slurmd as root)
# and Go. Exit status 0 only if every part passed.
set -uo pipefail

keep=0
for arg in "$@"; do
  case "$arg" in
    --keep) keep=1 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "slurm-test: unknown argument $arg (usage: slurm-test.sh [--keep])" >&2; exit 2 ;;
  esac
done
shards=${GRADBENCH_SLURM_SHARDS:-3}
case "$shards" in ''|*[!0-9]*|0*) echo "slurm-test: GRADBENCH_SLURM_SHARDS=$shards: want a positive integer" >&2; exit 2 ;; esac
job_timeout=${GRADBENCH_SLURM_TIMEOUT:-1800}

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2

log() { printf '[slurm-test %s] %s\n' "$(date +%T)" "$*"; }
die_setup() { # die_setup PART MESSAGE: a setup step failed; nothing further can run
  log "FAIL: $2"
  eval "result_$1=\"FAIL (\$2)\""
  summary
  exit 1
}

# ---------------------------------------------------------------- results
result_cluster="not run"
result_build="not run"
result_sweep="not run"
result_model="not run"
summary() {
  echo
  echo "==================== slurm-test summary (n = $shards shards) ===================="
  printf '  %-8s %s\n' "cluster" "$result_cluster" "build" "$result_build" "sweep" "$result_sweep" "model" "$result_model"
  echo "================================================================================="
}

# ---------------------------------------------------------------- temp dir and cleanup
tmp=$(mktemp -d /tmp/gradbench-slurm.XXXXXX) || exit 2
chmod 755 "$tmp" # munged runs as the munge user and must reach its socket dir
mkdir -p "$tmp/log" "$tmp/state" "$tmp/spool" "$tmp/jobs" "$tmp/sweep" "$tmp/model" "$tmp/bin"
munged_pid="" ctld_pid="" slurmd_pid=""

stop_pid() { # stop_pid PID NAME: SIGTERM, then SIGKILL after 10 s
  local pid=$1 i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid" 2>/dev/null
  for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  log "$2 (pid $pid) did not stop on SIGTERM; sending SIGKILL"
  kill -9 "$pid" 2>/dev/null
}
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$ctld_pid" ] && kill -0 "$ctld_pid" 2>/dev/null; then
    local jobs
    jobs=$(squeue -h -o %A 2>/dev/null | sort -u)
    if [ -n "$jobs" ]; then
      log "cancelling jobs $(echo $jobs)"
      scancel $jobs 2>/dev/null
      for _ in $(seq 1 25); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.2; done
    fi
  fi
  stop_pid "$slurmd_pid" slurmd
  stop_pid "$ctld_pid" slurmctld
  stop_pid "$munged_pid" munged
  if [ "$keep" = 1 ]; then
    log "kept $tmp (slurm.conf, log/, jobs/, sweep/, model/)"
  else
    rm -rf "$tmp"
  fi
  exit $status
}
trap cleanup EXIT
trap 'log "interrupted by a signal"; summary; exit 130' INT TERM

print_logs() { # print_logs FILE...: error lines and the tail of each log
  local f
  for f in "$@"; do
    [ -s "$f" ] || { echo "--- $f: empty or missing"; continue; }
    echo "--- $f: error/fatal lines"
    # (slurmd 22.05 tries every MPI plugin: the PMIx errors are harmless)
    grep -iE 'error|fatal|fail|denied|cannot|unable|not permitted' "$f" | grep -vE 'pmix|MPI: Cannot create context' | tail -n 20 | sed 's/^/    /'
    echo "--- $f: last 25 lines"
    tail -n 25 "$f" | sed 's/^/    /'
  done
}

# ---------------------------------------------------------------- 1. packages, munge
t0=$SECONDS
command -v go >/dev/null || die_setup build "go is not on PATH (needed to build cmd/gradbench)"
[ "$(id -u)" = 0 ] || die_setup cluster "not root: slurm.conf has SlurmUser=SlurmdUser=root and slurmd must start jobs as their user; run as root (e.g. sudo bash $0)"
need=()
for cmd in slurmctld slurmd sbatch sinfo; do command -v "$cmd" >/dev/null || { need+=(slurm-wlm); break; }; done
command -v munged >/dev/null || need+=(munge)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get -y -qq install "${need[@]}" >"$tmp/log/apt.log" 2>&1; then
    apt-get -qq update >>"$tmp/log/apt.log" 2>&1
    apt-get -y -qq install "${need[@]}" >>"$tmp/log/apt.log" 2>&1 || { tail -n 20 "$tmp/log/apt.log"; die_setup cluster "apt-get install ${need[*]} failed (log above)"; }
  fi
fi
log "slurm $(slurmd -V 2>/dev/null | awk '{print $2}'), munge $(munged -V 2>/dev/null | awk '{print $1}' | sed 's/munge-//')"

keyfile=/etc/munge/munge.key
if [ ! -s "$keyfile" ]; then
  log "creating munge key $keyfile"
  mkdir -p /etc/munge
  if command -v mungekey >/dev/null; then mungekey --create --keyfile="$keyfile" 2>"$tmp/log/mungekey.log"
  else dd if=/dev/urandom of="$keyfile" bs=1 count=1024 2>/dev/null; fi
  [ -s "$keyfile" ] || die_setup cluster "could not create $keyfile"
  id munge >/dev/null 2>&1 && chown munge:munge "$keyfile"
  chmod 400 "$keyfile"
fi

# A private munged (own socket in the temp dir) so a system munge, if any,
# is left alone; slurm.conf's AuthInfo points Slurm at it.
mdir=$tmp/munge
mkdir -p "$mdir"
msock=$mdir/munge.socket.2
mungeargs=(--socket="$msock" --pid-file="$mdir/munged.pid" --log-file="$tmp/log/munged.log" --seed-file="$mdir/munged.seed" --foreground)
if id munge >/dev/null 2>&1; then
  chown munge:munge "$mdir"; chmod 711 "$mdir" # munged wants x for all on the socket dir
  touch "$tmp/log/munged.log"; chown munge:munge "$tmp/log/munged.log"
  setsid setpriv --reuid=munge --regid=munge --init-groups munged "${mungeargs[@]}" >"$tmp/log/munged.stderr" 2>&1 &
else
  setsid munged "${mungeargs[@]}" --force >"$tmp/log/munged.stderr" 2>&1 &
fi
munged_pid=$!
for _ in $(seq 1 50); do [ -S "$msock" ] && break; kill -0 "$munged_pid" 2>/dev/null || break; sleep 0.1; done
if ! munge --socket="$msock" -n 2>"$tmp/log/munge-test.log" | unmunge --socket="$msock" >>"$tmp/log/munge-test.log" 2>&1; then
  print_logs "$tmp/log/munged.stderr" "$tmp/log/munged.log" "$tmp/log/munge-test.log"
  die_setup cluster "munged did not start or munge/unmunge failed (logs above)"
fi
log "munged up (pid $munged_pid, socket $msock)"

# ---------------------------------------------------------------- 2. slurm.conf, daemons
cpus=$(nproc)
mem=$(awk '/^MemTotal:/ {printf "%d", $2/1024}' /proc/meminfo)
topo="CPUs=$cpus"
if c=$(slurmd -C 2>/dev/null | head -n 1); then
  # slurmd -C: NodeName=h CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=24105
  ccpus=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$c")
  cmem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$c")
  [ "$ccpus" = "$cpus" ] && topo=$(sed 's/^NodeName=[^ ]* //; s/ RealMemory=[0-9]*//' <<<"$c")
  [ -n "$cmem" ] && [ "$cmem" -le "$mem" ] && mem=$cmem
fi
mem=$((mem > 1024 ? mem - 256 : mem)) # leave room: a node with less memory than configured is drained
conf=$tmp/slurm.conf
cat >"$conf" <<EOF
# single-node test cluster written by experiments/slurm/slurm-test.sh
ClusterName=gradbench
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
SlurmctldPort=6817
SlurmdPort=6818
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$msock
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SwitchType=switch/none
MpiDefault=none
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MailProg=/bin/true
SlurmdParameters=config_overrides
NodeName=localhost NodeAddr=127.0.0.1 $topo RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$conf
unset SLURM_JOB_ID SLURM_ARRAY_TASK_ID SLURM_ARRAY_JOB_ID # in case this runs inside a job
log "slurm.conf: NodeName=localhost $topo RealMemory=$mem ($conf)"

# setsid: the daemons get no terminal signals (Ctrl-C); cleanup stops them
# after cancelling the jobs.
setsid slurmctld -D -i -f "$conf" >"$tmp/log/slurmctld.stderr" 2>&1 &
ctld_pid=$!
setsid slurmd -D -N localhost -f "$conf" >"$tmp/log/slurmd.stderr" 2>&1 &
slurmd_pid=$!

cluster_logs() { # each daemon's log file, or its stderr if it died before opening the log
  local d
  for d in slurmctld slurmd; do
    if [ -s "$tmp/log/$d.log" ]; then print_logs "$tmp/log/$d.log"; else print_logs "$tmp/log/$d.stderr"; fi
  done
}
deadline=$((SECONDS + 60))
state=""
while :; do
  for d in slurmctld:$ctld_pid slurmd:$slurmd_pid; do
    if ! kill -0 "${d#*:}" 2>/dev/null; then
      wait "${d#*:}"; st=$?
      cluster_logs
      line=$(grep -hiE 'fatal|error' "$tmp/log/${d%%:*}.log" "$tmp/log/${d%%:*}.stderr" 2>/dev/null | tail -n 1)
      die_setup cluster "${d%%:*} exited with status $st before the node came up${line:+: $line}"
    fi
  done
  state=$(sinfo -h -N -n localhost -o %T 2>/dev/null | head -n 1)
  case "$state" in idle|idle~|mixed|allocated) break ;; esac
  if [ $SECONDS -ge $deadline ]; then
    cluster_logs
    echo "--- scontrol show node localhost"
    scontrol show node localhost 2>&1 | sed 's/^/    /'
    die_setup cluster "node localhost not idle after 60 s (sinfo state: ${state:-none}; slurmctld and slurmd logs above)"
  fi
  sleep 0.5
done
log "node localhost is $state ($((SECONDS - t0)) s since start)"
sinfo | sed 's/^/    /'
result_cluster="PASS ($((SECONDS - t0)) s: munged, slurmctld, slurmd up; node idle)"

# ---------------------------------------------------------------- 3./4. sharded job arrays
log "building gradbench and cmpcsv"
t=$SECONDS
gb=$tmp/bin/gradbench cmpcsv=$tmp/bin/cmpcsv
go build -o "$gb" ./cmd/gradbench || die_setup build "go build ./cmd/gradbench failed (output above)"
go build -o "$cmpcsv" ./experiments/cmpcsv || die_setup build "go build ./experiments/cmpcsv failed (output above)"
result_build="PASS ($((SECONDS - t)) s)"

# run_part NAME SPEC FILES [RUN-ARGS...]: for one spec, the n-task job array
# (task i: gradbench run RUN-ARGS -shard i/n), an unsharded run, gradbench
# merge of the n shard folders, and cmpcsv of each of FILES (space-separated)
# between the merged and the unsharded folder. Sets result_NAME.
run_part() {
  local name=$1 spec=$2 files=$3; shift 3
  local out=$tmp/$name t=$SECONDS id st f i rows single_rows ts tu
  local -a extra=("$@")
  fail() { eval "result_$name=\"FAIL (\$1)\""; log "$name: FAIL: $1"; }
  log "== $name: $spec ${extra[*]}: $shards-task job array"
  local job=$tmp/jobs/$name.sh
  {
    echo '#!/bin/bash'
    echo "# task i of the $name array: shard i/$shards of $spec"
    echo 'echo "task $SLURM_ARRAY_TASK_ID (job $SLURM_JOB_ID on $SLURMD_NODENAME): started $(date +%T)"'
    printf '%q run -q' "$gb"
    [ ${#extra[@]} -gt 0 ] && printf ' %q' "${extra[@]}"
    printf ' -shard "$SLURM_ARRAY_TASK_ID/%d" -o %q/shard-"$SLURM_ARRAY_TASK_ID" %q\n' "$shards" "$out" "$spec"
    echo 'st=$?'
    echo 'echo "task $SLURM_ARRAY_TASK_ID: exit status $st after $SECONDS s"'
    echo 'exit $st'
  } >"$job"
  chmod +x "$job"
  timeout --foreground "$job_timeout" sbatch --wait --parsable --array="0-$((shards - 1))" \
    --job-name="gb-$name" --chdir="$root" --ntasks=1 --cpus-per-task=1 \
    --output="$tmp/jobs/$name-%A_%a.out" "$job" >"$tmp/jobs/$name.sbatch" 2>&1
  st=$? ts=$((SECONDS - t))
  id=$(head -n 1 "$tmp/jobs/$name.sbatch")
  for f in "$tmp"/jobs/"$name"-*.out; do [ -s "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }; done
  if [ $st != 0 ]; then
    cat "$tmp/jobs/$name.sbatch"
    [ $st = 124 ] && st="timeout after $job_timeout s"
    fail "job array $id: sbatch --wait status $st; task output above"
    return 1
  fi
  log "$name: job array $id: $shards tasks done in $ts s"

  t=$SECONDS
  if ! "$gb" run -q "${extra[@]}" -o "$out/single" "$spec" 2>"$out/single.err"; then
    cat "$out/single.err"
    fail "unsharded run: $(head -n 1 "$out/single.err")"
    return 1
  fi
  tu=$((SECONDS - t))
  log "$name: unsharded run done in $tu s"

  # A shard holding every row of the unsharded run ignored -shard.
  local ignored=""
  if [ "$shards" -gt 1 ]; then
    for f in $files; do
      single_rows=$(wc -l <"$out/single/$f")
      [ "$single_rows" -gt 2 ] || continue
      for ((i = 0; i < shards; i++)); do
        [ -f "$out/shard-$i/$f" ] || continue
        rows=$(wc -l <"$out/shard-$i/$f")
        if [ "$rows" -ge "$single_rows" ]; then
          log "$name: shard-$i/$f holds all $((rows - 1)) rows of the unsharded run"
          case " $ignored " in *" shard-$i "*) ;; *) ignored="$ignored shard-$i" ;; esac
        fi
      done
    done
  fi

  local dirs=()
  for ((i = 0; i < shards; i++)); do dirs+=("$out/shard-$i"); done
  if ! "$gb" merge -o "$out/merged" "${dirs[@]}" 2>"$out/merge.err"; then
    cat "$out/merge.err"
    fail "gradbench merge: $(head -n 1 "$out/merge.err" | sed 's/^gradbench: //')${ignored:+; run ignored -shard: every row in$ignored}"
    return 1
  fi
  cat "$out/merge.err"
  local bad=""
  for f in $files; do
    if "$cmpcsv" "$out/single/$f" "$out/merged/$f"; then
      log "$name: $f: merged equals unsharded ($(($(wc -l <"$out/single/$f") - 1)) rows)"
    else
      bad="$bad $f"
    fi
  done
  if [ -n "$bad$ignored" ]; then
    fail "${bad:+merged differs from unsharded:$bad}${ignored:+${bad:+; }run ignored -shard: every row in$ignored}"
    return 1
  fi
  eval "result_$name=\"PASS (job array $ts s, unsharded $tu s; merged = unsharded for $files)\""
}

run_part sweep experiments/demo.toml "cells.csv"
run_part model experiments/blr.toml "curves.csv metrics.csv" -profile quick

summary
case "$result_cluster$result_build$result_sweep$result_model" in *FAIL*|*"not run"*) exit 1 ;; esac
exit 0
