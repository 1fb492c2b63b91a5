#!/usr/bin/env bash
# Make sure the Debian packages for a throw-away WordPress on 127.0.0.1 are installed.
#
#   tests/integration/wordpress/ensure-packages.sh            install what is missing (root)
#   tests/integration/wordpress/ensure-packages.sh --check    only report; exit 1 when missing
#
# All present: one line, exit 0. Missing and root: apt-get installs them without a terminal, with a
# policy-rc.d that exits 101 for the duration, so that no packaged service (MariaDB, nginx) is
# started; any policy-rc.d that was there before is put back afterwards. Missing and not root:
# prints the one command to run and exits 1 (in CI=true with password-less sudo, it runs itself
# through sudo instead). nginx is never started (see the list below).
set -euo pipefail

# `php` and `nginx` are named for what they keep out: without `php`, apt satisfies wordpress's
# "libapache2-mod-php | php" with Apache's PHP module (and apache2-bin); without a web server,
# "apache2 | httpd" with Apache itself. php8.2-cgi satisfies php8.2's SAPI dependency.
packages=(
    wordpress mariadb-server php-cli php-mysql php-xml php8.2-cgi
    wordpress-theme-twentytwentythree nginx php
)

check_only=0
for arg in "$@"; do
    case "$arg" in
        --check) check_only=1 ;;
        -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "ensure-packages: unknown argument: $arg" >&2; exit 2 ;;
    esac
done

say() { echo "ensure-packages: $*" >&2; }

installed() { # installed PKG: 0 when dpkg has PKG fully installed
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing_packages() {
    local name
    missing=()
    for name in "${packages[@]}"; do installed "$name" || missing+=("$name"); done
}

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    say "this is not Debian/Ubuntu (no dpkg-query/apt-get); the test WordPress needs Debian's packages: ${packages[*]}"
    exit 1
fi

missing_packages
if [ ${#missing[@]} -eq 0 ]; then
    say "all ${#packages[@]} WordPress test packages present"
    exit 0
fi

command_line="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" != 0 ] && [ "$check_only" = 0 ] && [ "${CI:-}" = true ] \
    && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    say "missing packages: ${missing[*]}; CI with password-less sudo: installing through sudo"
    exec sudo -n bash "$0" "$@"
fi
if [ "$(id -u)" != 0 ]; then
    say "missing packages: ${missing[*]}; installing them needs root. Run this once, then try again:"
    echo "sudo sh -c '$command_line'"
    exit 1
fi
if [ "$check_only" = 1 ]; then
    say "missing packages: ${missing[*]}; to install: $command_line"
    exit 1
fi

# One install at a time: a second run waits here, then finds everything present.
lockdir=/run/lock
[ -d "$lockdir" ] || lockdir=/tmp
exec 9>"$lockdir/desktop-blog-wordpress-packages.lock"
flock 9
missing_packages
if [ ${#missing[@]} -eq 0 ]; then
    say "all ${#packages[@]} WordPress test packages present (installed meanwhile)"
    exit 0
fi

policy=/usr/sbin/policy-rc.d
backup=""
restore_policy() {
    if [ -n "$backup" ]; then
        mv -f "$backup" "$policy"
    else
        rm -f "$policy"
    fi
}
if [ -e "$policy" ] || [ -L "$policy" ]; then
    backup=$(mktemp "$policy.desktop-blog.XXXXXX")
    cp -pP "$policy" "$backup"
fi
trap restore_policy EXIT
trap 'exit 130' INT TERM HUP # so that the EXIT trap puts policy-rc.d back then too
printf '#!/bin/sh\n# Written by ensure-packages.sh of Desktop Blog for the length of one apt-get install.\nexit 101\n' >"$policy.new"
chmod 755 "$policy.new"
mv -f "$policy.new" "$policy"

export DEBIAN_FRONTEND=noninteractive
apt_opts=(-q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
say "missing packages: ${missing[*]}; installing"
apt-get "${apt_opts[@]}" update </dev/null >&2 || say "apt-get update failed; trying the install anyway"
apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}" </dev/null >&2

missing_packages
if [ ${#missing[@]} -gt 0 ]; then
    say "still missing after apt-get install: ${missing[*]}"
    exit 1
fi
say "installed; all ${#packages[@]} WordPress test packages present"
