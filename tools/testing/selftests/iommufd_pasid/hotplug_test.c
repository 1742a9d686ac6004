// SPDX-License-Identifier: GPL-2.0
/*
 * A bound device with its RID and PASID 1 attached goes away under its
 * user: hot-unplugged through QEMU's monitor (device_del), or, on a
 * kernel without PCIe hotplug, removed through sysfs, which runs the same
 * removal (driver remove, the IOMMU's release_device, the pci_dev freed).
 *
 * iommufd_pci does not wait for the user (see iommufd_pci.c): removal
 * ends the binding at once, detaching the PASID and then the RID, and
 * revokes the BAR mapping.  Afterwards every operation on the open node
 * fails with ENODEV, the BAR raises SIGBUS, the device ID is gone from the
 * context (ENOENT), the HWPT and IOAS are no longer held and can be
 * destroyed, and both files close cleanly.  The device then comes back
 * (device_add, or a bus rescan) and does DMA through a new binding.
 *
 * The device is check.sh's dedicated edu behind a PCIe root port
 * (HOTPLUG_PORT, default 0000:00:10.0), QEMU id HOTPLUG_ID (default
 * hp_edu); the host runs "vmtest: monitor <command>" lines written to the
 * results port on QEMU's monitor (vmtest.py --monitor).
 */
#include <limits.h>
#include <setjmp.h>
#include <signal.h>

#include <linux/vfio.h>

#include "iommufd_utils.h"

#include "kselftest_harness.h"

#define XFER		256
#define GONE_MS		30000
/* The monitor command that plugs it back, as check.sh made it */
#define EDU_ADD		"device_add edu,dma_mask=0xffffffffffffffff,bus=hp_port,id=%s"

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

/* The edu whose parent is @port, into @bdf; 0 or -ENODEV. */
static int hotplug_edu(const char *port, char *bdf, size_t len)
{
	char path[300], real[PATH_MAX], *slash;
	struct dirent *de;
	int rc = -ENODEV;
	DIR *d = opendir("/sys/bus/pci/devices");

	if (!d)
		return rc;
	while (rc && (de = readdir(d))) {
		if (!pci_is_edu(de->d_name))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s",
			 de->d_name);
		if (!realpath(path, real))
			continue;
		slash = strrchr(real, '/');
		*slash = 0;
		slash = strrchr(real, '/');
		if (strcmp(slash + 1, port) || strlen(de->d_name) >= len)
			continue;
		snprintf(bdf, len, "%s", de->d_name);
		rc = 0;
	}
	closedir(d);
	return rc;
}

/* 1 if the kernel has a hotplug slot for @bdf (pciehp bound the port). */
static int has_slot(const char *bdf)
{
	char want[32], addr[64];
	glob_t g;
	size_t i;
	int found = 0;

	/* Slot addresses read "0000:02:00", the function left out. */
	snprintf(want, sizeof(want), "%.10s", bdf);
	if (glob("/sys/bus/pci/slots/*/address", 0, NULL, &g))
		return 0;
	for (i = 0; i < g.gl_pathc && !found; i++)
		found = !file_read(g.gl_pathv[i], addr, sizeof(addr)) &&
			!strncmp(addr, want, strlen(want));
	globfree(&g);
	return found;
}

static int dev_present(const char *bdf)
{
	char path[300];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	return access(path, F_OK) == 0;
}

/* Waits up to GONE_MS for @bdf to be (@present) or not; 0 or -ETIMEDOUT. */
static int wait_present(const char *bdf, int present)
{
	long long deadline = now_ms() + GONE_MS;

	while (dev_present(bdf) != present) {
		if (now_ms() > deadline)
			return -ETIMEDOUT;
		usleep(50000);
	}
	return 0;
}

/*
 * A device shows in sysfs before the PCI core has finished adding it:
 * until then binding a driver fails (ENODEV), and once it is added the
 * core may bind iommufd_pci itself (driver_override) while we try (EBUSY).
 * Retries until @bdf is bound to iommufd_pci, for up to GONE_MS.
 */
static int bind_when_added(const char *bdf)
{
	long long deadline = now_ms() + GONE_MS;

	while (edu_to_iommufd_pci(bdf)) {
		if (now_ms() > deadline)
			return -ETIMEDOUT;
		usleep(20000);
	}
	return 0;
}

