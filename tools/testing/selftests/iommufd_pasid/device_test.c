// SPDX-License-Identifier: GPL-2.0
/*
 * Device objects and the iommufd_pci node: QEMU's edu device handed to
 * iommufd_pci, its /dev/iommufd/<BDF> node, IOMMUFD_PCI_BIND, device
 * objects in /dev/iommu contexts, IOMMU_GET_HW_INFO, the BAR 0 mapping and
 * removal of the device while its node is open.  Attaching is tested by
 * the end-to-end tests.
 *
 * Every test gives edu to iommufd_pci first and gives it back to the
 * driver it had (usually none) afterwards.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/iommufd_pci.h>

#include "kselftest_harness.h"

#define NOBODY		65534
#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8
#define EDU_ID_REG	0x00	/* reads 0x010000ed: version 1.0, "ed" */
#define EDU_ID		0x010000edU
#define EDU_LIVE_REG	0x04	/* reads back the complement of a write */
#define EDU_BAR_LEN	0x100000
#define PCI_DEVICES	"/sys/bus/pci/devices"
#define PCI_DRIVERS	"/sys/bus/pci/drivers"
#define PCI_CMD_MASTER	0x4
#define VTD_COUNTERS	"/sys/kernel/debug/vtd_sm/dmar0/counters"
#define BIND_MINSZ	sizeof(struct iommufd_pci_bind)
/* struct iommu_hw_info up to __reserved, as first released */
#define HW_INFO_V1_SIZE	offsetof(struct iommu_hw_info, out_capabilities)

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static int write_str(const char *path, const char *s)
{
	ssize_t n, len = strlen(s);
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	if (n < 0)
		n = -errno;
	close(fd);
	return n == len ? 0 : (n < 0 ? n : -EIO);
}

static unsigned long read_hex(const char *path)
{
	char buf[64] = "";
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return ~0UL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtoul(buf, NULL, 16) : ~0UL;
}

/* Finds edu's PCI name; 0 if found. */
static int edu_find(char *bdf, size_t len)
{
	char path[512];
	struct dirent *de;
	int rc = -ENODEV;
	DIR *d = opendir(PCI_DEVICES);

	if (!d)
		return -ENODEV;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/vendor",
			 de->d_name);
		if (read_hex(path) != EDU_VENDOR)
			continue;
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/device",
			 de->d_name);
		if (read_hex(path) != EDU_DEVICE)
			continue;
		snprintf(bdf, len, "%.63s", de->d_name);
		rc = 0;
		break;
	}
	closedir(d);
	return rc;
}

/* The name of the driver @bdf is bound to, "" if none. */
static void driver_of(const char *bdf, char *name, size_t len)
{
	char path[512], link[512];
	ssize_t n;
	char *s;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	name[0] = 0;
	if (n <= 0)
		return;
	link[n] = 0;
	s = strrchr(link, '/');
	snprintf(name, len, "%.63s", s ? s + 1 : link);
}

static int driver_unbind(const char *bdf)
{
	char path[512];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver/unbind", bdf);
	return write_str(path, bdf);
}

/* Binds @bdf to iommufd_pci the way an administrator would. */
static int give_to_iommufd_pci(const char *bdf)
{
	char path[512];
	int rc;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override", bdf);
	rc = write_str(path, "iommufd_pci");
	if (rc)
		return rc;
	return write_str(PCI_DEVICES "/../drivers_probe", bdf);
}

static int pci_command(const char *bdf)
{
	char path[512];
	__u16 cmd = 0;
	int fd;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/config", bdf);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	if (pread(fd, &cmd, sizeof(cmd), 4) != sizeof(cmd))
		cmd = 0xffff;
	close(fd);
	return cmd;
}

/* cap and ecap of the unit, as vtd_sm shows them in debugfs. */
static int vtd_regs(__u64 *cap, __u64 *ecap)
{
	char line[128];
	int found = 0;
	FILE *f = fopen(VTD_COUNTERS, "r");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v;

		if (sscanf(line, "cap: %llx", &v) == 1) {
			*cap = v;
			found |= 1;
		} else if (sscanf(line, "ecap: %llx", &v) == 1) {
			*ecap = v;
			found |= 2;
		}
	}
	fclose(f);
	return found == 3 ? 0 : -ENOENT;
}

