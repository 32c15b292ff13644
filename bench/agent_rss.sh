#!/usr/bin/env bash
# The agent's memory when idle (listening, no coordinator): its RSS split into anonymous memory, the binary's own
# pages and the shared libraries', then its idle working set: every page of the binary and of its libraries is
# paged out of the process (process_madvise MADV_PAGEOUT, as the kernel does under memory pressure; pages other
# processes map too, most of the shared libraries', stay), and after
# IDLE seconds (default 30) of listening the pages it faulted back in are what idling really needs. The gap is
# start-up code (and the kernel's fault-around reading 64 kB per fault): clean file pages, shared and reclaimable.
#
#   bench/agent_rss.sh           (as root; BUILD=.build/release holds upshift-agent and upshift)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${BUILD:-$here/.build/release}"
IDLE="${IDLE:-30}"
work="$(mktemp -d /tmp/upshift-rss.XXXXXX)"
agent=""
trap '[ -n "$agent" ] && kill "$agent" 2>/dev/null; rm -rf "$work"' EXIT
"$BUILD/upshift" certs init "$work/tls" --agent a1=127.0.0.1 >/dev/null
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BUILD/upshift-agent" --listen "127.0.0.1:$port" --tls-dir "$work/tls/agents/a1" --state-dir "$work/state" >"$work/log" 2>&1 &
agent=$!
sleep 3
kill -0 "$agent" || { cat "$work/log"; exit 1; }

# Prints RSS, its anonymous part, the binary's mappings and the libraries', in MB.
figures() {
  awk -v bin="$(readlink -f "$BUILD/upshift-agent")" '
    /^[0-9a-f]+-[0-9a-f]+ / { name = $6 }
    /^Rss:/ { rss += $2; if (name == bin) own += $2; else if (name ~ /\.so/) libs += $2 }
    /^Anonymous:/ { anon += $2 }
    END { printf "RSS %.1f MB: %.1f MB anonymous; mapped from the binary %.1f MB, from shared libraries %.1f MB\n",
                  rss / 1024, anon / 1024, own / 1024, libs / 1024 }' "/proc/$agent/smaps"
}
printf '[agent rss] idle after start-up:         %s' "$(figures)"
echo
# Twice: the first pass finds most pages recently referenced and only ages them.
for pass in 1 2; do python3 - "$agent" <<'EOF'
import ctypes, os, sys
pid = int(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
ranges = []
for line in open(f"/proc/{pid}/maps"):
    parts = line.split()
    if len(parts) >= 6 and parts[5].startswith("/"):
        start, end = (int(x, 16) for x in parts[0].split("-"))
        ranges.append(iovec(start, end - start))
fd = os.pidfd_open(pid)
for chunk in range(0, len(ranges), 512):
    part = ranges[chunk:chunk + 512]
    if libc.syscall(440, fd, (iovec * len(part))(*part), len(part), 21, 0) < 0:  # process_madvise, MADV_PAGEOUT
        sys.exit(f"process_madvise: errno {ctypes.get_errno()}")
EOF
sleep 1; done
sleep "$IDLE"
printf '[agent rss] after %s s idle, paged out first: %s' "$IDLE" "$(figures)"
echo
