// SPDX-License-Identifier: GPL-2.0
/*
 * The VFIO device ABI of /dev/iommufd/<BDF>, as a VMM uses it on a
 * vfio-pci device, on QEMU's edu: VFIO_DEVICE_GET_INFO, GET_REGION_INFO,
 * pread/pwrite and mmap of the regions at their offsets, the filtered
 * config space, GET_IRQ_INFO and SET_IRQS with INTx (automasked) and MSI
 * raised by edu itself, RESET, the hot reset info and feature ioctls, the
 * request eventfd, and the state a new owner finds.
 *
 * edu: 1 MiB memory BAR 0, no ROM, interrupt pin A, an MSI capability with
 * one vector, conventional PCI on the root bus (no reset method).
 */
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/eventfd.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "iommufd_utils.h"

#include "kselftest_harness.h"

#define EDU_IRQ_STATUS		0x24
#define EDU_IRQ_RAISE		0x60
#define EDU_IRQ_ACK		0x64
#define EDU_BAR0_SIZE		0x100000ULL

#define REGION_OFFSET(i)	((__u64)(i) << 40)
#define CFG_OFF			REGION_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX)

/* Newer than the <linux/vfio.h> of some C libraries */
#ifndef VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY
#define VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY	3
#endif

#define IRQ_WAIT_MS		3000
#define IRQ_NONE_MS		300

FIXTURE(vfio) {
	struct ifd_dev d;
};

FIXTURE_SETUP(vfio)
{
	int rc = ifd_dev_setup(&self->d, 0);

	if (rc == -ENODEV)
		SKIP(return, "%s", self->d.err);
	ASSERT_EQ(0, rc) TH_LOG("%s", self->d.err);
}

FIXTURE_TEARDOWN(vfio)
{
	ifd_dev_teardown(&self->d);
}

static __u32 mmio_rd32(struct ifd_dev *d, unsigned int reg)
{
	return __atomic_load_n((__u32 *)((char *)d->bar + reg),
			       __ATOMIC_ACQUIRE);
}

static void mmio_wr32(struct ifd_dev *d, unsigned int reg, __u32 val)
{
	__atomic_store_n((__u32 *)((char *)d->bar + reg), val,
			 __ATOMIC_RELEASE);
}

static int region_info(int fd, __u32 index, struct vfio_region_info *info,
		       __u32 argsz)
{
	memset(info, 0, sizeof(*info));
	info->argsz = argsz;
	info->index = index;
	return xioctl(fd, VFIO_DEVICE_GET_REGION_INFO, info);
}

static int irq_info(int fd, __u32 index, struct vfio_irq_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	return xioctl(fd, VFIO_DEVICE_GET_IRQ_INFO, info);
}

/* SET_IRQS with @count s32 (eventfd) or u8 (bool) entries of @data. */
static int set_irqs(int fd, __u32 index, __u32 flags, __u32 start,
		    __u32 count, const void *data, size_t data_len)
{
	char buf[sizeof(struct vfio_irq_set) + 64];
	struct vfio_irq_set *set = (struct vfio_irq_set *)buf;

	if (data_len > 64)
		return -E2BIG;
	memset(buf, 0, sizeof(buf));
	set->argsz = sizeof(*set) + data_len;
	set->flags = flags;
	set->index = index;
	set->start = start;
	set->count = count;
	if (data_len)
		memcpy(set->data, data, data_len);
	return xioctl(fd, VFIO_DEVICE_SET_IRQS, set);
}

static int set_eventfd(int fd, __u32 index, __s32 efd)
{
	return set_irqs(fd, index,
			VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
			0, 1, &efd, sizeof(efd));
}

static int irq_action(int fd, __u32 index, __u32 action, __u32 count)
{
	return set_irqs(fd, index, VFIO_IRQ_SET_DATA_NONE | action, 0, count,
			NULL, 0);
}

