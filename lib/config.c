/* dk: configuration and the libyaml node tree. GPL-2.0-only. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "buf.h"
#include "config.h"
#include "lines.h"

/* The defaults of binpkg-docker as it is at its head (build.bash,
 * Dockerfile, Dockerfile.deps, the portage files, kernel-configd), as one
 * YAML document so that a user file overrides any part of it with the same
 * keys. */
static const char *const defaults[] = {
	"# dk compiled-in defaults: binpkg-docker at ceeaaa3 (2026-04-29);\n",
	"# dk-build(1) names the upstream commit each follows. Any key may be\n",
	"# overridden in config.yaml; \"dk-build config\" prints the result.\n",
	"binpkgroot: ~/binpkg\n",
	"distcache: ~/distfiles\n",
	"logdir: ~/.cache/dk/logs\n",
	"signing_key: signing_key.pem\n",
	"local_diff: local.diff\n",
	"repo: .\n",
	"base: origin\n",
	"dockerfiles: ''\n",
	"panic: Kernel panic\n",
	"retries: 2\n",
	"jobs: 1\n",
	"timeout: 8h\n",
	"stall: 45m\n",
	"retry_timeouts: false\n",
	"deps_max_age: 30d\n",
	"steve: auto\n",
	"label: dk\n",
	"pkgdir: /tmp/binpkg\n",
	"devices: []\n",
	"tmpfs: [/var/tmp/portage]\n",
	"ssh: [ssh]\n",
	"packages: [gentoo-kernel, vanilla-kernel]\n",
	"env:\n",
	"  EPYTHON: python3.13\n",
	"run: |\n",
	"  set -e\n",
	"  n=$(nproc)\n",
	"  jobserver=\n",
	"  if [ -c /dev/steve ] && command -v stevie >/dev/null; then jobserver=stevie; fi\n",
	"  FEATURES=test MAKEOPTS=\"-j$n -l$((n + 1))\" $jobserver emerge -1vB \"$PKG\"\n",
	"  emerge -1vk \"$PKG\"\n",
	"  mkdir -p \"$DK_KERNEL_PKGDIR\"\n",
	"  cp -a \"$DK_PKGDIR\"/. \"$DK_KERNEL_PKGDIR\"/\n",
	"  [ -z \"$POST_PKGS\" ] || emerge -1vt --keep-going=y --jobs $POST_PKGS\n",
	"ldflags: -Wl,-O1 -Wl,--as-needed\n",
	"use: lto\n",
	"deps:\n",
	"  - app-emulation/qemu\n",
	"  - dev-build/steve\n",
	"  - dev-lang/python:3.13\n",
	"  - dev-libs/openssl\n",
	"  - dev-tcltk/expect\n",
	"  - dev-build/cmake\n",
	"  - net-misc/openssh\n",
	"  - sys-devel/bc\n",
	"  - sys-kernel/dracut\n",
	"  - sys-kernel/installkernel\n",
	"  - sys-libs/binutils-libs\n",
	"  - virtual/libelf\n",
	"extra_deps: []\n",
	"portage:\n",
	"  make.conf: |\n",
	"    BINPKG_FORMAT=\"gpkg\"\n",
	"    BINPKG_COMPRESS=\"xz\"\n",
	"    BINPKG_COMPRESS_FLAGS=\"-T1 -9\"\n",
	"    FEATURES=\"${FEATURES} -sandbox -usersandbox -cgroup binpkg-multi-instance -binpkg-docompress -binpkg-dostrip parallel-install -ipc-sandbox -network-sandbox -pid-sandbox\"\n",
	"    ACCEPT_LICENSE=\"*\"\n",
	"    PKGDIR=\"/tmp/binpkg\"\n",
	"    MODULES_SIGN_KEY=\"/tmp/signing_key.pem\"\n",
	"    SECUREBOOT_SIGN_KEY=\"/tmp/signing_key.pem\"\n",
	"    SECUREBOOT_SIGN_CERT=\"/tmp/signing_key.pem\"\n",
	"  package.accept_keywords: |\n",
	"    dev-lang/python\n",
	"    dev-lang/python-exec\n",
	"    dev-lang/pypy **\n",
	"    dev-lang/pypy3-exe **\n",
	"    dev-lang/pypy3-exe-bin **\n",
	"    dev-python/pypy **\n",
	"    dev-python/pypy-exe **\n",
	"    dev-python/pypy-exe-bin **\n",
	"    dev-python/pypy3\n",
	"    dev-python/pypy3_9 **\n",
	"    dev-python/pypy3_9-exe **\n",
	"    dev-python/pypy3_9-exe-bin **\n",
	"    dev-python/pypy3_10 **\n",
	"    dev-python/pypy3_10-exe **\n",
	"    dev-python/pypy3_10-exe-bin **\n",
	"    sys-firmware/intel-microcode\n",
	"    sys-kernel/dracut\n",
	"    sys-kernel/gentoo-kernel\n",
	"    sys-kernel/gentoo-kernel-bin\n",
	"    sys-kernel/linux-firmware\n",
	"    sys-kernel/vanilla-kernel\n",
	"    sys-kernel/vanilla-kernel-bin\n",
	"    virtual/dist-kernel\n",
	"    app-emulation/qemu\n",
	"\n",
	"    # initramfs deps\n",
	"    dev-libs/opensc\n",
	"    sys-apps/fwupd\n",
	"    sys-block/nbd\n",
	"    dev-libs/libjcat\n",
	"    sys-libs/libapparmor\n",
	"\n",
	"    # for pypy3 testing\n",
	"    dev-python/setuptools\n",
	"    dev-python/setuptools-scm\n",
	"    dev-python/certifi\n",
	"    dev-python/six\n",
	"    virtual/python-ipaddress\n",
	"    virtual/python-enum34\n",
	"    dev-python/cryptography\n",
	"\n",
	"    # for kernel testing\n",
	"    app-crypt/gnupg\n",
	"    dev-libs/libgpg-error\n",
	"    dev-util/pahole\n",
	"    sys-apps/debianutils\n",
	"    sys-apps/systemd\n",
	"    sys-kernel/installkernel\n",
	"    dev-libs/libb64\n",
	"    net-libs/grpc\n",
	"    app-crypt/pesign\n",
	"    app-crypt/tpm-emulator\n",
	"    app-emulation/virtualbox-guest-additions\n",
	"    app-emulation/virtualbox-modules\n",
	"    app-laptop/tp_smapi\n",
	"    dev-util/lttng-modules\n",
	"    dev-util/sysdig\n",
	"    dev-util/sysdig-kmod\n",
	"    media-video/v4l2loopback\n",
	"    net-dialup/accel-ppp\n",
	"    net-firewall/ipt_netflow\n",
	"    net-firewall/rtsp-conntrack\n",
	"    net-firewall/xtables-addons\n",
	"    net-fs/openafs\n",
	"    net-misc/AQtion\n",
	"    net-misc/ena-driver\n",
	"    net-misc/networkmanager\n",
	"    net-misc/openvswitch\n",
	"    net-vpn/wireguard-modules\n",
	"    net-wireless/broadcom-sta\n",
	"    sci-libs/linux-gpib-modules\n",
	"    sys-apps/dbus\n",
	"    sys-cluster/knem\n",
	"    sys-fs/loop-aes\n",
	"    sys-fs/vhba\n",
	"    sys-fs/zfs-kmod\n",
	"    sys-power/acpi_call\n",
	"    sys-power/bbswitch\n",
	"    sys-kernel/cryptodev\n",
	"    sys-power/acpi_call\n",
	"    sys-power/bbswitch\n",
	"    x11-drivers/nvidia-drivers\n",
	"  package.use: |\n",
	"    */* CPU_FLAGS_X86: sse2\n",
	"    app-emulation/qemu -aio -caps -filecaps -jpeg -ncurses -png -vhost-net -vnc -xattr -doc\n",
	"\n",
	"    # for pypy testing\n",
	"    #dev-python/setuptools PYTHON_TARGETS: pypy3\n",
	"    #dev-python/setuptools_scm PYTHON_TARGETS: pypy3\n",
	"    #dev-python/certifi PYTHON_TARGETS: pypy3\n",
	"    #dev-python/six PYTHON_TARGETS: pypy3\n",
	"    #virtual/python-ipaddress PYTHON_TARGETS: pypy3\n",
	"    #virtual/python-enum34 PYTHON_TARGETS: pypy3\n",
	"    #dev-python/cryptography PYTHON_TARGETS: pypy3\n",
	"\n",
	"    # for kernel testing\n",
	"    sys-kernel/gentoo-kernel generic-uki modules-sign secureboot test -initramfs\n",
	"    sys-kernel/gentoo-kernel-bin test generic-uki -initramfs\n",
	"    sys-kernel/vanilla-kernel modules-sign secureboot test -initramfs\n",
	"    sys-kernel/vanilla-kernel-bin test -initramfs\n",
	"    app-crypt/tpm-emulator modules\n",
	"    dev-util/sysdig modules\n",
	"    net-dialup/accel-ppp ipoe\n",
	"    net-firewall/ipset modules\n",
	"    net-firewall/xtables-addons modules\n",
	"    net-fs/openafs modules\n",
	"    net-vpn/wireguard-modules module\n",
	"    sys-cluster/knem modules\n",
	"    sys-cluster/lustre modules\n",
	"    sys-kernel/kpatch kmod\n",
	"    x11-drivers/nvidia-drivers -tools -X\n",
	"    sys-apps/util-linux caps\n",
	"\n",
	"    # for initramfs/uki building\n",
	"    app-crypt/gnupg smartcard tpm\n",
	"    net-misc/networkmanager iwd\n",
	"    sys-fs/lvm2 lvm\n",
	"    sys-kernel/linux-firmware -initramfs deduplicate redistributable\n",
	"    sys-firmware/intel-microcode -hostonly -initramfs split-ucode\n",
	"    sys-kernel/installkernel -dracut -grub -ukify\n",
	"    sys-apps/systemd boot cryptsetup kernel-install pkcs11 policykit tpm udev ukify\n",
	"    sys-boot/plymouth drm pango systemd udev\n",
	"    x11-libs/pango X\n",
	"    x11-libs/cairo X\n",
	"    dev-python/pycairo X\n",
	"    media-libs/libglvnd X\n",
	"    media-libs/freetype harfbuzz\n",
	"    net-libs/ngtcp2 gnutls\n",
	"  kernel.config: |\n",
	"    ## Leave this up to the user, can be enabled with\n",
	"    ## module.sig_enforce=1 or by enabling secureboot.\n",
	"    # CONFIG_MODULE_SIG_FORCE is not set\n",
	"\n",
	"    ## Leave this up to run-time as well. Implied when\n",
	"    ## secure boot or lockdown is enabled.\n",
	"    # CONFIG_KEXEC_SIG_FORCE is not set\n",
	"\n",
	"    ## Leave this up to secure boot status at run-time.\n",
	"    ## Can be enabled with lockdown=integrity.\n",
	"    # CONFIG_LOCK_DOWN_KERNEL_FORCE_INTEGRITY is not set\n",
	"    CONFIG_LOCK_DOWN_KERNEL_FORCE_NONE=y\n",
	"  plymouthd.conf: |\n",
	"    [Daemon]\n",
	"    Theme=bgrt\n",
	"arches:\n",
	"  amd64:\n",
	"    hosts: [unix:///var/run/docker.sock]\n",
	"    engine_arch: amd64\n",
	"    stage: gentoo/stage3:amd64-nomultilib-systemd\n",
	"    cflags: -march=x86-64 -mtune=generic -Oz -flto -pipe\n",
	"    extra_deps:\n",
	"      - sys-firmware/intel-microcode\n",
	"      - app-crypt/sbsigntools\n",
	"      - app-alternatives/awk\n",
	"      - app-alternatives/gzip\n",
	"      - app-alternatives/sh\n",
	"      - app-arch/bzip2\n",
	"      - app-arch/gzip\n",
	"      - app-arch/lz4\n",
	"      - app-arch/xz-utils\n",
	"      - app-arch/zstd\n",
	"      - app-crypt/argon2\n",
	"      - app-crypt/gnupg\n",
	"      - app-crypt/p11-kit\n",
	"      - app-crypt/tpm2-tools\n",
	"      - app-crypt/tpm2-tss\n",
	"      - app-misc/ddcutil\n",
	"      - app-misc/jq\n",
	"      - app-shells/bash\n",
	"      - dev-db/sqlite\n",
	"      - dev-libs/cyrus-sasl\n",
	"      - dev-libs/expat\n",
	"      - dev-libs/glib\n",
	"      - dev-libs/hidapi\n",
	"      - dev-libs/icu\n",
	"      - dev-libs/json-c\n",
	"      - dev-libs/libaio\n",
	"      - dev-libs/libassuan\n",
	"      - dev-libs/libevent\n",
	"      - dev-libs/libffi\n",
	"      - dev-libs/libgcrypt\n",
	"      - dev-libs/libgpg-error\n",
	"      - dev-libs/libp11\n",
	"      - dev-libs/libpcre2\n",
	"      - dev-libs/libtasn1\n",
	"      - dev-libs/libunistring\n",
	"      - dev-libs/libusb\n",
	"      - dev-libs/lzo\n",
	"      - dev-libs/npth\n",
	"      - dev-libs/nss\n",
	"      - dev-libs/oniguruma\n",
	"      - dev-libs/opensc\n",
	"      - dev-libs/userspace-rcu\n",
	"      - dev-util/pahole\n",
	"      - media-libs/libmtp\n",
	"      - media-libs/libv4l\n",
	"      - net-dns/c-ares\n",
	"      - net-dns/libidn2\n",
	"      - net-fs/cifs-utils\n",
	"      - net-fs/nfs-utils\n",
	"      - net-fs/samba\n",
	"      - net-libs/libmnl\n",
	"      - net-libs/libndp\n",
	"      - net-libs/libtirpc\n",
	"      - net-libs/nghttp2\n",
	"      - net-misc/curl\n",
	"      - net-misc/dhcp\n",
	"      - net-misc/networkmanager\n",
	"      - net-nds/openldap\n",
	"      - net-wireless/bluez\n",
	"      - net-wireless/iwd\n",
	"      - sys-apps/acl\n",
	"      - sys-apps/attr\n",
	"      - sys-apps/baselayout\n",
	"      - sys-apps/coreutils\n",
	"      - sys-apps/dbus\n",
	"      - sys-apps/fwupd\n",
	"      - sys-apps/gawk\n",
	"      - sys-apps/hwdata\n",
	"      - sys-apps/iproute2\n",
	"      - sys-apps/kbd\n",
	"      - sys-apps/keyutils\n",
	"      - sys-apps/kmod\n",
	"      - sys-apps/less\n",
	"      - sys-apps/nvme-cli\n",
	"      - sys-apps/pcsc-lite\n",
	"      - sys-apps/rng-tools\n",
	"      - sys-apps/sed\n",
	"      - sys-apps/shadow\n",
	"      - sys-apps/systemd\n",
	"      - sys-apps/util-linux\n",
	"      - sys-auth/polkit\n",
	"      - sys-boot/plymouth\n",
	"      - sys-block/nbd\n",
	"      - sys-devel/gcc\n",
	"      - sys-fs/btrfs-progs\n",
	"      - sys-fs/cryptsetup\n",
	"      - sys-fs/dmraid\n",
	"      - sys-fs/dosfstools\n",
	"      - sys-fs/e2fsprogs\n",
	"      - sys-fs/lvm2\n",
	"      - sys-fs/mdadm\n",
	"      - sys-fs/multipath-tools\n",
	"      - sys-fs/xfsprogs\n",
	"      - sys-kernel/linux-firmware\n",
	"      - sys-libs/glibc\n",
	"      - sys-libs/libapparmor\n",
	"      - sys-libs/libcap\n",
	"      - sys-libs/libcap-ng\n",
	"      - sys-libs/libnvme\n",
	"      - sys-libs/libseccomp\n",
	"      - sys-libs/libxcrypt\n",
	"      - sys-libs/ncurses\n",
	"      - sys-libs/pam\n",
	"      - sys-libs/readline\n",
	"      - sys-libs/zlib\n",
	"      - sys-process/procps\n",
	"      - x11-libs/libdrm\n",
	"    post_pkgs:\n",
	"      '5.4': [app-emulation/virtualbox-guest-additions, app-emulation/virtualbox-modules, media-video/v4l2loopback, net-firewall/rtsp-conntrack, net-misc/AQtion, sys-fs/vhba, sys-fs/zfs-kmod, sys-power/acpi_call, sys-power/bbswitch]\n",
	"      default: [sys-fs/vhba, sys-power/acpi_call, sys-power/bbswitch]\n",
	"  amd64-musl:\n",
	"    hosts: [unix:///var/run/docker.sock]\n",
	"    engine_arch: amd64\n",
	"    stage: gentoo/stage3:amd64-musl\n",
	"    cflags: -march=x86-64 -mtune=generic -Oz -flto -pipe\n",
	"  arm64:\n",
	"    hosts: [unix:///var/run/docker.sock]\n",
	"    engine_arch: arm64\n",
	"    stage: gentoo/stage3:arm64-systemd\n",
	"    cflags: -mtune=generic -Oz -flto -pipe\n",
	"    extra_deps:\n",
	"      - app-crypt/sbsigntools\n",
	"      - app-alternatives/awk\n",
	"      - app-alternatives/gzip\n",
	"      - app-alternatives/sh\n",
	"      - app-arch/bzip2\n",
	"      - app-arch/gzip\n",
	"      - app-arch/lz4\n",
	"      - app-arch/xz-utils\n",
	"      - app-arch/zstd\n",
	"      - app-crypt/argon2\n",
	"      - app-crypt/gnupg\n",
	"      - app-crypt/p11-kit\n",
	"      - app-crypt/tpm2-tools\n",
	"      - app-crypt/tpm2-tss\n",
	"      - app-misc/ddcutil\n",
	"      - app-misc/jq\n",
	"      - app-shells/bash\n",
	"      - dev-db/sqlite\n",
	"      - dev-libs/cyrus-sasl\n",
	"      - dev-libs/expat\n",
	"      - dev-libs/glib\n",
	"      - dev-libs/hidapi\n",
	"      - dev-libs/icu\n",
	"      - dev-libs/json-c\n",
	"      - dev-libs/libaio\n",
	"      - dev-libs/libassuan\n",
	"      - dev-libs/libevent\n",
	"      - dev-libs/libffi\n",
	"      - dev-libs/libgcrypt\n",
	"      - dev-libs/libgpg-error\n",
	"      - dev-libs/libp11\n",
	"      - dev-libs/libpcre2\n",
	"      - dev-libs/libtasn1\n",
	"      - dev-libs/libunistring\n",
	"      - dev-libs/libusb\n",
	"      - dev-libs/lzo\n",
	"      - dev-libs/npth\n",
	"      - dev-libs/nss\n",
	"      - dev-libs/oniguruma\n",
	"      - dev-libs/opensc\n",
	"      - dev-libs/userspace-rcu\n",
	"      - dev-util/pahole\n",
	"      - media-libs/libmtp\n",
	"      - media-libs/libv4l\n",
	"      - net-dns/c-ares\n",
	"      - net-dns/libidn2\n",
	"      - net-fs/cifs-utils\n",
	"      - net-fs/nfs-utils\n",
	"      - net-fs/samba\n",
	"      - net-libs/libmnl\n",
	"      - net-libs/libndp\n",
	"      - net-libs/libtirpc\n",
	"      - net-libs/nghttp2\n",
	"      - net-misc/curl\n",
	"      - net-misc/dhcp\n",
	"      - net-misc/networkmanager\n",
	"      - net-nds/openldap\n",
	"      - net-wireless/bluez\n",
	"      - net-wireless/iwd\n",
	"      - sys-apps/acl\n",
	"      - sys-apps/attr\n",
	"      - sys-apps/baselayout\n",
	"      - sys-apps/coreutils\n",
	"      - sys-apps/dbus\n",
	"      - sys-apps/fwupd\n",
	"      - sys-apps/gawk\n",
	"      - sys-apps/hwdata\n",
	"      - sys-apps/iproute2\n",
	"      - sys-apps/kbd\n",
	"      - sys-apps/keyutils\n",
	"      - sys-apps/kmod\n",
	"      - sys-apps/less\n",
	"      - sys-apps/nvme-cli\n",
	"      - sys-apps/pcsc-lite\n",
	"      - sys-apps/rng-tools\n",
	"      - sys-apps/sed\n",
	"      - sys-apps/shadow\n",
	"      - sys-apps/systemd\n",
	"      - sys-apps/util-linux\n",
	"      - sys-auth/polkit\n",
	"      - sys-boot/plymouth\n",
	"      - sys-block/nbd\n",
	"      - sys-devel/gcc\n",
	"      - sys-fs/btrfs-progs\n",
	"      - sys-fs/cryptsetup\n",
	"      - sys-fs/dmraid\n",
	"      - sys-fs/dosfstools\n",
	"      - sys-fs/e2fsprogs\n",
	"      - sys-fs/lvm2\n",
	"      - sys-fs/mdadm\n",
	"      - sys-fs/multipath-tools\n",
	"      - sys-fs/xfsprogs\n",
	"      - sys-kernel/linux-firmware\n",
	"      - sys-libs/glibc\n",
	"      - sys-libs/libapparmor\n",
	"      - sys-libs/libcap\n",
	"      - sys-libs/libcap-ng\n",
	"      - sys-libs/libnvme\n",
	"      - sys-libs/libseccomp\n",
	"      - sys-libs/libxcrypt\n",
	"      - sys-libs/ncurses\n",
	"      - sys-libs/pam\n",
	"      - sys-libs/readline\n",
	"      - sys-libs/zlib\n",
	"      - sys-process/procps\n",
	"      - x11-libs/libdrm\n",
	"  arm64-musl:\n",
	"    hosts: [unix:///var/run/docker.sock]\n",
	"    engine_arch: arm64\n",
	"    stage: gentoo/stage3:arm64-musl\n",
	"    cflags: -mtune=generic -Oz -flto -pipe\n",
	"  ppc64le:\n",
	"    hosts: [unix:///var/run/docker.sock]\n",
	"    engine_arch: ppc64le\n",
	"    stage: gentoo/stage3:ppc64le-systemd\n",
	"    cflags: -mcpu=power8 -mtune=power8 -O2 -pipe\n",
	"  ppc64le-musl:\n",
	"    hosts: [unix:///var/run/docker.sock]\n",
	"    engine_arch: ppc64le\n",
	"    stage: gentoo/stage3:ppc64le-musl-hardened-openrc\n",
	"    cflags: -mcpu=power8 -mtune=power8 -O2 -pipe\n",
	"  x86:\n",
	"    hosts: [unix:///var/run/docker.sock]\n",
	"    engine_arch: [amd64, '386']\n",
	"    stage: gentoo/stage3:i686-systemd\n",
	"    cflags: -march=pentium-m -mtune=generic -Oz -flto -pipe\n",
	"    extra_deps:\n",
	"      - app-crypt/sbsigntools\n",
	"    post_pkgs:\n",
	"      '5.4': [media-video/v4l2loopback, net-firewall/rtsp-conntrack, sys-fs/vhba, sys-power/bbswitch]\n",
	"      default: [sys-fs/vhba, sys-power/bbswitch]\n",
	"  x86-musl:\n",
	"    hosts: [unix:///var/run/docker.sock]\n",
	"    engine_arch: [amd64, '386']\n",
	"    stage: gentoo/stage3:i686-musl\n",
	"    cflags: -march=pentium-m -mtune=generic -Oz -flto -pipe\n",
	"destinations: {}\n",
};

