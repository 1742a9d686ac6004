/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the kselftests that drive a real device: QEMU's edu
 * (PCI 1234:11e8) handed to userspace through iommufd_pci, the ioctls of
 * /dev/iommu and /dev/iommufd/<BDF>, and the debug files of vtd_sm.
 *
 * Every helper that can fail returns 0 or a negative errno, so a test can
 * compare it with the errno it expects.
 */
#ifndef _IOMMUFD_UTILS_H
#define _IOMMUFD_UTILS_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/iommufd_pci.h>

#ifndef BIT_ULL
#define BIT_ULL(n)		(1ULL << (n))
#endif

#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8
/* edu registers in BAR 0 */
#define EDU_ID_REG		0x00	/* reads 0x010000ed: version 1.0, "ed" */
#define EDU_ID			0x010000edU
#define EDU_LIVE_REG		0x04	/* reads back the complement of a write */
#define EDU_DMA_SRC		0x80
#define EDU_DMA_DST		0x88
#define EDU_DMA_CNT		0x90
#define EDU_DMA_CMD		0x98
#define EDU_CMD_START		0x1	/* set to start; reads 1 while busy */
#define EDU_CMD_TO_RAM		0x2	/* 0: RAM -> edu, 1: edu -> RAM */
/* edu's internal buffer, in the device's own address space */
#define EDU_BUF			0x40000ULL
/* QEMU 7.2 aborts on a transfer that ends exactly at the buffer's end. */
#define EDU_XFER_MAX		2048
#define EDU_TIMEOUT_MS		5000

#define PCI_DRV			"/sys/bus/pci/drivers/iommufd_pci"
#define DEVNODE_DIR		"/dev/iommufd"
#define VTD_DEBUGFS		"/sys/kernel/debug/vtd_sm"
/* vtd_sm debug knobs of one device (debugfs, taint the kernel) */
#define VTD_KNOB_RID_PASID	"rid_pasid"
#define VTD_KNOB_PASID_BITS	"pasid_bits"
/* vtd_sm debug parameter: nest parents and nested entries without NEST */
#define VTD_DEBUG_NESTING	"/sys/module/vtd_sm/parameters/debug_nesting"

/* VT-d Extended Capability Register bits */
#define VTD_ECAP_NEST		BIT_ULL(26)
#define VTD_ECAP_SLTS		BIT_ULL(46)
#define VTD_ECAP_EAFS		BIT_ULL(52)
/* VT-d Capability Register: first-level 5-level paging */
#define VTD_CAP_FL5LP		BIT_ULL(60)

/* First-level (IA-32e format) paging entry bits */
#define FL_P			BIT_ULL(0)
#define FL_RW			BIT_ULL(1)
#define FL_US			BIT_ULL(2)
#define FL_A			BIT_ULL(5)
#define FL_D			BIT_ULL(6)
#define FL_ADDR_MASK		0x000ffffffffff000ULL

#define RW_MAP	(IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)

static inline int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* Anonymous, page-aligned, filled with @fill and so faulted in. */
static inline void *buf_alloc(size_t len, int fill)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, fill, len);
	return p;
}

/* ---- /dev/iommu ---- */

static inline int ioas_alloc(int fd, __u32 *id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int rc = xioctl(fd, IOMMU_IOAS_ALLOC, &cmd);

	if (!rc)
		*id = cmd.out_ioas_id;
	return rc;
}

static inline int obj_destroy(int fd, __u32 id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return xioctl(fd, IOMMU_DESTROY, &cmd);
}

static inline int ioas_map(int fd, __u32 ioas, void *va, __u64 len, __u64 iova)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = RW_MAP | IOMMU_IOAS_MAP_FIXED_IOVA,
		.ioas_id = ioas,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova,
	};

	return xioctl(fd, IOMMU_IOAS_MAP, &cmd);
}

static inline int ioas_unmap(int fd, __u32 ioas, __u64 iova, __u64 len)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.iova = iova,
		.length = len,
	};

	return xioctl(fd, IOMMU_IOAS_UNMAP, &cmd);
}