/* Waits up to @ms for the eventfd; its count, or 0 if it stayed quiet. */
static __u64 efd_wait(int efd, int ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	__u64 n = 0;

	if (poll(&p, 1, ms) != 1)
		return 0;
	if (read(efd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

static int cfg_read(int fd, unsigned int off, void *val, size_t len)
{
	ssize_t n = pread(fd, val, len, CFG_OFF + off);

	return n == (ssize_t)len ? 0 : (n < 0 ? -errno : -EIO);
}

static int cfg_write(int fd, unsigned int off, const void *val, size_t len)
{
	ssize_t n = pwrite(fd, val, len, CFG_OFF + off);

	return n == (ssize_t)len ? 0 : (n < 0 ? -errno : -EIO);
}

/* The device's real config space, through sysfs. */
static int sysfs_cfg_read(const char *bdf, unsigned int off, void *val,
			  size_t len)
{
	char path[300];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = pread(fd, val, len, off);
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

/* Offset of capability @id in config space, 0 if none. */
static unsigned int find_cap(const char *bdf, __u8 id)
{
	__u8 pos = 0, hdr[2];
	int i;

	if (sysfs_cfg_read(bdf, 0x34, &pos, 1))
		return 0;
	for (i = 0; i < 48 && pos >= 0x40; i++) {
		if (sysfs_cfg_read(bdf, pos & ~3, hdr, 2))
			return 0;
		if (hdr[0] == id)
			return pos & ~3;
		pos = hdr[1];
	}
	return 0;
}

/* Closes the node and opens and binds it again: a new owner. */
static int rebind(struct ifd_dev *d)
{
	ifd_dev_close_node(d);
	return ifd_dev_bind(d);
}

TEST_F(vfio, get_info)
{
	struct vfio_device_info info;
	struct vfio_region_info reg;
	int fd = self->d.devfd;
	char path[300];
	size_t minsz = offsetof(struct vfio_device_info, cap_offset);

	memset(&info, 0, sizeof(info));
	info.argsz = sizeof(info);
	info.cap_offset = 0xdead;
	ASSERT_EQ(0, xioctl(fd, VFIO_DEVICE_GET_INFO, &info));
	ASSERT_EQ(sizeof(info), info.argsz);
	ASSERT_TRUE(!!(info.flags & VFIO_DEVICE_FLAGS_PCI));
	ASSERT_FALSE(!!(info.flags & VFIO_DEVICE_FLAGS_CAPS));
	ASSERT_EQ(0U, info.cap_offset);
	ASSERT_EQ((__u32)VFIO_PCI_NUM_REGIONS, info.num_regions);
	ASSERT_EQ((__u32)VFIO_PCI_NUM_IRQS, info.num_irqs);
	/* Reset is offered exactly when it works (edu has no method). */
	ASSERT_EQ(info.flags & VFIO_DEVICE_FLAGS_RESET ? 0 : -EINVAL,
		  xioctl(fd, VFIO_DEVICE_RESET, NULL));

	/* The first release of the structure: nothing past num_irqs is written */
	memset(&info, 0, sizeof(info));
	info.argsz = minsz;
	info.cap_offset = 0xdead;
	ASSERT_EQ(0, xioctl(fd, VFIO_DEVICE_GET_INFO, &info));
	ASSERT_EQ(0xdeadU, info.cap_offset);
	ASSERT_EQ((__u32)VFIO_PCI_NUM_REGIONS, info.num_regions);

	info.argsz = minsz - 1;
	ASSERT_EQ(-EINVAL, xioctl(fd, VFIO_DEVICE_GET_INFO, &info));

	/* Before BIND, as on a VFIO cdev: EINVAL */
	ifd_dev_close_node(&self->d);
	snprintf(path, sizeof(path), DEVNODE_DIR "/%s", self->d.bdf);
	self->d.devfd = open(path, O_RDWR);
	ASSERT_LE(0, self->d.devfd);
	info.argsz = sizeof(info);
	ASSERT_EQ(-EINVAL, xioctl(self->d.devfd, VFIO_DEVICE_GET_INFO, &info));
	ASSERT_EQ(-EINVAL, region_info(self->d.devfd, 0, &reg, sizeof(reg)));
	ASSERT_EQ(-1, pread(self->d.devfd, &info, 4, CFG_OFF));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(vfio, region_info)
{
	struct vfio_region_info info;
	int fd = self->d.devfd;
	__u32 i;

	for (i = 0; i < VFIO_PCI_NUM_REGIONS; i++) {
		int rc = region_info(fd, i, &info, sizeof(info));

		if (i == VFIO_PCI_VGA_REGION_INDEX) {
			/* edu is no VGA device: no such region */
			ASSERT_EQ(-EINVAL, rc);
			continue;
		}
		ASSERT_EQ(0, rc) TH_LOG("index %u", i);
		ASSERT_EQ(i, info.index);
		ASSERT_EQ(REGION_OFFSET(i), info.offset) TH_LOG("index %u", i);
		ASSERT_EQ(sizeof(info), info.argsz);
		ASSERT_FALSE(!!(info.flags & VFIO_REGION_INFO_FLAG_CAPS));
		ASSERT_EQ(0U, info.cap_offset);
		switch (i) {
		case VFIO_PCI_BAR0_REGION_INDEX:
			ASSERT_EQ(EDU_BAR0_SIZE, info.size);
			ASSERT_EQ((__u32)(VFIO_REGION_INFO_FLAG_READ |
					  VFIO_REGION_INFO_FLAG_WRITE |
					  VFIO_REGION_INFO_FLAG_MMAP),
				  info.flags);
			break;
		case VFIO_PCI_CONFIG_REGION_INDEX:
			ASSERT_EQ(256ULL, info.size);
			ASSERT_EQ((__u32)(VFIO_REGION_INFO_FLAG_READ |
					  VFIO_REGION_INFO_FLAG_WRITE),
				  info.flags);
			break;
		default:
			/* BAR 1-5 and the ROM: edu has none */
			ASSERT_EQ(0ULL, info.size) TH_LOG("index %u", i);
			ASSERT_EQ(0U, info.flags) TH_LOG("index %u", i);
		}
	}

	/* Past the regions, and argsz below the structure's first release */
	ASSERT_EQ(-EINVAL, region_info(fd, VFIO_PCI_NUM_REGIONS, &info,
				       sizeof(info)));
	ASSERT_EQ(-EINVAL, region_info(fd, ~0U, &info, sizeof(info)));
	ASSERT_EQ(-EINVAL, region_info(fd, 0, &info, sizeof(info) - 1));
	ASSERT_EQ(-EINVAL, region_info(fd, 0, &info, 0));
	/* A larger argsz is fine: the chain would follow the structure */
	ASSERT_EQ(0, region_info(fd, 0, &info, sizeof(info) + 64));
	ASSERT_EQ(sizeof(info) + 64, info.argsz);
}

TEST_F(vfio, config_rw)
{
	int fd = self->d.devfd;
	__u32 id, v32, hw32, bar0;
	__u16 v16, cmd;
	__u8 v8, b[8];

	ASSERT_EQ(0, cfg_read(fd, 0, &id, 4));
	ASSERT_EQ((__u32)EDU_DEVICE << 16 | EDU_VENDOR, id);
	/* Any size and alignment; read() continues where it stopped */
	ASSERT_EQ(0, cfg_read(fd, 1, b, 3));
	ASSERT_EQ(0, memcmp(b, (char *)&id + 1, 3));
	ASSERT_EQ(0, cfg_read(fd, 2, &v16, 2));
	ASSERT_EQ(EDU_DEVICE, v16);
	/* The end of config space, and past it */
	ASSERT_EQ(4, pread(fd, b, 8, CFG_OFF + 252));
	ASSERT_EQ(-1, pread(fd, &v32, 4, CFG_OFF + 256));
	ASSERT_EQ(EINVAL, errno);

	/* Vendor and device ID are read-only: the write is dropped */
	v32 = 0;
	ASSERT_EQ(0, cfg_write(fd, 0, &v32, 4));
	ASSERT_EQ(0, cfg_read(fd, 0, &v32, 4));
	ASSERT_EQ(id, v32);

	/* BAR 0 is virtual: sized like the real one, the device untouched */
	ASSERT_EQ(0, sysfs_cfg_read(self->d.bdf, PCI_BASE_ADDRESS_0, &hw32, 4));
	ASSERT_EQ(0, cfg_read(fd, PCI_BASE_ADDRESS_0, &bar0, 4));
	ASSERT_EQ(hw32, bar0);
	v32 = ~0U;
	ASSERT_EQ(0, cfg_write(fd, PCI_BASE_ADDRESS_0, &v32, 4));
	ASSERT_EQ(0, cfg_read(fd, PCI_BASE_ADDRESS_0, &v32, 4));
	ASSERT_EQ((__u32)~(EDU_BAR0_SIZE - 1) | (hw32 & 0xf), v32);
	ASSERT_EQ(0, sysfs_cfg_read(self->d.bdf, PCI_BASE_ADDRESS_0, &v32, 4));
	ASSERT_EQ(hw32, v32);
	/* BAR 1 does not exist: it stays 0 */
	v32 = ~0U;
	ASSERT_EQ(0, cfg_write(fd, PCI_BASE_ADDRESS_1, &v32, 4));
	ASSERT_EQ(0, cfg_read(fd, PCI_BASE_ADDRESS_1, &v32, 4));
	ASSERT_EQ(0U, v32);
	ASSERT_EQ(0, cfg_write(fd, PCI_BASE_ADDRESS_0, &bar0, 4));
	/* And the BAR still answers where the host put it */
	ASSERT_EQ(EDU_ID, mmio_rd32(&self->d, EDU_ID_REG));

	/* No ROM: the ROM BAR reads 0 whatever is written */
	v32 = ~0U;
	ASSERT_EQ(0, cfg_write(fd, PCI_ROM_ADDRESS, &v32, 4));
	ASSERT_EQ(0, cfg_read(fd, PCI_ROM_ADDRESS, &v32, 4));
	ASSERT_EQ(0U, v32);

	/* Command: bus master reaches the device, INTx Disable is virtual */
	ASSERT_EQ(0, cfg_read(fd, PCI_COMMAND, &cmd, 2));
	ASSERT_TRUE(!!(cmd & PCI_COMMAND_MASTER));
	ASSERT_FALSE(!!(cmd & PCI_COMMAND_INTX_DISABLE));
	v16 = cmd & ~PCI_COMMAND_MASTER;
	ASSERT_EQ(0, cfg_write(fd, PCI_COMMAND, &v16, 2));
	ASSERT_EQ(0, sysfs_cfg_read(self->d.bdf, PCI_COMMAND, &v16, 2));
	ASSERT_FALSE(!!(v16 & PCI_COMMAND_MASTER));
	v16 = cmd | PCI_COMMAND_INTX_DISABLE;
	ASSERT_EQ(0, cfg_write(fd, PCI_COMMAND, &v16, 2));
	ASSERT_EQ(0, cfg_read(fd, PCI_COMMAND, &v16, 2));
	ASSERT_EQ(cmd | PCI_COMMAND_INTX_DISABLE, v16);
	ASSERT_EQ(0, sysfs_cfg_read(self->d.bdf, PCI_COMMAND, &v16, 2));
	ASSERT_TRUE(!!(v16 & PCI_COMMAND_MASTER));
	ASSERT_FALSE(!!(v16 & PCI_COMMAND_INTX_DISABLE));
	ASSERT_EQ(0, cfg_write(fd, PCI_COMMAND, &cmd, 2));

	/* The cache line size reaches the device */
	v8 = 0x10;
	ASSERT_EQ(0, cfg_write(fd, PCI_CACHE_LINE_SIZE, &v8, 1));
	v8 = 0;
	ASSERT_EQ(0, sysfs_cfg_read(self->d.bdf, PCI_CACHE_LINE_SIZE, &v8, 1));
	ASSERT_EQ(0x10, v8);

	/* The interrupt pin is the device's */
	ASSERT_EQ(0, cfg_read(fd, PCI_INTERRUPT_PIN, &v8, 1));
	ASSERT_EQ(1, v8);
	v8 = 4;
	ASSERT_EQ(0, cfg_write(fd, PCI_INTERRUPT_PIN, &v8, 1));
	ASSERT_EQ(0, cfg_read(fd, PCI_INTERRUPT_PIN, &v8, 1));
	ASSERT_EQ(1, v8);
}

TEST_F(vfio, config_msi_virtual)
{
	unsigned int pos = find_cap(self->d.bdf, PCI_CAP_ID_MSI);
	int fd = self->d.devfd;
	__u16 flags, hw;
	__u32 addr;

	if (!pos)
		SKIP(return, "edu has no MSI capability");
	ASSERT_EQ(0, cfg_read(fd, pos + PCI_MSI_FLAGS, &flags, 2));
	ASSERT_FALSE(!!(flags & PCI_MSI_FLAGS_ENABLE));
	/* Userspace turns MSI on: the device stays off */
	flags |= PCI_MSI_FLAGS_ENABLE;
	ASSERT_EQ(0, cfg_write(fd, pos + PCI_MSI_FLAGS, &flags, 2));
	ASSERT_EQ(0, cfg_read(fd, pos + PCI_MSI_FLAGS, &flags, 2));
	ASSERT_TRUE(!!(flags & PCI_MSI_FLAGS_ENABLE));
	ASSERT_EQ(0, sysfs_cfg_read(self->d.bdf, pos + PCI_MSI_FLAGS, &hw, 2));
	ASSERT_FALSE(!!(hw & PCI_MSI_FLAGS_ENABLE));
	/* An address of its own: kept, not given to the device */
	addr = 0xfee01000;
	ASSERT_EQ(0, cfg_write(fd, pos + PCI_MSI_ADDRESS_LO, &addr, 4));
	addr = 0;
	ASSERT_EQ(0, cfg_read(fd, pos + PCI_MSI_ADDRESS_LO, &addr, 4));
	ASSERT_EQ(0xfee01000U, addr);
	ASSERT_EQ(0, sysfs_cfg_read(self->d.bdf, pos + PCI_MSI_ADDRESS_LO,
				    &addr, 4));
	ASSERT_NE(0xfee01000U, addr);

	/* The next owner starts with MSI off */
	ASSERT_EQ(0, rebind(&self->d));
	ASSERT_EQ(0, cfg_read(self->d.devfd, pos + PCI_MSI_FLAGS, &flags, 2));
	ASSERT_FALSE(!!(flags & PCI_MSI_FLAGS_ENABLE));
}

TEST_F(vfio, bar_rw)
{
	int fd = self->d.devfd;
	__u32 v, two[2];
	__u8 b;

	ASSERT_EQ(4, pread(fd, &v, 4, REGION_OFFSET(0) + EDU_ID_REG));
	ASSERT_EQ(EDU_ID, v);
	v = 0x12345678;
	ASSERT_EQ(4, pwrite(fd, &v, 4, REGION_OFFSET(0) + EDU_LIVE_REG));
	ASSERT_EQ(4, pread(fd, &v, 4, REGION_OFFSET(0) + EDU_LIVE_REG));
	ASSERT_EQ(~0x12345678U, v);
	/* The same register through the mapping */
	ASSERT_EQ(~0x12345678U, mmio_rd32(&self->d, EDU_LIVE_REG));
	/* Two registers in one call */
	ASSERT_EQ(8, pread(fd, two, 8, REGION_OFFSET(0)));
	ASSERT_EQ(EDU_ID, two[0]);
	ASSERT_EQ(~0x12345678U, two[1]);
	/* The last byte of the BAR, then past it */
	ASSERT_EQ(1, pread(fd, &b, 1, REGION_OFFSET(0) + EDU_BAR0_SIZE - 1));
	ASSERT_EQ(-1, pread(fd, &v, 4, REGION_OFFSET(0) + EDU_BAR0_SIZE));
	ASSERT_EQ(EINVAL, errno);
	/* BAR 1, the ROM and the VGA region do not exist */
	ASSERT_EQ(-1, pread(fd, &v, 4, REGION_OFFSET(1)));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, pread(fd, &v, 4,
			    REGION_OFFSET(VFIO_PCI_ROM_REGION_INDEX)));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, pwrite(fd, &v, 4,
			     REGION_OFFSET(VFIO_PCI_VGA_REGION_INDEX)));
	ASSERT_EQ(EINVAL, errno);
}

/*
 * Memory decode off (PCI_COMMAND_MEMORY clear, written through the node):
 * the BAR cannot be reached at all, neither through pages already faulted
 * in, nor new ones, nor pread/pwrite (EIO); on again, everything works.
 */
TEST_F(vfio, memory_decode_off)
{
	int fd = self->d.devfd;
	__u16 cmd, off, hw;
	__u32 v, dw;
	void *p, *q;

	ASSERT_EQ(0, cfg_read(fd, PCI_COMMAND, &cmd, 2));
	ASSERT_TRUE(!!(cmd & PCI_COMMAND_MEMORY));
	/* Two pages; the first faulted in while memory decode is on */
	p = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, REGION_OFFSET(0));
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, mmio_try_rd32(p, EDU_ID_REG, &v));
	ASSERT_EQ(EDU_ID, v);

	off = cmd & ~PCI_COMMAND_MEMORY;
	ASSERT_EQ(0, cfg_write(fd, PCI_COMMAND, &off, 2));
	ASSERT_EQ(0, sysfs_cfg_read(self->d.bdf, PCI_COMMAND, &hw, 2));
	ASSERT_FALSE(!!(hw & PCI_COMMAND_MEMORY));
	ASSERT_EQ(-1, mmio_try_rd32(p, EDU_ID_REG, &v));
	ASSERT_EQ(-1, mmio_try_rd32(p, 4096, &v));
	/* A new mapping can be made, but not used */
	q = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, REGION_OFFSET(0));
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(-1, mmio_try_rd32(q, EDU_ID_REG, &v));
	ASSERT_EQ(-1, pread(fd, &v, 4, REGION_OFFSET(0) + EDU_ID_REG));
	ASSERT_EQ(EIO, errno);
	v = 0x12345678;
	ASSERT_EQ(-1, pwrite(fd, &v, 4, REGION_OFFSET(0) + EDU_LIVE_REG));
	ASSERT_EQ(EIO, errno);

	/* On again: the mappings fault in and pread works */
	ASSERT_EQ(0, cfg_write(fd, PCI_COMMAND, &cmd, 2));
	ASSERT_EQ(0, mmio_try_rd32(p, EDU_ID_REG, &v));
	ASSERT_EQ(EDU_ID, v);
	ASSERT_EQ(0, mmio_try_rd32(p, 4096, &v));
	ASSERT_EQ(0, mmio_try_rd32(q, EDU_ID_REG, &v));
	ASSERT_EQ(EDU_ID, v);
	ASSERT_EQ(4, pread(fd, &v, 4, REGION_OFFSET(0) + EDU_ID_REG));
	ASSERT_EQ(EDU_ID, v);

	/* A dword write of command and status turns it off just as well */
	ASSERT_EQ(0, cfg_read(fd, PCI_COMMAND, &dw, 4));
	dw &= ~(__u32)PCI_COMMAND_MEMORY;
	ASSERT_EQ(0, cfg_write(fd, PCI_COMMAND, &dw, 4));
	ASSERT_EQ(-1, mmio_try_rd32(q, EDU_ID_REG, &v));
	ASSERT_EQ(-1, pread(fd, &v, 4, REGION_OFFSET(0) + EDU_ID_REG));
	ASSERT_EQ(EIO, errno);
	munmap(q, 4096);
	munmap(p, 8192);

	/* The next owner finds memory decode on, as the driver keeps it */
	ASSERT_EQ(0, rebind(&self->d));
	ASSERT_EQ(0, mmio_try_rd32(self->d.bar, EDU_ID_REG, &v));
	ASSERT_EQ(EDU_ID, v);
	ASSERT_EQ(4, pread(self->d.devfd, &v, 4,
			   REGION_OFFSET(0) + EDU_ID_REG));
	ASSERT_EQ(EDU_ID, v);
}

