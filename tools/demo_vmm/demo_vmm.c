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
 *   5. a guest process's page table (x86 4-level, built in guest RAM), a
 *      nested HWPT (IOMMU_HWPT_DATA_VTD_S1) over the parent, attached to
 *      PASID N; vtd_sm's walker resolves guest virtual addresses through
 *      both levels to the host pages of guest RAM; a guest PTE change and
 *      IOMMU_HWPT_INVALIDATE move a mapping;
 *   6. detach the RID: edu DMA no longer reaches guest RAM.
 *
 * Every step prints one TAP line ("ok N <step>" or "not ok N <step>");
 * the exit status is 0 only if every step that ran succeeded.  Steps the
 * platform cannot do (no edu, no nesting) say so in a comment line.
 */
#include <stdbool.h>

#include "../testing/selftests/iommufd_pasid/iommufd_utils.h"

#define GUEST_RAM_SIZE		(16UL << 20)
#define GUEST_PT_BASE		(8UL << 20)	/* guest page-table pages */
#define GUEST_BUF_BASE		(4UL << 20)	/* targets of the guest VAs */
#define GUEST_MOVED_PAGE	(6UL << 20)
#define XFER			2048

static int steps, failures;

static void report(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d demo_vmm: ", ok ? "" : "not ", ++steps);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!ok)
		failures++;
}

static const char *err(int rc)
{
	return rc ? strerror(-rc) : "done";
}

/* Copy guest RAM at @src to guest RAM at @dst through edu. */
static bool guest_copy(struct ifd_dev *d, __u8 *ram, __u64 src, __u64 dst,
		       unsigned int seed)
{
	pattern_fill(ram + src, XFER, seed);
	memset(ram + dst, 0, XFER);
	if (edu_copy(d, src, dst, XFER))
		return false;
	return !memcmp(ram + src, ram + dst, XFER);
}

struct guest {
	__u8 *ram;
	__u64 next_table;	/* GPA of the next free page-table page */
};

static __u64 *gpa_ptr(struct guest *g, __u64 gpa)
{
	return (__u64 *)(g->ram + gpa);
}

static __u64 guest_table(struct guest *g)
{
	__u64 gpa = g->next_table;

	g->next_table += page_size();
	memset(g->ram + gpa, 0, page_size());
	return gpa;
}

/* Map guest virtual @gva to @gpa (4 KiB) in the 4-level table at @root. */
static void guest_map(struct guest *g, __u64 root, __u64 gva, __u64 gpa)
{
	__u64 table = root, *e;
	int level;

	for (level = 3; level > 0; level--) {
		e = gpa_ptr(g, table) + ((gva >> (12 + 9 * level)) & 511);
		if (!(*e & FL_P))
			*e = guest_table(g) | FL_P | FL_RW | FL_US | FL_A;
		table = *e & FL_ADDR_MASK;
	}
	e = gpa_ptr(g, table) + ((gva >> 12) & 511);
	*e = gpa | FL_P | FL_RW | FL_US | FL_A | FL_D;
}

/* Does the walker take (@pasid, @gva) to the host page of guest @gpa? */
static bool walks_to(struct ifd_dev *d, long pasid, __u64 gva, __u8 *ram,
		     __u64 gpa)
{
	__u64 got = 0, want = 0;
	char line[256];

	if (virt_to_phys_user(ram + gpa, &want) ||
	    vtd_translate(d->bdf, pasid, gva, &got, line, sizeof(line)))
		return false;
	return got == want;
}

static void nested_demo(struct ifd_dev *d, __u32 parent, __u8 *ram, long pasid)
{
	static const __u64 gvas[] = {
		0x7f0000000000ULL, 0x7f0000001000ULL, 0x7f0000200000ULL,
	};
	struct iommu_hwpt_vtd_s1_invalidate inv = { .addr = gvas[0], .npages = 1 };
	struct guest g = { .ram = ram, .next_table = GUEST_PT_BASE };
	__u64 root = guest_table(&g);
	__u32 nested, n = 1;
	unsigned int i;
	bool ok = true;
	int rc;

	for (i = 0; i < 3; i++)
		guest_map(&g, root, gvas[i], GUEST_BUF_BASE + i * 0x10000);
	rc = hwpt_alloc_vtd_s1(d->iommufd, IOMMU_HWPT_ALLOC_PASID, d->dev_id,
			       parent, root, 48, 0, &nested);
	report(!rc, "nested HWPT (VTD_S1, guest root at GPA 0x%llx): %s",
	       (unsigned long long)root, err(rc));
	if (rc)
		return;
	rc = dev_attach(d->devfd, pasid, nested, NULL);
	report(!rc, "attach nested HWPT %u to PASID %ld: %s", nested, pasid,
	       err(rc));
	if (rc)
		goto out;

	for (i = 0; i < 3; i++)
		ok &= walks_to(d, pasid, gvas[i], ram, GUEST_BUF_BASE + i * 0x10000);
	report(ok, "walker: 3 guest VAs -> guest RAM pages (/proc/self/pagemap)");

	/* The guest moves its first page and invalidates it. */
	guest_map(&g, root, gvas[0], GUEST_MOVED_PAGE);
	rc = hwpt_invalidate(d->iommufd, nested, &inv, sizeof(inv), &n);
	report(!rc && n == 1, "IOMMU_HWPT_INVALIDATE of the changed PTE: %s",
	       err(rc));
	report(walks_to(d, pasid, gvas[0], ram, GUEST_MOVED_PAGE),
	       "walker follows the guest's new PTE");
	dev_detach(d->devfd, pasid);
out:
	obj_destroy(d->iommufd, nested);
}