int
config_defaults(struct buf *out)
{
	size_t i;

	for (i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
		if (buf_adds(out, defaults[i]) < 0)
			return -1;
	return 0;
}

static int
vcfg_errf(struct dk_err *e, const char *file, long line, long col, const char *fmt, va_list ap)
{
	char msg[900];

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (line > 0)
		return dk_errf(e, NULL, 0, "%s:%ld:%ld: %s", file ? file : "<config>", line, col, msg);
	return dk_errf(e, file, 0, "%s", msg);
}

int
cfg_errf(struct dk_err *e, const struct cfg_node *n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vcfg_errf(e, n ? n->file : NULL, n ? n->line : 0, n ? n->col : 0, fmt, ap);
	va_end(ap);
	return r;
}

static int
posf(struct dk_err *e, const char *file, yaml_mark_t m, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vcfg_errf(e, file, (long)m.line + 1, (long)m.column + 1, fmt, ap);
	va_end(ap);
	return r;
}

void
cfg_free(struct cfg_node *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->n; i++)
		cfg_free(&n->kids[i]);
	free(n->kids);
	free(n->key);
	free(n->value);
	n->kids = NULL;
	n->key = n->value = NULL;
	n->n = n->cap = 0;
}

/* Appends an empty child to n; returns it or NULL (ENOMEM). */
static struct cfg_node *
add_kid(struct cfg_node *n)
{
	if (n->n == n->cap) {
		size_t cap = n->cap ? n->cap * 2 : 4;
		struct cfg_node *k = realloc(n->kids, cap * sizeof *k);

		if (!k)
			return NULL;
		n->kids = k;
		n->cap = cap;
	}
	memset(&n->kids[n->n], 0, sizeof n->kids[0]);
	return &n->kids[n->n++];
}

