#!/bin/sh
# make install into a DESTDIR with a PREFIX other than the build's: the
# layout (programs, every man page, contrib/ as PREFIX/share/dk, the
# scripts as dk-bump-kernels and dk-bump-kernels-bin, the completion once
# per command), the installed programs run from there and from wherever
# the tree is moved (they find their data relative to themselves), and
# make uninstall removes it all.
. "$(dirname "$0")/lib.sh"

# A make of our own, whatever make runs this test.
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make "$@"; }
root=$T/root
pre=/opt/dk
t_run "make install DESTDIR=... PREFIX=$pre" 0 mk -s -C "$DK_TOP" install DESTDIR="$root" PREFIX="$pre"
i=$root$pre
progs=$(cd "$DK_TOP/cmd" && for c in *.c; do echo "${c%.c}"; done)
bad=
for p in $progs; do
	[ -x "$i/bin/$p" ] && [ ! -L "$i/bin/$p" ] || bad="$bad bin/$p"
	[ "$(stat -c %a "$i/bin/$p" 2>/dev/null)" = 755 ] || bad="$bad mode:bin/$p"
done
for m in "$DK_TOP"/man/*.[1-8]; do
	s=${m##*.}
	cmp -s "$m" "$i/share/man/man$s/${m##*/}" || bad="$bad man$s/${m##*/}"
done
for p in $progs dk-bump-kernels dk-bump-kernels-bin; do
	cmp -s "$i/share/bash-completion/completions/$p" "$DK_TOP/contrib/completion/dk.bash" ||
		bad="$bad completion/$p"
done
for s in bump-kernels bump-kernels-bin; do
	[ -x "$i/bin/dk-$s" ] && [ -L "$i/bin/dk-$s" ] || bad="$bad bin/dk-$s"
	cmp -s "$i/bin/dk-$s" "$DK_TOP/contrib/$s" || bad="$bad dk-$s-content"
	[ -e "$i/bin/$s" ] && bad="$bad bin/$s-clashes-with-mgorny-dev-scripts"
done
for f in Makefile docker/Dockerfile.deps docker/Dockerfile.kernel completion/dk.bash; do
	cmp -s "$i/share/dk/$f" "$DK_TOP/contrib/$f" || bad="$bad share/dk/$f"
done
t_eq "the installed tree" '' "$bad"
t_eq "dk-bump-kernels links into share/dk" '../share/dk/bump-kernels' "$(readlink "$i/bin/dk-bump-kernels")"
t_eq "completion links into share/dk" '../../dk/completion/dk.bash' "$(readlink "$i/share/bash-completion/completions/dk-push")"
t_eq "share/dk: not writable by others" '' "$(find "$i/share/dk" -perm /022 ! -type l)"

# The installed programs, from there and from a moved copy of the tree.
mkdir -p "$T/moved"
cp -a "$i" "$T/moved/dk"
for at in "$i" "$T/moved/dk"; do
	where="the install"
	[ "$at" = "$i" ] || where="a moved copy"
	for p in $progs; do
		t_run "$p -V from $where" 0 env PATH="$at/bin:/usr/bin:/bin" "$p" -V
	done
	# the scripts' --help, as installed
	for s in dk-bump-kernels dk-bump-kernels-bin; do
		env PATH="$at/bin:$PATH" "$s" --help >"$T/out" 2>"$T/err"
		case $? in
		0) t_grep "$s --help from $where" "^usage: (dk-)?${s#dk-} " "$T/out" ;;
		*) skip "$s --help from $where" "the script has no --help yet: $(head -n 1 "$T/err")" ;;
		esac
	done
	# dk-build's Dockerfile templates, found relative to the installed
	# program: its checks read them before any engine is asked (a dead
	# socket here), and a copy with no share/dk beside it says so.
	if "$at/bin/dk-build" -h 2>/dev/null | grep -q 'dk-build .*config$'; then
		t_run "dk-build config from $where" 0 env HOME="$T/home" XDG_CONFIG_HOME="$T/xdg" "$at/bin/dk-build" config
		mkdir -p "$T/home" "$T/lone/bin"
		cp "$at/bin/dk-build" "$T/lone/bin/"
		printf 'logdir: %s\narches:\n  amd64:\n    hosts: [unix://%s/none.sock]\n' "$T/logs" "$T" >"$T/dkb.yaml"
		for b in installed lone; do
			x=$at/bin/dk-build
			[ $b = installed ] || x=$T/lone/bin/dk-build
			env HOME="$T/home" XDG_CONFIG_HOME="$T/xdg" "$x" -n -c "$T/dkb.yaml" build-amd64-kernel-deps \
				>"$T/out" 2>"$T/err.$b"
		done
		if grep -q 'Dockerfile\|data directory' "$T/err.installed"; then
			fail "dk-build from $where reads its templates" "$(grep 'Dockerfile\|data directory' "$T/err.installed")"
		else
			ok "dk-build from $where reads its templates"
		fi
		t_grep "a dk-build with no share/dk beside it says so" "Dockerfile.deps: .*no data directory" "$T/err.lone"
	else
		skip "dk-build's template lookup from $where" "this dk-build has no 'config' command (issue 13 item 3, dk_datadir)"
	fi
done

# The completion as installed, under the installed names.
comp=$i/share/bash-completion/completions/dk-bump-kernels
mkdir -p "$T/repo"
cp -R "$DATA/repo/." "$T/repo/"
(cd "$T/repo" && comp=$comp bash -c '. "$comp"
	COMP_WORDS=(dk-bump-kernels ""); COMP_CWORD=1; COMPREPLY=(); _dk
	printf "%s\n" "${COMPREPLY[@]}" | sort') >"$T/c" 2>&1
t_out "completion of dk-bump-kernels, as installed" '6.18.1
7.2.9' "$T/c"
(cd "$T/repo" && comp=$comp bash -c '. "$comp"; complete -p dk-bump-kernels dk-bump-kernels-bin') >"$T/c" 2>&1
t_out "completion registered for the installed names" 'complete -F _dk dk-bump-kernels
complete -F _dk dk-bump-kernels-bin' "$T/c"

t_run "make uninstall" 0 mk -s -C "$DK_TOP" uninstall DESTDIR="$root" PREFIX="$pre"
t_eq "uninstall removes every file" '' "$(find "$root" ! -type d)"
