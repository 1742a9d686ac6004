// SPDX-License-Identifier: GPL-2.0
/*
 * demo_vmm: the device-assignment part of a VMM doing vSVA, against
 * /dev/iommu and an iommufd_pci device node.
 *
 *   1. hand QEMU's edu device to iommufd_pci and bind it to an iommufd;
 *   2. read what the IOMMU offers (IOMMU_GET_HW_INFO);
 *   3. "guest RAM": an anonymous buffer mapped at GPA 0 of an IOAS, and a
 *      second-level HWPT over it (a nest parent, PASID-capable), attached
 *      to the RID: edu DMA to a GPA lands in guest RAM;
 *   4. with the vtd_sm debug knobs (PASID width, RID_PASID), the same
 *      HWPT attached to PASID N, and edu DMA through PASID N's entry;
 *   5. a guest process's page table (x86 4-level, built in guest RAM),
 *      a nested HWPT (IOMMU_HWPT_DATA_VTD_S1) over the parent, attached
 *      to PASID N; vtd_sm's walker resolves guest virtual addresses
 *      through both levels to the host pages of guest RAM; a guest PTE
 *      change and IOMMU_HWPT_INVALIDATE move a mapping;
 *   6. detach everything and close.
 *
 * Every step prints one line; the exit status is 0 only if all steps
 * that ran succeeded.  Steps the platform cannot do (no edu, no nesting)
 * say so and are skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
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

#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8
#define EDU_DMA_SRC		0x80
#define EDU_DMA_DST		0x88
#define EDU_DMA_CNT		0x90
#define EDU_DMA_CMD		0x98
#define EDU_CMD_START		0x1
#define EDU_CMD_TO_RAM		0x2
#define EDU_BUF_ADDR		0x40000
#define EDU_XFER		2048

#define PAGE_SZ			4096UL
#define GUEST_RAM_SIZE		(16UL << 20)
#define DEMO_PASID		5
#define DEBUGFS			"/sys/kernel/debug/vtd_sm"

static int failures;

static void step(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("demo_vmm: %s: ", ok ? "ok" : "FAILED");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!ok)
		failures++;
}

static void note(const char *fmt, ...)
{
	va_list ap;

	printf("demo_vmm: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

static unsigned long read_hex(const char *path)
{
	char buf[64];

	if (read_file(path, buf, sizeof(buf)))
		return 0;
	return strtoul(buf, NULL, 0);
}

/* Find edu and give it to iommufd_pci; returns the BDF or NULL. */
static const char *edu_take(void)
{
	static char bdf[32];
	char path[128];
	FILE *p;

	p = popen("ls /sys/bus/pci/devices", "r");
	if (!p)
		return NULL;
	while (fscanf(p, "%31s", bdf) == 1) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", bdf);
		if (read_hex(path) != EDU_VENDOR)
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", bdf);
		if (read_hex(path) != EDU_DEVICE)
			continue;
		pclose(p);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", bdf);
		write_file(path, bdf);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
		if (write_file(path, "iommufd_pci"))
			return NULL;
		write_file("/sys/bus/pci/drivers_probe", bdf);
		return bdf;
	}
	pclose(p);
	return NULL;
}

static void edu_give_back(const char *bdf)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", bdf);
	write_file(path, bdf);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	write_file(path, "\n");
}

static volatile uint64_t *edu_reg(void *bar, unsigned int off)
{
	return (volatile uint64_t *)((char *)bar + off);
}

/* One edu transfer between its buffer and a device address; 0 if done. */
static int edu_dma(void *bar, uint64_t addr, bool to_ram)
{
	struct timespec ts = { .tv_nsec = 5 * 1000 * 1000 };
	int i;

	*edu_reg(bar, EDU_DMA_SRC) = to_ram ? EDU_BUF_ADDR : addr;
	*edu_reg(bar, EDU_DMA_DST) = to_ram ? addr : EDU_BUF_ADDR;
	*edu_reg(bar, EDU_DMA_CNT) = EDU_XFER;
	*edu_reg(bar, EDU_DMA_CMD) = EDU_CMD_START | (to_ram ? EDU_CMD_TO_RAM : 0);
	for (i = 0; i < 1000; i++) {
		if (!(*edu_reg(bar, EDU_DMA_CMD) & EDU_CMD_START))
			return 0;
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}

/* Copy guest RAM at @src to guest RAM at @dst through edu. */
static bool edu_copy(void *bar, uint8_t *ram, uint64_t src, uint64_t dst,
		     uint8_t seed)
{
	unsigned int i;

	for (i = 0; i < EDU_XFER; i++)
		ram[src + i] = seed + i * 3;
	memset(ram + dst, 0, EDU_XFER);
	if (edu_dma(bar, src, false) || edu_dma(bar, dst, true))
		return false;
	return !memcmp(ram + src, ram + dst, EDU_XFER);
}

static int hwpt_alloc(int iommufd, uint32_t dev_id, uint32_t pt_id,
		      uint32_t flags, uint32_t data_type, void *data,
		      uint32_t data_len, uint32_t *out)
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

	if (ioctl(iommufd, IOMMU_HWPT_ALLOC, &cmd))
		return -errno;
	*out = cmd.out_hwpt_id;
	return 0;
}

