# Bash completion for klpkit's tools: klp-build, kpatch-build, klpkit,
# create-diff-object and klp-convert (options, klpkit's commands, known values).

# The word being completed and the one before it, with "--opt=value" (which bash
# splits at '=') put back together. Sets _klpkit_cur, _klpkit_prev, _klpkit_raw
# (the part bash replaces), _klpkit_words and _klpkit_cword.
_klpkit_init()
{
	local i w n=0
	_klpkit_words=()
	_klpkit_cword=0
	for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do
		w=${COMP_WORDS[i]}
		if ((i > 0)) && [[ $w == "=" || ${COMP_WORDS[i - 1]} == "=" ]] && ((n > 0)); then
			# "=" and the word after it belong to the word before.
			_klpkit_words[n - 1]+=$w
		else
			_klpkit_words[n]=$w
			n=$((n + 1))
		fi
		if ((i == COMP_CWORD)); then
			_klpkit_cword=$((n - 1))
		fi
	done
	_klpkit_cur=${_klpkit_words[_klpkit_cword]}
	_klpkit_prev=
	if ((_klpkit_cword > 0)); then
		_klpkit_prev=${_klpkit_words[_klpkit_cword - 1]}
	fi
	_klpkit_raw=${COMP_WORDS[COMP_CWORD]}
	if [[ $_klpkit_raw == "=" ]]; then
		_klpkit_raw=
	fi
}

# compopt fails outside a completion (a test calling the functions directly).
_klpkit_compopt()
{
	compopt "$@" 2>/dev/null
	return 0
}

# COMPREPLY holds whole words that match _klpkit_cur; bash replaces only the part
# after the last '=' (COMP_WORDBREAKS), so drop what comes before it.
_klpkit_trim()
{
	local pre=${_klpkit_cur%"$_klpkit_raw"} i
	if [[ -n $pre ]]; then
		for i in "${!COMPREPLY[@]}"; do
			COMPREPLY[i]=${COMPREPLY[i]#"$pre"}
		done
	fi
}

# Words of the blank-separated list $1 that, with $3 in front, start with $2.
_klpkit_words_matching()
{
	local cur=$2 prefix=$3 w
	local -a list=()
	# read, not an unquoted expansion: no word is taken for a glob.
	IFS=$' \t\n' read -r -d '' -a list <<<"$1"
	for w in "${list[@]}"; do
		if [[ $prefix$w == "$cur"* ]]; then
			COMPREPLY+=("$prefix$w")
		fi
	done
}

# Files under the prefix $2 of a value (without the "opt=" part $1) whose names
# end in one of the other arguments; no suffix: every file. Directories always,
# to walk into.
_klpkit_files()
{
	local prefix=$1 cur=$2 f s
	local -a found=()
	shift 2
	mapfile -t found < <(compgen -f -- "$cur")
	for f in "${found[@]}"; do
		if [[ -d $f ]]; then
			COMPREPLY+=("$prefix$f")
			continue
		fi
		if (($# == 0)); then
			COMPREPLY+=("$prefix$f")
			continue
		fi
		for s in "$@"; do
			if [[ $f == *"$s" ]]; then
				COMPREPLY+=("$prefix$f")
				break
			fi
		done
	done
	_klpkit_compopt -o filenames
}

_klpkit_dirs()
{
	local prefix=$1 cur=$2 d
	local -a found=()
	mapfile -t found < <(compgen -d -- "$cur")
	for d in "${found[@]}"; do
		COMPREPLY+=("$prefix$d")
	done
	_klpkit_compopt -o filenames
}

# Kernel releases this machine has images of: the cache klp-build --target and
# fetch-debian-kernel fill, and /boot.
_klpkit_releases()
{
	local cache=${KLPKIT_CACHE:-$HOME/.cache/klpkit} d
	for d in "$cache"/debian/*/; do
		[[ -d $d ]] || continue
		d=${d%/}
		printf '%s\n' "${d##*/}"
	done
	for d in /boot/vmlinuz-*; do
		[[ -e $d ]] || continue
		printf '%s\n' "${d#/boot/vmlinuz-}"
	done
}

# Loaded livepatches: the kernel's core and klpkit-core.ko's.
_klpkit_livepatches()
{
	local d
	for d in /sys/kernel/livepatch/*/ /sys/kernel/klpkit/*/; do
		[[ -d $d ]] || continue
		d=${d%/}
		printf '%s\n' "${d##*/}"
	done
}

# Installed livepatches of release $1: /var/lib/klpkit/REL/NNN-name.ko -> name.
_klpkit_installed_names()
{
	local f
	for f in /var/lib/klpkit/"$1"/[0-9][0-9][0-9]*-*.ko; do
		[[ -f $f ]] || continue
		f=${f##*/}
		f=${f#*-}
		printf '%s\n' "${f%.ko}"
	done
}

_klpkit_running_release()
{
	uname -r 2>/dev/null
}

# The value of a -K/--kernel list, KEY=VALUE,KEY=VALUE,...: $2 is what is typed
# of it, $1 what stands in front of it in the word ("--kernel=" or nothing).
_klpkit_kernel_spec()
{
	local prefix=$1 item head key value
	local cur=$prefix$2
	item=${2##*,}
	head=$prefix${2%"$item"}
	if [[ $item != *=* ]]; then
		_klpkit_words_matching "src= config= vmlinux= kallsyms= system-map= symvers= headers= modules= release= oot-module= build-root= core= image= target=" "$cur" "$head"
		_klpkit_compopt -o nospace
		return
	fi
	key=${item%%=*}
	value=${item#*=}
	case $key in
	core)
		_klpkit_words_matching "auto kernel bundled" "$cur" "$head$key="
		;;
	target)
		_klpkit_words_matching "running $(_klpkit_releases)" "$cur" "$head$key="
		;;
	release)
		_klpkit_words_matching "$(_klpkit_releases)" "$cur" "$head$key="
		;;
	build-root)
		_klpkit_words_matching "auto" "$cur" "$head$key="
		_klpkit_dirs "$head$key=" "$value"
		;;
	headers | modules)
		_klpkit_dirs "$head$key=" "$value"
		;;
	oot-module)
		_klpkit_files "$head$key=" "$value" .ko
		;;
	*)
		_klpkit_files "$head$key=" "$value"
		;;
	esac
}

