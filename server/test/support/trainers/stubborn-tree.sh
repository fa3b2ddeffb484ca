#!/usr/bin/env bash
# Test trainer: a process tree that plain kill(pid) or tree-kill cannot end. Prints each pid as "<role> <pid>".
#  - ignorer: a child that ignores SIGTERM;
#  - setsid:  a grandchild in its own session (left the process group), ignoring SIGTERM;
#  - daemon:  double-forked (its parent exited, so it is re-parented away from the tree), new session,
#             ignoring SIGTERM and SIGHUP.
echo "main $$"
bash -c 'trap "" TERM; echo "ignorer $$"; while :; do sleep 0.2; done' &
bash -c 'setsid bash -c '"'"'trap "" TERM; echo "setsid $$"; while :; do sleep 0.2; done'"'"' & wait' &
bash -c 'setsid bash -c '"'"'trap "" TERM HUP; echo "daemon $$"; exec 0</dev/null; while :; do sleep 0.2; done'"'"' & exit 0'
echo "ready"
wait