static int attach(int devfd, uint32_t pt_id, bool pasid)
{
	struct iommufd_pci_attach cmd = {
		.argsz = sizeof(cmd),
		.flags = pasid ? IOMMUFD_PCI_ATTACH_PASID : 0,
		.pt_id = pt_id,
		.pasid = DEMO_PASID,
	};

	return ioctl(devfd, IOMMUFD_PCI_ATTACH, &cmd) ? -errno : 0;
}

static int detach(int devfd, bool pasid)
{
	struct iommufd_pci_detach cmd = {
		.argsz = sizeof(cmd),
		.flags = pasid ? IOMMUFD_PCI_DETACH_PASID : 0,
		.pasid = DEMO_PASID,
	};

	return ioctl(devfd, IOMMUFD_PCI_DETACH, &cmd) ? -errno : 0;
}

/* Host physical address of a byte of our memory, from /proc/self/pagemap. */
static uint64_t host_phys(const void *va)
{
	uint64_t ent = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &ent, sizeof(ent), (uintptr_t)va / PAGE_SZ * 8) != sizeof(ent))
		ent = 0;
	close(fd);
	if (!(ent & (1ULL << 63)))
		return 0;
	return (ent & ((1ULL << 55) - 1)) * PAGE_SZ + (uintptr_t)va % PAGE_SZ;
}

/*
 * Ask vtd_sm's walker where (device, PASID, address) goes.  Returns the
 * physical address, or 0 and the walker's words in @why.
 */
static uint64_t walk(const char *bdf, unsigned int pasid, uint64_t addr,
		     char *why, size_t whylen)
{
	char req[96], buf[1024], *p;
	int fd;
	ssize_t n;

	snprintf(req, sizeof(req), "%s %u 0x%" PRIx64, bdf, pasid, addr);
	fd = open(DEBUGFS "/translate", O_RDWR);
	if (fd < 0) {
		snprintf(why, whylen, "no %s/translate", DEBUGFS);
		return 0;
	}
	n = write(fd, req, strlen(req));
	if (n >= 0) {
		lseek(fd, 0, SEEK_SET);
		n = read(fd, buf, sizeof(buf) - 1);
	}
	close(fd);
	if (n < 0) {
		snprintf(why, whylen, "translate: %s", strerror(errno));
		return 0;
	}
	buf[n] = 0;
	p = strstr(buf, "phys ");
	if (p)
		return strtoull(p + 5, NULL, 0);
	strncpy(why, buf, whylen - 1);
	why[whylen - 1] = 0;
	return 0;
}

/* x86 4-level paging entries of the guest's first-level table. */
#define FL_P	(1ULL << 0)
#define FL_RW	(1ULL << 1)
#define FL_US	(1ULL << 2)
#define FL_A	(1ULL << 5)
#define FL_D	(1ULL << 6)

struct guest {
	uint8_t *ram;
	uint64_t next_table;	/* GPA of the next free table page */
};

static uint64_t *gpa_ptr(struct guest *g, uint64_t gpa)
{
	return (uint64_t *)(g->ram + gpa);
}

static uint64_t guest_table(struct guest *g)
{
	uint64_t gpa = g->next_table;

	g->next_table += PAGE_SZ;
	memset(g->ram + gpa, 0, PAGE_SZ);
	return gpa;
}

/* Map guest virtual @gva to @gpa (4 KiB) in the table rooted at @root. */
static uint64_t *guest_map(struct guest *g, uint64_t root, uint64_t gva,
			   uint64_t gpa)
{
	uint64_t table = root;
	int level;

	for (level = 3; level > 0; level--) {
		uint64_t *e = gpa_ptr(g, table) + ((gva >> (12 + 9 * level)) & 511);

		if (!(*e & FL_P))
			*e = guest_table(g) | FL_P | FL_RW | FL_US | FL_A;
		table = *e & ~0xfffULL & ((1ULL << 52) - 1);
	}
	gpa_ptr(g, table)[(gva >> 12) & 511] = gpa | FL_P | FL_RW | FL_US | FL_A | FL_D;
	return gpa_ptr(g, table) + ((gva >> 12) & 511);
}