# Special sections whose entry size --entry-size may give.
_klpkit_entry_sections="__bug_table= __ex_table= __jump_table= .altinstructions= .parainstructions= .static_call_sites= .printk_index= .orc_unwind= .fixup="

# Whether the words before the current one hold "--" (the end of the options).
_klpkit_after_dashdash()
{
	local i
	for ((i = 1; i < _klpkit_cword; i++)); do
		[[ ${_klpkit_words[i]} == "--" ]] && return 0
	done
	return 1
}

# Completes the value of option $1 ($2: what is typed of it, $3: what to put in
# front) for klp-build; returns 1 for an option that takes no value.
# The shape klp-build, kpatch-build and create-diff-object share: an option's
# value (--opt=value, or the word after --opt) from VALUE_FN, an option name from
# OPTIONS, else a file (with one of EXTENSIONS, if given).
#   _klpkit_options_then_files VALUE_FN OPTIONS [EXTENSION...]
_klpkit_options_then_files()
{
	local value_fn=$1 options=$2 cur=$_klpkit_cur prev=$_klpkit_prev
	shift 2
	if ! _klpkit_after_dashdash; then
		if [[ $cur == --*=* ]]; then
			$value_fn "${cur%%=*}" "${cur#*=}" "${cur%%=*}="
			_klpkit_trim
			return 0
		fi
		if ((_klpkit_cword > 1)) && $value_fn "$prev" "$cur" ""; then
			_klpkit_trim
			return 0
		fi
		if [[ $cur == -* ]]; then
			_klpkit_words_matching "$options" "$cur" ""
			return 0
		fi
	fi
	_klpkit_files "" "$cur" "$@"
}

