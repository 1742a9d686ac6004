// SPDX-License-Identifier: GPL-2.0
/*
 * Nested translation, checked with vtd_sm's independent walker (no
 * emulator translates nested PASID entries).
 *
 * "Guest memory" is a user buffer mapped at GPA_MEM in the IOAS of a nest
 * parent HWPT (IOVA = guest-physical address); three target pages are
 * mapped at GPA_TGT.  The test writes a 4-level first-stage table into
 * guest memory, as a guest driver would, that maps guest virtual
 * addresses to the targets, allocates a nested VT-d first-stage HWPT whose
 * pgtbl_addr is the GPA of its root, and attaches it to PASID N of edu.
 * The walker's answer for each guest virtual address must then be the
 * physical page of the target, as /proc/self/pagemap tells (root only).
 * Changing a guest PTE and invalidating through IOMMU_HWPT_INVALIDATE
 * must change the answer.
 *
 * QEMU does not offer ECAP.NEST: there the test turns on vtd_sm's
 * debug_nesting parameter, with which the unit holds nested entries all
 * the same (DMA through them faults; the walker proves them).  It skips
 * on a unit without second-level translation.
 */
#include "iommufd_utils.h"

#include "kselftest_harness.h"

#define GPA_MEM		0x10000000ULL	/* guest memory: the tables */
#define GPA_TGT		0x20000000ULL	/* the target pages */
#define GVA		0x00005a5a40200000ULL	/* canonical, 2 MiB aligned */
#define MEM_PAGES	8
#define TGT_PAGES	3
#define FL_TABLE	(FL_P | FL_RW | FL_US | FL_A)
#define FL_LEAF		(FL_P | FL_RW | FL_US | FL_A | FL_D)

FIXTURE(nw) {
	struct ifd_dev d;
	size_t psz;
	int fd;
	long pasid;
	__u64 *mem;	/* guest memory; page i at GPA_MEM + i * psz */
	char *tgt;
	__u64 tgt_phys[TGT_PAGES];
	__u32 ioas, parent, nested;
};

static __u64 *table(FIXTURE_DATA(nw) * self, unsigned int page)
{
	return self->mem + page * (self->psz / sizeof(__u64));
}

static unsigned int idx(__u64 va, unsigned int level)
{
	return (va >> (12 + 9 * (level - 1))) & 511;
}

/*
 * Guest tables in guest memory: page 0 the PML4, 1 the PDPT, 2 the page
 * directory, 3 the page table of the 2 MiB at GVA; GVA + i pages maps
 * target page i.
 */