static int dev_bind(int devfd, int iommufd, __u32 *dev_id)
{
	struct iommufd_pci_bind bind = {
		.argsz = sizeof(bind),
		.iommufd = iommufd,
	};
	int rc = xioctl(devfd, IOMMUFD_PCI_BIND, &bind);

	if (!rc)
		*dev_id = bind.out_devid;
	return rc;
}

static int destroy(int fd, __u32 id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return xioctl(fd, IOMMU_DESTROY, &cmd);
}

static int ioas_alloc(int fd, __u32 *id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int rc = xioctl(fd, IOMMU_IOAS_ALLOC, &cmd);

	if (!rc)
		*id = cmd.out_ioas_id;
	return rc;
}

static int hwpt_alloc(int fd, __u32 dev_id, __u32 pt_id, __u32 *hwpt)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = dev_id,
		.pt_id = pt_id,
	};
	int rc = xioctl(fd, IOMMU_HWPT_ALLOC, &cmd);

	if (!rc)
		*hwpt = cmd.out_hwpt_id;
	return rc;
}

/* Attaches @pt_id to the RID; the HWPT attached returned in *@out. */
static int attach_rid(int devfd, __u32 pt_id, __u32 *out)
{
	struct iommufd_pci_attach at = {
		.argsz = offsetof(struct iommufd_pci_attach, pasid),
		.pt_id = pt_id,
	};
	int rc = xioctl(devfd, IOMMUFD_PCI_ATTACH, &at);

	if (!rc && out)
		*out = at.pt_id;
	return rc;
}

static int detach_rid(int devfd)
{
	struct iommufd_pci_detach de = {
		.argsz = offsetof(struct iommufd_pci_detach, pasid),
	};

	return xioctl(devfd, IOMMUFD_PCI_DETACH, &de);
}

static int hw_info(int fd, __u32 dev_id, void *data, __u32 len,
		   struct iommu_hw_info *out)
{
	*out = (struct iommu_hw_info) {
		.size = sizeof(*out),
		.dev_id = dev_id,
		.data_len = len,
		.data_uptr = (uintptr_t)data,
	};
	return xioctl(fd, IOMMU_GET_HW_INFO, out);
}

FIXTURE(device) {
	char bdf[64];
	char node[128];
	char orig_driver[64];
	int iommufd;
	int devfd;
};

FIXTURE_SETUP(device)
{
	self->iommufd = -1;
	self->devfd = -1;
	if (edu_find(self->bdf, sizeof(self->bdf)))
		SKIP(return, "no edu device (%04x:%04x)", EDU_VENDOR,
		     EDU_DEVICE);
	snprintf(self->node, sizeof(self->node), "/dev/iommufd/%s", self->bdf);
	driver_of(self->bdf, self->orig_driver, sizeof(self->orig_driver));
	if (!strcmp(self->orig_driver, "iommufd_pci"))
		self->orig_driver[0] = 0;
	else if (self->orig_driver[0])
		ASSERT_EQ(0, driver_unbind(self->bdf));
	ASSERT_EQ(0, give_to_iommufd_pci(self->bdf));
	self->iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->iommufd);
}

FIXTURE_TEARDOWN(device)
{
	char path[512], drv[64];

	if (self->devfd >= 0)
		close(self->devfd);
	if (self->iommufd >= 0)
		close(self->iommufd);
	if (!self->bdf[0])
		return;
	driver_of(self->bdf, drv, sizeof(drv));
	if (!strcmp(drv, "iommufd_pci"))
		EXPECT_EQ(0, driver_unbind(self->bdf));
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override",
		 self->bdf);
	EXPECT_EQ(0, write_str(path, "\n"));
	if (self->orig_driver[0]) {
		snprintf(path, sizeof(path), PCI_DRIVERS "/%s/bind",
			 self->orig_driver);
		EXPECT_EQ(0, write_str(path, self->bdf));
	}
}

/* Opens @node into *@devfd; 0 or -errno. */
static int open_node(const char *node, int *devfd)
{
	*devfd = open(node, O_RDWR);
	return *devfd < 0 ? -errno : 0;
}

/* Opens @node unless *@devfd is open, binds it; the device ID or 0. */
static __u32 bind_node(const char *node, int *devfd, int iommufd)
{
	__u32 dev_id = 0;

	if (*devfd < 0 && open_node(node, devfd))
		return 0;
	if (dev_bind(*devfd, iommufd, &dev_id))
		return 0;
	return dev_id;
}

#define OPEN_NODE()	open_node(self->node, &self->devfd)
#define BIND_NODE()	bind_node(self->node, &self->devfd, self->iommufd)

