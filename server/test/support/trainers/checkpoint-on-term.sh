#!/usr/bin/env bash
# Test trainer: the main process exits at once on SIGTERM; its child, on SIGTERM, saves a checkpoint for 1.5 s
# and then exits 0. A stop must give the child its whole grace period, and send it one SIGTERM.
bash -c 'trap "echo child: saving checkpoint; sleep 1.5; echo child: checkpoint saved; exit 0" TERM; echo "child $$"; while :; do sleep 0.1; done' &
trap 'exit 143' TERM
echo "main $$"
while :; do sleep 0.1; done