TEST_F(vfio, mmap_regions)
{
	struct vfio_region_info info;
	int fd = self->d.devfd;
	void *p;

	ASSERT_EQ(0, region_info(fd, 0, &info, sizeof(info)));
	p = mmap(NULL, info.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 info.offset);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(EDU_ID, __atomic_load_n((__u32 *)p, __ATOMIC_ACQUIRE));
	munmap(p, info.size);

	/* Config space, absent BARs and the ROM cannot be mapped */
	ASSERT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd,
				   CFG_OFF));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd,
				   REGION_OFFSET(1)));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(MAP_FAILED,
		  mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd,
		       REGION_OFFSET(VFIO_PCI_ROM_REGION_INDEX)));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(vfio, irq_info)
{
	struct vfio_irq_info info;
	int fd = self->d.devfd;

	ASSERT_EQ(0, irq_info(fd, VFIO_PCI_INTX_IRQ_INDEX, &info));
	ASSERT_EQ(1U, info.count);
	ASSERT_EQ((__u32)(VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE |
			  VFIO_IRQ_INFO_AUTOMASKED), info.flags);
	ASSERT_EQ(0, irq_info(fd, VFIO_PCI_MSI_IRQ_INDEX, &info));
	ASSERT_EQ(find_cap(self->d.bdf, PCI_CAP_ID_MSI) ? 1U : 0U, info.count);
	ASSERT_EQ((__u32)(VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE),
		  info.flags);
	ASSERT_EQ(0, irq_info(fd, VFIO_PCI_MSIX_IRQ_INDEX, &info));
	ASSERT_EQ(0U, info.count);
	ASSERT_EQ(0, irq_info(fd, VFIO_PCI_REQ_IRQ_INDEX, &info));
	ASSERT_EQ(1U, info.count);
	/* edu is not PCI Express: no error index */
	ASSERT_EQ(-EINVAL, irq_info(fd, VFIO_PCI_ERR_IRQ_INDEX, &info));
	ASSERT_EQ(-EINVAL, irq_info(fd, VFIO_PCI_NUM_IRQS, &info));
	memset(&info, 0, sizeof(info));
	info.argsz = offsetof(struct vfio_irq_info, count);
	ASSERT_EQ(-EINVAL, xioctl(fd, VFIO_DEVICE_GET_IRQ_INFO, &info));
}