struct parse {
	yaml_parser_t p;
	const char *file;
	struct dk_err *e;
};

static int
next(struct parse *ps, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&ps->p, ev))
		return posf(ps->e, ps->file, ps->p.problem_mark, "%s%s%s",
			ps->p.problem ? ps->p.problem : "syntax error",
			ps->p.context ? " " : "", ps->p.context ? ps->p.context : "");
	return 0;
}

/* Builds node n from event ev (already read) and what follows it. */
static int
build(struct parse *ps, yaml_event_t *ev, struct cfg_node *n, int depth)
{
	yaml_event_t kev, vev;
	struct cfg_node *k;

	n->file = ps->file;
	n->line = (long)ev->start_mark.line + 1;
	n->col = (long)ev->start_mark.column + 1;
	if (depth > 64)
		return posf(ps->e, ps->file, ev->start_mark, "nested too deeply");
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n->kind = CFG_SCALAR;
		n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
		n->value = strndup((char *)ev->data.scalar.value, ev->data.scalar.length);
		return n->value ? 0 : dk_syserrf(ps->e, ps->file, 0, "cannot parse");
	case YAML_ALIAS_EVENT:
		return posf(ps->e, ps->file, ev->start_mark, "aliases are not supported");
	case YAML_SEQUENCE_START_EVENT:
		n->kind = CFG_LIST;
		for (;;) {
			if (next(ps, &vev) < 0)
				return -1;
			if (vev.type == YAML_SEQUENCE_END_EVENT) {
				yaml_event_delete(&vev);
				return 0;
			}
			if (!(k = add_kid(n))) {
				yaml_event_delete(&vev);
				return dk_syserrf(ps->e, ps->file, 0, "cannot parse");
			}
			if (build(ps, &vev, k, depth + 1) < 0) {
				yaml_event_delete(&vev);
				return -1;
			}
			yaml_event_delete(&vev);
		}
	case YAML_MAPPING_START_EVENT:
		n->kind = CFG_MAP;
		for (;;) {
			if (next(ps, &kev) < 0)
				return -1;
			if (kev.type == YAML_MAPPING_END_EVENT) {
				yaml_event_delete(&kev);
				return 0;
			}
			if (kev.type != YAML_SCALAR_EVENT) {
				posf(ps->e, ps->file, kev.start_mark, "a key must be a plain value");
				yaml_event_delete(&kev);
				return -1;
			}
			if (cfg_member(n, (char *)kev.data.scalar.value)) {
				posf(ps->e, ps->file, kev.start_mark, "duplicate key '%s'", (char *)kev.data.scalar.value);
				yaml_event_delete(&kev);
				return -1;
			}
			if (!(k = add_kid(n)) || !(k->key = strdup((char *)kev.data.scalar.value))) {
				yaml_event_delete(&kev);
				return dk_syserrf(ps->e, ps->file, 0, "cannot parse");
			}
			k->key_line = (long)kev.start_mark.line + 1;
			k->key_col = (long)kev.start_mark.column + 1;
			yaml_event_delete(&kev);
			if (next(ps, &vev) < 0)
				return -1;
			if (build(ps, &vev, k, depth + 1) < 0) {
				yaml_event_delete(&vev);
				return -1;
			}
			yaml_event_delete(&vev);
		}
	default:
		return posf(ps->e, ps->file, ev->start_mark, "unexpected YAML event");
	}
}

