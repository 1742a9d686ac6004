// SPDX-License-Identifier: GPL-2.0
/*
 * Closing with every kind of live object: a context holding IOASes with
 * user and memfd mappings, a copy, the VFIO compatibility IOAS, a fault
 * queue (its descriptor open), a paging HWPT naming the queue on PASID 1,
 * another on the RID, a nest parent and a nested HWPT on PASID
 * 2 (where the unit has a second level and the width allows it) and
 * allocated PASIDs, with edu bound, its BAR mapped and a DMA just done.
 * The files go in several orders; afterwards nothing may be left: the
 * pages are unpinned (VmPin), the memfd can be sealed against writes
 * again (no writeable mapping of it), the walker sees the RID back on
 * pass-through and no PASID entry, and a new context binds edu and
 * allocates PASIDs.  kmemleak at the end of the run checks the memory.
 */
#include <sys/syscall.h>

#include "iommufd_utils.h"
#include "kselftest_harness.h"

#define MEM_PAGES	16
#define GPA_MEM		0x100000ULL
#define IOVA_FILE	0x40000000ULL
#define IOVA_COPY	0x80000000ULL
#define PASID_PAGING	1
#define PASID_NESTED	2

#ifndef F_SEAL_WRITE
#define F_ADD_SEALS	1033
#define F_SEAL_WRITE	0x0008
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING	0x0002U
#endif

/* mm->pinned_vm of this process in KiB, or -1. */
static long long vm_pin_kib(void)
{
	char buf[4096], *p;
	long long kib;

	if (file_read("/proc/self/status", buf, sizeof(buf)))
		return -1;
	p = strstr(buf, "\nVmPin:");
	if (!p || sscanf(p, "\nVmPin: %lld", &kib) != 1)
		return -1;
	return kib;
}

static int pasid_alloc(int fd, __u32 *pasid)
{
	struct iommu_pasid_alloc cmd = {
		.size = sizeof(cmd),
		.min_pasid = 1,
		.max_pasid = (1U << 20) - 1,
	};
	int rc = xioctl(fd, IOMMU_PASID_ALLOC, &cmd);

	if (!rc)
		*pasid = cmd.out_pasid;
	return rc;
}

FIXTURE(cl) {
	struct ifd_dev d;
	size_t psz;
	char *mem;
	int memfd, qfd;
	long long pin_before;
	int nested;		/* PASID_NESTED holds a nested HWPT */
};

FIXTURE_VARIANT(cl) {
	int node_first;		/* the node before the context */
	int bar_last;		/* both files closed, the BAR still mapped */
};

FIXTURE_VARIANT_ADD(cl, context_first) {
	.node_first = 0,
};

FIXTURE_VARIANT_ADD(cl, node_first) {
	.node_first = 1,
};

FIXTURE_VARIANT_ADD(cl, bar_last) {
	.node_first = 1,
	.bar_last = 1,
};

