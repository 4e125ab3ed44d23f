# dk.bash: bash completion for the dk programs and the contrib scripts:
# options from each usage line, and from the ebuild repository around the
# current directory (the one with profiles/repo_name, e.g. a gentoo.git
# checkout) the package directories, the versions to bump and dk-build's
# target names. Installed once per program name (bash-completion loads it
# by the command's name); can also be sourced. Licence: GPL-2.0-only.

_dk_arches='amd64 arm64 ppc64le x86'
_dk_kernels='gentoo-kernel vanilla-kernel'

# _dk_top: prints the ebuild repository around $PWD; fails outside one.
_dk_top() {
	local d=$PWD
	while [[ $d ]]; do
		if [[ -f $d/profiles/repo_name ]]; then
			printf '%s\n' "$d"
			return 0
		fi
		d=${d%/*}
	done
	[[ -f /profiles/repo_name ]] && echo /
}

# _dk_versions DIR...: the versions of the ebuilds in the package
# directories (PN-VERSION[-rN].ebuild, revision dropped), oldest first.
_dk_versions() {
	local dir f pn
	for dir; do
		dir=${dir%/}
		[[ $dir = . || -z $dir ]] && dir=$PWD
		pn=${dir##*/}
		for f in "$dir/$pn"-*.ebuild; do
			[[ -f $f ]] || continue
			f=${f##*/}
			f=${f#"$pn"-}
			f=${f%.ebuild}
			printf '%s\n' "${f%-r[0-9]*}"
		done
	done | sort -u -V
}

# _dk_next VERSION: the version after it, last number plus one (6.6.31 ->
# 6.6.32); nothing when the last component is not a number.
_dk_next() {
	local v=$1 last
	last=${v##*.}
	[[ $v = *.* && $last =~ ^[0-9]+$ ]] || return 0
	printf '%s\n' "${v%.*}.$((10#$last + 1))"
}

# _dk_kernel_dirs: the tree's sys-kernel/PKG directories, for PKG in $@.
_dk_kernel_dirs() {
	local top p
	top=$(_dk_top) || return 0
	for p; do
		[[ -d $top/sys-kernel/$p ]] && printf '%s\n' "$top/sys-kernel/$p"
	done
}

# _dk_targets: dk-build's target names: ARCH-PKG-SERIES with the series of
# the tree's ebuilds (ARCH-PKG- alone outside a tree), build-ARCH-kernel-deps.
_dk_targets() {
	local a p s series
	local -a dirs
	for p in $_dk_kernels; do
		mapfile -t dirs < <(_dk_kernel_dirs "$p")
		series=$(_dk_versions "${dirs[@]}" | sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p' | sort -u -V)
		for a in $_dk_arches; do
			if [[ $series ]]; then
				for s in $series; do
					printf '%s\n' "$a-$p-$s"
				done
			else
				printf '%s\n' "$a-$p-"
			fi
		done
	done
	for a in $_dk_arches; do
		printf '%s\n' "build-$a-kernel-deps"
	done
}

# _dk_pkgnames CUR: CAT/PN of the tree's packages, a category at a time.
_dk_pkgnames() {
	local top cur=$1 d
	top=$(_dk_top) || return 0
	if [[ $cur != */* ]]; then
		for d in "$top"/*/; do
			d=${d%/}
			d=${d##*/}
			[[ $d = *-* || $d = virtual ]] && printf '%s/\n' "$d"
		done
	else
		for d in "$top/${cur%%/*}"/*/; do
			d=${d%/}
			printf '%s\n' "${cur%%/*}/${d##*/}"
		done
	fi
}

# _dk_varnames FILE: the names the ebuild assigns at the start of a line.
_dk_varnames() {
	[[ -f $1 ]] && sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p' "$1" | sort -u
}

# _dk_reply WORDS CUR: COMPREPLY gets the WORDS starting with CUR.
_dk_reply() {
	local w
	for w in $1; do
		[[ $w = "$2"* ]] && COMPREPLY+=("$w")
	done
	return 0
}

_dk_files() {
	compopt -o filenames 2>/dev/null
	mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -- "$1")
}

_dk_dirs() {
	compopt -o filenames 2>/dev/null
	mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -d -- "$1")
}

# _dk_glob CUR SUFFIX: directories and the files ending in SUFFIX.
_dk_glob() {
	local f
	_dk_dirs "$1"
	while IFS= read -r f; do
		[[ $f = *"$2" && -f $f ]] && COMPREPLY+=("$f")
	done < <(compgen -f -- "$1")
}

# The options of each program, from its usage line: letters without an
# argument, then letters taking one.
_dk_flags() {
	case $1 in
	bump-kernels | bump-kernels-bin) echo 'eFnS dKk' ;;
	diff-export) echo 'Is bCopt' ;;
	dk-build) echo 'anqR cdjkLrT' ;;
	dk-keygen) echo '- bcdst' ;;
	dk-push) echo 'fknqS aCdHijKtu' ;;
	dk-releases) echo 'aq Cpu' ;;
	ebuild-copy) echo 'fn Dky' ;;
	ebuild-setvar) echo 'eg ip' ;;
	manifest-gen) echo 'cflqu djKMt' ;;
	esac
}