/* One access each, of 32 bits, as edu's registers want. */
static __u32 mmio_read32(const void *bar, unsigned int off)
{
	return __atomic_load_n((const __u32 *)((const char *)bar + off),
			       __ATOMIC_RELAXED);
}

static void mmio_write32(void *bar, unsigned int off, __u32 val)
{
	__atomic_store_n((__u32 *)((char *)bar + off), val,
			 __ATOMIC_RELAXED);
}

TEST_F(device, node)
{
	char drv[64];
	struct stat st;

	driver_of(self->bdf, drv, sizeof(drv));
	ASSERT_STREQ("iommufd_pci", drv);
	ASSERT_EQ(0, stat(self->node, &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	ASSERT_EQ(0600U, st.st_mode & 07777);
	ASSERT_EQ(0U, st.st_uid);

	/* The node goes with the driver and comes back with it. */
	ASSERT_EQ(0, driver_unbind(self->bdf));
	ASSERT_EQ(-1, stat(self->node, &st));
	ASSERT_EQ(ENOENT, errno);
	ASSERT_EQ(0, give_to_iommufd_pci(self->bdf));
	ASSERT_EQ(0, stat(self->node, &st));
}

TEST_F(device, non_root)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int bad = 0;

		if (setgid(NOBODY) || setuid(NOBODY))
			_exit(100);
		if (open("/dev/iommu", O_RDWR) >= 0 || errno != EACCES)
			bad |= 1;
		if (open(self->node, O_RDWR) >= 0 || errno != EACCES)
			bad |= 2;
		_exit(bad);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
}

TEST_F(device, one_open)
{
	int fd;

	ASSERT_EQ(0, OPEN_NODE());
	fd = open(self->node, O_RDWR);
	ASSERT_EQ(-1, fd);
	ASSERT_EQ(EBUSY, errno);
	ASSERT_EQ(0, close(self->devfd));
	self->devfd = -1;
	ASSERT_EQ(0, OPEN_NODE());
}

TEST_F(device, bind_errors)
{
	struct iommufd_pci_bind bind = {
		.argsz = sizeof(bind),
		.iommufd = self->iommufd,
	};
	struct iommufd_pci_attach attach = {
		.argsz = sizeof(attach),
	};
	struct iommufd_pci_detach detach = {
		.argsz = sizeof(detach),
	};
	int nullfd;

	ASSERT_EQ(0, OPEN_NODE());

	/* Nothing but BIND before the device is bound. */
	ASSERT_EQ(-EINVAL, xioctl(self->devfd, IOMMUFD_PCI_ATTACH, &attach));
	ASSERT_EQ(-EINVAL, xioctl(self->devfd, IOMMUFD_PCI_DETACH, &detach));
	ASSERT_EQ(-ENOTTY, xioctl(self->devfd, _IO(';', 99), &bind));
	ASSERT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED,
				   self->devfd, 0));
	ASSERT_EQ(EINVAL, errno);

	bind.argsz = BIND_MINSZ - 1;
	ASSERT_EQ(-EINVAL, xioctl(self->devfd, IOMMUFD_PCI_BIND, &bind));
	bind.argsz = sizeof(bind);
	bind.flags = 1;
	ASSERT_EQ(-EINVAL, xioctl(self->devfd, IOMMUFD_PCI_BIND, &bind));
	bind.flags = 0;
	bind.iommufd = -1;
	ASSERT_EQ(-EINVAL, xioctl(self->devfd, IOMMUFD_PCI_BIND, &bind));
	/* A number that is no open file */
	bind.iommufd = 1000;
	ASSERT_EQ(-EBADF, xioctl(self->devfd, IOMMUFD_PCI_BIND, &bind));
	/* Open files that are not /dev/iommu */
	nullfd = open("/dev/null", O_RDWR);
	ASSERT_LE(0, nullfd);
	bind.iommufd = nullfd;
	ASSERT_EQ(-EBADFD, xioctl(self->devfd, IOMMUFD_PCI_BIND, &bind));
	close(nullfd);
	bind.iommufd = self->devfd;
	ASSERT_EQ(-EBADFD, xioctl(self->devfd, IOMMUFD_PCI_BIND, &bind));
	ASSERT_EQ(-EFAULT, xioctl(self->devfd, IOMMUFD_PCI_BIND, NULL));

	/* None of that bound anything: a good bind works. */
	bind.iommufd = self->iommufd;
	bind.out_devid = 0;
	ASSERT_EQ(0, xioctl(self->devfd, IOMMUFD_PCI_BIND, &bind));
	ASSERT_NE(0U, bind.out_devid);
}

