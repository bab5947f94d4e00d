# shellcheck shell=bash
# Helpers shared by tests/vm/run, tests/vm/kernel-release and the suites.
#
# Everything here runs on the HOST. CI starts from a fresh Debian bookworm
# machine, so whatever the harness needs it installs itself with apt-get:
# ordinary tools and libraries only. The kernels the VMs boot, and their
# headers, are NEVER installed: they are downloaded and unpacked into a
# cache (see "VM kernels" below), so the host's /boot, dpkg's package list
# and apt's sources stay as they were.

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

# vm_apt_install PKG... : install packages (ordinary ones: never a kernel,
# see "VM kernels"). Waits for a dpkg lock held by another apt-get (several
# test runs may share the machine).
vm_apt_install() {
	[[ $(id -u) -eq 0 ]] || vm_die "need root to apt-get install $*"
	local cmd=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq
		--no-install-recommends -o DPkg::Lock::Timeout=600)
	vm_log "apt-get install $*"
	if ! "${cmd[@]}" "$@" >&2; then
		vm_apt_update
		"${cmd[@]}" "$@" >&2 || vm_die "apt-get install $* failed"
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


# ---------------------------------------------------------------- VM kernels
#
# Each kernel release REL lives in $VM_KERNEL_CACHE/REL/, a small root tree
# unpacked with `dpkg-deb -x` from Debian's packages (never installed):
#   boot/vmlinuz-REL                    what tests/vm/run boots
#   lib/modules/REL/                    its modules (+ modules.dep: depmod -b);
#                                       the guest sees it at /lib/modules/REL
#   lib/modules/REL/build               -> usr/src/linux-headers-REL (absolute
#                                       path into the cache): the module is
#                                       built against it (make module-for)
#   usr/src/linux-headers-REL{,-common} and usr/lib/linux-kbuild-VER
#   .l4lb-kernel                        written last: the tree is complete
# The headers' absolute paths (the build/source links, the flavour
# Makefile's `include /usr/src/...-common/Makefile`) are rewritten to point
# into the cache; a module is built against the tree before it counts as
# complete. Kernels stay cached until deleted by hand (~0.5 GB each).
VM_KERNEL_CACHE=${L4LB_KERNEL_CACHE:-/var/cache/l4lb/kernels}

vm_kernel_root() { printf '%s/%s\n' "$VM_KERNEL_CACHE" "$1"; }
vm_kernel_image() { printf '%s/boot/vmlinuz-%s\n' "$(vm_kernel_root "$1")" "$1"; }
vm_kernel_modules() { printf '%s/lib/modules/%s\n' "$(vm_kernel_root "$1")" "$1"; }
vm_kernel_build_dir() { printf '%s/build\n' "$(vm_kernel_modules "$1")"; }
vm_kernel_cached() { [[ -e $(vm_kernel_root "$1")/.l4lb-kernel ]]; }