static void nested_demo(int iommufd, int devfd, const char *bdf,
			uint32_t dev_id, uint32_t parent, uint8_t *ram)
{
	static const uint64_t gvas[] = {
		0x7f0000000000ULL, 0x7f0000001000ULL, 0x7f0000200000ULL,
	};
	struct guest g = { .ram = ram, .next_table = 8UL << 20 };
	uint64_t root = guest_table(&g), *pte;
	struct iommu_hwpt_vtd_s1 s1 = {
		.pgtbl_addr = root,
		.addr_width = 48,
	};
	struct iommu_hwpt_vtd_s1_invalidate inv = {
		.addr = gvas[0],
		.npages = 1,
	};
	struct iommu_hwpt_invalidate icmd = {
		.size = sizeof(icmd),
		.data_uptr = (uintptr_t)&inv,
		.data_type = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
		.entry_len = sizeof(inv),
		.entry_num = 1,
	};
	char why[256];
	uint32_t nested;
	unsigned int i;
	bool ok = true;
	int ret;

	/* Guest buffers at GPA 4 MiB + i * 64 KiB. */
	for (i = 0; i < 3; i++)
		pte = guest_map(&g, root, gvas[i], (4UL << 20) + i * 0x10000);

	ret = hwpt_alloc(iommufd, dev_id, parent, IOMMU_HWPT_ALLOC_PASID,
			 IOMMU_HWPT_DATA_VTD_S1, &s1, sizeof(s1), &nested);
	if (ret == -EOPNOTSUPP || ret == -ENODEV) {
		note("skip: nested HWPT: %s (the unit offers no nesting)", strerror(-ret));
		return;
	}
	step(!ret, "nested HWPT (VTD_S1, guest root at GPA 0x%" PRIx64 "): %s",
	     root, ret ? strerror(-ret) : "allocated");
	if (ret)
		return;
	ret = attach(devfd, nested, true);
	step(!ret, "attach nested HWPT %u to PASID %d: %s", nested, DEMO_PASID,
	     ret ? strerror(-ret) : "done");
	if (ret)
		goto out;

	for (i = 0; i < 3; i++) {
		uint64_t want = host_phys(ram + (4UL << 20) + i * 0x10000);
		uint64_t got = walk(bdf, DEMO_PASID, gvas[i] + 0x10, why, sizeof(why));

		if (got != want + 0x10) {
			ok = false;
			note("  GVA 0x%" PRIx64 ": walker 0x%" PRIx64 " (%s), pagemap 0x%" PRIx64,
			     gvas[i], got, got ? "" : why, want + 0x10);
		}
	}
	step(ok, "walker resolves 3 guest virtual addresses through both levels to the pages of guest RAM");

	/* The guest moves its first page and invalidates it. */
	pte = guest_map(&g, root, gvas[0], 6UL << 20);
	(void)pte;
	ret = ioctl(iommufd, IOMMU_HWPT_INVALIDATE, &icmd) ? -errno : 0;
	step(!ret && icmd.entry_num == 1, "IOMMU_HWPT_INVALIDATE of the changed PTE: %s, %u entry",
	     ret ? strerror(-ret) : "done", icmd.entry_num);
	ok = walk(bdf, DEMO_PASID, gvas[0], why, sizeof(why)) == host_phys(ram + (6UL << 20));
	step(ok, "after the guest PTE change the walker follows the new page");
	detach(devfd, true);
out:
	ioctl(iommufd, IOMMU_DESTROY, &(struct iommu_destroy){
		.size = sizeof(struct iommu_destroy), .id = nested });
}

/* Point edu's untagged DMA at PASID N (vtd_sm debug knobs; taints). */
static bool pasid_knobs(const char *bdf, unsigned int pasid)
{
	char path[160], val[16];

	snprintf(path, sizeof(path), DEBUGFS "/%s/pasid_bits", bdf);
	if (write_file(path, "8"))
		return false;
	snprintf(path, sizeof(path), DEBUGFS "/%s/rid_pasid", bdf);
	snprintf(val, sizeof(val), "%u", pasid);
	return !write_file(path, val);
}