# _dk_longopts PROG: "NAME LETTER ARG" for each long option in PROG's
# --help lines ("  -k, --keywords MODE  help"): LETTER is - for a
# long-only option, ARG - for an option without an argument.
_dk_longopts() {
	local a b c rest
	"$1" --help 2>/dev/null | while read -r a b c rest; do
		if [[ $a = -? || $a = -?, ]] && [[ $b = --?* ]]; then
			a=${a%,}
			a=${a#-}
		elif [[ $a = --?* ]]; then
			c=$b b=$a a=-
		else
			continue
		fi
		[[ $c =~ ^[A-Z][A-Z0-9_/.:-]*$ ]] || c=-
		printf '%s %s %s\n' "${b#--}" "$a" "$c"
	done
}

# _dk_long NAME: "LETTER ARG" of long option --NAME in $longs (a prefix
# that names one option, as getopt_long takes it).
_dk_long() {
	local name letter arg hit=
	while read -r name letter arg; do
		[[ $name = "$1" ]] && { printf '%s %s\n' "$letter" "$arg"; return 0; }
		[[ $name = "$1"* ]] && hit+="$letter $arg"$'\n'
	done <<<"$longs"
	[[ $hit && $(grep -c . <<<"$hit") -eq 1 ]] && printf '%s' "$hit"
}

# The argument of option -$2 of program $1.
_dk_optarg() {
	local prog=$1 opt=$2 cur=$3
	case $prog:$opt in
	dk-push:a) _dk_reply "$_dk_arches" "$cur" ;;
	dk-push:d)
		compopt -o nospace 2>/dev/null
		_dk_reply 'file:// sftp:// https:// kup://' "$cur"
		;;
	dk-keygen:t) _dk_reply 'rsa ec' "$cur" ;;
	dk-build:T) _dk_reply '30m 2h 8h 0' "$cur" ;;
	dk-keygen:b) _dk_reply '2048 3072 4096' "$cur" ;;
	ebuild-copy:k) _dk_reply 'keep testing' "$cur" ;;
	diff-export:b)
		_dk_reply "$(git for-each-ref --format='%(refname:short)' 2>/dev/null)" "$cur"
		;;
	diff-export:p | dk-releases:p)
		compopt -o nospace 2>/dev/null
		_dk_reply "$(_dk_pkgnames "$cur")" "$cur"
		;;
	ebuild-setvar:i) _dk_glob "$cur" .ebuild ;;
	diff-export:[Ct] | manifest-gen:d | dk-build:L | bump-kernels*:d | dk-releases:C) _dk_dirs "$cur" ;;
	dk-push:[CHiK] | manifest-gen:[KM] | diff-export:o | dk-build:[cdk] | \
	dk-keygen:c | bump-kernels:K | bump-kernels-bin:K) _dk_files "$cur" ;;
	esac
}