TEST_F(vfio, intx)
{
	int fd = self->d.devfd;
	int efd = eventfd(0, EFD_NONBLOCK);
	__u16 hw;

	ASSERT_LE(0, efd);
	/* Nothing to mask before INTx is on */
	ASSERT_EQ(-EINVAL, irq_action(fd, VFIO_PCI_INTX_IRQ_INDEX,
				      VFIO_IRQ_SET_ACTION_UNMASK, 1));
	ASSERT_EQ(0, set_eventfd(fd, VFIO_PCI_INTX_IRQ_INDEX, efd));

	/* Loopback */
	ASSERT_EQ(0, irq_action(fd, VFIO_PCI_INTX_IRQ_INDEX,
				VFIO_IRQ_SET_ACTION_TRIGGER, 1));
	ASSERT_EQ(1ULL, efd_wait(efd, IRQ_WAIT_MS));

	/* edu raises INTx: the eventfd fires and the line is masked */
	mmio_wr32(&self->d, EDU_IRQ_RAISE, 1);
	ASSERT_NE(0ULL, efd_wait(efd, IRQ_WAIT_MS));
	ASSERT_EQ(1U, mmio_rd32(&self->d, EDU_IRQ_STATUS));
	ASSERT_EQ(0, sysfs_cfg_read(self->d.bdf, PCI_COMMAND, &hw, 2));
	ASSERT_TRUE(!!(hw & PCI_COMMAND_INTX_DISABLE));

	/* Masked: a second interrupt is held back */
	mmio_wr32(&self->d, EDU_IRQ_ACK, 1);
	mmio_wr32(&self->d, EDU_IRQ_RAISE, 2);
	ASSERT_EQ(0ULL, efd_wait(efd, IRQ_NONE_MS));
	/* Unmasking with it pending signals it and stays masked */
	ASSERT_EQ(0, irq_action(fd, VFIO_PCI_INTX_IRQ_INDEX,
				VFIO_IRQ_SET_ACTION_UNMASK, 1));
	ASSERT_NE(0ULL, efd_wait(efd, IRQ_WAIT_MS));
	ASSERT_EQ(2U, mmio_rd32(&self->d, EDU_IRQ_STATUS));

	/* Served: unmask, and the next interrupt arrives again */
	mmio_wr32(&self->d, EDU_IRQ_ACK, 2);
	ASSERT_EQ(0, irq_action(fd, VFIO_PCI_INTX_IRQ_INDEX,
				VFIO_IRQ_SET_ACTION_UNMASK, 1));
	ASSERT_EQ(0ULL, efd_wait(efd, IRQ_NONE_MS));
	mmio_wr32(&self->d, EDU_IRQ_RAISE, 4);
	ASSERT_NE(0ULL, efd_wait(efd, IRQ_WAIT_MS));
	mmio_wr32(&self->d, EDU_IRQ_ACK, 4);

	/* Masked by userspace: nothing arrives until unmasked */
	ASSERT_EQ(0, irq_action(fd, VFIO_PCI_INTX_IRQ_INDEX,
				VFIO_IRQ_SET_ACTION_UNMASK, 1));
	ASSERT_EQ(0, irq_action(fd, VFIO_PCI_INTX_IRQ_INDEX,
				VFIO_IRQ_SET_ACTION_MASK, 1));
	mmio_wr32(&self->d, EDU_IRQ_RAISE, 8);
	ASSERT_EQ(0ULL, efd_wait(efd, IRQ_NONE_MS));
	ASSERT_EQ(0, irq_action(fd, VFIO_PCI_INTX_IRQ_INDEX,
				VFIO_IRQ_SET_ACTION_UNMASK, 1));
	ASSERT_NE(0ULL, efd_wait(efd, IRQ_WAIT_MS));
	mmio_wr32(&self->d, EDU_IRQ_ACK, 8);

	/* MSI cannot be set while INTx is on; INTx turns off */
	ASSERT_EQ(-EINVAL, set_eventfd(fd, VFIO_PCI_MSI_IRQ_INDEX, efd));
	ASSERT_EQ(0, irq_action(fd, VFIO_PCI_INTX_IRQ_INDEX,
				VFIO_IRQ_SET_ACTION_TRIGGER, 0));
	ASSERT_EQ(-EINVAL, irq_action(fd, VFIO_PCI_INTX_IRQ_INDEX,
				      VFIO_IRQ_SET_ACTION_MASK, 1));
	close(efd);
}

