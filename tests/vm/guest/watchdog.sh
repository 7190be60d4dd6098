#!/bin/bash
# Runs one lab scenario under its time limit in a way a hung child cannot defeat (stage2.sh,
# busybox sh, calls it per scenario).
#   usage: watchdog.sh SCRIPT LIMIT LOG; exits with the scenario's status, 124 at the limit.
# The scenario gets its own session (process group). At the limit the guest first records what
# every task is doing (ps with wait channels, the kernel stacks of tasks in uninterruptible
# sleep, the scenario's last commands, sysrq-w and the kernel log) on the console and in LOG,
# then kills the whole group, TERM then KILL. A task stuck in D state survives SIGKILL: then the
# guest is wedged, /run/vmlab/wedged lists those tasks and stage2 runs nothing more.
set -u
RUN=${VMLAB_RUN:-/run/vmlab}
script=$1 limit=$2 log=$3

# Waits up to $2 seconds for the job $1 to end; 0 when it did.
wait_bounded() {
	local pid=$1 w
	sleep "$2" &
	w=$!
	wait -n "$pid" "$w" 2>/dev/null
	if kill -0 "$pid" 2>/dev/null; then
		return 1
	fi
	kill "$w" 2>/dev/null
	return 0
}

# What every task is doing. A task in D state can block a reader of its /proc files too, so
# the caller bounds this.
diagnose() {
	local p
	echo "=== vmlab: tasks at the limit (uptime $(cut -d' ' -f1 /proc/uptime)s)"
	ps -eo pid,ppid,pgid,stat,etimes,wchan:32,args
	# No process per task: a loaded guest forks slowly.
	local st
	for p in /proc/[0-9]*; do
		read -r st <"$p/stat" 2>/dev/null || continue
		st=${st##*) }
		[ "${st%% *}" = D ] || continue
		echo "=== D state: pid ${p#/proc/} $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)"
		cat "$p/stack" 2>/dev/null
	done
	for p in /tmp/vmlab-trace/*; do
		[ -f "$p" ] || continue
		echo "=== last commands of ${p##*/} (set -x)"
		tail -n 40 "$p"
	done
	echo "=== kernel log (last 200 lines, after sysrq-w: the blocked tasks)"
	echo w >/proc/sysrq-trigger 2>/dev/null
	sleep 0.5
	dmesg | tail -n 200
	echo "=== vmlab: end of diagnostics"
}

# The guest runs binaries from the host over 9p: read the diagnostics' tools now, so that a
# stalled 9p (a task killed while waiting on it waits on for the flush) cannot stop them later.
ps -o pid= -p $$ >/dev/null
dmesg | tail -n 1 >/dev/null
setsid bash "$script" >"$log" 2>&1 </dev/null &
pid=$!
if wait_bounded "$pid" "$limit"; then
	wait "$pid"
	exit
fi
name=$(basename "$script" .sh)
echo "vmlab: $name passed its limit of ${limit}s; diagnostics follow and are in its log"
# Into guest RAM first: the log is on 9p, and what hangs might be 9p itself.
diag=$RUN/diag-$name
diagnose >"$diag" 2>&1 &
d=$!
wait_bounded "$d" 30 || echo "vmlab: the diagnostics themselves hung" >>"$diag"
cat "$diag"
cat "$diag" >>"$log" &
kill -TERM -- "-$pid" 2>/dev/null
wait_bounded "$pid" 5 || kill -KILL -- "-$pid" 2>/dev/null
wait_bounded "$pid" 5
# Killed tasks may take a moment to go; one still there after 5 s is stuck in the kernel.
for _ in 1 2 3 4 5 6 7 8 9 10; do
	left=$(ps -eo pgid=,pid=,stat=,wchan:32=,args= | awk -v g="$pid" '$1 == g && $3 !~ /^Z/')
	[ -n "$left" ] || break
	sleep 0.5
done
if [ -n "$left" ]; then
	echo "vmlab: tasks of $name that survived SIGKILL (uninterruptible sleep):"
	echo "$left" | tee "$RUN/wedged"
fi
exit 124
