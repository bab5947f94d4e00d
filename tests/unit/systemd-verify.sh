#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# systemd-analyze verify of etc/systemd/*.service, printing TAP.
#
# verify wants every ExecStart= binary to exist, and l4lb-agent is not
# installed on a build host: each unit is verified as a copy in a temporary
# directory, /usr/sbin/l4lb-agent and /usr/sbin/l4ctl pointed at stand-ins
# there. Documentation= man pages are looked up in the tree (MANPATH), so a
# missing l4lb-agent.8 fails too. Any line verify prints about one of our
# units is an error (it exits 0 on many of them, e.g. an unknown key).
#   tests/unit/systemd-verify.sh [UNIT_DIR]
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
units=${1:-$top/etc/systemd}

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "ok 1 - # SKIP systemd-analyze not installed"
	echo "1..1"
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/units" "$tmp/bin" "$tmp/man/man8"
for b in l4lb-agent l4ctl; do
	printf '#!/bin/sh\nexit 0\n' > "$tmp/bin/$b"
	chmod 755 "$tmp/bin/$b"
done
for m in "$top/userspace/agent/l4lb-agent.8" "$top/userspace/l4ctl/l4ctl.8"; do
	[ -f "$m" ] && cp "$m" "$tmp/man/man8/"
done

n=0
failed=0
for u in "$units"/*.service; do
	[ -e "$u" ] || continue
	name=$(basename "$u")
	sed -e "s|/usr/sbin/l4lb-agent|$tmp/bin/l4lb-agent|g" \
	    -e "s|/usr/sbin/l4ctl|$tmp/bin/l4ctl|g" "$u" > "$tmp/units/$name"
done
for u in "$tmp"/units/*.service; do
	[ -e "$u" ] || continue
	name=$(basename "$u")
	n=$((n + 1))
	# MANPATH: man finds our pages; SYSTEMD_LOG_COLOR: plain text
	out=$(cd "$tmp/units" && MANPATH="$tmp/man:" SYSTEMD_LOG_COLOR=0 \
	      systemd-analyze verify --man=yes "$u" 2>&1)
	st=$?
	# only lines about our units: verify also reports the host's own
	bad=$(printf '%s\n' "$out" | grep -E "l4lb|l4ctl|$tmp" || true)
	if [ $st -eq 0 ] && [ -z "$bad" ]; then
		echo "ok $n - systemd-analyze verify $name"
	else
		failed=$((failed + 1))
		echo "not ok $n - systemd-analyze verify $name (exit $st)"
		printf '%s\n' "${bad:-$out}" | sed 's/^/#   /'
	fi
done
if [ $n -eq 0 ]; then
	echo "not ok 1 - no unit files in $units"
	echo "1..1"
	exit 1
fi
echo "1..$n"
[ $failed -eq 0 ]