TEST_F(vfio, msi)
{
	unsigned int pos = find_cap(self->d.bdf, PCI_CAP_ID_MSI);
	int fd = self->d.devfd;
	int efd = eventfd(0, EFD_NONBLOCK);
	__s32 fds[2] = { efd, efd };
	__u8 one = 1;
	__u16 hw;

	ASSERT_LE(0, efd);
	if (!pos)
		SKIP(return, "edu has no MSI capability");
	/* One vector: a second does not exist */
	ASSERT_EQ(-EINVAL, set_irqs(fd, VFIO_PCI_MSI_IRQ_INDEX,
				    VFIO_IRQ_SET_DATA_EVENTFD |
				    VFIO_IRQ_SET_ACTION_TRIGGER, 0, 2, fds,
				    sizeof(fds)));
	ASSERT_EQ(0, set_eventfd(fd, VFIO_PCI_MSI_IRQ_INDEX, efd));
	ASSERT_EQ(0, sysfs_cfg_read(self->d.bdf, pos + PCI_MSI_FLAGS, &hw, 2));
	ASSERT_TRUE(!!(hw & PCI_MSI_FLAGS_ENABLE));

	/* edu sends its MSI */
	mmio_wr32(&self->d, EDU_IRQ_RAISE, 1);
	ASSERT_NE(0ULL, efd_wait(efd, IRQ_WAIT_MS));
	mmio_wr32(&self->d, EDU_IRQ_ACK, 1);
	/* Loopback, with DATA_BOOL */
	ASSERT_EQ(0, set_irqs(fd, VFIO_PCI_MSI_IRQ_INDEX,
			      VFIO_IRQ_SET_DATA_BOOL |
			      VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, &one, 1));
	ASSERT_EQ(1ULL, efd_wait(efd, IRQ_WAIT_MS));
	/* No mask for MSI here, as with vfio-pci */
	ASSERT_EQ(-ENOTTY, irq_action(fd, VFIO_PCI_MSI_IRQ_INDEX,
				      VFIO_IRQ_SET_ACTION_MASK, 1));
	/* INTx cannot be set while MSI is on */
	ASSERT_EQ(-EINVAL, set_eventfd(fd, VFIO_PCI_INTX_IRQ_INDEX, efd));

	/* Disabled: the device's MSI is off */
	ASSERT_EQ(0, irq_action(fd, VFIO_PCI_MSI_IRQ_INDEX,
				VFIO_IRQ_SET_ACTION_TRIGGER, 0));
	ASSERT_EQ(0, sysfs_cfg_read(self->d.bdf, pos + PCI_MSI_FLAGS, &hw, 2));
	ASSERT_FALSE(!!(hw & PCI_MSI_FLAGS_ENABLE));

	/* On again; closing the node takes it back */
	ASSERT_EQ(0, set_eventfd(fd, VFIO_PCI_MSI_IRQ_INDEX, efd));
	ifd_dev_close_node(&self->d);
	ASSERT_EQ(0, sysfs_cfg_read(self->d.bdf, pos + PCI_MSI_FLAGS, &hw, 2));
	ASSERT_FALSE(!!(hw & PCI_MSI_FLAGS_ENABLE));
	close(efd);
}

