#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# l4lb-agent's status page in a real browser (issue 11 item 5): the agent
# (no kernel module on a build host: it serves its own view) checks two
# loopback backends, one listening and one not; headless Chromium loads /
# and the DOM it built must show each backend, with its state, and a
# screenshot is taken (build/status-page.png). Prints TAP.
#   tests/unit/agent-status-page.sh AGENT [OUT_DIR]
set -u
agent=$1 out=${2:-$(dirname "$0")/build}
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
	echo "ok 1 - # SKIP chromium not installed (tests/setup-host installs it)"
	echo "1..1"
	exit 0
fi

tmp=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

# Three free ports: a listening backend, a closed one, the agent's HTTP.
read -r p_up p_down p_http < <(python3 -c '
import socket
s = [socket.socket() for _ in range(3)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64)
while True:
    c, _ = s.accept(); c.close()' "$p_up" &
pids+=($!)

env -i PATH="$PATH" VIP=192.0.2.80 PORT=80 LB_ALGORITHM=least-connections \
	BACKENDS="127.0.0.1:$p_up,127.0.0.1:$p_down" CHECK=tcp CHECK_INTERVAL=300ms \
	CHECK_RISE=1 CHECK_FALL=1 HEALTH_ADDR=127.0.0.1 HEALTH_PORT="$p_http" \
	ENVIRONMENT=test "$agent" >"$tmp/agent.log" 2>&1 &
agent_pid=$!
pids+=($agent_pid)

url=http://127.0.0.1:$p_http/
# ready: both backends judged
for _ in $(seq 1 100); do
	b=$(python3 -c 'import sys, urllib.request as u; print(u.urlopen(sys.argv[1]).read().decode())' \
		"${url}backends" 2>/dev/null) &&
		grep -q '"healthy":true' <<<"$b" && grep -q '"state":"down"' <<<"$b" && break
	sleep 0.1
done
check "the agent judged both backends (one up, one down)" \
	grep -q '"state":"down"' <<<"${b:-}" || { sed 's/^/# /' "$tmp/agent.log"; }

flags=(--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run
       --user-data-dir="$tmp/profile" --window-size=1280,900)
dom=$(timeout 60 "$browser" "${flags[@]}" --dump-dom "$url" 2>"$tmp/chromium.err")
check "chromium loaded the page (DOM dumped)" grep -qi '</html>' <<<"$dom"
row() {	# the row element of backend $1 as the browser built it
	python3 -c '
import sys, html.parser
want, doc = sys.argv[1], sys.stdin.read()
class P(html.parser.HTMLParser):
    depth = 0; text = []; tag = None
    def handle_starttag(self, t, a):
        if self.depth: self.depth += 1
        elif dict(a).get("data-backend") == want: self.depth, self.tag = 1, t
    def handle_endtag(self, t):
        if self.depth: self.depth -= 1
    def handle_data(self, d):
        if self.depth: self.text.append(d.strip())
p = P(); p.feed(doc); print(" ".join(x for x in p.text if x))' "$1" <<<"$dom"
}
up_row=$(row "127.0.0.1:$p_up") down_row=$(row "127.0.0.1:$p_down")
check "the DOM has the listening backend's element, shown up" grep -qw up <<<"$up_row"
[ -n "$up_row" ] || echo "# row: '$up_row'"
check "the DOM has the closed backend's element, shown down" grep -qw down <<<"$down_row"
[ -n "$down_row" ] || echo "# row: '$down_row'"
check "the page names the VIP and the algorithm" \
	bash -c 'grep -q "192.0.2.80:80" <<<"$1" && grep -q "least-connections" <<<"$1"' _ "$dom"
check "the page loads nothing from elsewhere (no http(s) src/href but its own)" \
	bash -c '! grep -Eo "(src|href)=\"[a-z]+://[^\"]*" <<<"$1" | grep -vq "127.0.0.1"' _ "$dom"

mkdir -p "$out"
rm -f "$out/status-page.png"
timeout 60 "$browser" "${flags[@]}" --screenshot="$out/status-page.png" "$url" 2>>"$tmp/chromium.err" >/dev/null
size=$(stat -c %s "$out/status-page.png" 2>/dev/null || echo 0)
check "screenshot taken ($out/status-page.png, $size bytes)" test "$size" -gt 5000
[ "$failed" = 0 ] || sed 's/^/# chromium: /' "$tmp/chromium.err" | tail -5

# SIGTERM: a clean exit, and nothing from the sanitizers it was built with
kill -TERM "$agent_pid"
wait "$agent_pid"
st=$?
check "SIGTERM: the agent exits 0 (status $st), no sanitizer report" \
	bash -c '[ "$1" = 0 ] && ! grep -q "Sanitizer" "$2"' _ "$st" "$tmp/agent.log"
grep "Sanitizer" -A20 "$tmp/agent.log" | sed 's/^/# /' | head -30
echo "1..$n"
[ "$failed" = 0 ]
