#!/usr/bin/env bash
# Test trainer: prints a little, reports an ERROR line and exits with code 3.
echo "loading data"
echo "ERROR: the dataset shard 7 is corrupt" >&2
exit 3