TEST_F(vfio, set_irqs_errors)
{
	int fd = self->d.devfd;
	int efd = eventfd(0, EFD_NONBLOCK);
	struct vfio_irq_set set;
	__u8 one = 1;

	ASSERT_LE(0, efd);
	/* Bad index, bad flags, start or count out of range */
	ASSERT_EQ(-EINVAL, irq_action(fd, VFIO_PCI_NUM_IRQS,
				      VFIO_IRQ_SET_ACTION_TRIGGER, 0));
	ASSERT_EQ(-EINVAL, set_irqs(fd, VFIO_PCI_INTX_IRQ_INDEX, 1U << 31, 0,
				    0, NULL, 0));
	ASSERT_EQ(-EINVAL, set_irqs(fd, VFIO_PCI_INTX_IRQ_INDEX,
				    VFIO_IRQ_SET_DATA_NONE |
				    VFIO_IRQ_SET_DATA_BOOL |
				    VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, &one, 1));
	ASSERT_EQ(-EINVAL, set_irqs(fd, VFIO_PCI_INTX_IRQ_INDEX,
				    VFIO_IRQ_SET_DATA_NONE |
				    VFIO_IRQ_SET_ACTION_TRIGGER, 1, 0, NULL, 0));
	ASSERT_EQ(-EINVAL, set_irqs(fd, VFIO_PCI_INTX_IRQ_INDEX,
				    VFIO_IRQ_SET_DATA_NONE |
				    VFIO_IRQ_SET_ACTION_TRIGGER, 0, 2, NULL, 0));
	/* MSI-X: edu has no vector */
	ASSERT_EQ(-EINVAL, set_eventfd(fd, VFIO_PCI_MSIX_IRQ_INDEX, efd));
	/* Two actions at once: none is known */
	ASSERT_EQ(-ENOTTY, set_irqs(fd, VFIO_PCI_INTX_IRQ_INDEX,
				    VFIO_IRQ_SET_DATA_NONE |
				    VFIO_IRQ_SET_ACTION_MASK |
				    VFIO_IRQ_SET_ACTION_UNMASK, 0, 1, NULL, 0));
	/* argsz without room for the eventfd, or below the header */
	memset(&set, 0, sizeof(set));
	set.argsz = sizeof(set);
	set.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set.index = VFIO_PCI_INTX_IRQ_INDEX;
	set.count = 1;
	ASSERT_EQ(-EINVAL, xioctl(fd, VFIO_DEVICE_SET_IRQS, &set));
	set.argsz = offsetof(struct vfio_irq_set, count);
	ASSERT_EQ(-EINVAL, xioctl(fd, VFIO_DEVICE_SET_IRQS, &set));
	/* Not an eventfd */
	ASSERT_EQ(-EINVAL, set_eventfd(fd, VFIO_PCI_INTX_IRQ_INDEX,
				       self->d.iommufd));
	ASSERT_EQ(-EBADF, set_eventfd(fd, VFIO_PCI_INTX_IRQ_INDEX, 1000));
	/* None of that turned INTx on */
	ASSERT_EQ(-EINVAL, irq_action(fd, VFIO_PCI_INTX_IRQ_INDEX,
				      VFIO_IRQ_SET_ACTION_MASK, 1));
	close(efd);
}

