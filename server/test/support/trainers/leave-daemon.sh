#!/usr/bin/env bash
# Test trainer: starts a double-forked daemon in its own session (ignoring SIGTERM), then exits 0 at once.
bash -c 'setsid bash -c '"'"'trap "" TERM HUP; echo "daemon $$"; while :; do sleep 0.2; done'"'"' & exit 0'
sleep 0.3
echo "main done"