int main(void)
{
	struct iommu_hw_info_vtd vtd = {};
	__u32 ioas, s2, flags;
	struct ifd_dev d;
	long pasid = 0;
	__u8 *ram;
	int rc;

	rc = ifd_dev_setup(&d, 3);
	if (rc) {
		if (rc == -ENODEV) {
			printf("1..0 # SKIP demo_vmm: %s\n", d.err);
			return 4;
		}
		report(false, "setup: %s", d.err);
		printf("1..%d\n", steps);
		return 1;
	}
	report(true, "%s bound to /dev/iommu: dev_id %u", d.bdf, d.dev_id);
	rc = hw_info_vtd(d.iommufd, d.dev_id, &vtd);
	report(!rc, "VT-d cap 0x%llx ecap 0x%llx: %s",
	       (unsigned long long)vtd.cap_reg,
	       (unsigned long long)vtd.ecap_reg, err(rc));

	ram = buf_alloc(GUEST_RAM_SIZE, 0);
	rc = ram ? ioas_alloc(d.iommufd, &ioas) : -ENOMEM;
	if (!rc)
		rc = ioas_map(d.iommufd, ioas, ram, GUEST_RAM_SIZE, 0);
	report(!rc, "guest RAM: %lu MiB at GPA 0: %s", GUEST_RAM_SIZE >> 20,
	       err(rc));
	if (rc)
		goto out;

	/*
	 * Nesting on a unit without ECAP.NEST (QEMU) needs vtd_sm's
	 * debug_nesting (tainting) switch; ifd_dev_teardown() turns it off.
	 */
	if (!rc && (vtd.ecap_reg & VTD_ECAP_SLTS))
		ifd_dev_debug_nesting(&d, vtd.ecap_reg);
	flags = IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_PASID;
	rc = hwpt_alloc(d.iommufd, flags, d.dev_id, ioas, &s2);
	if (rc == -EOPNOTSUPP) {
		printf("# demo_vmm: the unit cannot nest: a plain paging HWPT\n");
		flags = IOMMU_HWPT_ALLOC_PASID;
		rc = hwpt_alloc(d.iommufd, flags, d.dev_id, ioas, &s2);
	}
	report(!rc, "paging HWPT %u over the guest RAM: %s", s2, err(rc));
	if (rc)
		goto out;

	rc = dev_attach(d.devfd, RID, s2, NULL);
	report(!rc, "attach HWPT %u to the RID: %s", s2, err(rc));
	report(!rc && guest_copy(&d, ram, 0x100000, 0x200000, 1),
	       "edu DMA GPA 0x100000 -> edu -> GPA 0x200000");

	if (d.pasid_bits)
		pasid = (1L << d.pasid_bits) - 1 < 5 ? (1L << d.pasid_bits) - 1 : 5;
	if (!pasid || vtd_knob_set(d.bdf, VTD_KNOB_RID_PASID, pasid)) {
		printf("# demo_vmm: skip: PASID steps need vtd_sm's debug knobs\n");
	} else {
		rc = dev_attach(d.devfd, pasid, s2, NULL);
		report(!rc, "attach HWPT %u to PASID %ld: %s", s2, pasid, err(rc));
		report(!rc && guest_copy(&d, ram, 0x300000, 0x310000, 2),
		       "edu DMA through PASID %ld (RID_PASID knob)", pasid);
		dev_detach(d.devfd, pasid);
		if (flags & IOMMU_HWPT_ALLOC_NEST_PARENT)
			nested_demo(&d, s2, ram, pasid);
		vtd_knob_set(d.bdf, VTD_KNOB_RID_PASID, 0);
	}

	rc = dev_detach(d.devfd, RID);
	report(!rc, "detach the RID: %s", err(rc));
	report(!guest_copy(&d, ram, 0x100000, 0x200000, 3),
	       "edu DMA after detach does not reach guest RAM");
out:
	ifd_dev_teardown(&d);
	printf("# demo_vmm: %s (%d of %d steps failed)\n",
	       failures ? "FAILED" : "done", failures, steps);
	printf("1..%d\n", steps);
	return failures ? 1 : 0;
}
