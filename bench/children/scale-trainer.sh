#!/bin/sh
# Bench child of bench/scale/replicas.bench.ts. Usage: sh scale-trainer.sh <runs-file> <rate> <seconds> <go-file> [server arguments...]
# By the job's flavor: "stream" prints paced, time-stamped lines (paced.mjs); "gpu" works until it is killed
# (a job to lose with its worker); any other appends the job's id to the runs file (one line per run, so a
# job run twice shows twice) and prints one line.
runs=$1 rate=$2 seconds=$3 go=$4
shift 4
flavor=cpu prev=
for arg in "$@"; do
  [ "$prev" = --flavor ] && flavor=$arg
  prev=$arg
done
case $flavor in
  stream) exec node "$(dirname "$0")/paced.mjs" "$rate" "$seconds" "$go" ;;
  gpu) echo working; exec sleep 300 ;;
  *) echo "$ANANA_JOB_ID" >> "$runs"; echo "ran $ANANA_JOB_ID" ;;
esac