/* The request eventfd fires when the device is taken from the driver. */
TEST_F(vfio, req_irq)
{
	int fd = self->d.devfd;
	int efd = eventfd(0, EFD_NONBLOCK);

	ASSERT_LE(0, efd);
	/* Loopback needs an eventfd first */
	ASSERT_EQ(-EINVAL, irq_action(fd, VFIO_PCI_REQ_IRQ_INDEX,
				      VFIO_IRQ_SET_ACTION_TRIGGER, 1));
	ASSERT_EQ(0, set_eventfd(fd, VFIO_PCI_REQ_IRQ_INDEX, efd));
	ASSERT_EQ(0, irq_action(fd, VFIO_PCI_REQ_IRQ_INDEX,
				VFIO_IRQ_SET_ACTION_TRIGGER, 1));
	ASSERT_EQ(1ULL, efd_wait(efd, IRQ_WAIT_MS));
	ASSERT_EQ(0, file_write(PCI_DRV "/unbind", "%s\n", self->d.bdf));
	ASSERT_EQ(1ULL, efd_wait(efd, IRQ_WAIT_MS));
	close(efd);
}

/* What one owner wrote, the next does not find. */
TEST_F(vfio, new_owner)
{
	int fd = self->d.devfd;
	__u8 cls, v8;
	__u16 cmd;
	__u32 bar;

	ASSERT_EQ(0, cfg_read(fd, PCI_CACHE_LINE_SIZE, &cls, 1));
	v8 = cls ^ 0x10;
	ASSERT_EQ(0, cfg_write(fd, PCI_CACHE_LINE_SIZE, &v8, 1));
	bar = 0;
	ASSERT_EQ(0, cfg_write(fd, PCI_BASE_ADDRESS_0, &bar, 4));
	cmd = PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE;
	ASSERT_EQ(0, cfg_write(fd, PCI_COMMAND, &cmd, 2));

	ASSERT_EQ(0, rebind(&self->d));
	fd = self->d.devfd;
	ASSERT_EQ(0, cfg_read(fd, PCI_CACHE_LINE_SIZE, &v8, 1));
	ASSERT_EQ(cls, v8);
	ASSERT_EQ(0, cfg_read(fd, PCI_BASE_ADDRESS_0, &bar, 4));
	ASSERT_NE(0U, bar & ~0xfU);
	ASSERT_EQ(0, cfg_read(fd, PCI_COMMAND, &cmd, 2));
	ASSERT_FALSE(!!(cmd & PCI_COMMAND_INTX_DISABLE));
	/* Bound again: bus mastering on, as at every bind */
	ASSERT_TRUE(!!(cmd & PCI_COMMAND_MASTER));
}