TEST_F(device, double_bind)
{
	__u32 dev_id, dev_id2 = 0;
	int other;

	dev_id = BIND_NODE();
	ASSERT_NE(0U, dev_id);
	ASSERT_EQ(-EBUSY, dev_bind(self->devfd, self->iommufd, &dev_id2));
	other = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, other);
	ASSERT_EQ(-EBUSY, dev_bind(self->devfd, other, &dev_id2));
	ASSERT_EQ(0U, dev_id2);
	close(other);
}

/* Bus mastering is on exactly while the device is bound. */
TEST_F(device, bus_master)
{
	ASSERT_EQ(0, OPEN_NODE());
	ASSERT_EQ(0, pci_command(self->bdf) & PCI_CMD_MASTER);
	ASSERT_NE(0U, BIND_NODE());
	ASSERT_EQ(PCI_CMD_MASTER, pci_command(self->bdf) & PCI_CMD_MASTER);
	ASSERT_EQ(0, close(self->devfd));
	self->devfd = -1;
	ASSERT_EQ(0, pci_command(self->bdf) & PCI_CMD_MASTER);
}

TEST_F(device, destroy_bound)
{
	struct iommu_hw_info info;
	__u32 dev_id;

	dev_id = BIND_NODE();
	ASSERT_NE(0U, dev_id);
	ASSERT_EQ(-EBUSY, destroy(self->iommufd, dev_id));
	/* Still there */
	ASSERT_EQ(0, hw_info(self->iommufd, dev_id, NULL, 0, &info));

	/* Closing the node unbinds: the ID is gone. */
	ASSERT_EQ(0, close(self->devfd));
	self->devfd = -1;
	ASSERT_EQ(-ENOENT, hw_info(self->iommufd, dev_id, NULL, 0, &info));
	ASSERT_EQ(-ENOENT, destroy(self->iommufd, dev_id));

	/* The device can be bound again, to the same context. */
	ASSERT_NE(0U, BIND_NODE());
}

TEST_F(device, hw_info)
{
	struct iommu_hw_info_vtd vtd;
	struct iommu_hw_info info;
	__u64 cap, ecap;
	__u32 dev_id;

	ASSERT_EQ(0, vtd_regs(&cap, &ecap));
	dev_id = BIND_NODE();
	ASSERT_NE(0U, dev_id);

	memset(&vtd, 0xa5, sizeof(vtd));
	memset(&info, 0xa5, sizeof(info));
	ASSERT_EQ(0, hw_info(self->iommufd, dev_id, &vtd, sizeof(vtd), &info));
	ASSERT_EQ((__u32)IOMMU_HW_INFO_TYPE_INTEL_VTD, info.out_data_type);
	ASSERT_EQ(sizeof(vtd), info.data_len);
	ASSERT_EQ(0U, vtd.__reserved);
	ASSERT_EQ(cap, vtd.cap_reg);
	ASSERT_EQ(ecap, vtd.ecap_reg);
	/* edu has no PASID capability */
	ASSERT_EQ(0, info.out_max_pasid_log2);
	ASSERT_EQ(0ULL, info.out_capabilities &
		  (IOMMU_HW_CAP_PCI_PASID_EXEC | IOMMU_HW_CAP_PCI_PASID_PRIV));
	ASSERT_EQ(0ULL, info.out_capabilities &
		  ~(__u64)(IOMMU_HW_CAP_DIRTY_TRACKING |
			   IOMMU_HW_CAP_PCI_PASID_EXEC |
			   IOMMU_HW_CAP_PCI_PASID_PRIV));

	/* Asking for the type the driver has, or for its default */
	info.flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE;
	info.in_data_type = IOMMU_HW_INFO_TYPE_INTEL_VTD;
	info.data_len = sizeof(vtd);
	ASSERT_EQ(0, xioctl(self->iommufd, IOMMU_GET_HW_INFO, &info));
	ASSERT_EQ((__u32)IOMMU_HW_INFO_TYPE_INTEL_VTD, info.out_data_type);
	info.in_data_type = IOMMU_HW_INFO_TYPE_DEFAULT;
	ASSERT_EQ(0, xioctl(self->iommufd, IOMMU_GET_HW_INFO, &info));
	ASSERT_EQ((__u32)IOMMU_HW_INFO_TYPE_INTEL_VTD, info.out_data_type);
	/* A type this driver does not report */
	info.in_data_type = IOMMU_HW_INFO_TYPE_INTEL_VTD + 1;
	ASSERT_EQ(-EOPNOTSUPP, xioctl(self->iommufd, IOMMU_GET_HW_INFO,
				      &info));
	/* Without the flag, the field is output only. */
	info.flags = 0;
	info.in_data_type = IOMMU_HW_INFO_TYPE_INTEL_VTD + 1;
	ASSERT_EQ(0, xioctl(self->iommufd, IOMMU_GET_HW_INFO, &info));
	ASSERT_EQ((__u32)IOMMU_HW_INFO_TYPE_INTEL_VTD, info.out_data_type);
}