# _dk_old PROG [PKGDIR]: the versions an OLD operand of PROG can take.
_dk_old() {
	local -a dirs
	case $1 in
	bump-kernels) mapfile -t dirs < <(_dk_kernel_dirs gentoo-kernel vanilla-kernel) ;;
	bump-kernels-bin) mapfile -t dirs < <(_dk_kernel_dirs gentoo-kernel-bin) ;;
	ebuild-copy) dirs=("$2") ;;
	esac
	((${#dirs[@]})) && _dk_versions "${dirs[@]}"
}

_dk() {
	local prog=${COMP_WORDS[0]##*/} cur=${COMP_WORDS[COMP_CWORD]}
	# the contrib scripts as installed: dk-bump-kernels, dk-bump-kernels-bin
	[[ $prog = dk-bump-kernels* ]] && prog=${prog#dk-}
	local flags args i j l w opt='' ebuild='' mode='' longs la
	local -a ops=()
	COMPREPLY=()
	read -r flags args < <(_dk_flags "$prog")
	[[ $flags = - ]] && flags=
	longs=$(_dk_longopts "${COMP_WORDS[0]}")

	# The words before the cursor: options (and their arguments) apart
	# from the operands.
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ $opt ]]; then
			[[ $prog:$opt = ebuild-setvar:i ]] && ebuild=$w
			opt=
		elif [[ $w = -- ]]; then
			ops+=("${COMP_WORDS[@]:i+1:COMP_CWORD-i-1}")
			break
		elif [[ $w = --?* && ${#ops[@]} -eq 0 ]]; then
			# --NAME ARG, --NAME=ARG or a flag, by its letter
			l=${w%%=*}
			read -r l la < <(_dk_long "${l#--}")
			[[ $prog = ebuild-setvar && $l = [eg] ]] && mode='get'
			if [[ $w = *=* ]]; then
				[[ $prog:$l = ebuild-setvar:i ]] && ebuild=${w#*=}
			elif [[ $la && $la != - ]]; then
				opt=$l
			fi
		elif [[ $w = -?* && ${#ops[@]} -eq 0 ]]; then
			# Letters up to the first that takes an argument: the rest
			# of the word is that argument, or else the next word is.
			for ((j = 1; j < ${#w}; j++)); do
				l=${w:j:1}
				[[ $prog = ebuild-setvar && $l = [eg] ]] && mode='get'
				if [[ $args = *"$l"* ]]; then
					if ((j == ${#w} - 1)); then
						opt=$l
					elif [[ $prog:$l = ebuild-setvar:i ]]; then
						ebuild=${w:j+1}
					fi
					break
				fi
			done
		else
			ops+=("$w")
			[[ $w = *.ebuild ]] && ebuild=$w
		fi
	done
	if [[ $opt ]]; then
		_dk_optarg "$prog" "$opt" "$cur"
		return 0
	fi
	if [[ $cur = --?*=* && ${#ops[@]} -eq 0 ]]; then
		# --NAME=VALUE: the value, as for the letter
		l=${cur%%=*}
		read -r l la < <(_dk_long "${l#--}")
		[[ $l && $l != - ]] && _dk_optarg "$prog" "$l" "${cur#*=}"
		for i in "${!COMPREPLY[@]}"; do
			COMPREPLY[i]=${cur%%=*}=${COMPREPLY[i]}
		done
		return 0
	fi
	if [[ $cur = --* && ${#ops[@]} -eq 0 ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(while read -r w l la; do
			[[ $w ]] && printf -- '--%s\n' "$w"
		done <<<"$longs")" -- "$cur")
		return 0
	fi
	if [[ $cur = -* && ${#ops[@]} -eq 0 ]]; then
		for ((i = 0; i < ${#flags}; i++)); do
			COMPREPLY+=("-${flags:i:1}")
		done
		for ((i = 0; i < ${#args}; i++)); do
			COMPREPLY+=("-${args:i:1}")
		done
		COMPREPLY+=(-h -V)
		mapfile -t COMPREPLY < <(compgen -W "${COMPREPLY[*]}" -- "$cur")
		[[ $prog = diff-export || $prog = manifest-gen ]] && [[ $cur = - ]] && COMPREPLY+=(-)
		return 0
	fi

	local n=${#ops[@]}
	case $prog in
	bump-kernels | bump-kernels-bin)
		if ((n % 2 == 0)); then
			_dk_reply "$(_dk_old "$prog")" "$cur"
		else
			_dk_reply "$(_dk_next "${ops[n - 1]}")" "$cur"
		fi
		;;
	ebuild-copy)
		case $n in
		0) _dk_dirs "$cur" ;;
		1) _dk_reply "$(_dk_old "$prog" "${ops[0]}")" "$cur" ;;
		2) _dk_reply "$(_dk_next "${ops[1]}")" "$cur" ;;
		esac
		;;
	ebuild-setvar)
		if [[ $mode = 'get' ]]; then
			# -g NAME ... FILE: the file may come after the cursor.
			for w in "${COMP_WORDS[@]:COMP_CWORD+1}"; do
				[[ $w = *.ebuild ]] && ebuild=$w
			done
			[[ $ebuild ]] && _dk_reply "$(_dk_varnames "$ebuild")" "$cur"
			_dk_glob "$cur" .ebuild
		elif [[ $ebuild ]]; then
			compopt -o nospace 2>/dev/null
			_dk_reply "$(_dk_varnames "$ebuild" | sed 's/$/=/')" "$cur"
		fi
		;;
	dk-build)
		((n == 0)) && _dk_reply 'config status prune' "$cur"
		[[ ${ops[0]-} = config || ${ops[0]-} = status || ${ops[0]-} = prune ]] && return 0
		_dk_reply "$(_dk_targets)" "$cur"
		[[ ${COMPREPLY[*]} = *-\ * || ${COMPREPLY[*]} = *- ]] && compopt -o nospace 2>/dev/null
		;;
	dk-push) _dk_glob "$cur" .gpkg.tar ;;
	dk-releases) ((n == 0)) && { _dk_glob "$cur" .json; _dk_reply - "$cur"; } ;;
	manifest-gen) _dk_glob "$cur" .ebuild ;;
	dk-keygen) _dk_files "$cur" ;;
	diff-export) _dk_reply - "$cur" ;;
	esac
	return 0
}

complete -F _dk bump-kernels bump-kernels-bin dk-bump-kernels dk-bump-kernels-bin \
	diff-export dk-build dk-keygen dk-push dk-releases ebuild-copy ebuild-setvar manifest-gen
