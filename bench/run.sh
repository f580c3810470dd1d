#!/usr/bin/env bash
# One command for the whole benchmark: installs what it needs (nginx, wrk, GNU time from
# Debian; requests, beautifulsoup4, lxml, feedgen from PyPI into bench/.venv), builds the
# release binary, runs bench/bench.py and prints the Markdown table on stdout.
#
#   bench/run.sh                      # N = 100, 1000, 10000 (several minutes)
#   BENCH_NS=100,1000 bench/run.sh    # quicker
#   BENCH_ARGS="--no-baseline" bench/run.sh
#
# Everything listens on 127.0.0.1 only; every process it starts is stopped before it ends.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"

need_apt=()
command -v nginx >/dev/null || need_apt+=(nginx-light)
command -v wrk >/dev/null || need_apt+=(wrk)
[ -x /usr/bin/time ] || need_apt+=(time)
command -v sqlite3 >/dev/null || need_apt+=(sqlite3)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "installing ${need_apt[*]}" >&2
    # Keep the package's init script from starting a system nginx on port 80.
    made_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
        made_policy=1
    fi
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_apt[@]}" >/dev/null
    [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
fi

venv="$here/.venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import requests, bs4, lxml, feedgen' 2>/dev/null; then
    echo "creating $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q requests beautifulsoup4 lxml feedgen >&2
fi

target="${CARGO_TARGET_DIR:-$root/target}"
(cd "$root" && cargo build --release --quiet)
bin="$target/release/pressfeed"

{
    echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name:\s*//p'), $(free -m | awk '/^Mem:/{print $2}') MB RAM, $(uname -sr), $(rustc --version)"
    echo "nginx: $(nginx -v 2>&1 | sed 's/.*: //'), wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}'), $("$venv/bin/python" --version)"
} >&2
exec "$venv/bin/python" "$here/bench.py" --bin "$bin" --python "$venv/bin/python" \
    --ns "${BENCH_NS:-100,1000,10000}" ${BENCH_ARGS:-}