TEST_F(device, hw_info_data_len)
{
	const size_t vlen = sizeof(struct iommu_hw_info_vtd);
	struct iommu_hw_info_vtd *vtd;
	struct iommu_hw_info info;
	unsigned char buf[64];
	__u64 cap, ecap;
	__u32 dev_id;
	size_t i;

	ASSERT_EQ(0, vtd_regs(&cap, &ecap));
	dev_id = BIND_NODE();
	ASSERT_NE(0U, dev_id);

	/* Shorter buffer: truncated, the rest untouched, full length out */
	memset(buf, 0xa5, sizeof(buf));
	ASSERT_EQ(0, hw_info(self->iommufd, dev_id, buf, 16, &info));
	ASSERT_EQ(vlen, info.data_len);
	vtd = (void *)buf;
	ASSERT_EQ(0U, vtd->flags);
	ASSERT_EQ(cap, vtd->cap_reg);
	for (i = 16; i < sizeof(buf); i++)
		ASSERT_EQ(0xa5, buf[i]);

	/* Longer buffer: the tail is zeroed */
	memset(buf, 0xa5, sizeof(buf));
	ASSERT_EQ(0, hw_info(self->iommufd, dev_id, buf, sizeof(buf), &info));
	ASSERT_EQ(vlen, info.data_len);
	ASSERT_EQ(ecap, vtd->ecap_reg);
	for (i = vlen; i < sizeof(buf); i++)
		ASSERT_EQ(0, buf[i]);

	/* No buffer: just the length */
	ASSERT_EQ(0, hw_info(self->iommufd, dev_id, NULL, 0, &info));
	ASSERT_EQ(vlen, info.data_len);
	ASSERT_EQ((__u32)IOMMU_HW_INFO_TYPE_INTEL_VTD, info.out_data_type);

	/* A buffer that is not there */
	ASSERT_EQ(-EFAULT, hw_info(self->iommufd, dev_id, (void *)8, vlen,
				   &info));
}

TEST_F(device, hw_info_errors)
{
	struct iommu_hw_info info;
	struct {
		struct iommu_hw_info info;
		__u64 after;
	} big;
	__u32 dev_id, ioas;

	dev_id = BIND_NODE();
	ASSERT_NE(0U, dev_id);
	ASSERT_EQ(0, ioas_alloc(self->iommufd, &ioas));

	ASSERT_EQ(0, hw_info(self->iommufd, dev_id, NULL, 0, &info));
	info.flags = 1U << 1;
	ASSERT_EQ(-EOPNOTSUPP, xioctl(self->iommufd, IOMMU_GET_HW_INFO, &info));
	info.flags = 0;
	info.__reserved[2] = 1;
	ASSERT_EQ(-EOPNOTSUPP, xioctl(self->iommufd, IOMMU_GET_HW_INFO, &info));
	info.__reserved[2] = 0;

	/* Not a device, or no object at all */
	info.dev_id = ioas;
	ASSERT_EQ(-ENOENT, xioctl(self->iommufd, IOMMU_GET_HW_INFO, &info));
	info.dev_id = 0;
	ASSERT_EQ(-ENOENT, xioctl(self->iommufd, IOMMU_GET_HW_INFO, &info));
	info.dev_id = dev_id;

	/* Sizes: too small, the first version, larger with zeroes or not */
	info.size = HW_INFO_V1_SIZE - 1;
	ASSERT_EQ(-EINVAL, xioctl(self->iommufd, IOMMU_GET_HW_INFO, &info));
	memset(&info, 0xa5, sizeof(info));
	info.size = HW_INFO_V1_SIZE;
	info.flags = 0;
	info.dev_id = dev_id;
	info.data_len = 0;
	info.data_uptr = 0;
	memset(info.__reserved, 0, sizeof(info.__reserved));
	ASSERT_EQ(0, xioctl(self->iommufd, IOMMU_GET_HW_INFO, &info));
	ASSERT_EQ((__u32)IOMMU_HW_INFO_TYPE_INTEL_VTD, info.out_data_type);
	/* Not written beyond the size userspace gave */
	ASSERT_EQ(0xa5a5a5a5a5a5a5a5ULL, info.out_capabilities);

	memset(&big, 0, sizeof(big));
	big.info.size = sizeof(big);
	big.info.dev_id = dev_id;
	ASSERT_EQ(0, xioctl(self->iommufd, IOMMU_GET_HW_INFO, &big));
	big.after = 1;
	ASSERT_EQ(-E2BIG, xioctl(self->iommufd, IOMMU_GET_HW_INFO, &big));
}

