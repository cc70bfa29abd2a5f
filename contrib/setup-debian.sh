#!/bin/sh
# Install everything warmd needs to build, test and run its demo on a fresh
# Debian 12 machine.  Run as root (or through sudo).
set -e
PKGS="autoconf automake libtool pkg-config make gcc clang libclang-rt-14-dev
libevent-dev libcurl4-openssl-dev libpq-dev libhiredis-dev libssl-dev
libjansson-dev libinih-dev libsystemd-dev libxml2-dev libunistring-dev
libc-ares-dev libcmocka-dev
postgresql redis-server tinyproxy microsocks nginx openssl curl dnsmasq-base
python3 python3-pytest python3-psycopg valgrind procps iproute2
prometheus"
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
	# packaged instances running when the installer starts them: a
	# policy-rc.d (unless the machine has one) refuses every start during
	# the installation, and prometheus (the tests run their own, on a
	# temporary config) is disabled so it does not come up at boot.
	policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		policy=/usr/sbin/policy-rc.d
		printf '#!/bin/sh\nexit 101\n' | $SUDO tee $policy >/dev/null
		$SUDO chmod 755 $policy
		trap '$SUDO rm -f $policy' EXIT
	fi
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
	if [ -n "$policy" ]; then
		$SUDO rm -f $policy
		trap - EXIT
	fi
	if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
		for s in prometheus prometheus-node-exporter; do
			$SUDO systemctl disable --now "$s" >/dev/null 2>&1 || true
		done
	fi
fi