static void build_tables(FIXTURE_DATA(nw) * self)
{
	unsigned int i;

	memset(self->mem, 0, MEM_PAGES * self->psz);
	table(self, 0)[idx(GVA, 4)] = (GPA_MEM + 1 * self->psz) | FL_TABLE;
	table(self, 1)[idx(GVA, 3)] = (GPA_MEM + 2 * self->psz) | FL_TABLE;
	table(self, 2)[idx(GVA, 2)] = (GPA_MEM + 3 * self->psz) | FL_TABLE;
	for (i = 0; i < TGT_PAGES; i++)
		table(self, 3)[idx(GVA, 1) + i] =
			(GPA_TGT + i * self->psz) | FL_LEAF;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

#define NO_PARENT	1

/*
 * What setup does once edu is bound: 0, NO_PARENT (the unit has no second
 * level: skip), or -errno with @what set.
 */
static int setup_rest(FIXTURE_DATA(nw) * self, const char **what)
{
	struct iommu_hw_info_vtd vtd = {};
	int fd = self->fd = self->d.iommufd;
	unsigned int i;
	int rc;

	*what = "no PASID width granted";
	/* Every VT-d unit has at least PASIDs 0 and 1. */
	if (!self->d.pasid_bits)
		return -ERANGE;
	self->pasid = (1L << self->d.pasid_bits) - 1;
	if (self->pasid > 5)
		self->pasid = 5;
	*what = "IOAS";
	if (ioas_alloc(fd, &self->ioas) ||
	    ioas_map(fd, self->ioas, self->mem, MEM_PAGES * self->psz,
		     GPA_MEM))
		return -EIO;
	/* one mapping per target page, so that each can be unmapped */
	for (i = 0; i < TGT_PAGES; i++)
		if (ioas_map(fd, self->ioas, self->tgt + i * self->psz,
			     self->psz, GPA_TGT + i * self->psz))
			return -EIO;
	/* Pinned by the map: the physical pages stay put from now on. */
	*what = "/proc/self/pagemap";
	for (i = 0; i < TGT_PAGES; i++)
		if (virt_to_phys_user(self->tgt + i * self->psz,
				      &self->tgt_phys[i]))
			return -EIO;
	*what = "GET_HW_INFO";
	if (hw_info_vtd(fd, self->d.dev_id, &vtd))
		return -EIO;
	if (!(vtd.ecap_reg & VTD_ECAP_SLTS))
		return NO_PARENT;
	*what = "vtd_sm debug_nesting";
	if (ifd_dev_debug_nesting(&self->d, vtd.ecap_reg))
		return -EIO;
	*what = "nest parent";
	rc = hwpt_alloc(fd, IOMMU_HWPT_ALLOC_NEST_PARENT |
			IOMMU_HWPT_ALLOC_PASID, self->d.dev_id, self->ioas,
			&self->parent);
	if (rc)
		return rc;
	*what = "nested HWPT";
	rc = hwpt_alloc_vtd_s1(fd, IOMMU_HWPT_ALLOC_PASID, self->d.dev_id,
			       self->parent, GPA_MEM, 48, 0, &self->nested);
	if (rc)
		return rc;
	*what = "attach of the nested HWPT";
	return dev_attach(self->d.devfd, self->pasid, self->nested, NULL);
}

FIXTURE_SETUP(nw)
{
	const char *what;
	int rc;

	self->psz = page_size();
	ASSERT_EQ(4096U, self->psz);
	self->mem = buf_alloc(MEM_PAGES * self->psz, 0);
	self->tgt = buf_alloc(TGT_PAGES * self->psz, 0x42);
	ASSERT_NE(NULL, self->mem);
	ASSERT_NE(NULL, self->tgt);
	build_tables(self);
	rc = ifd_dev_setup(&self->d, 3);
	if (rc == -ENODEV)
		SKIP(return, "%s", self->d.err);
	ASSERT_EQ(0, rc) TH_LOG("%s", self->d.err);
	/* From here on a failure must give edu back before it ends. */
	rc = setup_rest(self, &what);
	if (rc)
		ifd_dev_teardown(&self->d);
	if (rc == NO_PARENT)
		SKIP(return, "no nest parent: unit without second level");
	ASSERT_EQ(0, rc) TH_LOG("%s", what);
}

FIXTURE_TEARDOWN(nw)
{
	ifd_dev_teardown(&self->d);
}

/* The walker's answer for a read of @gva with the test's PASID. */
static int walk(FIXTURE_DATA(nw) * self, __u64 gva, __u64 *phys, char *line,
		size_t len)
{
	return vtd_translate(self->d.bdf, self->pasid, gva, phys, line, len);
}

static int invalidate_one(FIXTURE_DATA(nw) * self, __u64 gva)
{
	struct iommu_hwpt_vtd_s1_invalidate inv = {
		.addr = gva, .npages = 1, .flags = IOMMU_VTD_INV_FLAGS_LEAF,
	};
	__u32 num = 1;
	int rc = hwpt_invalidate(self->fd, self->nested, &inv, sizeof(inv),
				 &num);

	return rc ? rc : (num == 1 ? 0 : -EPROTO);
}

TEST_F(nw, walker_agrees_with_pagemap)
{
	static const __u64 offs[] = { 0, 0x8, 0x7f0, 0xff8 };
	char line[256];
	unsigned int i, j;
	__u64 phys;

	for (i = 0; i < TGT_PAGES; i++) {
		for (j = 0; j < ARRAY_SIZE(offs); j++) {
			__u64 gva = GVA + i * self->psz + offs[j];

			ASSERT_EQ(0, walk(self, gva, &phys, line,
					  sizeof(line)))
				TH_LOG("GVA %#llx: %s", gva, line);
			ASSERT_EQ(self->tgt_phys[i] + offs[j], phys)
				TH_LOG("GVA %#llx: %s", gva, line);
			ASSERT_NE(NULL, strstr(line, " pgtt nested "))
				TH_LOG("%s", line);
		}
	}
}

TEST_F(nw, unmapped_gva_faults)
{
	char line[256];
	__u64 phys;

	/* the next page table entry, the next 2 MiB, another PML4 slot */
	ASSERT_EQ(-EFAULT, walk(self, GVA + TGT_PAGES * self->psz, &phys,
				line, sizeof(line)))
		TH_LOG("%s", line);
	ASSERT_EQ(-EFAULT, walk(self, GVA + (2ULL << 20), &phys, line,
				sizeof(line)))
		TH_LOG("%s", line);
	ASSERT_EQ(-EFAULT, walk(self, GVA ^ (1ULL << 40), &phys, line,
				sizeof(line)))
		TH_LOG("%s", line);
	/* a non-canonical address */
	ASSERT_EQ(-EFAULT, walk(self, 1ULL << 47, &phys, line, sizeof(line)))
		TH_LOG("%s", line);
}

TEST_F(nw, guest_pte_change_and_invalidate)
{
	__u64 *pte = &table(self, 3)[idx(GVA, 1)];
	char line[256];
	__u64 phys;

	ASSERT_EQ(0, walk(self, GVA + 0x10, &phys, line, sizeof(line)))
		TH_LOG("%s", line);
	ASSERT_EQ(self->tgt_phys[0] + 0x10, phys);

	/* The guest points its first page at target page 2. */
	__atomic_store_n(pte, (GPA_TGT + 2 * self->psz) | FL_LEAF,
			 __ATOMIC_SEQ_CST);
	ASSERT_EQ(0, invalidate_one(self, GVA));
	ASSERT_EQ(0, walk(self, GVA + 0x10, &phys, line, sizeof(line)))
		TH_LOG("%s", line);
	ASSERT_EQ(self->tgt_phys[2] + 0x10, phys) TH_LOG("%s", line);
	/* its neighbour did not move */
	ASSERT_EQ(0, walk(self, GVA + self->psz, &phys, line, sizeof(line)))
		TH_LOG("%s", line);
	ASSERT_EQ(self->tgt_phys[1], phys) TH_LOG("%s", line);

	/* Then unmaps it. */
	__atomic_store_n(pte, 0, __ATOMIC_SEQ_CST);
	ASSERT_EQ(0, invalidate_one(self, GVA));
	ASSERT_EQ(-EFAULT, walk(self, GVA, &phys, line, sizeof(line)))
		TH_LOG("%s", line);

	/* A table level the guest points elsewhere: a new page table. */
	memcpy(table(self, 4), table(self, 3), self->psz);
	table(self, 4)[idx(GVA, 1)] = GPA_TGT | FL_LEAF;
	__atomic_store_n(&table(self, 2)[idx(GVA, 2)],
			 (GPA_MEM + 4 * self->psz) | FL_TABLE,
			 __ATOMIC_SEQ_CST);
	ASSERT_EQ(0, invalidate_one(self, GVA));
	ASSERT_EQ(0, walk(self, GVA, &phys, line, sizeof(line)))
		TH_LOG("%s", line);
	ASSERT_EQ(self->tgt_phys[0], phys) TH_LOG("%s", line);
}

TEST_F(nw, table_outside_guest_memory_faults)
{
	char line[256];
	__u64 phys;

	/* A PDE whose table GPA the parent does not map: nested fault. */
	__atomic_store_n(&table(self, 2)[idx(GVA, 2)],
			 0x30000000ULL | FL_TABLE, __ATOMIC_SEQ_CST);
	ASSERT_EQ(0, invalidate_one(self, GVA));
	ASSERT_EQ(-EFAULT, walk(self, GVA, &phys, line, sizeof(line)))
		TH_LOG("%s", line);
	/* Unmapping a target from the parent: the output GPA faults. */
	build_tables(self);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, GPA_TGT + self->psz,
				self->psz));
	ASSERT_EQ(-EFAULT, walk(self, GVA + self->psz, &phys, line,
				sizeof(line)))
		TH_LOG("%s", line);
	ASSERT_EQ(0, walk(self, GVA, &phys, line, sizeof(line)))
		TH_LOG("%s", line);
	ASSERT_EQ(self->tgt_phys[0], phys);
}