/* IDs mean nothing in another context. */
TEST_F(device, two_contexts)
{
	struct iommu_hw_info info;
	__u32 dev_id, ioas;
	int other;

	dev_id = BIND_NODE();
	ASSERT_NE(0U, dev_id);
	other = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, other);

	ASSERT_EQ(-ENOENT, hw_info(other, dev_id, NULL, 0, &info));
	ASSERT_EQ(-ENOENT, destroy(other, dev_id));
	/* The same number names an IOAS there */
	do {
		ASSERT_EQ(0, ioas_alloc(other, &ioas));
	} while (ioas < dev_id);
	ASSERT_EQ(dev_id, ioas);
	ASSERT_EQ(-ENOENT, hw_info(other, ioas, NULL, 0, &info));
	ASSERT_EQ(0, destroy(other, ioas));
	ASSERT_EQ(0, hw_info(self->iommufd, dev_id, NULL, 0, &info));
	close(other);
}

/*
 * The binding keeps its context: closing /dev/iommu first leaves the
 * device bound, with objects alive, until the node is closed.  kmemleak
 * at the end of the run checks that nothing is left behind.
 */
TEST_F(device, close_order)
{
	size_t len = 16 * getpagesize();
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.length = len,
	};
	int other, round;
	__u32 dev_id;
	void *buf;

	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	map.user_va = (uintptr_t)buf;

	for (round = 0; round < 2; round++) {
		dev_id = BIND_NODE();
		ASSERT_NE(0U, dev_id);
		ASSERT_EQ(0, ioas_alloc(self->iommufd, &map.ioas_id));
		ASSERT_EQ(0, xioctl(self->iommufd, IOMMU_IOAS_MAP, &map));
		if (round == 0) {
			/* The context first: the device stays bound. */
			ASSERT_EQ(0, close(self->iommufd));
			other = open("/dev/iommu", O_RDWR);
			ASSERT_LE(0, other);
			ASSERT_EQ(-EBUSY, dev_bind(self->devfd, other, &dev_id));
			/* Its IOAS is still there to attach */
			ASSERT_EQ(0, attach_rid(self->devfd, map.ioas_id, NULL));
			ASSERT_EQ(0, close(self->devfd));
		} else {
			/* The node first: the context is still usable. */
			ASSERT_EQ(0, close(self->devfd));
			ASSERT_EQ(-ENOENT, destroy(self->iommufd, dev_id));
			ASSERT_EQ(0, destroy(self->iommufd, map.ioas_id));
			ASSERT_EQ(0, close(self->iommufd));
			other = open("/dev/iommu", O_RDWR);
			ASSERT_LE(0, other);
		}
		self->devfd = -1;
		self->iommufd = other;
	}
	munmap(buf, len);
}

/*
 * Unbinding while another process keeps asking about the device: each
 * query sees the device or ENOENT, never anything else, and unbinding
 * waits for the queries in flight (KASAN in the debug kernel watches).
 */
TEST_F(device, unbind_races_queries)
{
	int round, status;

	for (round = 0; round < 20; round++) {
		__u32 dev_id = BIND_NODE();
		pid_t pid;

		ASSERT_NE(0U, dev_id);
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			struct iommu_hw_info info;
			int rc, n;

			close(self->devfd);
			for (n = 0; n < 1000000; n++) {
				rc = hw_info(self->iommufd, dev_id, NULL, 0,
					     &info);
				if (rc == -ENOENT)
					_exit(0);
				if (rc)
					_exit(1);
			}
			_exit(2);
		}
		usleep(round * 100);
		ASSERT_EQ(0, close(self->devfd));
		self->devfd = -1;
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		ASSERT_EQ(0, WEXITSTATUS(status));
	}
}