int
cfg_parse(struct cfg_node *root, const char *file, const char *text, size_t len, struct dk_err *e)
{
	struct parse ps = { .file = file, .e = e };
	yaml_event_t ev;
	int ret = -1;

	memset(root, 0, sizeof *root);
	root->kind = CFG_MAP;
	root->file = file;
	/* libyaml reports a NUL at the start of its buffer (1:1), not where
	 * it is: find it first */
	{
		const char *nul = memchr(text, '\0', len), *p, *bol = text;
		long line = 1;

		if (nul) {
			for (p = text; p < nul; p++)
				if (*p == '\n')
					line++, bol = p + 1;
			return dk_errf(e, NULL, 0, "%s:%ld:%ld: NUL byte: not a text file", file ? file : "<config>",
				line, (long)(nul - bol) + 1);
		}
	}
	if (!yaml_parser_initialize(&ps.p))
		return dk_errf(e, file, 0, "cannot start the YAML parser");
	yaml_parser_set_input_string(&ps.p, (const unsigned char *)text, len);
	/* stream start, then a document start or the stream end (empty) */
	for (;;) {
		if (next(&ps, &ev) < 0)
			goto out;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			ret = 0;
			goto out;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT || ev.type == YAML_STREAM_START_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		break;
	}
	ret = build(&ps, &ev, root, 0);
	yaml_event_delete(&ev);
	if (ret == 0 && root->kind == CFG_SCALAR && !root->quoted && !root->value[0]) {
		/* a document holding only comments */
		cfg_free(root);
		root->kind = CFG_MAP;
	}
out:
	if (ret < 0)
		cfg_free(root);
	yaml_parser_delete(&ps.p);
	return ret;
}

