#!/bin/sh
# Install everything warmd needs to build, test and run its demo on a fresh
# Debian 12 machine.  Run as root (or through sudo).
set -e
PKGS="autoconf automake libtool pkg-config make gcc clang libclang-rt-14-dev
libevent-dev libcurl4-openssl-dev libpq-dev libhiredis-dev libssl-dev
libjansson-dev libinih-dev libsystemd-dev libxml2-dev libunistring-dev
libc-ares-dev libcmocka-dev
postgresql redis-server tinyproxy microsocks nginx openssl curl
python3 python3-pytest python3-psycopg valgrind procps iproute2"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		SUDO=sudo
	fi
	$SUDO apt-get update -qq
	# Servers are started privately by warmd's scripts; do not leave the
	# packaged instances running when the installer starts them.
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
fi