static inline int hwpt_alloc_data(int fd, __u32 flags, __u32 dev_id,
				  __u32 pt_id, __u32 data_type,
				  const void *data, __u32 data_len, __u32 *id)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.pt_id = pt_id,
		.data_type = data_type,
		.data_len = data_len,
		.data_uptr = (uintptr_t)data,
	};
	int rc = xioctl(fd, IOMMU_HWPT_ALLOC, &cmd);

	if (!rc && id)
		*id = cmd.out_hwpt_id;
	return rc;
}

/* A kernel-managed (paging) HWPT made from IOAS @ioas. */
static inline int hwpt_alloc(int fd, __u32 flags, __u32 dev_id, __u32 ioas,
			     __u32 *id)
{
	return hwpt_alloc_data(fd, flags, dev_id, ioas, IOMMU_HWPT_DATA_NONE,
			       NULL, 0, id);
}

/* A nested HWPT with a VT-d first-stage table over nest parent @parent. */
static inline int hwpt_alloc_vtd_s1(int fd, __u32 flags, __u32 dev_id,
				    __u32 parent, __u64 pgtbl_addr,
				    __u32 addr_width, __u64 s1_flags, __u32 *id)
{
	struct iommu_hwpt_vtd_s1 s1 = {
		.flags = s1_flags,
		.pgtbl_addr = pgtbl_addr,
		.addr_width = addr_width,
	};

	return hwpt_alloc_data(fd, flags, dev_id, parent,
			       IOMMU_HWPT_DATA_VTD_S1, &s1, sizeof(s1), id);
}

static inline int hwpt_invalidate(int fd, __u32 hwpt, const void *entries,
				  __u32 entry_len, __u32 *entry_num)
{
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.hwpt_id = hwpt,
		.data_uptr = (uintptr_t)entries,
		.data_type = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
		.entry_len = entry_len,
		.entry_num = *entry_num,
	};
	int rc = xioctl(fd, IOMMU_HWPT_INVALIDATE, &cmd);

	*entry_num = cmd.entry_num;
	return rc;
}

/* The VT-d registers GET_HW_INFO reports for @dev_id. */
static inline int hw_info_vtd(int fd, __u32 dev_id, struct iommu_hw_info_vtd *vtd)
{
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.dev_id = dev_id,
		.data_len = sizeof(*vtd),
		.data_uptr = (uintptr_t)vtd,
	};
	int rc = xioctl(fd, IOMMU_GET_HW_INFO, &cmd);

	if (!rc && cmd.out_data_type != IOMMU_HW_INFO_TYPE_INTEL_VTD)
		rc = -EPROTO;
	return rc;
}

/* ---- /dev/iommufd/<BDF> (VFIO device cdev ABI) ---- */

static inline int dev_bind(int devfd, int iommufd, __u32 *dev_id)
{
	struct iommufd_pci_bind cmd = {
		.argsz = sizeof(cmd),
		.iommufd = iommufd,
	};
	int rc = xioctl(devfd, IOMMUFD_PCI_BIND, &cmd);

	if (!rc)
		*dev_id = cmd.out_devid;
	return rc;
}

/*
 * Attach (or, if something is attached there already, replace) @pt_id on
 * the RID (@pasid < 0) or on PASID @pasid.  @out, if not NULL, gets the
 * ID of the HWPT attached.
 */
static inline int dev_attach(int devfd, long pasid, __u32 pt_id, __u32 *out)
{
	struct iommufd_pci_attach cmd = {
		.argsz = sizeof(cmd),
		.flags = pasid < 0 ? 0 : IOMMUFD_PCI_ATTACH_PASID,
		.pt_id = pt_id,
		.pasid = pasid < 0 ? 0 : (__u32)pasid,
	};
	int rc = xioctl(devfd, IOMMUFD_PCI_ATTACH, &cmd);

	if (!rc && out)
		*out = cmd.pt_id;
	return rc;
}

static inline int dev_detach(int devfd, long pasid)
{
	struct iommufd_pci_detach cmd = {
		.argsz = sizeof(cmd),
		.flags = pasid < 0 ? 0 : IOMMUFD_PCI_DETACH_PASID,
		.pasid = pasid < 0 ? 0 : (__u32)pasid,
	};

	return xioctl(devfd, IOMMUFD_PCI_DETACH, &cmd);
}

#define RID (-1L)

/* ---- sysfs / debugfs files ---- */

static inline int file_write(const char *path, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	ssize_t n;
	int fd, len;

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return (int)n;
	return n == len ? 0 : -EIO;
}