/* Asks the host to run @cmd on QEMU's monitor (vmtest.py --monitor). */
static void ask_host(const char *fmt, const char *arg)
{
	printf("vmtest: monitor ");
	printf(fmt, arg);
	printf("\n");
	fflush(stdout);
}

/*
 * Binds @bdf in a fresh context, attaches an IOAS on the RID, copies.
 * Says which step failed, and with which errno, if one did.
 */
static int dma_works(const char *bdf, char *src, char *dst, unsigned int seed)
{
	size_t psz = page_size();
	struct ifd_dev d = { .iommufd = -1, .devfd = -1 };
	const char *what = NULL;
	__u32 ioas;
	int ok;

	snprintf(d.bdf, sizeof(d.bdf), "%s", bdf);
	pattern_fill(src, XFER, seed);
	memset(dst, 0, XFER);
	d.iommufd = open("/dev/iommu", O_RDWR);
	if (d.iommufd < 0)
		what = "opening /dev/iommu";
	else if (pci_cmd_rw(bdf, &d.cmd_orig, 0))
		what = "reading the command register";
	else if (edu_to_iommufd_pci(bdf))
		what = "giving it to iommufd_pci";
	else if (ifd_dev_bind(&d))
		what = "bind";
	else if (pci_cmd_enable(bdf))
		what = "enabling decoding";
	else if (ioas_alloc(d.iommufd, &ioas))
		what = "IOAS alloc";
	else if (ioas_map(d.iommufd, ioas, src, psz, IOVA_SRC) ||
		 ioas_map(d.iommufd, ioas, dst, psz, IOVA_DST))
		what = "map";
	else if (dev_attach(d.devfd, RID, ioas, NULL))
		what = "attach";
	else if (edu_copy(&d, IOVA_SRC, IOVA_DST, XFER))
		what = "edu's copy";
	else if (!pattern_check(dst, XFER, seed))
		what = "the copied data";
	ok = !what;
	if (what)
		fprintf(stderr, "# %s(%s): %s failed (errno %d, %s)\n",
			__func__, bdf, what, errno, d.err);
	ifd_dev_teardown(&d);
	return ok;
}

FIXTURE(unplug) {
	char bdf[32];
	const char *id;
	int hotplug;	/* device_del through the monitor, not sysfs */
	char *src, *dst;
};

FIXTURE_SETUP(unplug)
{
	const char *port = env_or("HOTPLUG_PORT", "0000:00:10.0");

	self->id = env_or("HOTPLUG_ID", "hp_edu");
	if (hotplug_edu(port, self->bdf, sizeof(self->bdf)))
		SKIP(return, "no edu behind %s (check.sh's hot-pluggable port)",
		     port);
	self->hotplug = has_slot(self->bdf);
	if (!self->hotplug)
		TH_LOG("no hotplug slot for %s: removed through sysfs",
		       self->bdf);
	self->src = buf_alloc(page_size(), 0);
	self->dst = buf_alloc(page_size(), 0);
	ASSERT_NE(NULL, self->src);
	ASSERT_NE(NULL, self->dst);
}

FIXTURE_TEARDOWN(unplug)
{
	/* Whatever happened, the device is back for the tests after. */
	if (self->bdf[0] && !dev_present(self->bdf)) {
		if (self->hotplug)
			ask_host(EDU_ADD, self->id);
		else
			file_write("/sys/bus/pci/rescan", "1\n");
		EXPECT_EQ(0, wait_present(self->bdf, 1));
	}
	if (self->bdf[0])
		edu_release(self->bdf);
}