# vm_newest_cached_kernel PREFIX : newest complete cached PREFIX*-amd64
# release (e.g. PREFIX=6.1. → 6.1.0-57-amd64), or nothing.
vm_newest_cached_kernel() {
	local prefix=$1 d
	for d in "$VM_KERNEL_CACHE/$prefix"*-amd64/.l4lb-kernel; do
		[[ -e $d ]] || continue
		d=${d%/.l4lb-kernel}
		d=${d##*/}
		# 6.1. must not match 6.12.
		[[ ${d#"$prefix"} =~ ^[0-9] ]] && printf '%s\n' "$d"
	done | sort -V | tail -n1
}

# Where kernel packages come from. VM_APT_OPTS empty: this machine's own apt
# configuration (bookworm and its security updates: 6.1). Otherwise
# (vm_private_apt SUITE) an apt configuration of its own that knows only
# that suite, from the mirror that serves bookworm here, with package lists
# in a temporary directory: /etc/apt and /var/lib/apt are left alone.
VM_APT_OPTS=()
_VM_APT_DIR=

# vm_private_apt SUITE [URI] : as above (URI: another mirror); the
# temporary directory of an earlier call is removed. Fails if SUITE cannot
# be fetched (or its signature not verified). The caller removes
# $_VM_APT_DIR in the end.
vm_private_apt() {
	local suite=$1 uri=${2:-}
	if [[ -z $uri ]]; then
		uri=$(vm_find_bookworm_uri) ||
			vm_die "no apt source serves the 'bookworm' suite here; cannot derive a $suite source"
	fi
	[[ -n $_VM_APT_DIR ]] && rm -rf "$_VM_APT_DIR"
	_VM_APT_DIR=$(mktemp -d "${TMPDIR:-/tmp}/l4lb-apt.XXXXXX")
	# apt downloads as the unprivileged _apt user.
	chmod 0755 "$_VM_APT_DIR"
	mkdir -p "$_VM_APT_DIR/lists/partial" "$_VM_APT_DIR/cache/archives/partial"
	printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
		"$uri" "$suite" >"$_VM_APT_DIR/sources.list"
	VM_APT_OPTS=(
		-o "Dir::Etc::SourceList=$_VM_APT_DIR/sources.list" -o Dir::Etc::SourceParts=-
		-o "Dir::State::Lists=$_VM_APT_DIR/lists" -o "Dir::Cache=$_VM_APT_DIR/cache"
		-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o Acquire::Languages=none
	)
	vm_log "apt-get update ($suite, private apt configuration, mirror $uri)"
	apt-get "${VM_APT_OPTS[@]}" update -qq --error-on=any >&2
}

# vm_kernel_apt_cache ARGS... : apt-cache with the kernel packages' apt
# configuration.
vm_kernel_apt_cache() {
	apt-cache "${VM_APT_OPTS[@]}" "$@" 2>/dev/null
}

# vm_apt_candidate PKG : the version apt would pick, or nothing.
vm_apt_candidate() {
	vm_kernel_apt_cache policy "$1" | awk '$1 == "Candidate:" && $2 != "(none)" { print $2 }'
}

# vm_apt_depends PKG=VER : its Depends, one "NAME [OP VERSION]" a line; of
# alternatives, the first.
vm_apt_depends() {
	vm_kernel_apt_cache show --no-all-versions "$1" | sed -n 's/^Depends: //p' | head -n1 |
		tr ',' '\n' | sed 's/|.*//; s/[()]//g; s/^ *//; s/ *$//; /^$/d'
}

# vm_apt_kernel_release META : the release the kernel metapackage META
# (linux-image-amd64) currently points to, e.g. 6.1.0-57-amd64.
vm_apt_kernel_release() {
	local ver
	ver=$(vm_apt_candidate "$1")
	[[ -n $ver ]] || return 1
	vm_apt_depends "$1=$ver" | awk '$1 ~ /^linux-image-[0-9]/ { sub(/^linux-image-/, "", $1); print $1; exit }' | grep .
}

# _vm_fetch_kernel REL : download image + headers of REL (apt with
# VM_APT_OPTS) and unpack them into the cache. Runs in a subshell of its
# own (see vm_resolve_kernel), holding the cache's lock.
_vm_fetch_kernel() {
	local rel=$1 final tmp t0 ver name op want p lockfd queue=() get=() host=() seen=" "
	final=$(vm_kernel_root "$rel")
	exec {lockfd}>"$VM_KERNEL_CACHE/.lock"
	if ! flock -n "$lockfd"; then
		vm_log "another process is fetching a kernel into $VM_KERNEL_CACHE; waiting"
		flock "$lockfd"
	fi
	vm_kernel_cached "$rel" && return 0
	t0=$(date +%s)
	tmp=$(mktemp -d "$VM_KERNEL_CACHE/.fetch-$rel.XXXXXX")
	_VM_FETCH_TMP=$tmp
	chmod 0755 "$tmp"
	mkdir -p "$tmp/debs" "$tmp/root"
	chown _apt "$tmp/debs" 2>/dev/null || true

	# What to download: the image, the headers, and the kernel packages the
	# headers need (-common, linux-kbuild), recursively; their other
	# dependencies (compiler, libraries, pahole) are ordinary host packages.
	for p in "linux-image-$rel" "linux-headers-$rel"; do
		ver=$(vm_apt_candidate "$p")
		[[ -n $ver ]] || vm_die "apt knows no package $p"
		queue+=("$p=$ver")
	done
	while ((${#queue[@]})); do
		p=${queue[0]}
		queue=("${queue[@]:1}")
		[[ $seen == *" ${p%%=*} "* ]] && continue
		seen+="${p%%=*} "
		get+=("$p")
		[[ $p == linux-image-* ]] && continue
		while read -r name op want; do
			case $name in
			linux-headers-* | linux-kbuild-*)
				if [[ $op == = ]]; then
					queue+=("$name=$want")
				else
					ver=$(vm_apt_candidate "$name")
					[[ -n $ver ]] || vm_die "apt knows no package $name (needed by ${p%%=*})"
					queue+=("$name=$ver")
				fi
				;;
			linux-compiler-gcc-*) # linux-compiler-gcc-12-x86: gcc-12
				name=${name#linux-compiler-}
				host+=("${name%-*}")
				;;
			linux-*) ;; # linux-base, linux-image-REL: not needed to build
			*) host+=("$name") ;;
			esac
		done < <(vm_apt_depends "$p")
	done
	((${#host[@]} == 0)) || vm_ensure_packages "${host[@]}"
	vm_ensure_packages kmod

	vm_log "fetching kernel $rel into $final: apt-get download ${get[*]}"
	(cd "$tmp/debs" && apt-get "${VM_APT_OPTS[@]}" download -q "${get[@]}") >&2 ||
		vm_die "apt-get download ${get[*]} failed"
	for p in "$tmp"/debs/*.deb; do
		dpkg-deb -x "$p" "$tmp/root" || vm_die "dpkg-deb -x $p failed"
	done
	rm -rf "$tmp/debs"
	_vm_fixup_kernel_tree "$tmp/root" "$final" "$rel"
	depmod -b "$tmp/root" "$rel" || vm_die "depmod -b for $rel failed"

	rm -rf "$final"
	mv -T "$tmp/root" "$final"
	_vm_check_kernel_headers "$rel" ||
		vm_die "the headers of $rel in $final cannot build a module (see above)"
	printf '%s\n' "${get[@]}" >"$final/.l4lb-kernel"
	vm_log "kernel $rel cached in $(($(date +%s) - t0))s ($(du -sh "$final" | cut -f1))"
}

# _vm_fixup_kernel_tree ROOT FINAL REL : ROOT will be renamed to FINAL;
# make it work from there.
_vm_fixup_kernel_tree() {
	local root=$1 final=$2 rel=$3 l target f
	# Newer packages put modules in usr/lib/modules; modprobe -d ROOT and
	# the guest look in lib/modules.
	if [[ ! -d $root/lib/modules/$rel && -d $root/usr/lib/modules/$rel ]]; then
		mkdir -p "$root/lib/modules"
		mv "$root/usr/lib/modules/$rel" "$root/lib/modules/$rel"
	fi
	[[ -d $root/lib/modules/$rel && -f $root/boot/vmlinuz-$rel ]] ||
		vm_die "the packages of $rel hold no boot/vmlinuz-$rel and lib/modules/$rel"
	# Absolute symlinks (lib/modules/REL/build -> /usr/src/linux-headers-REL,
	# source -> ...-common) point into the cache instead.
	while IFS= read -r l; do
		target=$(readlink "$l")
		if [[ -e $root$target || -L $root$target ]]; then
			ln -sfn "$final$target" "$l"
		fi
	done < <(find "$root" -type l -lname '/*')
	# The flavour's Makefile includes the -common one by absolute path.
	for f in "$root"/usr/src/linux-headers-*/Makefile; do
		[[ -f $f ]] || continue
		sed -i "s|^include /usr/src/|include $final/usr/src/|" "$f"
	done
	[[ -f $root/usr/src/linux-headers-$rel/Makefile ]] ||
		vm_die "the packages of $rel hold no usr/src/linux-headers-$rel"
}

# _vm_check_kernel_headers REL : build a trivial module against the cached
# headers of REL.
_vm_check_kernel_headers() {
	local rel=$1 d rc
	d=$(mktemp -d)
	printf '%s\n' '#include <linux/module.h>' 'MODULE_LICENSE("GPL");' >"$d/l4lb_probe.c"
	echo 'obj-m := l4lb_probe.o' >"$d/Kbuild"
	make -s -C "$(vm_kernel_build_dir "$rel")" M="$d" modules >"$d/log" 2>&1 && [[ -f $d/l4lb_probe.ko ]]
	rc=$?
	((rc == 0)) || sed 's/^/    /' "$d/log" >&2
	rm -rf "$d"
	return $rc
}

# vm_resolve_kernel VERSION : make sure the kernel image AND its headers are
# in the cache; print the release string (uname -r of the guest) on stdout.
#   6.1            the newest cached 6.1 kernel, else bookworm's
#                  linux-image-amd64 (this machine's apt sources)
#   6.12           the newest cached 6.12 kernel, else bookworm-backports'
#                  linux-image-amd64
#   X.Y.Z-N-amd64  that exact release (6.1.*: bookworm; else backports)
vm_resolve_kernel() {
	local want=${1:-6.1} rel=
	case $want in
	6.1 | 6.12) rel=$(vm_newest_cached_kernel "$want.") ;;
	*-amd64) vm_kernel_cached "$want" && rel=$want ;;
	*) vm_die "unknown kernel '$want' (use 6.1, 6.12 or a release like 6.1.0-57-amd64)" ;;
	esac
	if [[ -z $rel ]]; then
		# A subshell, so that its temporary directories go whatever happens.
		rel=$(
			trap 'rm -rf "$_VM_APT_DIR" "$_VM_FETCH_TMP"' EXIT
			_VM_FETCH_TMP=
			mkdir -p "$VM_KERNEL_CACHE" || vm_die "cannot create $VM_KERNEL_CACHE"
			# Fresh package lists: a kernel is fetched once per machine,
			# and stale lists name packages the mirror no longer has.
			case $want in
			6.1 | 6.1.*) vm_apt_update ;;
			*) vm_private_apt bookworm-backports || vm_die "apt-get update of bookworm-backports failed" ;;
			esac
			case $want in
			6.1 | 6.12)
				rel=$(vm_apt_kernel_release linux-image-amd64) ||
					vm_die "apt does not know linux-image-amd64${VM_APT_OPTS:+ in bookworm-backports}"
				[[ $rel == "$want".[0-9]* ]] || vm_die "linux-image-amd64 is $rel, not a $want kernel"
				;;
			*) rel=$want ;;
			esac
			_vm_fetch_kernel "$rel" >&2
			printf '%s\n' "$rel"
		) || exit
	fi
	vm_kernel_cached "$rel" || vm_die "kernel $rel is not in $VM_KERNEL_CACHE"
	printf '%s\n' "$rel"
}
