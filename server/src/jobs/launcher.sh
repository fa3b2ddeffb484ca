#!/bin/sh
# Runs a job's command and records how it ended, so a server that restarts can learn the exit status of a
# process that is no longer its child. POSIX sh, not Node: it must start in a millisecond.
# Usage: sh launcher.sh <exit-file> <command> [args...]   (the command is an argv, never a shell string)
exit_file=$1
shift

record() {
  printf '%s\n' "$1" > "$exit_file.tmp" && mv -f "$exit_file.tmp" "$exit_file"
}

# UTC with milliseconds where date(1) has %N (GNU, BusyBox), else whole seconds.
now() {
  t=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ 2>/dev/null)
  case $t in
    *.[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]Z) printf '%s\n' "${t%??????Z}Z" ;;
    *) date -u +%Y-%m-%dT%H:%M:%SZ ;;
  esac
}

# Quotes a value for JSON (backslashes, quotes and control characters).
json_string() {
  printf '%s' "$1" | awk 'BEGIN { ORS = "" } { gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); gsub(/\t/, "\\t"); gsub(/\r/, "\\r"); if (NR > 1) print "\\n"; print }'
}

cannot_start() {
  message="could not start $1: $2"
  printf 'anana: %s\n' "$message" >&2
  record "{\"exitCode\":127,\"signal\":null,\"error\":\"$(json_string "$message")\",\"finishedAt\":\"$(now)\"}"
  exit 127
}

case $1 in
  */*)
    if [ ! -e "$1" ]; then cannot_start "$1" 'ENOENT (no such file)'
    elif [ -d "$1" ] || [ ! -x "$1" ]; then cannot_start "$1" 'EACCES (not an executable file)'
    fi ;;
  *) command -v -- "$1" >/dev/null 2>&1 || cannot_start "$1" 'ENOENT (no such command on PATH)' ;;
esac

# The launcher outlives a stop's SIGTERM on purpose: the command receives it through the process group, and
# the launcher must still be there to record the command's end. A trap (not an ignored signal, which the
# command would inherit) keeps it alive; traps wait until the foreground command has ended.
trap ':' TERM INT HUP

"$@"
status=$?

# The shell reports a command killed by signal N as 128+N.
if [ "$status" -gt 128 ] && [ "$status" -le 192 ] && name=$(kill -l "$((status - 128))" 2>/dev/null) && [ -n "$name" ]; then
  record "{\"exitCode\":null,\"signal\":\"SIG${name#SIG}\",\"finishedAt\":\"$(now)\"}"
else
  record "{\"exitCode\":$status,\"signal\":null,\"finishedAt\":\"$(now)\"}"
fi
exit "$status"