/* Makes one of each kind of object; 0 or -errno, @what says which. */
static int make_everything(FIXTURE_DATA(cl) * self, const char **what)
{
	struct iommu_hw_info_vtd vtd = {};
	struct iommu_fault_alloc fa = { .size = sizeof(fa) };
	struct iommu_hwpt_alloc paging = {
		.size = sizeof(paging),
		.flags = IOMMU_HWPT_ALLOC_PASID | IOMMU_HWPT_FAULT_ID_VALID,
	};
	struct iommu_vfio_ioas compat = {
		.size = sizeof(compat),
		.op = IOMMU_VFIO_IOAS_SET,
	};
	struct iommu_ioas_map_file mf = {
		.size = sizeof(mf),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.length = MEM_PAGES * self->psz,
		.iova = IOVA_FILE,
	};
	struct iommu_ioas_copy copy = {
		.size = sizeof(copy),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.length = 4 * self->psz,
		.dst_iova = IOVA_COPY,
		.src_iova = GPA_MEM,
	};
	int fd = self->d.iommufd;
	__u32 a, b, rid, parent, nested, pasid;
	int i;

	*what = "IOAS and user memory";
	if (ioas_alloc(fd, &a) || ioas_alloc(fd, &b) ||
	    ioas_map(fd, a, self->mem, MEM_PAGES * self->psz, GPA_MEM))
		return -EIO;
	*what = "memfd mapping";
	mf.ioas_id = a;
	mf.fd = self->memfd;
	if (xioctl(fd, IOMMU_IOAS_MAP_FILE, &mf))
		return -EIO;
	*what = "IOAS copy";
	copy.dst_ioas_id = b;
	copy.src_ioas_id = a;
	if (xioctl(fd, IOMMU_IOAS_COPY, &copy))
		return -EIO;
	*what = "VFIO compatibility IOAS";
	compat.ioas_id = b;
	if (xioctl(fd, IOMMU_VFIO_IOAS, &compat))
		return -EIO;
	/*
	 * While PASIDs are attached the RID takes only a PASID-capable HWPT
	 * (mainline's rule), so not an automatic one: device_test's
	 * close_order closes with one of those.
	 */
	*what = "PASID-capable paging HWPT on the RID";
	if (hwpt_alloc(fd, IOMMU_HWPT_ALLOC_PASID, self->d.dev_id, a, &rid) ||
	    dev_attach(self->d.devfd, RID, rid, NULL))
		return -EIO;
	*what = "fault queue";
	if (xioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &fa))
		return -EIO;
	self->qfd = fa.out_fault_fd;
	*what = "paging HWPT with the fault queue on PASID 1";
	paging.dev_id = self->d.dev_id;
	paging.pt_id = a;
	paging.fault_id = fa.out_fault_id;
	if (xioctl(fd, IOMMU_HWPT_ALLOC, &paging))
		return -EIO;
	*what = "attach of it";
	if (dev_attach(self->d.devfd, PASID_PAGING, paging.out_hwpt_id, NULL))
		return -EIO;
	*what = "edu DMA through the RID";
	pattern_fill(self->mem, self->psz, 7);
	memset(self->mem + self->psz, 0, self->psz);
	if (edu_copy(&self->d, GPA_MEM, GPA_MEM + self->psz, 256) ||
	    !pattern_check(self->mem + self->psz, 256, 7))
		return -EIO;
	*what = "allocated PASIDs";
	for (i = 0; i < 3; i++)
		if (pasid_alloc(fd, &pasid))
			return -EIO;

	*what = "GET_HW_INFO";
	if (hw_info_vtd(fd, self->d.dev_id, &vtd))
		return -EIO;
	if (!(vtd.ecap_reg & VTD_ECAP_SLTS) ||
	    self->d.pasid_bits < 2)
		return 0;
	*what = "vtd_sm debug_nesting";
	if (ifd_dev_debug_nesting(&self->d, vtd.ecap_reg))
		return -EIO;
	*what = "nest parent and nested HWPT on PASID 2";
	/* A zeroed first-stage root: valid, translates nothing. */
	if (hwpt_alloc(fd, IOMMU_HWPT_ALLOC_NEST_PARENT |
		       IOMMU_HWPT_ALLOC_PASID, self->d.dev_id, a, &parent) ||
	    hwpt_alloc_vtd_s1(fd, IOMMU_HWPT_ALLOC_PASID, self->d.dev_id,
			      parent, GPA_MEM + 8 * self->psz, 48, 0,
			      &nested) ||
	    dev_attach(self->d.devfd, PASID_NESTED, nested, NULL))
		return -EIO;
	self->nested = 1;
	return 0;
}