_klpkit_klp_build_value()
{
	local opt=$1 cur=$2 prefix=$3
	case $opt in
	-s | --sourcedir | -c | --config | --vmlinux | --kallsyms | --system-map | --symvers | --json | --prove-check | --image)
		_klpkit_files "$prefix" "$cur"
		;;
	-k | --headers | --modules | --oot-module-src | -o | --output | --cache)
		_klpkit_dirs "$prefix" "$cur"
		;;
	--release)
		_klpkit_words_matching "$(_klpkit_releases)" "$prefix$cur" "$prefix"
		;;
	--target)
		_klpkit_words_matching "running $(_klpkit_releases)" "$prefix$cur" "$prefix"
		;;
	--build-root)
		_klpkit_words_matching "auto" "$prefix$cur" "$prefix"
		_klpkit_dirs "$prefix" "$cur"
		;;
	--core)
		_klpkit_words_matching "auto kernel bundled" "$prefix$cur" "$prefix"
		;;
	--color)
		_klpkit_words_matching "auto always never" "$prefix$cur" "$prefix"
		;;
	--make-build-root)
		_klpkit_words_matching "bullseye bookworm trixie sid auto" "$prefix$cur" "$prefix"
		;;
	--oot-module)
		_klpkit_files "$prefix" "$cur" .ko
		;;
	-K | --kernel)
		_klpkit_kernel_spec "$prefix" "$cur"
		;;
	-S | --short-circuit)
		_klpkit_words_matching "1 2 3 4 orig patched diff module" "$prefix$cur" "$prefix"
		;;
	--entry-size)
		_klpkit_words_matching "$_klpkit_entry_sections" "$prefix$cur" "$prefix"
		_klpkit_compopt -o nospace
		;;
	-n | --name | -j | --jobs | --max-header-users)
		;;
	*)
		return 1
		;;
	esac
	return 0
}

_klpkit_klp_build()
{
	local IFS=$' \t\n'
	COMPREPLY=()
	_klpkit_init
	local options="--sourcedir --config --vmlinux --kallsyms --system-map --symvers
		--headers --modules --release --target --build-root --core --make-build-root
		--oot-module-src --oot-module --kernel --name --output --no-replace --split
		--no-line-directives --no-replay --json --prove --prove-check --image --jobs
		--max-header-users --no-full-build --entry-size --keep-tmp --short-circuit
		--cache --verbose --quiet --color --debug --help --version
		-s -c -k -K -n -o -j -T -S -v -q -d -h"

	_klpkit_options_then_files _klpkit_klp_build_value "$options" .patch .diff
}

_klpkit_kpatch_build_value()
{
	local opt=$1 cur=$2 prefix=$3
	case $opt in
	-a | --archversion)
		_klpkit_words_matching "$(_klpkit_releases)" "$prefix$cur" "$prefix"
		;;
	-s | --sourcedir | -c | --config | -v | --vmlinux)
		_klpkit_files "$prefix" "$cur"
		;;
	-o | --output | --oot-module-src)
		_klpkit_dirs "$prefix" "$cur"
		;;
	-e | --oot-module)
		_klpkit_files "$prefix" "$cur" .ko
		;;
	-j | --jobs | -t | --target | -n | --name)
		;;
	*)
		return 1
		;;
	esac
	return 0
}

_klpkit_kpatch_build()
{
	local IFS=$' \t\n'
	COMPREPLY=()
	_klpkit_init
	local options="--archversion --sourcedir --config --vmlinux --jobs --target --name
		--output --debug --oot-module --oot-module-src --non-replace --skip-cleanup --help
		-a -s -c -v -j -t -n -o -d -e -R -h"

	_klpkit_options_then_files _klpkit_kpatch_build_value "$options" .patch .diff
}

# klpkit's command: the first word that is neither an option nor an option's
# value. Sets _klpkit_command and _klpkit_args (how many words follow it before
# the current one, options and their values left out).
_klpkit_find_command()
{
	local i w
	_klpkit_command=
	_klpkit_args=0
	for ((i = 1; i < _klpkit_cword; i++)); do
		w=${_klpkit_words[i]}
		case $w in
		--timeout | --release | --sys | --proc | --root | -o | --output | --kernel | --check | \
			--module | --modules | --json | --log | --accel | --memory | --append | \
			--transition-timeout)
			i=$((i + 1))
			continue
			;;
		-*)
			continue
			;;
		esac
		if [[ -z $_klpkit_command ]]; then
			_klpkit_command=$w
		else
			_klpkit_args=$((_klpkit_args + 1))
		fi
	done
}

