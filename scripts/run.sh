#!/usr/bin/env bash
# make run: one media node (configs/dev.yaml) and the meeting service
# (configs/meetingd-dev.yaml) on localhost. Ctrl-C stops both.
set -euo pipefail
BIN=${BIN:-bin}
URL=http://localhost:8080

"$BIN/sfu" --config configs/dev.yaml &
node_pid=$!
"$BIN/meetingd" -config configs/meetingd-dev.yaml &
meetingd_pid=$!

stop() {
	trap - INT TERM EXIT
	kill -TERM "$meetingd_pid" 2>/dev/null || true
	wait "$meetingd_pid" 2>/dev/null || true
	# The node drains (its demo room included) and exits; a second
	# signal makes it skip the wait.
	kill -TERM "$node_pid" 2>/dev/null || true
	sleep 1
	kill -TERM "$node_pid" 2>/dev/null || true
	wait "$node_pid" 2>/dev/null || true
}
trap stop INT TERM EXIT

echo
echo "  Open $URL/room/NAME?name=YOU in two tabs (any NAME; /room/demo has the node's synthetic participants)."
echo "  Ctrl-C stops the node and the meeting service."
echo

# Whichever exits first ends the demo.
wait -n "$node_pid" "$meetingd_pid"