FIXTURE_SETUP(cl)
{
	const char *what;
	int rc;

	self->qfd = -1;
	self->memfd = -1;
	self->psz = page_size();
	self->pin_before = vm_pin_kib();
	ASSERT_LE(0, self->pin_before);
	self->mem = buf_alloc(MEM_PAGES * self->psz, 0);
	ASSERT_NE(NULL, self->mem);
	self->memfd = syscall(SYS_memfd_create, "close_test",
			      MFD_ALLOW_SEALING);
	ASSERT_LE(0, self->memfd);
	ASSERT_EQ(0, ftruncate(self->memfd, MEM_PAGES * self->psz));

	rc = ifd_dev_setup(&self->d, 2);
	if (rc == -ENODEV)
		SKIP(return, "%s", self->d.err);
	ASSERT_EQ(0, rc) TH_LOG("%s", self->d.err);
	rc = make_everything(self, &what);
	ASSERT_EQ(0, rc) TH_LOG("%s: %s", what, strerror(errno));
	TH_LOG("nested HWPT on PASID %d: %s", PASID_NESTED,
	       self->nested ? "yes" : "no (no second level or PASID width)");
	/* Pinned now: the domains hold the pages. */
	ASSERT_LT(self->pin_before, vm_pin_kib());
	/* A writeable mapping of the memfd exists. */
	ASSERT_EQ(-1, fcntl(self->memfd, F_ADD_SEALS, F_SEAL_WRITE));
	ASSERT_EQ(EBUSY, errno);
}

FIXTURE_TEARDOWN(cl)
{
	if (self->qfd >= 0)
		close(self->qfd);
	ifd_dev_teardown(&self->d);
	if (self->memfd >= 0)
		close(self->memfd);
	if (self->mem)
		munmap(self->mem, MEM_PAGES * self->psz);
}

TEST_F(cl, nothing_left)
{
	char path[300], line[256];
	__u64 phys;
	__u32 pasid;
	int rc;

	if (variant->node_first) {
		if (variant->bar_last) {
			ASSERT_EQ(0, close(self->d.devfd));
			self->d.devfd = -1;
		} else {
			ifd_dev_close_node(&self->d);
		}
		ASSERT_EQ(0, close(self->d.iommufd));
		ASSERT_EQ(0, close(self->qfd));
	} else {
		ASSERT_EQ(0, close(self->d.iommufd));
		ASSERT_EQ(0, close(self->qfd));
		/* The binding still holds its context. */
		ASSERT_LT(self->pin_before, vm_pin_kib());
		ifd_dev_close_node(&self->d);
	}
	self->d.iommufd = -1;
	self->qfd = -1;
	snprintf(path, sizeof(path), DEVNODE_DIR "/%s", self->d.bdf);
	if (variant->bar_last) {
		/* The BAR mapping holds the node, and the node its context. */
		ASSERT_EQ(-1, open(path, O_RDWR));
		ASSERT_EQ(EBUSY, errno);
		ASSERT_LT(self->pin_before, vm_pin_kib());
		ifd_dev_close_node(&self->d);
	}

	EXPECT_EQ(self->pin_before, vm_pin_kib());
	EXPECT_EQ(0, fcntl(self->memfd, F_ADD_SEALS, F_SEAL_WRITE));
	rc = vtd_translate(self->d.bdf, RID, GPA_MEM, &phys, line,
			   sizeof(line));
	EXPECT_EQ(0, rc) TH_LOG("RID: %s", line);
	EXPECT_NE(NULL, strstr(line, " pgtt pt ")) TH_LOG("RID: %s", line);
	EXPECT_EQ(-EFAULT, vtd_translate(self->d.bdf, PASID_PAGING, GPA_MEM,
					 &phys, line, sizeof(line)))
		TH_LOG("PASID %d: %s", PASID_PAGING, line);
	if (self->nested)
		EXPECT_EQ(-EFAULT, vtd_translate(self->d.bdf, PASID_NESTED,
						 GPA_MEM, &phys, line,
						 sizeof(line)))
			TH_LOG("PASID %d: %s", PASID_NESTED, line);

	/* A new context takes the device and PASIDs. */
	self->d.iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->d.iommufd);
	ASSERT_EQ(0, ifd_dev_bind(&self->d)) TH_LOG("%s", self->d.err);
	ASSERT_EQ(0, pasid_alloc(self->d.iommufd, &pasid));
}

TEST_HARNESS_MAIN