const struct cfg_node *
cfg_member(const struct cfg_node *n, const char *key)
{
	size_t i;

	if (!n || n->kind != CFG_MAP)
		return NULL;
	for (i = 0; i < n->n; i++)
		if (!strcmp(n->kids[i].key, key))
			return &n->kids[i];
	return NULL;
}

const struct cfg_node *
cfg_get(const struct cfg_node *n, ...)
{
	const char *k;
	va_list ap;

	va_start(ap, n);
	while (n && (k = va_arg(ap, const char *)))
		n = cfg_member(n, k);
	va_end(ap);
	return n;
}

const char *
cfg_str(const struct cfg_node *n)
{
	return n && n->kind == CFG_SCALAR ? n->value : NULL;
}

int
cfg_merge(struct cfg_node *dst, struct cfg_node *src)
{
	size_t i;

	if (dst->kind == CFG_MAP && src->kind == CFG_MAP) {
		for (i = 0; i < src->n; i++) {
			struct cfg_node *d = (struct cfg_node *)cfg_member(dst, src->kids[i].key);

			if (!d) {
				if (!(d = add_kid(dst)))
					return -1;
				*d = src->kids[i];
				memset(&src->kids[i], 0, sizeof src->kids[i]);
				continue;
			}
			if (cfg_merge(d, &src->kids[i]) < 0)
				return -1;
		}
		cfg_free(src);
		return 0;
	}
	{
		char *key = dst->key;

		dst->key = NULL;
		cfg_free(dst);
		*dst = *src;
		free(dst->key);
		dst->key = key;
		memset(src, 0, sizeof *src);
	}
	return 0;
}