/* Reads the whole file (at most @len - 1 bytes) as a string. */
static inline int file_read(const char *path, char *buf, size_t len)
{
	ssize_t n, got = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -errno;
	while ((size_t)got < len - 1) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0) {
			n = -errno;
			close(fd);
			return (int)n;
		}
		if (!n)
			break;
		got += n;
	}
	buf[got] = 0;
	close(fd);
	return 0;
}

static inline int file_read_ull(const char *path, unsigned long long *val)
{
	char buf[64], *end;
	int rc = file_read(path, buf, sizeof(buf));

	if (rc)
		return rc;
	errno = 0;
	*val = strtoull(buf, &end, 0);
	return errno || end == buf ? -EPROTO : 0;
}

/* Sum of "faults: N" over every vtd_sm unit; -errno if none answered. */
static inline long long vtd_fault_count(void)
{
	long long sum = 0, n;
	char buf[2048];
	glob_t g;
	size_t i;
	char *p;
	int found = 0;

	if (glob(VTD_DEBUGFS "/*/counters", 0, NULL, &g))
		return -ENOENT;
	for (i = 0; i < g.gl_pathc; i++) {
		if (file_read(g.gl_pathv[i], buf, sizeof(buf)))
			continue;
		p = strstr(buf, "\nfaults: ");
		if (p && sscanf(p, "\nfaults: %lld", &n) == 1) {
			sum += n;
			found = 1;
		}
	}
	globfree(&g);
	return found ? sum : -ENOENT;
}

/* Waits (fault reporting is polled) until the count exceeds @before. */
static inline long long vtd_fault_wait(long long before)
{
	long long now = vtd_fault_count();
	int i;

	for (i = 0; i < 40 && now >= 0 && now <= before; i++) {
		usleep(50 * 1000);
		now = vtd_fault_count();
	}
	return now;
}

/* Path of a per-device vtd_sm debug knob: <debugfs>/vtd_sm/<BDF>/<knob>. */
static inline int vtd_knob_path(const char *bdf, const char *knob, char *path,
				size_t len)
{
	int n = snprintf(path, len, VTD_DEBUGFS "/%s/%s", bdf, knob);

	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return access(path, F_OK) ? -ENOENT : 0;
}

static inline int vtd_knob_set(const char *bdf, const char *knob,
			       unsigned long long val)
{
	char path[256];
	int rc = vtd_knob_path(bdf, knob, path, sizeof(path));

	return rc ? rc : file_write(path, "%llu\n", val);
}

static inline int vtd_knob_get(const char *bdf, const char *knob,
			       unsigned long long *val)
{
	char path[256];
	int rc = vtd_knob_path(bdf, knob, path, sizeof(path));

	return rc ? rc : file_read_ull(path, val);
}

/*
 * Asks vtd_sm's independent walker to translate a read of @addr by device
 * @bdf with PASID @pasid (without PASID for pasid < 0: RID_PASID selects
 * the entry).  @line gets the walker's answer.  Returns 0 and sets @phys
 * when the answer is "ok", -EFAULT when the walk faulted, another -errno
 * when it could not ask.
 */
static inline int vtd_translate(const char *bdf, long pasid, __u64 addr,
				__u64 *phys, char *line, size_t len)
{
	const char *path = VTD_DEBUGFS "/translate";
	unsigned long long pa;
	char *p, *end;
	int rc;

	line[0] = 0;
	if (pasid < 0)
		rc = file_write(path, "%s - %llx\n", bdf,
				(unsigned long long)addr);
	else
		rc = file_write(path, "%s %ld %llx\n", bdf, pasid,
				(unsigned long long)addr);
	if (!rc)
		rc = file_read(path, line, len);
	if (rc)
		return rc;
	if (!strncmp(line, "fault ", 6))
		return -EFAULT;
	p = strstr(line, " phys ");
	if (strncmp(line, "ok ", 3) || !p)
		return -EPROTO;
	errno = 0;
	pa = strtoull(p + 6, &end, 0);
	if (errno || end == p + 6)
		return -EPROTO;
	*phys = pa;
	return 0;
}