TEST_F(device, attach_args)
{
	struct iommufd_pci_attach at = { .argsz = sizeof(at) };
	struct iommufd_pci_detach de = { .argsz = sizeof(de) };
	__u32 ioas, hwpt = 0;

	ASSERT_NE(0U, BIND_NODE());
	ASSERT_EQ(0, ioas_alloc(self->iommufd, &ioas));
	at.pt_id = ioas;

	at.argsz = offsetof(struct iommufd_pci_attach, pt_id);
	ASSERT_EQ(-EINVAL, xioctl(self->devfd, IOMMUFD_PCI_ATTACH, &at));
	at.argsz = offsetof(struct iommufd_pci_attach, pasid);
	at.flags = IOMMUFD_PCI_ATTACH_PASID;
	ASSERT_EQ(-EINVAL, xioctl(self->devfd, IOMMUFD_PCI_ATTACH, &at));
	at.argsz = sizeof(at);
	at.flags = 1U << 1;
	ASSERT_EQ(-EINVAL, xioctl(self->devfd, IOMMUFD_PCI_ATTACH, &at));
	at.flags = 0;
	at.pt_id = 0;
	ASSERT_EQ(-ENOENT, xioctl(self->devfd, IOMMUFD_PCI_ATTACH, &at));
	ASSERT_EQ(-EFAULT, xioctl(self->devfd, IOMMUFD_PCI_ATTACH, NULL));

	de.argsz = offsetof(struct iommufd_pci_detach, flags);
	ASSERT_EQ(-EINVAL, xioctl(self->devfd, IOMMUFD_PCI_DETACH, &de));
	de.argsz = offsetof(struct iommufd_pci_detach, pasid);
	de.flags = IOMMUFD_PCI_DETACH_PASID;
	ASSERT_EQ(-EINVAL, xioctl(self->devfd, IOMMUFD_PCI_DETACH, &de));
	de.argsz = sizeof(de);
	de.flags = 1U << 1;
	ASSERT_EQ(-EINVAL, xioctl(self->devfd, IOMMUFD_PCI_DETACH, &de));

	/* Detaching what holds nothing is fine, the RID or a PASID */
	ASSERT_EQ(0, detach_rid(self->devfd));
	de.flags = IOMMUFD_PCI_DETACH_PASID;
	de.pasid = 3;
	ASSERT_EQ(0, xioctl(self->devfd, IOMMUFD_PCI_DETACH, &de));

	/* The 12-byte form attaches the RID; the HWPT comes back */
	ASSERT_EQ(0, attach_rid(self->devfd, ioas, &hwpt));
	ASSERT_NE(0U, hwpt);
	ASSERT_NE(ioas, hwpt);
	ASSERT_EQ(-EBUSY, destroy(self->iommufd, ioas));
	ASSERT_EQ(0, detach_rid(self->devfd));
	ASSERT_EQ(0, detach_rid(self->devfd));
	/* The automatic HWPT went with its attachment */
	ASSERT_EQ(-ENOENT, destroy(self->iommufd, hwpt));
	ASSERT_EQ(0, destroy(self->iommufd, ioas));
}

/* A second attach where a HWPT is attached is a replace. */
TEST_F(device, attach_replaces)
{
	__u32 dev_id, ioas, hwpt, auto_hwpt = 0, out = 0;

	dev_id = BIND_NODE();
	ASSERT_NE(0U, dev_id);
	ASSERT_EQ(0, ioas_alloc(self->iommufd, &ioas));
	ASSERT_EQ(0, hwpt_alloc(self->iommufd, dev_id, ioas, &hwpt));

	ASSERT_EQ(0, attach_rid(self->devfd, ioas, &auto_hwpt));
	ASSERT_NE(hwpt, auto_hwpt);
	ASSERT_EQ(0, attach_rid(self->devfd, hwpt, &out));
	ASSERT_EQ(hwpt, out);
	/* The automatic HWPT was released, the new one is held */
	ASSERT_EQ(-ENOENT, destroy(self->iommufd, auto_hwpt));
	ASSERT_EQ(-EBUSY, destroy(self->iommufd, hwpt));
	/* The same HWPT again: nothing changes */
	ASSERT_EQ(0, attach_rid(self->devfd, hwpt, &out));
	ASSERT_EQ(hwpt, out);
	/* A failed replace leaves the HWPT attached */
	ASSERT_EQ(-ENOENT, attach_rid(self->devfd, 0, NULL));
	ASSERT_EQ(-EBUSY, destroy(self->iommufd, hwpt));

	ASSERT_EQ(0, detach_rid(self->devfd));
	ASSERT_EQ(0, destroy(self->iommufd, hwpt));
	/* Attached again from nothing: an attach, not a replace */
	ASSERT_EQ(0, attach_rid(self->devfd, ioas, &out));
	ASSERT_NE(0U, out);
}