/* The node at path under root, created (as empty maps) where missing. */
static struct cfg_node *
vmake(struct cfg_node *root, const char *file, va_list ap)
{
	struct cfg_node *n = root;
	const char *k;

	while ((k = va_arg(ap, const char *))) {
		struct cfg_node *m;

		if (n->kind != CFG_MAP) {
			cfg_free(n);
			n->kind = CFG_MAP;
		}
		if (!(m = (struct cfg_node *)cfg_member(n, k))) {
			if (!(m = add_kid(n)) || !(m->key = strdup(k)))
				return NULL;
			m->kind = CFG_MAP;
		}
		m->file = file;
		m->line = m->col = 0;
		n = m;
	}
	return n;
}

/* Empties n (keeping its key) for a new value. */
static void
clear(struct cfg_node *n)
{
	char *key = n->key;

	n->key = NULL;
	cfg_free(n);
	n->key = key;
}

/* The node at path, emptied to become a k; NULL when out of memory. */
static struct cfg_node *
vreset(struct cfg_node *root, const char *file, enum cfg_kind k, va_list ap)
{
	struct cfg_node *n = vmake(root, file, ap);

	if (n) {
		clear(n);
		n->kind = k;
	}
	return n;
}

int
cfg_set(struct cfg_node *root, const char *file, const char *value, ...)
{
	struct cfg_node *n;
	va_list ap;

	va_start(ap, value);
	n = vreset(root, file, CFG_SCALAR, ap);
	va_end(ap);
	return n && (n->value = strdup(value)) ? 0 : -1;
}

