#!/usr/bin/env bash
# Print the path of a Python >= 3.12 interpreter that can create virtual
# environments, or exit 1 with a helpful message on stderr.
#
# Search order:
#   1. $PYTHON, if set (a command name or a path)
#   2. python3.13, python3.12, python3 on PATH
#   3. pyenv installs: $PYENV_ROOT, `pyenv root`, ~/.pyenv, /root/.pyenv
#      (versions/3.1[2-9]*/bin/python, newest first)
#
# Needs only bash (3.2+) and sort.

MIN_MAJOR=3
MIN_MINOR=12

tried=""        # human-readable log of what was checked
seen=" "        # candidate paths already checked (space separated)
no_venv=""      # suitable versions that lack the venv/ensurepip modules

note() { tried="${tried}  - $1"$'\n'; }

# check CANDIDATE: print the interpreter's real path and return 0 if it is
# a working Python >= MIN_MAJOR.MIN_MINOR with venv + ensurepip.
check() {
    local cand=$1 path out ver exe
    if [ -z "$cand" ]; then
        return 1
    fi
    case $cand in
        */*) path=$cand ;;
        *) path=$(command -v -- "$cand" 2>/dev/null) || { note "$cand: not on PATH"; return 1; } ;;
    esac
    case $seen in *" $path "*) return 1 ;; esac
    seen="$seen$path "
    if [ ! -x "$path" ] || [ -d "$path" ]; then
        note "$path: not an executable file"
        return 1
    fi
    # One interpreter start: prints "VERSION<TAB>EXECUTABLE<TAB>HAS_VENV".
    # (pyenv shims print an error and fail when their version is not active.)
    out=$("$path" -c '
import sys
try:
    import venv, ensurepip  # noqa: F401
    ok = "yes"
except Exception:
    ok = "no"
print("%d.%d.%d\t%s\t%s" % (sys.version_info[:3] + (sys.executable, ok)))
' 2>/dev/null) || { note "$path: does not run (e.g. an inactive pyenv shim)"; return 1; }
    ver=${out%%$'\t'*}
    out=${out#*$'\t'}
    exe=${out%%$'\t'*}
    local has_venv=${out#*$'\t'}
    local major=${ver%%.*} rest=${ver#*.}
    local minor=${rest%%.*}
    case $major$minor in *[!0-9]*|'') note "$path: could not read its version"; return 1 ;; esac
    if [ "$major" -lt "$MIN_MAJOR" ] || { [ "$major" -eq "$MIN_MAJOR" ] && [ "$minor" -lt "$MIN_MINOR" ]; }; then
        note "$path: Python $ver (too old, need >= $MIN_MAJOR.$MIN_MINOR)"
        return 1
    fi
    if [ "$has_venv" != "yes" ]; then
        note "$path: Python $ver, but its 'venv'/'ensurepip' modules are missing"
        no_venv="${no_venv} $ver"
        return 1
    fi
    [ -n "$exe" ] || exe=$path
    printf '%s\n' "$exe"
    return 0
}

# 1. $PYTHON
if [ -n "${PYTHON:-}" ]; then
    check "$PYTHON" && exit 0
    printf 'warning: PYTHON=%s is not usable:\n%s  looking for another Python >= %s.%s\n' \
        "$PYTHON" "$tried" "$MIN_MAJOR" "$MIN_MINOR" >&2
    note "(\$PYTHON=$PYTHON was set but is not usable; kept looking)"
else
    note "\$PYTHON: not set"
fi

# 2. PATH
for name in python3.13 python3.12 python3; do
    check "$name" && exit 0
done

# 3. pyenv installations
roots=""
[ -n "${PYENV_ROOT:-}" ] && roots="$roots
$PYENV_ROOT"
if command -v pyenv >/dev/null 2>&1; then
    r=$(pyenv root 2>/dev/null) && [ -n "$r" ] && roots="$roots
$r"
fi
[ -n "${HOME:-}" ] && roots="$roots
$HOME/.pyenv"
roots="$roots
/root/.pyenv"

# Newest first: reverse version sort (sort -V is GNU/BSD; plain sort as fallback).
if printf '3.9\n3.10\n' | sort -V >/dev/null 2>&1; then
    sort_desc() { sort -rV; }
else
    sort_desc() { sort -r; }
fi

checked_roots=" "
while IFS= read -r root; do
    [ -n "$root" ] || continue
    case $checked_roots in *" $root "*) continue ;; esac
    checked_roots="$checked_roots$root "
    found_any=no
    list=$(for p in "$root"/versions/3.1[2-9]*/bin/python; do
               [ -e "$p" ] && printf '%s\n' "$p"
           done | sort_desc)
    while IFS= read -r p; do
        [ -n "$p" ] || continue
        found_any=yes
        check "$p" && exit 0
    done <<EOF_LIST
$list
EOF_LIST
    [ "$found_any" = yes ] || note "$root/versions/3.1[2-9]*/bin/python: none found"
done <<EOF_ROOTS
$roots
EOF_ROOTS

# Nothing suitable.
{
    echo "error: no Python >= $MIN_MAJOR.$MIN_MINOR found (loyaltysim needs Python $MIN_MAJOR.$MIN_MINOR or newer)."
    echo
    echo "Tried:"
    printf '%s' "$tried"
    echo
    if [ -n "$no_venv" ]; then
        echo "A suitable Python was found but cannot create virtual environments."
        echo "On Debian/Ubuntu install its venv package, e.g.:"
        echo "    sudo apt-get install python3-venv      # or python3.12-venv / python3.13-venv"
        echo
    fi
    echo "Install Python 3.12 or newer, then run the command again. For example:"
    echo "  - Debian 13 (trixie) / Ubuntu 24.04 or newer:"
    echo "        sudo apt-get install python3 python3-venv"
    echo "    (Debian 12 and Ubuntu 22.04 only ship Python 3.11: use pyenv or python.org.)"
    echo "  - pyenv:     pyenv install 3.12   (the Makefile finds ~/.pyenv/versions/3.12*)"
    echo "  - macOS:     brew install python@3.12"
    echo "  - otherwise: https://www.python.org/downloads/"
    echo
    echo "If Python 3.12+ is installed somewhere else, point to it explicitly:"
    echo "    make demo PYTHON=/path/to/python3.12"
} >&2
exit 1