/* Physical address behind @va, from /proc/self/pagemap (needs root). */
static inline int virt_to_phys_user(const void *va, __u64 *pa)
{
	size_t psz = page_size();
	uintptr_t v = (uintptr_t)va;
	__u64 ent;
	ssize_t n;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		return -errno;
	n = pread(fd, &ent, sizeof(ent), (off_t)(v / psz * sizeof(ent)));
	close(fd);
	if (n != sizeof(ent))
		return -EIO;
	if (!(ent >> 63))
		return -ENXIO;		/* not present */
	ent &= BIT_ULL(55) - 1;	/* PFN: bits 0-54 */
	if (!ent)
		return -EPERM;		/* PFNs are hidden without root */
	*pa = ent * psz + v % psz;
	return 0;
}

/* ---- edu behind iommufd_pci ---- */

/**
 * struct ifd_dev - edu bound to an iommufd context
 * @bdf: PCI name of edu, e.g. 0000:00:03.0
 * @iommufd: open /dev/iommu
 * @devfd: open /dev/iommufd/<bdf>
 * @dev_id: edu's device ID in @iommufd
 * @bar: edu's BAR 0, mmap()ed through @devfd
 * @cmd_orig: edu's PCI command register before the test
 * @pasid_bits_orig: the pasid_bits knob before the test (if it was set)
 * @pasid_bits: the PASID width in bits the driver applied (if it was set)
 * @knobs_set: the test changed rid_pasid / pasid_bits
 * @nesting_set: the test turned vtd_sm's debug_nesting on
 * @err: what failed in ifd_dev_setup()
 */
struct ifd_dev {
	char bdf[32];
	int iommufd;
	int devfd;
	__u32 dev_id;
	void *bar;
	unsigned short cmd_orig;
	unsigned long long pasid_bits_orig;
	unsigned long long pasid_bits;
	int knobs_set;
	int nesting_set;
	char err[160];
};

#define EDU_BAR_LEN	4096

static inline int read_hex(const char *path, unsigned long *val)
{
	unsigned long long v;
	int rc = file_read_ull(path, &v);

	if (!rc)
		*val = v;
	return rc;
}

/* 1 if PCI device @name (a directory of /sys/bus/pci/devices) is edu. */
static inline int pci_is_edu(const char *name)
{
	unsigned long vendor, device;
	char path[300];

	if (name[0] == '.')
		return 0;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", name);
	if (read_hex(path, &vendor) || vendor != EDU_VENDOR)
		return 0;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", name);
	return !read_hex(path, &device) && device == EDU_DEVICE;
}

static sigjmp_buf mmio_sigbus_jmp;

static inline void mmio_on_sigbus(int sig)
{
	siglongjmp(mmio_sigbus_jmp, 1);
}

/* Reads a register through a mapping: 0, or -1 if the read got SIGBUS. */
static inline int mmio_try_rd32(const void *bar, unsigned int reg, __u32 *val)
{
	struct sigaction sa = { .sa_handler = mmio_on_sigbus }, old;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &old))
		return -2;
	if (sigsetjmp(mmio_sigbus_jmp, 1)) {
		sigaction(SIGBUS, &old, NULL);
		return -1;
	}
	*val = __atomic_load_n((const __u32 *)((const char *)bar + reg),
			       __ATOMIC_ACQUIRE);
	sigaction(SIGBUS, &old, NULL);
	return 0;
}

/* Reads edu's ID register through @bar; -1 if that raises SIGBUS. */
static inline long long read_or_sigbus(const void *bar)
{
	__u32 v;

	if (mmio_try_rd32(bar, EDU_ID_REG, &v))
		return -1;
	return v;
}

/* Number of the IOMMU group of @bdf, or -ENOENT. */
static inline long pci_iommu_group(const char *bdf)
{
	char path[300], link[300];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group",
		 bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return -ENOENT;
	link[n] = 0;
	return strtol(basename(link), NULL, 10);
}

static inline int edu_bdf_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * Two edus of one IOMMU group, lowest PCI names first, among those @want
 * accepts (all if @want is NULL); -ENODEV if there are none.
 */