TEST_F(nw, replace_and_detach)
{
	char line[256];
	__u32 other;
	__u64 phys;

	/* A second nested HWPT with its root at another page. */
	memcpy(table(self, 5), table(self, 0), self->psz);
	ASSERT_EQ(0, hwpt_alloc_vtd_s1(self->fd, IOMMU_HWPT_ALLOC_PASID,
				       self->d.dev_id, self->parent,
				       GPA_MEM + 5 * self->psz, 48, 0,
				       &other));
	ASSERT_EQ(0, dev_attach(self->d.devfd, self->pasid, other, NULL));
	ASSERT_EQ(-EBUSY, obj_destroy(self->fd, other));
	ASSERT_EQ(0, obj_destroy(self->fd, self->nested));
	ASSERT_EQ(0, walk(self, GVA + self->psz, &phys, line, sizeof(line)))
		TH_LOG("%s", line);
	ASSERT_EQ(self->tgt_phys[1], phys);
	/* the parent itself on the PASID: GVAs are now IOVAs of the IOAS */
	ASSERT_EQ(0, dev_attach(self->d.devfd, self->pasid, self->parent,
				NULL));
	ASSERT_EQ(0, walk(self, GPA_TGT + 2 * self->psz, &phys, line,
			  sizeof(line)))
		TH_LOG("%s", line);
	ASSERT_EQ(self->tgt_phys[2], phys);
	ASSERT_EQ(-EFAULT, walk(self, GVA, &phys, line, sizeof(line)));
	ASSERT_EQ(0, dev_detach(self->d.devfd, self->pasid));
	ASSERT_EQ(-EFAULT, walk(self, GPA_TGT, &phys, line, sizeof(line)))
		TH_LOG("%s", line);
}

TEST_HARNESS_MAIN