# The release --release names among the words, else the running one.
_klpkit_release_given()
{
	local i
	for ((i = 1; i < _klpkit_cword - 1; i++)); do
		if [[ ${_klpkit_words[i]} == --release ]]; then
			printf '%s\n' "${_klpkit_words[i + 1]}"
			return
		fi
	done
	_klpkit_running_release
}

_klpkit_klpkit()
{
	local IFS=$' \t\n'
	COMPREPLY=()
	_klpkit_init
	local cur=$_klpkit_cur prev=$_klpkit_prev
	local commands="prove boot kallsyms list info load unload install uninstall installed load-installed"
	_klpkit_find_command

	# Option values (klpkit takes them as the next word only).
	case $_klpkit_command:$prev in
	prove:--kernel | kallsyms:--kernel | boot:--kernel)
		_klpkit_words_matching "$(_klpkit_releases)" "$cur" ""
		_klpkit_files "" "$cur"
		return 0
		;;
	prove:--check | prove:--json | prove:--log | kallsyms:-o | kallsyms:--output | boot:--script | boot:--file | boot:--log | boot:--serial2)
		_klpkit_files "" "$cur"
		return 0
		;;
	prove:--module)
		_klpkit_files "" "$cur" .ko
		return 0
		;;
	prove:--modules)
		_klpkit_dirs "" "$cur"
		return 0
		;;
	prove:--accel | boot:--accel)
		_klpkit_words_matching "auto kvm tcg" "$cur" ""
		return 0
		;;
	prove:--memory | prove:--append | prove:--timeout | prove:--transition-timeout | kallsyms:--timeout | boot:--memory | boot:--append | boot:--expect | boot:--fail-on)
		return 0
		;;
	*:--timeout)
		return 0
		;;
	*:--release)
		local releases
		releases="$(_klpkit_releases) $(cd /var/lib/klpkit 2>/dev/null && compgen -d)"
		_klpkit_words_matching "$releases" "$cur" ""
		return 0
		;;
	esac

	if [[ -z $_klpkit_command ]]; then
		if [[ $cur == -* ]]; then
			_klpkit_words_matching "--help --version --timeout --release -h" "$cur" ""
		else
			_klpkit_words_matching "$commands" "$cur" ""
		fi
		return 0
	fi

	case $_klpkit_command in
	prove)
		if [[ $cur == -* ]]; then
			_klpkit_words_matching "--kernel --check --module --modules --json --log --quiet --accel --memory --append --timeout --transition-timeout" "$cur" ""
		elif ((_klpkit_args == 0)); then
			_klpkit_files "" "$cur" .ko
		fi
		;;
	boot)
		if [[ $cur == -* ]]; then
			_klpkit_words_matching "--kernel --script --file --expect --fail-on --log --serial2 --append --memory --accel --timeout --verbose" "$cur" ""
		fi
		;;
	kallsyms)
		if [[ $cur == -* ]]; then
			_klpkit_words_matching "-o --output --force --timeout" "$cur" ""
		elif ((_klpkit_args == 0)); then
			_klpkit_words_matching "$(_klpkit_releases)" "$cur" ""
			_klpkit_files "" "$cur"
		fi
		;;
	info | load | install)
		if [[ $cur == -* ]]; then
			case $_klpkit_command in
			load) _klpkit_words_matching "--timeout" "$cur" "" ;;
			install) _klpkit_words_matching "--release" "$cur" "" ;;
			esac
		elif ((_klpkit_args == 0)); then
			_klpkit_files "" "$cur" .ko
		fi
		;;
	unload)
		if [[ $cur == -* ]]; then
			_klpkit_words_matching "--timeout" "$cur" ""
		elif ((_klpkit_args == 0)); then
			_klpkit_words_matching "$(_klpkit_livepatches)" "$cur" ""
		fi
		;;
	uninstall)
		if [[ $cur == -* ]]; then
			_klpkit_words_matching "--release" "$cur" ""
		elif ((_klpkit_args == 0)); then
			_klpkit_words_matching "$(_klpkit_installed_names "$(_klpkit_release_given)")" "$cur" ""
		fi
		;;
	installed)
		[[ $cur == -* ]] && _klpkit_words_matching "--release" "$cur" ""
		;;
	load-installed)
		[[ $cur == -* ]] && _klpkit_words_matching "--timeout" "$cur" ""
		;;
	esac
	return 0
}

