#!/bin/sh
# ebuild-setvar: reading raw and evaluated values, setting values in a
# filter and in place, and refusing what would damage the ebuild.
. "$(dirname "$0")/lib.sh"

# No silent limit on the assignments of one command (the 65th was lost).
i=1
while [ $i -le 200 ]; do printf 'A%d=v%d ' $i $i; i=$((i + 1)); done >"$T/many.ebuild"
echo >>"$T/many.ebuild"
t_run "-g the 65th assignment of one command" 0 ebuild-setvar -g A65 A200 "$T/many.ebuild"
t_out "-g: every assignment of the command found" "v65
v200" "$T/out"

need_corpus "ebuild-setvar corpus tests"

GK=$CORPUS/sys-kernel/gentoo-kernel
mkdir -p "$T/sys-kernel/gentoo-kernel"
cp "$GK/gentoo-kernel-7.2.9.ebuild" "$GK/gentoo-kernel-6.6.9.ebuild" "$T/sys-kernel/gentoo-kernel/"
E=$T/sys-kernel/gentoo-kernel/gentoo-kernel-7.2.9.ebuild
OLD=$T/sys-kernel/gentoo-kernel/gentoo-kernel-6.6.9.ebuild

t_run "-g prints raw values" 0 ebuild-setvar -g CONFIG_VER BASE_P SHA256SUM_DATE "$E"
t_out "-g values in order" '7.2.5-gentoo
linux-${PV%.*}
20261003' "$T/out"

t_run "-e evaluates with PN/PV from the file name" 0 ebuild-setvar -e BASE_P PATCH_PV "$E"
t_out "-e values" 'linux-7.2
7.2.9' "$T/out"

t_run "-e of an old-style GENPATCHES_P" 0 ebuild-setvar -e GENPATCHES_P MY_P "$OLD"
t_out "-e arithmetic and %" 'genpatches-6.6-11
linux-6.6' "$T/out"

t_run "-e -p on stdin" 0 sh -c 'ebuild-setvar -e -p sys-kernel/gentoo-kernel-6.6.31 BASE_P < "$1"' sh "$E"
t_out "-e -p value" 'linux-6.6' "$T/out"

t_run "-e without a version fails" 1 sh -c 'ebuild-setvar -e BASE_P < "$1"' sh "$E"
t_grep "-e names the unset PV" '^ebuild-setvar: <stdin>:10: cannot evaluate \$\{PV%\.\*\}: PV is not set$' "$T/err"

# The filter form changes exactly the value bytes.
t_run "filter sets two values" 0 sh -c 'ebuild-setvar CONFIG_VER=7.2.10-gentoo SHA256SUM_DATE=20261125 < "$1"' sh "$E"
sed -e 's/^CONFIG_VER=7.2.5-gentoo$/CONFIG_VER=7.2.10-gentoo/' -e 's/^SHA256SUM_DATE=.*/SHA256SUM_DATE=20261125/' "$E" >"$T/want"
t_diff "filter output" "$T/want" "$T/out"

cp "$E" "$T/orig"
chmod 0640 "$E"
t_run "-i edits in place" 0 ebuild-setvar -i "$E" 'DESCRIPTION=Linux kernel "built" with Gentoo patches'
grep '^DESCRIPTION=' "$E" >"$T/got"
t_out "-i escapes a double quote" 'DESCRIPTION="Linux kernel \"built\" with Gentoo patches"' "$T/got"
t_eq "-i keeps the mode" 640 "$(stat -c %a "$E")"
t_eq "-i leaves no temporary file" 2 "$(ls -A "$T/sys-kernel/gentoo-kernel" | wc -l)"
t_run "the edited value reads back" 0 ebuild-setvar -e DESCRIPTION "$E"
t_out "read back" 'Linux kernel "built" with Gentoo patches' "$T/out"
cp "$T/orig" "$E"

# Refusals: nothing written, one clear line, exit 1.
t_run "unknown name" 1 ebuild-setvar -i "$E" NOPE=1
t_out "unknown name message" "ebuild-setvar: $E: NOPE is not assigned at global scope" "$T/err"
t_run "a function-local name" 1 ebuild-setvar -i "$E" biendian=false
t_grep "function-local message" "^ebuild-setvar: $E:[0-9]+: biendian is only set inside a function, not at global scope$" "$T/err"
t_run "a value that breaks bare quoting" 1 ebuild-setvar -i "$E" 'CONFIG_VER=a b'
t_grep "quoting message" "^ebuild-setvar: $E:15: the new value of CONFIG_VER would break its quoting" "$T/err"
t_run "all or nothing" 1 ebuild-setvar -i "$E" CONFIG_VER=9 NOPE=1
t_diff "file untouched after refusals" "$T/orig" "$E"

# Bad input never runs anything and never half-writes.
printf 'A=$(touch %s/pwned)\n' "$T" >"$T/evil.ebuild"
t_run "a command substitution is not run" 1 ebuild-setvar -e A "$T/evil.ebuild"
t_grep "command substitution message" "cannot evaluate \\\$\(touch" "$T/err"
t_eq "nothing was run" no "$( [ -e "$T/pwned" ] && echo yes || echo no)"
printf 'A=1\nB="open\n' >"$T/bad.ebuild"
t_run "unterminated quote" 1 ebuild-setvar -g A "$T/bad.ebuild"
t_out "unterminated quote message" "ebuild-setvar: $T/bad.ebuild:2: unterminated double quote" "$T/err"
head -c 4096 /dev/urandom >"$T/garbage.ebuild"
printf '\0' >>"$T/garbage.ebuild"
t_run "binary garbage" 1 ebuild-setvar -g A "$T/garbage.ebuild"
t_run "empty input" 1 sh -c 'ebuild-setvar -g A < /dev/null'
t_out "empty input message" "ebuild-setvar: <stdin>: A is not assigned at global scope" "$T/err"
t_run "/dev/full" 1 sh -c 'ebuild-setvar CONFIG_VER=1 < "$1" > /dev/full' sh "$E"
t_grep "/dev/full message" "^ebuild-setvar: write error" "$T/err"
t_run "usage: no operand" 2 ebuild-setvar
t_run "usage: bad name with -g" 2 ebuild-setvar -g 'A-B' "$E"
t_run "-h" 0 ebuild-setvar -h
t_grep "-h prints the synopsis" '^usage: ebuild-setvar' "$T/out"
# SYNOPSIS of the man page == -h (each line, "usage:" and blanks aside)
sed -n '/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/p' "$DK_TOP/man/ebuild-setvar.1" | grep -c '^\.Nm' >"$T/n"
t_eq "man SYNOPSIS has a line per usage line" "$(sed '/^$/q' "$T/out" | grep -c .)" "$(cat "$T/n")"
t_grep "--help: one line per option" '^  -i, --in-place FILE ' "$T/out"
t_run "--get --in-place FILE" 0 ebuild-setvar --get --in-place="$E" CONFIG_VER
t_run "--package without --eval" 2 ebuild-setvar --package=sys-kernel/x-1 A=1