static inline int edu_group_pair(char bdf[2][32], int (*want)(const char *))
{
	char all[16][32];
	struct dirent *de;
	int n = 0, i, j;
	DIR *d;

	d = opendir("/sys/bus/pci/devices");
	if (!d)
		return -ENODEV;
	while ((de = readdir(d)) && n < 16) {
		if (strlen(de->d_name) >= 32 || !pci_is_edu(de->d_name) ||
		    (want && !want(de->d_name)))
			continue;
		snprintf(all[n++], sizeof(all[0]), "%s", de->d_name);
	}
	closedir(d);
	qsort(all, n, sizeof(all[0]), edu_bdf_cmp);
	for (i = 0; i < n; i++) {
		for (j = i + 1; j < n; j++) {
			long g = pci_iommu_group(all[i]);

			if (g >= 0 && g == pci_iommu_group(all[j])) {
				snprintf(bdf[0], 32, "%s", all[i]);
				snprintf(bdf[1], 32, "%s", all[j]);
				return 0;
			}
		}
	}
	return -ENODEV;
}

/*
 * Finds edu, the one with the lowest PCI name if there are several (the
 * one on the root bus); -ENODEV if the machine has none.
 */
static inline int edu_find(char *bdf, size_t len)
{
	struct dirent *de;
	int rc = -ENODEV;
	DIR *d;

	d = opendir("/sys/bus/pci/devices");
	if (!d)
		return -ENODEV;
	while ((de = readdir(d))) {
		if (!pci_is_edu(de->d_name))
			continue;
		if (strlen(de->d_name) >= len)
			continue;
		if (!rc && strcmp(de->d_name, bdf) >= 0)
			continue;
		memcpy(bdf, de->d_name, strlen(de->d_name) + 1);
		rc = 0;
	}
	closedir(d);
	return rc;
}

/* Name of the driver bound to @bdf ("" if none). */
static inline void pci_driver_name(const char *bdf, char *name, size_t len)
{
	char path[300], link[300];
	ssize_t n;
	char *s;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	name[0] = 0;
	if (n <= 0)
		return;
	link[n] = 0;
	s = strrchr(link, '/');
	s = s ? s + 1 : link;
	n = strlen(s);
	if ((size_t)n >= len)
		n = len - 1;
	memcpy(name, s, n);
	name[n] = 0;
}

static inline int pci_cmd_rw(const char *bdf, unsigned short *val, int write)
{
	char path[300];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, write ? O_WRONLY : O_RDONLY);
	if (fd < 0)
		return -errno;
	n = write ? pwrite(fd, val, 2, 4) : pread(fd, val, 2, 4);
	close(fd);
	return n == 2 ? 0 : -EIO;
}

/* Memory space and bus master enable, as a VFIO user would. */
static inline int pci_cmd_enable(const char *bdf)
{
	unsigned short cmd;
	int rc;

	rc = pci_cmd_rw(bdf, &cmd, 0);
	cmd |= 0x6;
	if (!rc)
		rc = pci_cmd_rw(bdf, &cmd, 1);
	return rc;
}

/* Hands edu to iommufd_pci (driver_override + bind). */
static inline int edu_to_iommufd_pci(const char *bdf)
{
	char path[300], drv[64];

	pci_driver_name(bdf, drv, sizeof(drv));
	if (!strcmp(drv, "iommufd_pci"))
		return 0;
	if (drv[0])
		return -EBUSY;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 bdf);
	if (file_write(path, "iommufd_pci\n"))
		return -EIO;
	return file_write(PCI_DRV "/bind", "%s\n", bdf);
}

/* Leaves edu without a driver and without an override. */
static inline void edu_release(const char *bdf)
{
	char path[300], drv[64];

	pci_driver_name(bdf, drv, sizeof(drv));
	if (!strcmp(drv, "iommufd_pci"))
		file_write(PCI_DRV "/unbind", "%s\n", bdf);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 bdf);
	file_write(path, "\n");
}

/*
 * Opens the node of a device already given to iommufd_pci, binds it and
 * maps its BAR 0.
 */
static inline int ifd_dev_bind(struct ifd_dev *d)
{
	char path[300];
	int rc;

	snprintf(path, sizeof(path), DEVNODE_DIR "/%s", d->bdf);
	d->devfd = open(path, O_RDWR);
	if (d->devfd < 0) {
		rc = -errno;
		snprintf(d->err, sizeof(d->err), "open " DEVNODE_DIR "/%s: %s",
			 d->bdf, strerror(-rc));
		return rc;
	}
	rc = dev_bind(d->devfd, d->iommufd, &d->dev_id);
	if (rc) {
		snprintf(d->err, sizeof(d->err), "BIND: %s", strerror(-rc));
		return rc;
	}
	d->bar = mmap(NULL, EDU_BAR_LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
		      d->devfd, 0);
	if (d->bar == MAP_FAILED) {
		rc = -errno;
		d->bar = NULL;
		snprintf(d->err, sizeof(d->err), "mmap BAR 0: %s",
			 strerror(-rc));
		return rc;
	}
	return 0;
}