TEST_F_TIMEOUT(unplug, bound_with_pasids, 180)
{
	struct iommufd_pci_attach at = { .argsz = sizeof(at) };
	struct iommufd_pci_bind bind = { .argsz = sizeof(bind) };
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct iommufd_pci_detach de = { .argsz = sizeof(de) };
	struct iommu_hw_info_vtd vtd;
	size_t psz = page_size();
	struct ifd_dev d;
	__u32 ioas, hwpt;
	char path[300];
	void *bar;

	/* Bound, RID and PASID 1 attached, edu copying through them */
	memset(&d, 0, sizeof(d));
	d.iommufd = -1;
	d.devfd = -1;
	snprintf(d.bdf, sizeof(d.bdf), "%s", self->bdf);
	ASSERT_EQ(0, pci_cmd_rw(d.bdf, &d.cmd_orig, 0));
	ASSERT_EQ(0, ifd_dev_pasid_bits(&d, 1)) TH_LOG("%s", d.err);
	ASSERT_EQ(0, edu_to_iommufd_pci(d.bdf));
	d.iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, d.iommufd);
	ASSERT_EQ(0, ifd_dev_bind(&d)) TH_LOG("%s", d.err);
	ASSERT_EQ(0, ioas_alloc(d.iommufd, &ioas));
	ASSERT_EQ(0, ioas_map(d.iommufd, ioas, self->src, psz, IOVA_SRC));
	ASSERT_EQ(0, ioas_map(d.iommufd, ioas, self->dst, psz, IOVA_DST));
	ASSERT_EQ(0, hwpt_alloc(d.iommufd, IOMMU_HWPT_ALLOC_PASID, d.dev_id,
				ioas, &hwpt));
	ASSERT_EQ(0, dev_attach(d.devfd, RID, hwpt, NULL));
	ASSERT_EQ(0, dev_attach(d.devfd, 1, hwpt, NULL));
	pattern_fill(self->src, XFER, 3);
	ASSERT_EQ(0, edu_copy(&d, IOVA_SRC, IOVA_DST, XFER));
	ASSERT_TRUE(pattern_check(self->dst, XFER, 3));
	ASSERT_EQ(-EBUSY, obj_destroy(d.iommufd, hwpt));
	bar = d.bar;
	ASSERT_EQ(EDU_ID, read_or_sigbus(bar));

	/* The device goes, the files stay open. */
	if (self->hotplug) {
		ask_host("device_del %s", self->id);
	} else {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove",
			 d.bdf);
		ASSERT_EQ(0, file_write(path, "1\n"));
	}
	ASSERT_EQ(0, wait_present(d.bdf, 0))
		TH_LOG("%s still there after %d ms (vmtest.py --monitor?)",
		       d.bdf, GONE_MS);
	/* The knobs went with the device. */
	d.knobs_set = 0;

	ASSERT_EQ(-1, read_or_sigbus(bar));
	bind.iommufd = d.iommufd;
	ASSERT_EQ(-ENODEV, xioctl(d.devfd, IOMMUFD_PCI_BIND, &bind));
	at.pt_id = hwpt;
	ASSERT_EQ(-ENODEV, xioctl(d.devfd, IOMMUFD_PCI_ATTACH, &at));
	ASSERT_EQ(-ENODEV, xioctl(d.devfd, IOMMUFD_PCI_DETACH, &de));
	ASSERT_EQ(-ENODEV, xioctl(d.devfd, VFIO_DEVICE_GET_INFO, &info));
	ASSERT_EQ(-ENODEV, pread(d.devfd, &info, 4, 0) < 0 ? -errno : 0);
	ASSERT_EQ(MAP_FAILED, mmap(NULL, psz, PROT_READ, MAP_SHARED,
				   d.devfd, 0));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-ENOENT, hw_info_vtd(d.iommufd, d.dev_id, &vtd));
	/* Nothing holds the HWPT or the IOAS any more. */
	ASSERT_EQ(0, obj_destroy(d.iommufd, hwpt));
	ASSERT_EQ(0, obj_destroy(d.iommufd, ioas));
	ASSERT_EQ(0, munmap(bar, EDU_BAR_LEN));
	d.bar = NULL;
	ASSERT_EQ(0, close(d.devfd));
	d.devfd = -1;
	ASSERT_EQ(0, close(d.iommufd));
	d.iommufd = -1;

	/* It comes back, and works. */
	if (self->hotplug)
		ask_host(EDU_ADD, self->id);
	else
		ASSERT_EQ(0, file_write("/sys/bus/pci/rescan", "1\n"));
	ASSERT_EQ(0, wait_present(d.bdf, 1));
	ASSERT_EQ(0, bind_when_added(d.bdf));
	ASSERT_TRUE(dma_works(d.bdf, self->src, self->dst, 4));
}

TEST_HARNESS_MAIN
