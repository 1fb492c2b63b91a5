#!/usr/bin/env bash
# Make sure the system packages Desktop Blog needs are installed (Debian / Ubuntu).
#
#   scripts/ensure-system-deps.sh          libraries Qt (PySide6, QtWebEngine) needs to run the app
#   scripts/ensure-system-deps.sh --test   the same, plus the tools the tests use (Xvfb, xdotool,
#                                          poppler, ImageMagick, a headless Secret Service, ...)
#
# Present: one line, exit 0. Missing and root: apt-get installs them. Missing and not root: prints
# the one command to run and exits 1 (in CI with password-less sudo it runs that command itself).
# Never prompts, so it works with no terminal. Environment: VENV (default: <repo>/.venv), used for
# an extra `ldd` check of the Qt plugins; SYSDEPS_NO_INSTALL=1 only reports.
set -euo pipefail

want_test=0
for arg in "$@"; do
    case "$arg" in
        --test) want_test=1 ;;
        -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "ensure-system-deps: unknown argument: $arg" >&2; exit 2 ;;
    esac
done

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
venv=${VENV:-"$here/../.venv"}

# Libraries PySide6's Qt libraries and plugins (xcb, wayland, offscreen, QtWebEngine) link against.
# "a|b" means either package satisfies the need (Ubuntu 24.04 renamed libasound2 to libasound2t64).
runtime_pkgs=(
    libgl1 libegl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libnss3
    libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-shape0
    libxcb-xinerama0 libxcb-randr0 libxcomposite1 libxdamage1 libxrandr2 libxtst6
    "libasound2t64|libasound2" libxshmfence1 libgbm1 libwayland-cursor0 libwayland-egl1
)
# Tools the tests use: a virtual X server, input events, PDF to PNG, image comparison, a real
# Secret Service on a private D-Bus session, and sqlite3 for looking into a library by hand.
test_pkgs=(
    xvfb xauth xdotool poppler-utils imagemagick gnome-keyring libsecret-tools dbus dbus-x11 sqlite3
)
wanted=("${runtime_pkgs[@]}")
[ "$want_test" = 1 ] && wanted+=("${test_pkgs[@]}")

say() { echo "ensure-system-deps: $*" >&2; }

# Qt libraries the app loads, checked with ldd for "not found" (Qt's own libraries are found
# through their RPATH at run time, so those lines are ignored).
ldd_check() {
    local qt
    qt=$(ls -d "$venv"/lib/python3*/site-packages/PySide6/Qt 2>/dev/null | head -n 1) || true
    [ -n "$qt" ] && [ -d "$qt" ] && command -v ldd >/dev/null 2>&1 || return 0
    local files=()
    local f
    for f in "$qt"/plugins/platforms/libq{xcb,wayland,offscreen}.so \
        "$qt"/plugins/xcbglintegrations/*.so \
        "$qt"/lib/libQt6{Core,Gui,Widgets,Network,DBus,PrintSupport,Svg,WebEngineCore,WebEngineWidgets,WebChannel}.so.6 \
        "$qt"/libexec/QtWebEngineProcess; do
        [ -e "$f" ] && files+=("$f")
    done
    [ ${#files[@]} -gt 0 ] || return 0
    ldd "${files[@]}" 2>/dev/null | awk '/not found/ && $1 !~ /^libQt6/ {print $1}' | sort -u
}

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    # Not Debian or Ubuntu: ldd is all we can check; the package names above are Debian's.
    missing_libs=$(ldd_check)
    if [ -n "$missing_libs" ]; then
        say "this is not a Debian/Ubuntu system, and Qt lacks these libraries:"
        echo "$missing_libs" | sed 's/^/    /' >&2
        say "install your distribution's packages providing them (Debian names: ${wanted[*]})"
        exit 1
    fi
    say "not Debian/Ubuntu: cannot check packages; Qt's libraries resolve. Test tools: ${test_pkgs[*]}"
    exit 0
fi

installed() { # installed PKG: 0 when dpkg has PKG fully installed
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing=() # entries of $wanted, alternatives kept as "a|b" until apt knows which exists
for entry in "${wanted[@]}"; do
    IFS='|' read -r -a alternatives <<<"$entry"
    ok=0
    for name in "${alternatives[@]}"; do
        if installed "$name"; then ok=1; break; fi
    done
    [ "$ok" = 1 ] || missing+=("$entry")
done

if [ ${#missing[@]} -eq 0 ]; then
    missing_libs=$(ldd_check)
    if [ -n "$missing_libs" ]; then
        say "all ${#wanted[@]} packages are installed, but Qt still lacks these libraries:"
        echo "$missing_libs" | sed 's/^/    /' >&2
        say "find their packages with: apt-file search <library>"
        exit 1
    fi
    say "all ${#wanted[@]} system packages present"
    exit 0
fi

# Pick, for each "a|b", the first name apt has a candidate for; when apt knows neither (no package
# lists yet), the last: the older name, which newer releases still accept through "Provides".
resolve_names() {
    local entry name candidate chosen
    resolved=()
    for entry in "${missing[@]}"; do
        IFS='|' read -r -a alternatives <<<"$entry"
        chosen=""
        for name in "${alternatives[@]}"; do
            candidate=$(apt-cache policy "$name" 2>/dev/null | awk '/Candidate:/ {print $2}')
            if [ -n "$candidate" ] && [ "$candidate" != "(none)" ]; then chosen=$name; break; fi
        done
        resolved+=("${chosen:-${alternatives[-1]}}")
    done
}

say "missing system packages: ${missing[*]}"

if [ "$(id -u)" = 0 ]; then
    sudo=()
elif [ -n "${CI:-}" ] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n env DEBIAN_FRONTEND=noninteractive)
else
    resolve_names
    say "run this once, then try again:"
    echo "sudo apt-get update && sudo apt-get install -y --no-install-recommends ${resolved[*]}"
    exit 1
fi

if [ "${SYSDEPS_NO_INSTALL:-}" = 1 ]; then
    resolve_names
    say "SYSDEPS_NO_INSTALL=1: not installing. To install: apt-get install -y ${resolved[*]}"
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Wait for another apt or dpkg (unattended-upgrades, a second job) instead of failing at once.
apt_opts=(-q -o DPkg::Lock::Timeout=600)
"${sudo[@]}" apt-get "${apt_opts[@]}" update </dev/null >&2 ||
    say "apt-get update failed; trying the install anyway"
resolve_names
say "installing: ${resolved[*]}"
"${sudo[@]}" apt-get "${apt_opts[@]}" install -y --no-install-recommends "${resolved[@]}" \
    </dev/null >&2

still=()
for name in "${resolved[@]}"; do installed "$name" || still+=("$name"); done
if [ ${#still[@]} -gt 0 ]; then
    say "still missing after apt-get install: ${still[*]}"
    exit 1
fi
say "installed ${#resolved[@]} system packages"