TEST_F(vfio, reset_and_hot_reset_info)
{
	struct vfio_pci_hot_reset_info hot;
	struct vfio_device_info info = { .argsz = sizeof(info) };
	int fd = self->d.devfd;

	ASSERT_EQ(0, xioctl(fd, VFIO_DEVICE_GET_INFO, &info));
	if (!(info.flags & VFIO_DEVICE_FLAGS_RESET)) {
		ASSERT_EQ(-EINVAL, xioctl(fd, VFIO_DEVICE_RESET, NULL));
	} else {
		ASSERT_EQ(0, xioctl(fd, VFIO_DEVICE_RESET, NULL));
		ASSERT_EQ(EDU_ID, mmio_rd32(&self->d, EDU_ID_REG));
	}

	memset(&hot, 0, sizeof(hot));
	hot.argsz = sizeof(hot);
	/* edu sits on the root bus: no slot or bus reset */
	ASSERT_EQ(-ENODEV, xioctl(fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO,
				  &hot));
	hot.argsz = offsetof(struct vfio_pci_hot_reset_info, count);
	ASSERT_EQ(-EINVAL, xioctl(fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO,
				  &hot));
}

TEST_F(vfio, feature)
{
	struct vfio_device_feature f;
	int fd = self->d.devfd;

	memset(&f, 0, sizeof(f));
	f.argsz = sizeof(f);
	/* A probe of a feature we lack: ENOTTY, as from vfio-pci */
	f.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET |
		  VFIO_DEVICE_FEATURE_MIGRATION;
	ASSERT_EQ(-ENOTTY, xioctl(fd, VFIO_DEVICE_FEATURE, &f));
	f.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET |
		  VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY;
	ASSERT_EQ(-ENOTTY, xioctl(fd, VFIO_DEVICE_FEATURE, &f));
	/* GET and SET together without PROBE, unknown flags, short argsz */
	f.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET |
		  VFIO_DEVICE_FEATURE_MIGRATION;
	ASSERT_EQ(-EINVAL, xioctl(fd, VFIO_DEVICE_FEATURE, &f));
	f.flags = 1U << 20;
	ASSERT_EQ(-EINVAL, xioctl(fd, VFIO_DEVICE_FEATURE, &f));
	f.argsz = offsetof(struct vfio_device_feature, flags);
	f.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET;
	ASSERT_EQ(-EINVAL, xioctl(fd, VFIO_DEVICE_FEATURE, &f));
	/* An ioctl the node does not know */
	ASSERT_EQ(-ENOTTY, xioctl(fd, VFIO_DEVICE_IOEVENTFD, &f));
}

TEST_HARNESS_MAIN
