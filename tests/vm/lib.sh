# shellcheck shell=bash
# Helpers shared by tests/vm/run and tests/vm/kernel-release.
#
# Everything here runs on the HOST. CI starts from a fresh Debian bookworm
# machine, so whatever the harness needs it installs itself with apt-get.

vm_log() { printf '# vm: %s\n' "$*" >&2; }
vm_die() { printf 'tests/vm: ERROR: %s\n' "$*" >&2; exit 2; }

# apt-get update is slow; do it at most once per process.
_VM_APT_UPDATED=
vm_apt_update() {
	[[ -n $_VM_APT_UPDATED ]] && return 0
	vm_log "apt-get update"
	apt-get update -qq >&2 || vm_die "apt-get update failed"
	_VM_APT_UPDATED=1
}

# vm_apt_install ARGS... : install packages (ARGS may include -t SUITE or
# pkg/suite). INITRD=No keeps the kernel postinst hooks from spending a
# minute building a Debian initrd we never use (we build our own).
vm_apt_install() {
	[[ $(id -u) -eq 0 ]] || vm_die "need root to apt-get install $*"
	local env=(env DEBIAN_FRONTEND=noninteractive INITRD=No)
	vm_log "apt-get install $*"
	if ! "${env[@]}" apt-get install -y -qq --no-install-recommends "$@" >&2; then
		vm_apt_update
		"${env[@]}" apt-get install -y -qq --no-install-recommends "$@" >&2 ||
			vm_die "apt-get install $* failed"
	fi
}

# vm_pkg_installed PKG : true if dpkg has PKG fully installed.
vm_pkg_installed() {
	[[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) == installed ]]
}

# vm_ensure_packages PKG... : install whichever of PKG... are missing.
vm_ensure_packages() {
	local p missing=()
	for p in "$@"; do
		vm_pkg_installed "$p" || missing+=("$p")
	done
	((${#missing[@]} == 0)) || vm_apt_install "${missing[@]}"
}

# vm_enable_backports : make bookworm-backports available to apt.
# The mirror is never hard-coded: we reuse the URI that already serves the
# plain "bookworm" suite in this machine's apt configuration.
VM_BACKPORTS_SOURCES=/etc/apt/sources.list.d/l4lb-backports.sources
vm_enable_backports() {
	if apt-cache policy 2>/dev/null | grep -q 'bookworm-backports'; then
		return 0
	fi
	local uri
	uri=$(vm_find_bookworm_uri) || vm_die "no apt source serves the 'bookworm' suite; cannot derive a bookworm-backports source"
	vm_log "enabling bookworm-backports from $uri"
	cat >"$VM_BACKPORTS_SOURCES" <<-EOF
		# Written by l4lb tests/vm (kernel-release): bookworm-backports from
		# the same mirror as this machine's bookworm suite.
		Types: deb
		URIs: $uri
		Suites: bookworm-backports
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	_VM_APT_UPDATED=
	vm_apt_update
}

# vm_find_bookworm_uri : print the URI of the first enabled apt source that
# serves the suite "bookworm" (deb822 .sources files and one-line .list files).
vm_find_bookworm_uri() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -f $f ]] || continue
		# deb822: paragraphs separated by blank lines.
		awk '
			function flush() {
				if (types ~ /(^| )deb( |$)/ && suites ~ /(^| )bookworm( |$)/ && enabled != "no" && uri != "")
					{ print uri; found = 1; exit }
				types = suites = uri = enabled = ""
			}
			/^[ \t]*$/ { flush(); next }
			/^[ \t]*#/ { next }
			tolower($1) == "types:" { $1 = ""; types = $0 " " }
			tolower($1) == "suites:" { $1 = ""; suites = $0 " " }
			tolower($1) == "uris:" { uri = $2 }
			tolower($1) == "enabled:" { enabled = tolower($2) }
			END { if (!found) flush() }
		' "$f" | head -n1 | grep . && return 0
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -f $f ]] || continue
		# deb [options] URI SUITE COMPONENTS...
		awk '$1 == "deb" {
				i = 2
				if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
				if ($(i + 1) == "bookworm") { print $i; exit }
			}' "$f" | head -n1 | grep . && return 0
	done
	return 1
}

# vm_newest_installed_kernel PREFIX : newest /boot/vmlinuz-PREFIX*-amd64
# release (e.g. PREFIX=6.1. → 6.1.0-56-amd64), or nothing.
vm_newest_installed_kernel() {
	local prefix=$1
	ls /boot/ 2>/dev/null | sed -n "s/^vmlinuz-\(${prefix//./\\.}[0-9][0-9a-z.+~-]*-amd64\)\$/\1/p" |
		sort -V | tail -n1
}

# vm_resolve_kernel VERSION : make sure the kernel image AND its headers are
# installed; print the release string (uname -r of the guest) on stdout.
#   6.1          bookworm's linux-image-amd64 (newest installed 6.1 *-amd64)
#   6.12         bookworm-backports' linux-image-amd64
#   X.Y.Z-N-amd64  that exact release
vm_resolve_kernel() {
	local want=${1:-6.1} rel
	case $want in
	6.1)
		rel=$(vm_newest_installed_kernel 6.1.)
		if [[ -z $rel ]]; then
			vm_apt_install linux-image-amd64 linux-headers-amd64
			rel=$(vm_newest_installed_kernel 6.1.)
		fi
		;;
	6.12)
		rel=$(vm_newest_installed_kernel 6.12.)
		if [[ -z $rel ]]; then
			vm_enable_backports
			# pkg/suite rather than -t: -t would also "upgrade" unrelated
			# packages such as linux-libc-dev to their backports versions.
			vm_apt_install linux-image-amd64/bookworm-backports linux-headers-amd64/bookworm-backports
			rel=$(vm_newest_installed_kernel 6.12.)
		fi
		;;
	*-amd64)
		rel=$want
		if [[ ! -e /boot/vmlinuz-$rel ]]; then
			[[ $rel == 6.1.* ]] || vm_enable_backports
			vm_apt_install "linux-image-$rel" "linux-headers-$rel"
		fi
		;;
	*) vm_die "unknown kernel '$want' (use 6.1, 6.12 or a release like 6.1.0-56-amd64)" ;;
	esac
	[[ -n $rel && -e /boot/vmlinuz-$rel ]] || vm_die "no kernel image found for '$want'"
	# The module is built against these headers; a 6.1 image can be present
	# without them (e.g. the image came with the machine).
	if [[ ! -e /lib/modules/$rel/build/Makefile ]]; then
		if [[ $rel == 6.1.* ]]; then
			vm_apt_install "linux-headers-$rel"
		else
			vm_enable_backports
			vm_apt_install "linux-headers-$rel/bookworm-backports"
		fi
	fi
	printf '%s\n' "$rel"
}