/*
 * Unbinds the device from its context: the mapping of BAR 0 holds the
 * node's file as much as the descriptor does, so both go.
 */
static inline void ifd_dev_close_node(struct ifd_dev *d)
{
	if (d->bar)
		munmap(d->bar, EDU_BAR_LEN);
	d->bar = NULL;
	if (d->devfd >= 0)
		close(d->devfd);
	d->devfd = -1;
}

static inline void ifd_dev_teardown(struct ifd_dev *d)
{
	ifd_dev_close_node(d);
	if (d->iommufd >= 0)
		close(d->iommufd);
	d->iommufd = -1;
	if (d->nesting_set) {
		file_write(VTD_DEBUG_NESTING, "N\n");
		d->nesting_set = 0;
	}
	if (d->knobs_set) {
		vtd_knob_set(d->bdf, VTD_KNOB_RID_PASID, 0);
		vtd_knob_set(d->bdf, VTD_KNOB_PASID_BITS, d->pasid_bits_orig);
		d->knobs_set = 0;
	}
	if (d->bdf[0]) {
		edu_release(d->bdf);
		pci_cmd_rw(d->bdf, &d->cmd_orig, 1);
	}
}

/*
 * Lets a unit without ECAP.NEST hold nest parents and nested entries
 * (vtd_sm's debug_nesting parameter; it taints the kernel, and DMA through
 * such entries faults: only the walker can check them), if @ecap lacks
 * NEST.  ifd_dev_teardown() turns it off again.
 */
static inline int ifd_dev_debug_nesting(struct ifd_dev *d, __u64 ecap)
{
	char buf[8];
	int rc;

	if (ecap & VTD_ECAP_NEST)
		return 0;
	rc = file_read(VTD_DEBUG_NESTING, buf, sizeof(buf));
	if (rc)
		return rc;
	if (buf[0] == 'Y')
		return 0;
	rc = file_write(VTD_DEBUG_NESTING, "Y\n");
	if (!rc)
		d->nesting_set = 1;
	return rc;
}

/*
 * Asks for a PASID width of @bits through vtd_sm's pasid_bits knob (before
 * the device is bound; ifd_dev_teardown() restores it and rid_pasid).  The
 * driver caps it to the unit's width (1 bit on QEMU without x-pasid-mode):
 * @d->pasid_bits gets the width applied.
 */
static inline int ifd_dev_pasid_bits(struct ifd_dev *d, unsigned int bits)
{
	int rc;

	if (!d->knobs_set) {
		rc = vtd_knob_get(d->bdf, VTD_KNOB_PASID_BITS,
				  &d->pasid_bits_orig);
		if (rc) {
			snprintf(d->err, sizeof(d->err),
				 "vtd_sm knob %s of %s: %s", VTD_KNOB_PASID_BITS,
				 d->bdf, strerror(-rc));
			return rc;
		}
		d->knobs_set = 1;
	}
	rc = vtd_knob_set(d->bdf, VTD_KNOB_PASID_BITS, bits);
	if (!rc)
		rc = vtd_knob_get(d->bdf, VTD_KNOB_PASID_BITS, &d->pasid_bits);
	if (rc)
		snprintf(d->err, sizeof(d->err), "set %s=%u: %s",
			 VTD_KNOB_PASID_BITS, bits, strerror(-rc));
	return rc;
}

/*
 * Finds edu, gives it to iommufd_pci, opens /dev/iommu and the node, binds,
 * maps BAR 0 and enables memory decoding and bus mastering.  With
 * @pasid_bits non-zero, the PASID width knob is set first.  On failure
 * everything done is undone and @d->err says what failed; -ENODEV means
 * there is no edu.
 */