int main(void)
{
	struct iommu_hw_info_vtd vtd = {};
	struct iommu_hw_info info = {
		.size = sizeof(info),
		.data_len = sizeof(vtd),
		.data_uptr = (uintptr_t)&vtd,
	};
	struct iommufd_pci_bind bind = { .argsz = sizeof(bind) };
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct iommu_ioas_map map = { .size = sizeof(map) };
	const char *bdf;
	char node[64];
	uint32_t s2;
	int iommufd, devfd, ret;
	uint8_t *ram;
	void *bar;
	bool knobs;

	bdf = edu_take();
	if (!bdf) {
		note("skip: no edu device (QEMU -device edu)");
		return 4;
	}
	snprintf(node, sizeof(node), "/dev/iommufd/%s", bdf);
	iommufd = open("/dev/iommu", O_RDWR);
	devfd = open(node, O_RDWR);
	step(iommufd >= 0 && devfd >= 0, "open /dev/iommu and %s", node);
	if (iommufd < 0 || devfd < 0)
		goto out_edu;

	bind.iommufd = iommufd;
	ret = ioctl(devfd, IOMMUFD_PCI_BIND, &bind) ? -errno : 0;
	step(!ret, "bind %s: dev_id %u", bdf, bind.out_devid);
	if (ret)
		goto out_close;

	info.dev_id = bind.out_devid;
	ret = ioctl(iommufd, IOMMU_GET_HW_INFO, &info) ? -errno : 0;
	step(!ret && info.out_data_type == IOMMU_HW_INFO_TYPE_INTEL_VTD,
	     "VT-d cap 0x%llx ecap 0x%llx, device PASID width %u bits",
	     (unsigned long long)vtd.cap_reg, (unsigned long long)vtd.ecap_reg,
	     info.out_max_pasid_log2);

	ram = mmap(NULL, GUEST_RAM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	bar = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, devfd, 0);
	if (ram == MAP_FAILED || bar == MAP_FAILED) {
		step(false, "mmap guest RAM and edu's BAR 0: %s", strerror(errno));
		goto out_close;
	}

	ret = ioctl(iommufd, IOMMU_IOAS_ALLOC, &ioas) ? -errno : 0;
	map.ioas_id = ioas.out_ioas_id;
	map.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
		    IOMMU_IOAS_MAP_WRITEABLE;
	map.user_va = (uintptr_t)ram;
	map.length = GUEST_RAM_SIZE;
	map.iova = 0;
	if (!ret)
		ret = ioctl(iommufd, IOMMU_IOAS_MAP, &map) ? -errno : 0;
	step(!ret, "guest RAM: %lu MiB at GPA 0 of IOAS %u", GUEST_RAM_SIZE >> 20,
	     ioas.out_ioas_id);
	if (ret)
		goto out_close;

	ret = hwpt_alloc(iommufd, bind.out_devid, ioas.out_ioas_id,
			 IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_PASID,
			 IOMMU_HWPT_DATA_NONE, NULL, 0, &s2);
	if (ret == -EOPNOTSUPP) {
		note("unit cannot nest; second level without NEST_PARENT");
		ret = hwpt_alloc(iommufd, bind.out_devid, ioas.out_ioas_id,
				 IOMMU_HWPT_ALLOC_PASID, IOMMU_HWPT_DATA_NONE,
				 NULL, 0, &s2);
	}
	step(!ret, "second-level HWPT %u over the IOAS: %s", s2,
	     ret ? strerror(-ret) : "allocated");
	if (ret)
		goto out_close;

	ret = attach(devfd, s2, false);
	step(!ret, "attach HWPT %u to the RID: %s", s2, ret ? strerror(-ret) : "done");
	if (!ret)
		step(edu_copy(bar, ram, 0x100000, 0x200000, 0x11),
		     "edu DMA GPA 0x100000 -> edu -> GPA 0x200000 through the RID");

	knobs = pasid_knobs(bdf, DEMO_PASID);
	if (!knobs) {
		note("skip: PASID steps need the vtd_sm debug knobs (%s)", DEBUGFS);
	} else {
		ret = attach(devfd, s2, true);
		step(!ret, "attach HWPT %u to PASID %d: %s", s2, DEMO_PASID,
		     ret ? strerror(-ret) : "done");
		if (!ret)
			step(edu_copy(bar, ram, 0x300000, 0x310000, 0x22),
			     "edu DMA through PASID %d (RID_PASID knob)", DEMO_PASID);
		detach(devfd, true);
		nested_demo(iommufd, devfd, bdf, bind.out_devid, s2, ram);
		pasid_knobs(bdf, 0);
	}

	ret = detach(devfd, false);
	step(!ret, "detach the RID: %s", ret ? strerror(-ret) : "done");
	step(!edu_copy(bar, ram, 0x100000, 0x200000, 0x33),
	     "edu DMA after detach does not reach guest RAM");

out_close:
	if (devfd >= 0)
		close(devfd);
	if (iommufd >= 0)
		close(iommufd);
out_edu:
	edu_give_back(bdf);
	note("%s (%d failed)", failures ? "FAILED" : "done", failures);
	return failures ? 1 : 0;
}