_klpkit_create_diff_object_value()
{
	local opt=$1 cur=$2 prefix=$3
	case $opt in
	--orig | --patched)
		_klpkit_files "$prefix" "$cur" .o
		;;
	--symtab | --symvers | -o | --output | --json | --patch-references | --patch-symbols)
		_klpkit_files "$prefix" "$cur"
		;;
	--parent)
		_klpkit_words_matching "vmlinux" "$prefix$cur" "$prefix"
		;;
	--entry-size)
		_klpkit_words_matching "$_klpkit_entry_sections" "$prefix$cur" "$prefix"
		_klpkit_compopt -o nospace
		;;
	--patch-name)
		;;
	*)
		return 1
		;;
	esac
	return 0
}

_klpkit_create_diff_object()
{
	local IFS=$' \t\n'
	COMPREPLY=()
	_klpkit_init
	local options="--orig --patched --parent --symtab --symvers --patch-name --output
		--json --patch-references --patch-symbols --entry-size --debug --help -o -d -h"

	# kpatch's positional form: ORIG.o PATCHED.o PARENT SYMTAB Module.symvers NAME OUT.o
	_klpkit_options_then_files _klpkit_create_diff_object_value "$options"
}

_klpkit_klp_convert_value()
{
	local opt=$1 cur=$2 prefix=$3
	case $opt in
	--core)
		_klpkit_words_matching "kernel bundled" "$prefix$cur" "$prefix"
		;;
	--symbols | --sign | --sign-file | --vmlinux | --kallsyms | --symvers | -o | --output)
		_klpkit_files "$prefix" "$cur"
		;;
	--kernel-dir)
		_klpkit_dirs "$prefix" "$cur"
		;;
	--sign-hash)
		_klpkit_words_matching "sha1 sha224 sha256 sha384 sha512" "$prefix$cur" "$prefix"
		;;
	--check)
		_klpkit_files "$prefix" "$cur" .ko
		;;
	--module)
		# NAME=FILE.ko: the file after the '='.
		if [[ $cur == *=* ]]; then
			_klpkit_files "$prefix${cur%%=*}=" "${cur#*=}" .ko
		fi
		;;
	*)
		return 1
		;;
	esac
	return 0
}

_klpkit_klp_convert()
{
	local IFS=$' \t\n'
	COMPREPLY=()
	_klpkit_init
	local cur=$_klpkit_cur prev=$_klpkit_prev
	local symbols=0
	[[ ${_klpkit_words[1]} == symbols ]] && ((_klpkit_cword > 1)) && symbols=1

	if [[ $cur == --*=* ]]; then
		_klpkit_klp_convert_value "${cur%%=*}" "${cur#*=}" "${cur%%=*}="
		_klpkit_trim
		return 0
	fi
	if ((_klpkit_cword > 1)); then
		# --sign takes two files: KEY CERT.
		if ((_klpkit_cword > 2)) && [[ ${_klpkit_words[_klpkit_cword - 2]} == --sign ]]; then
			_klpkit_files "" "$cur"
			return 0
		fi
		if _klpkit_klp_convert_value "$prev" "$cur" ""; then
			_klpkit_trim
			return 0
		fi
	fi
	if [[ $cur == -* ]]; then
		if ((symbols)); then
			_klpkit_words_matching "--vmlinux --kallsyms --module --symvers --output --help -o" "$cur" ""
		else
			_klpkit_words_matching "--core --symbols --sign --kernel-dir --sign-file --sign-hash --check --help --vmlinux --kallsyms --module --symvers" "$cur" ""
		fi
		return 0
	fi
	((symbols)) && return 0
	if ((_klpkit_cword == 1)); then
		_klpkit_words_matching "symbols" "$cur" ""
	fi
	_klpkit_files "" "$cur" .ko
}

complete -F _klpkit_klp_build klp-build
complete -F _klpkit_kpatch_build kpatch-build
complete -F _klpkit_klpkit klpkit
complete -F _klpkit_create_diff_object create-diff-object
complete -F _klpkit_klp_convert klp-convert