/* pt_id cannot be written back: EFAULT, and nothing stays attached. */
TEST_F(device, attach_efault)
{
	struct iommufd_pci_attach *at;
	size_t psz = getpagesize();
	__u32 ioas;

	ASSERT_NE(0U, BIND_NODE());
	ASSERT_EQ(0, ioas_alloc(self->iommufd, &ioas));
	at = mmap(NULL, psz, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, at);
	*at = (struct iommufd_pci_attach) {
		.argsz = sizeof(*at),
		.pt_id = ioas,
	};
	ASSERT_EQ(0, mprotect(at, psz, PROT_READ));
	ASSERT_EQ(-EFAULT, xioctl(self->devfd, IOMMUFD_PCI_ATTACH, at));
	/* No automatic HWPT holds the IOAS */
	ASSERT_EQ(0, destroy(self->iommufd, ioas));
	munmap(at, psz);
}

TEST_F(device, mmap_bar)
{
	void *p;

	ASSERT_NE(0U, BIND_NODE());

	/* Private, past the end, or straddling it */
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, self->devfd, 0);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(EINVAL, errno);
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, self->devfd, EDU_BAR_LEN);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(EINVAL, errno);
	p = mmap(NULL, 2 * 4096, PROT_READ, MAP_SHARED, self->devfd,
		 EDU_BAR_LEN - 4096);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(EINVAL, errno);

	/* The whole BAR, and it is edu's */
	p = mmap(NULL, EDU_BAR_LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->devfd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(EDU_ID, mmio_read32(p, EDU_ID_REG));
	mmio_write32(p, EDU_LIVE_REG, 0x12345678);
	ASSERT_EQ(~0x12345678U, mmio_read32(p, EDU_LIVE_REG));
	munmap(p, EDU_BAR_LEN);
}

static sigjmp_buf sigbus_jmp;

static void on_sigbus(int sig)
{
	siglongjmp(sigbus_jmp, 1);
}

/* Reads edu's ID register; -1 if that raises SIGBUS. */
static long long read_or_sigbus(const void *bar)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	long long v;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(sigbus_jmp, 1))
		v = -1;
	else
		v = mmio_read32(bar, EDU_ID_REG);
	sigaction(SIGBUS, &old, NULL);
	return v;
}

/*
 * The device leaves the driver while its node is open, bound and mapped:
 * the binding ends, the mapping is revoked and the file only fails.
 */
TEST_F(device, remove_while_open)
{
	struct iommufd_pci_bind bind = {
		.argsz = sizeof(bind),
		.iommufd = self->iommufd,
	};
	struct iommufd_pci_attach attach = { .argsz = sizeof(attach) };
	struct iommu_hw_info info;
	struct stat st;
	__u32 dev_id;
	void *p;

	dev_id = BIND_NODE();
	ASSERT_NE(0U, dev_id);
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, self->devfd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(EDU_ID, read_or_sigbus(p));

	ASSERT_EQ(0, driver_unbind(self->bdf));
	ASSERT_EQ(-1, stat(self->node, &st));
	ASSERT_EQ(-1, read_or_sigbus(p));
	ASSERT_EQ(-ENOENT, hw_info(self->iommufd, dev_id, NULL, 0, &info));
	ASSERT_EQ(-ENODEV, xioctl(self->devfd, IOMMUFD_PCI_BIND, &bind));
	ASSERT_EQ(-ENODEV, xioctl(self->devfd, IOMMUFD_PCI_ATTACH, &attach));
	ASSERT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED,
				   self->devfd, 0));
	ASSERT_EQ(0, pci_command(self->bdf) & PCI_CMD_MASTER);
	munmap(p, 4096);
	ASSERT_EQ(0, close(self->devfd));
	self->devfd = -1;

	/* Back to the driver: a new node that works */
	ASSERT_EQ(0, give_to_iommufd_pci(self->bdf));
	ASSERT_NE(0U, BIND_NODE());
}

TEST_HARNESS_MAIN