static inline int ifd_dev_setup(struct ifd_dev *d, unsigned int pasid_bits)
{
	int rc;

	memset(d, 0, sizeof(*d));
	d->iommufd = -1;
	d->devfd = -1;
	rc = edu_find(d->bdf, sizeof(d->bdf));
	if (rc) {
		snprintf(d->err, sizeof(d->err), "no edu device (1234:11e8)");
		d->bdf[0] = 0;
		return rc;
	}
	rc = pci_cmd_rw(d->bdf, &d->cmd_orig, 0);
	if (rc) {
		snprintf(d->err, sizeof(d->err), "read PCI command: %s",
			 strerror(-rc));
		d->bdf[0] = 0;
		return rc;
	}
	if (pasid_bits) {
		rc = ifd_dev_pasid_bits(d, pasid_bits);
		if (rc)
			goto err;
	}
	rc = edu_to_iommufd_pci(d->bdf);
	if (rc) {
		snprintf(d->err, sizeof(d->err),
			 "cannot give %s to iommufd_pci: %s", d->bdf,
			 strerror(-rc));
		goto err;
	}
	d->iommufd = open("/dev/iommu", O_RDWR);
	if (d->iommufd < 0) {
		rc = -errno;
		snprintf(d->err, sizeof(d->err), "open /dev/iommu: %s",
			 strerror(-rc));
		goto err;
	}
	rc = ifd_dev_bind(d);
	if (rc)
		goto err;
	rc = pci_cmd_enable(d->bdf);
	if (rc) {
		snprintf(d->err, sizeof(d->err), "PCI command: %s",
			 strerror(-rc));
		goto err;
	}
	return 0;
err:
	ifd_dev_teardown(d);
	return rc;
}

static inline __u64 edu_rd(struct ifd_dev *d, unsigned int reg)
{
	return __atomic_load_n((__u64 *)((char *)d->bar + reg),
			       __ATOMIC_ACQUIRE);
}

static inline void edu_wr(struct ifd_dev *d, unsigned int reg, __u64 val)
{
	__atomic_store_n((__u64 *)((char *)d->bar + reg), val,
			 __ATOMIC_RELEASE);
}

static inline long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * One edu DMA of @len bytes between device address @iova and offset @off
 * of edu's buffer; @to_ram selects edu -> RAM.  Returns 0 once edu says it
 * is done (a blocked DMA also completes: edu does not see the fault).
 */
static inline int edu_dma(struct ifd_dev *d, __u64 iova, unsigned int off,
			  unsigned int len, int to_ram)
{
	long long deadline = now_ms() + EDU_TIMEOUT_MS;

	if (off + len > EDU_XFER_MAX)
		return -EINVAL;
	edu_wr(d, EDU_DMA_SRC, to_ram ? EDU_BUF + off : iova);
	edu_wr(d, EDU_DMA_DST, to_ram ? iova : EDU_BUF + off);
	edu_wr(d, EDU_DMA_CNT, len);
	edu_wr(d, EDU_DMA_CMD, EDU_CMD_START | (to_ram ? EDU_CMD_TO_RAM : 0));
	while (edu_rd(d, EDU_DMA_CMD) & EDU_CMD_START) {
		if (now_ms() > deadline)
			return -ETIMEDOUT;
		usleep(2000);
	}
	return 0;
}

/* IOVAs the DMA tests use: edu reads from IOVA_SRC, writes to IOVA_DST. */
#define IOVA_SRC		0x40000000ULL
#define IOVA_DST		0x40200000ULL

/*
 * Loads @len bytes from @src_iova into edu, then has edu write them to
 * @dst_iova: both DMAs go through what is attached.
 */
static inline int edu_copy(struct ifd_dev *d, __u64 src_iova, __u64 dst_iova,
			   unsigned int len)
{
	int rc = edu_dma(d, src_iova, 0, len, 0);

	return rc ? rc : edu_dma(d, dst_iova, 0, len, 1);
}

/* Fills @p with a pattern that depends on @seed and the offset. */
static inline void pattern_fill(void *p, size_t len, unsigned int seed)
{
	unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		c[i] = (unsigned char)(seed + i * 13 + (i >> 8));
}

static inline int pattern_check(const void *p, size_t len, unsigned int seed)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (c[i] != (unsigned char)(seed + i * 13 + (i >> 8)))
			return 0;
	return 1;
}

/* 1 if every byte of @p is @val. */
static inline int all_bytes(const void *p, size_t len, unsigned char val)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (c[i] != val)
			return 0;
	return 1;
}

#endif /* _IOMMUFD_UTILS_H */