int
cfg_set_words(struct cfg_node *root, const char *file, const char *value, ...)
{
	struct cfg_node *n, *k;
	const char *p = value, *q;
	va_list ap;

	va_start(ap, value);
	n = vreset(root, file, CFG_LIST, ap);
	va_end(ap);
	if (!n)
		return -1;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			return 0;
		for (q = p; *q && !isspace((unsigned char)*q); q++)
			;
		if (!(k = add_kid(n)) || !(k->value = strndup(p, (size_t)(q - p))))
			return -1;
		k->kind = CFG_SCALAR;
		k->file = file;
		p = q;
	}
}

static const char *const kind_names[] = { "value", "list", "map" };

int
cfg_expect(const struct cfg_node *n, enum cfg_kind k, const char *what, struct dk_err *e)
{
	if (n->kind == k)
		return 0;
	return cfg_errf(e, n, "%s: expected a %s, not a %s", what, kind_names[k], kind_names[n->kind]);
}

void
cfg_strv_free(char **v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

int
cfg_strv(const struct cfg_node *n, const char *what, char ***out, struct dk_err *e)
{
	size_t i, cnt = !n ? 0 : n->kind == CFG_SCALAR ? 1 : n->n;
	char **v;

	*out = NULL;
	if (n && n->kind == CFG_MAP)
		return cfg_expect(n, CFG_LIST, what, e);
	if (!(v = calloc(cnt + 1, sizeof *v)))
		return dk_syserrf(e, NULL, 0, "%s", what);
	for (i = 0; i < cnt; i++) {
		const struct cfg_node *k = n->kind == CFG_SCALAR ? n : &n->kids[i];

		if (k->kind != CFG_SCALAR) {
			cfg_strv_free(v);
			return cfg_expect(k, CFG_SCALAR, what, e);
		}
		if (!(v[i] = strdup(k->value))) {
			cfg_strv_free(v);
			return dk_syserrf(e, NULL, 0, "%s", what);
		}
	}
	*out = v;
	return 0;
}

char *
config_path(const char *s)
{
	const char *home = getenv("HOME");
	char *r;

	if (s[0] != '~' || (s[1] != '/' && s[1]))
		return strdup(s);
	if (!home || !*home)
		home = "/";
	if (asprintf(&r, "%s%s", home, s + 1) < 0)
		return NULL;
	return r;
}

static const char def_name[] = "<defaults>";

/* "env NAME", the origin of a value from the environment, kept in c so
 * that it outlives the tree that points to it. NULL: no memory. */
static const char *
env_origin(struct config *c, const char *var)
{
	char **o = realloc(c->origins, (c->norigins + 1) * sizeof *o);

	if (!o)
		return NULL;
	c->origins = o;
	if (asprintf(&o[c->norigins], "env %s", var) < 0)
		return NULL;
	return o[c->norigins++];
}

/* DOCKER_HOST_<ARCH>: arch upper-cased, '-' as '_'. */
static int
env_hosts(struct config *c, struct dk_err *e)
{
	const struct cfg_node *arches = cfg_member(&c->root, "arches");
	size_t i;

	if (!arches)
		return 0;
	if (cfg_expect(arches, CFG_MAP, "arches", e) < 0)
		return -1;
	for (i = 0; i < arches->n; i++) {
		const char *a = arches->kids[i].key, *v, *o;
		char var[128];
		size_t j;

		j = (size_t)snprintf(var, sizeof var, "DOCKER_HOST_");
		for (; *a && j < sizeof var - 1; a++)
			var[j++] = *a == '-' ? '_' : (char)toupper((unsigned char)*a);
		var[j] = '\0';
		if ((v = getenv(var)) && *v &&
		    (!(o = env_origin(c, var)) ||
		     cfg_set_words(&c->root, o, v, "arches", arches->kids[i].key, "hosts", (char *)NULL) < 0))
			return dk_syserrf(e, NULL, 0, "%s", var);
	}
	return 0;
}

int
config_load(struct config *c, const char *path, struct dk_err *e)
{
	struct buf text = { 0 };
	struct cfg_node file;
	const char *v, *o;
	char *xdg = NULL;
	size_t i;
	int r;

	memset(c, 0, sizeof *c);
	if (config_defaults(&text) < 0)
		goto nomem;
	r = cfg_parse(&c->root, def_name, text.s, text.len, e);
	buf_free(&text);
	if (r < 0)
		return -1;
	/* Set for the docker CLI too: only the default engine changes. */
	if ((v = getenv("DOCKER_HOST")) && *v) {
		const struct cfg_node *arches = cfg_member(&c->root, "arches");

		if (!(o = env_origin(c, "DOCKER_HOST")))
			goto nomem;
		for (i = 0; arches && i < arches->n; i++)
			if (cfg_set_words(&c->root, o, v, "arches", arches->kids[i].key, "hosts", (char *)NULL) < 0)
				goto nomem;
	}
	if ((v = getenv("BINPKG_DOCKER")) && *v) {
		char *p;

		if (asprintf(&p, "%s/local.diff", v) < 0)
			goto nomem;
		r = (o = env_origin(c, "BINPKG_DOCKER")) ? cfg_set(&c->root, o, p, "local_diff", (char *)NULL) : -1;
		free(p);
		if (r < 0)
			goto nomem;
	}
	if (!path) {
		const char *x = getenv("XDG_CONFIG_HOME");

		if (x && *x)
			r = asprintf(&xdg, "%s/dk/config.yaml", x);
		else
			r = asprintf(&xdg, "%s/.config/dk/config.yaml", getenv("HOME") ? getenv("HOME") : "");
		if (r < 0) {
			xdg = NULL;
			goto nomem;
		}
		if (access(xdg, F_OK) == 0)
			path = xdg;
	}
	if (path) {
		if (!(c->path = strdup(path)))
			goto nomem;
		if (read_file(path, &text, e) < 0)
			goto fail;
		if (cfg_parse(&file, c->path, text.s, text.len, e) < 0)
			goto fail;
		buf_free(&text);
		if (file.kind != CFG_MAP) {
			cfg_expect(&file, CFG_MAP, "configuration", e);
			cfg_free(&file);
			goto fail;
		}
		if (cfg_merge(&c->root, &file) < 0) {
			cfg_free(&file);
			goto nomem;
		}
	}
	if (env_hosts(c, e) < 0)
		goto fail;
	if ((v = getenv("BINPKGROOT")) && *v &&
	    (!(o = env_origin(c, "BINPKGROOT")) || cfg_set(&c->root, o, v, "binpkgroot", (char *)NULL) < 0))
		goto nomem;
	if ((v = getenv("DISTCACHE")) && *v &&
	    (!(o = env_origin(c, "DISTCACHE")) || cfg_set(&c->root, o, v, "distcache", (char *)NULL) < 0))
		goto nomem;
	free(xdg);
	return 0;
nomem:
	dk_syserrf(e, NULL, 0, "configuration");
fail:
	buf_free(&text);
	free(xdg);
	config_free(c);
	return -1;
}

void
config_free(struct config *c)
{
	size_t i;

	cfg_free(&c->root);
	free(c->path);
	c->path = NULL;
	for (i = 0; i < c->norigins; i++)
		free(c->origins[i]);
	free(c->origins);
	c->origins = NULL;
	c->norigins = 0;
}
