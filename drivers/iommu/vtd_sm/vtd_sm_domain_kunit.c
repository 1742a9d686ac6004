// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of vtd_sm's paging and nested domains against fake units:
 * allocation flags, the VT-d first-stage description of a nested domain,
 * domain id reference counting, and the invalidation descriptors of
 * unmaps and of user invalidations (checked with the field positions of
 * the specification written out here, not with the driver's macros).
 *
 * The fake unit consumes its invalidation queue when the tail moves,
 * records every descriptor and completes wait descriptors.
 */
#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/io.h>
#include <linux/mman.h>
#include <linux/uaccess.h>

#include "pasid_entry.h"
#include "regs.h"
#include "vtd.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/* Invalidation descriptors, per the VT-d specification. */
#define D_TYPE		GENMASK_ULL(3, 0)
#define D_G		GENMASK_ULL(5, 4)
#define D_DW		BIT_ULL(6)
#define D_DR		BIT_ULL(7)
#define D_DID		GENMASK_ULL(31, 16)
#define D_PASID		GENMASK_ULL(51, 32)
#define D_ADDR		GENMASK_ULL(63, 12)
#define D_IH		BIT_ULL(6)
#define D_AM		GENMASK_ULL(5, 0)
#define T_IOTLB		2
#define T_WAIT		5
#define T_PIOTLB	6
#define G_IOTLB_DOMAIN	2
#define G_IOTLB_PAGE	3
#define G_PIOTLB_PASID	2
#define G_PIOTLB_PAGE	3

/* CAP_REG fields the driver's header does not name. */
#define CAP_PSI		BIT_ULL(39)
#define CAP_MAMV	GENMASK_ULL(53, 48)

/* 4-level (48-bit) second level, 16 domain ids, 2 MiB pages, AM up to 9. */
#define FAKE_CAP	(FIELD_PREP(VTD_CAP_SAGAW, BIT(1) | BIT(2)) |	\
			 FIELD_PREP(VTD_CAP_MGAW, 47) |			\
			 FIELD_PREP(VTD_CAP_SLLPS, 1) |			\
			 VTD_CAP_CM | CAP_PSI | FIELD_PREP(CAP_MAMV, 9))
#define FAKE_ECAP	(VTD_ECAP_C | VTD_ECAP_QI | VTD_ECAP_PT |	\
			 VTD_ECAP_NEST | VTD_ECAP_PASID | VTD_ECAP_SMTS |	\
			 VTD_ECAP_SLTS | VTD_ECAP_FLTS)

/* How the fake unit fails the batch it was armed for (fake_fail()). */
enum fake_fail_kind {
	FAIL_NONE,
	FAIL_IQE,	/* refuses the batch's first descriptor */
	FAIL_ITE,	/* drops the batch's wait with a time-out error */
	FAIL_HANG,	/* never completes the wait (until the next batch) */
};

struct fake_unit {
	struct vtd_unit unit;
	u64 iqh;
	u64 iqt;
	u32 fsts;
	unsigned int refuse_type;
	unsigned int refuse_left;
	struct vtd_qi_desc seen[32];
	/* Words 0 and 1 of *@watch when each descriptor was processed. */
	u64 seen_pe[32][2];
	unsigned int nr_seen;
	unsigned int waits;
	struct vtd_pasid_entry *watch;
	enum fake_fail_kind fail_kind;
	unsigned int fail_at;	/* the batch (by waits completed) that fails */
	bool failed;
	bool stuck;
};

/* Fail the @nth batch from now (1: the next one), once. */
static void fake_fail(struct fake_unit *f, enum fake_fail_kind kind,
		      unsigned int nth)
{
	f->fail_kind = kind;
	f->fail_at = f->waits + nth;
	f->failed = false;
}

static bool fake_fail_now(struct fake_unit *f, enum fake_fail_kind kind)
{
	if (f->fail_kind != kind || f->failed || f->waits + 1 != f->fail_at)
		return false;
	f->failed = true;
	return true;
}

static void fake_run(struct fake_unit *f)
{
	struct vtd_qi *qi = &f->unit.qi;

	while (f->iqh != f->iqt && !(f->fsts & VTD_FSTS_IQE) && !f->stuck) {
		unsigned int idx = f->iqh >> 5;
		struct vtd_qi_desc *d = &qi->ring[idx];
		bool wait = FIELD_GET(D_TYPE, d->qw[0]) == T_WAIT;

		/* A refused descriptor stops the queue at it (IQE). */
		if ((FIELD_GET(D_TYPE, d->qw[0]) == f->refuse_type &&
		     f->refuse_left) || (!wait && fake_fail_now(f, FAIL_IQE))) {
			if (f->refuse_left)
				f->refuse_left--;
			f->fsts |= VTD_FSTS_IQE;
			return;
		}
		if (wait && (d->qw[0] & VTD_QI_WAIT_SW) &&
		    fake_fail_now(f, FAIL_HANG)) {
			f->stuck = true;
			return;
		}
		if (wait && (d->qw[0] & VTD_QI_WAIT_SW)) {
			u32 *status = phys_to_virt(d->qw[1] & VTD_QI_WAIT_ADDR);

			if (fake_fail_now(f, FAIL_ITE))
				f->fsts |= VTD_FSTS_ITE;
			else
				WRITE_ONCE(*status,
					   FIELD_GET(VTD_QI_WAIT_DATA, d->qw[0]));
			f->waits++;
		} else if (!wait && f->nr_seen < ARRAY_SIZE(f->seen)) {
			if (f->watch) {
				f->seen_pe[f->nr_seen][0] = READ_ONCE(f->watch->val[0]);
				f->seen_pe[f->nr_seen][1] = READ_ONCE(f->watch->val[1]);
			}
			f->seen[f->nr_seen++] = *d;
		}
		f->iqh = (u64)((idx + 1) & (qi->size - 1)) << 5;
	}
}

static u64 fake_read(void *priv, unsigned int reg)
{
	struct fake_unit *f = priv;

	switch (reg) {
	case VTD_REG_IQH:
		fake_run(f);
		return f->iqh;
	case VTD_REG_IQT:
		return f->iqt;
	case VTD_REG_FSTS:
		return f->fsts;
	}
	return 0;
}

static void fake_write(void *priv, unsigned int reg, u64 val)
{
	struct fake_unit *f = priv;

	if (reg == VTD_REG_IQT) {
		/* A hung wait completes late, once the next batch comes. */
		if (f->stuck) {
			f->stuck = false;
			f->waits++;
			f->iqh = (f->iqh + 32) & ((f->unit.qi.size << 5) - 1);
		}
		f->iqt = val;
	} else if (reg == VTD_REG_FSTS) {
		f->fsts &= ~(u32)val;
	}
	fake_run(f);
}

static const struct vtd_qi_io fake_io = {
	.read = fake_read,
	.write = fake_write,
};

static void fake_exit(void *data)
{
	struct fake_unit *f = data;

	vtd_qi_destroy(&f->unit.qi);
	ida_destroy(&f->unit.domain_ids);
}

static struct fake_unit *fake_new(struct kunit *test, u64 cap, u64 ecap)
{
	struct fake_unit *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->unit.cap = cap;
	f->unit.ecap = ecap;
	spin_lock_init(&f->unit.ctx_lock);
	ida_init(&f->unit.domain_ids);
	/* dom_dev_at() stores devices: its lock must be known to lockdep. */
	xa_init(&f->unit.devices);
	KUNIT_ASSERT_EQ(test, vtd_qi_init(&f->unit.qi, 0, &fake_io, f, "fake"), 0);
	/* A hung batch is given up sooner (error messages take time too). */
	f->unit.qi.timeout_us = 200 * USEC_PER_MSEC;
	strscpy(f->unit.name, "fake", sizeof(f->unit.name));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, fake_exit, f), 0);
	return f;
}

static void dom_free(void *data)
{
	struct iommu_domain *domain = data;
	struct vtd_domain *vd = to_vtd_domain(domain);

	/* The driver keeps a quarantined table forever; the test does not. */
	if (vd && vd->quarantined && vd->kind != VTD_DOMAIN_NESTED)
		vtd_pgtable_destroy(&vd->pt);
	domain->ops->free(domain);
}

/* A paging domain from domain_alloc_user, freed at the end of the test. */
static struct vtd_domain *dom_new(struct kunit *test, struct vtd_unit *unit,
				  u32 flags)
{
	struct iommu_domain *domain;

	domain = vtd_domain_alloc_user_unit(unit, flags, NULL, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(domain));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, dom_free, domain), 0);
	return to_vtd_domain(domain);
}

/* Attachment records as the attach path makes them, without a device. */
static struct vtd_attachment *dom_attach(struct kunit *test,
					 struct vtd_domain *vd,
					 struct vtd_unit *unit, u32 pasid)
{
	struct vtd_attachment *att = kzalloc(sizeof(*att), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, att);
	att->pasid = pasid;
	if (vd->parent)
		KUNIT_ASSERT_FALSE(test,
				   IS_ERR(vtd_domain_get_did(vd->parent, unit)));
	att->du = vtd_domain_get_did(vd, unit);
	KUNIT_ASSERT_FALSE(test, IS_ERR(att->du));
	spin_lock_irq(&vd->lock);
	list_add_tail(&att->node, &vd->attachments);
	spin_unlock_irq(&vd->lock);
	return att;
}

static void dom_detach(struct vtd_domain *vd, struct vtd_attachment *att)
{
	spin_lock_irq(&vd->lock);
	list_del(&att->node);
	spin_unlock_irq(&vd->lock);
	if (vd->parent)
		vtd_domain_put_did(vd->parent,
				   vtd_domain_parent_du(vd, att->du->unit));
	vtd_domain_put_did(vd, att->du);
	kfree(att);
}

/* Copy @len bytes of @src to a fresh user mapping. */
static void __user *dom_user(struct kunit *test, const void *src, size_t len)
{
	unsigned long addr;

	addr = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, addr, 0, "no user memory");
	KUNIT_ASSERT_LT_MSG(test, addr, (unsigned long)TASK_SIZE, "no user memory");
	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)addr, src, len), 0);
	return (void __user *)addr;
}

static void dom_test_alloc_flags(struct kunit *test)
{
	struct fake_unit *f = fake_new(test, FAKE_CAP, FAKE_ECAP);
	struct fake_unit *nonest = fake_new(test, FAKE_CAP, FAKE_ECAP & ~VTD_ECAP_NEST);
	struct fake_unit *flonly = fake_new(test, FAKE_CAP, FAKE_ECAP & ~VTD_ECAP_SLTS);
	struct iommu_user_data ud = { .type = IOMMU_HWPT_DATA_NONE };
	struct vtd_domain *vd;
	struct iommu_domain *d;

	/* Second level where the unit has it, sized to MGAW. */
	vd = dom_new(test, &f->unit, 0);
	KUNIT_EXPECT_EQ(test, vd->kind, VTD_DOMAIN_SL);
	KUNIT_EXPECT_EQ(test, vd->domain.type, IOMMU_DOMAIN_UNMANAGED);
	KUNIT_EXPECT_EQ(test, vd->pt.levels, 4);
	KUNIT_EXPECT_EQ(test, vd->domain.geometry.aperture_end, BIT_ULL(48) - 1);
	KUNIT_EXPECT_TRUE(test, vd->domain.geometry.force_aperture);
	KUNIT_EXPECT_EQ(test, vd->domain.pgsize_bitmap, SZ_4K | SZ_2M);

	vd = dom_new(test, &f->unit, IOMMU_HWPT_ALLOC_NEST_PARENT |
		     IOMMU_HWPT_ALLOC_PASID);
	KUNIT_EXPECT_EQ(test, vd->alloc_flags, IOMMU_HWPT_ALLOC_NEST_PARENT |
			IOMMU_HWPT_ALLOC_PASID);

	/* Dirty tracking and unknown flags are not supported. */
	d = vtd_domain_alloc_user_unit(&f->unit, IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
				       NULL, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(d), -EOPNOTSUPP);
	d = vtd_domain_alloc_user_unit(&f->unit, BIT(2), NULL, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(d), -EOPNOTSUPP);
	d = vtd_domain_alloc_user_unit(&f->unit, BIT(31), NULL, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(d), -EOPNOTSUPP);
	/* Data only describes nested domains. */
	d = vtd_domain_alloc_user_unit(&f->unit, 0, NULL, &ud);
	KUNIT_EXPECT_EQ(test, PTR_ERR(d), -EOPNOTSUPP);

	/* A nest parent needs ECAP.NEST and a second level. */
	d = vtd_domain_alloc_user_unit(&nonest->unit, IOMMU_HWPT_ALLOC_NEST_PARENT,
				       NULL, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(d), -EOPNOTSUPP);
	d = vtd_domain_alloc_user_unit(&flonly->unit, IOMMU_HWPT_ALLOC_NEST_PARENT,
				       NULL, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(d), -EOPNOTSUPP);

	/* First level on a unit without second level: canonical lower half. */
	vd = dom_new(test, &flonly->unit, IOMMU_HWPT_ALLOC_PASID);
	KUNIT_EXPECT_EQ(test, vd->kind, VTD_DOMAIN_FL);
	KUNIT_EXPECT_EQ(test, vd->pt.levels, 4);
	KUNIT_EXPECT_EQ(test, vd->domain.geometry.aperture_end, BIT_ULL(47) - 1);
	KUNIT_EXPECT_EQ(test, vd->domain.pgsize_bitmap, SZ_4K | SZ_2M);

	/* A unit with neither cannot have paging domains. */
	d = vtd_domain_alloc_user_unit(&fake_new(test, FAKE_CAP, FAKE_ECAP &
					~(VTD_ECAP_SLTS | VTD_ECAP_FLTS))->unit,
				       0, NULL, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(d), -EOPNOTSUPP);
}

static void dom_test_s1_check(struct kunit *test)
{
	struct fake_unit *f = fake_new(test, FAKE_CAP, FAKE_ECAP);
	struct fake_unit *full = fake_new(test, FAKE_CAP | VTD_CAP_FL5LP,
					  FAKE_ECAP | VTD_ECAP_SRS | VTD_ECAP_EAFS);
	struct vtd_domain *p = dom_new(test, &f->unit, IOMMU_HWPT_ALLOC_NEST_PARENT);
	struct vtd_domain *pf = dom_new(test, &full->unit, IOMMU_HWPT_ALLOC_NEST_PARENT);
	const struct iommu_hwpt_vtd_s1 good = {
		.pgtbl_addr = 0x12345000, .addr_width = 48,
	};
	struct iommu_hwpt_vtd_s1 s1;

	KUNIT_EXPECT_EQ(test, vtd_nested_check_s1(p, &good), 0);
	s1 = good;
	s1.flags = IOMMU_VTD_S1_WPE;
	KUNIT_EXPECT_EQ(test, vtd_nested_check_s1(p, &s1), 0);

	/* Unknown flag, reserved field. */
	s1 = good;
	s1.flags = BIT_ULL(3);
	KUNIT_EXPECT_EQ(test, vtd_nested_check_s1(p, &s1), -EINVAL);
	s1 = good;
	s1.__reserved = 1;
	KUNIT_EXPECT_EQ(test, vtd_nested_check_s1(p, &s1), -EINVAL);

	/* SRE needs ECAP.SRS, EAFE ECAP.EAFS. */
	s1 = good;
	s1.flags = IOMMU_VTD_S1_SRE;
	KUNIT_EXPECT_EQ(test, vtd_nested_check_s1(p, &s1), -EINVAL);
	KUNIT_EXPECT_EQ(test, vtd_nested_check_s1(pf, &s1), 0);
	s1.flags = IOMMU_VTD_S1_EAFE;
	KUNIT_EXPECT_EQ(test, vtd_nested_check_s1(p, &s1), -EINVAL);
	KUNIT_EXPECT_EQ(test, vtd_nested_check_s1(pf, &s1), 0);

	/* 48 or 57 bits; 57 needs CAP.FL5LP. */
	s1 = good;
	s1.addr_width = 39;
	KUNIT_EXPECT_EQ(test, vtd_nested_check_s1(p, &s1), -EINVAL);
	s1.addr_width = 0;
	KUNIT_EXPECT_EQ(test, vtd_nested_check_s1(p, &s1), -EINVAL);
	s1.addr_width = 57;
	KUNIT_EXPECT_EQ(test, vtd_nested_check_s1(p, &s1), -EINVAL);
	KUNIT_EXPECT_EQ(test, vtd_nested_check_s1(pf, &s1), 0);

	/* The table: 4 KiB aligned, inside the parent's 48-bit space. */
	s1 = good;
	s1.pgtbl_addr = 0x12345800;
	KUNIT_EXPECT_EQ(test, vtd_nested_check_s1(p, &s1), -EINVAL);
	s1.pgtbl_addr = BIT_ULL(48) - SZ_4K;
	KUNIT_EXPECT_EQ(test, vtd_nested_check_s1(p, &s1), 0);
	s1.pgtbl_addr = BIT_ULL(48);
	KUNIT_EXPECT_EQ(test, vtd_nested_check_s1(p, &s1), -EINVAL);
}

static void dom_test_nested_alloc(struct kunit *test)
{
	struct fake_unit *f = fake_new(test, FAKE_CAP, FAKE_ECAP);
	struct vtd_domain *parent = dom_new(test, &f->unit,
					    IOMMU_HWPT_ALLOC_NEST_PARENT);
	struct vtd_domain *plain = dom_new(test, &f->unit, 0);
	struct vtd_domain *fl = dom_new(test, &fake_new(test, FAKE_CAP,
				FAKE_ECAP & ~VTD_ECAP_SLTS)->unit, 0);
	struct {
		struct iommu_hwpt_vtd_s1 s1;
		u64 more;
	} data = { .s1 = { .flags = IOMMU_VTD_S1_WPE, .pgtbl_addr = 0x40000,
			   .addr_width = 48 } };
	struct iommu_user_data ud = {
		.type = IOMMU_HWPT_DATA_VTD_S1,
		.len = sizeof(data.s1),
	};
	struct iommu_domain *d;
	struct vtd_domain *vd;

	ud.uptr = dom_user(test, &data, sizeof(data));

	/* The parent must be a second-level nest parent of this driver. */
	d = vtd_domain_alloc_user_unit(&f->unit, 0, &plain->domain, &ud);
	KUNIT_EXPECT_EQ(test, PTR_ERR(d), -EINVAL);
	d = vtd_domain_alloc_user_unit(&f->unit, 0, &fl->domain, &ud);
	KUNIT_EXPECT_EQ(test, PTR_ERR(d), -EINVAL);
	/* Only IOMMU_HWPT_ALLOC_PASID, only VTD_S1 data. */
	d = vtd_domain_alloc_user_unit(&f->unit, IOMMU_HWPT_ALLOC_NEST_PARENT,
				       &parent->domain, &ud);
	KUNIT_EXPECT_EQ(test, PTR_ERR(d), -EOPNOTSUPP);
	ud.type = IOMMU_HWPT_DATA_ARM_SMMUV3;
	d = vtd_domain_alloc_user_unit(&f->unit, 0, &parent->domain, &ud);
	KUNIT_EXPECT_EQ(test, PTR_ERR(d), -EOPNOTSUPP);
	ud.type = IOMMU_HWPT_DATA_VTD_S1;
	d = vtd_domain_alloc_user_unit(&f->unit, 0, &parent->domain, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(d), -EOPNOTSUPP);

	/* Too short, or longer than the struct (6.12 rejects both). */
	ud.len = sizeof(data.s1) - 4;
	d = vtd_domain_alloc_user_unit(&f->unit, 0, &parent->domain, &ud);
	KUNIT_EXPECT_EQ(test, PTR_ERR(d), -EINVAL);
	data.more = 1;
	ud.uptr = dom_user(test, &data, sizeof(data));
	ud.len = sizeof(data);
	d = vtd_domain_alloc_user_unit(&f->unit, 0, &parent->domain, &ud);
	KUNIT_EXPECT_EQ(test, PTR_ERR(d), -EINVAL);

	/* A bad field found by the check after the copy. */
	ud.len = sizeof(data.s1);
	data.more = 0;
	data.s1.addr_width = 57;
	ud.uptr = dom_user(test, &data, sizeof(data));
	d = vtd_domain_alloc_user_unit(&f->unit, 0, &parent->domain, &ud);
	KUNIT_EXPECT_EQ(test, PTR_ERR(d), -EINVAL);

	data.s1.addr_width = 48;
	ud.uptr = dom_user(test, &data, sizeof(data));
	d = vtd_domain_alloc_user_unit(&f->unit, IOMMU_HWPT_ALLOC_PASID,
				       &parent->domain, &ud);
	KUNIT_ASSERT_FALSE(test, IS_ERR(d));
	vd = to_vtd_domain(d);
	KUNIT_EXPECT_EQ(test, d->type, IOMMU_DOMAIN_NESTED);
	KUNIT_EXPECT_NOT_NULL(test, d->ops->cache_invalidate_user);
	KUNIT_EXPECT_NULL(test, d->ops->map_pages);
	KUNIT_EXPECT_EQ(test, vd->kind, VTD_DOMAIN_NESTED);
	KUNIT_EXPECT_PTR_EQ(test, vd->parent, parent);
	KUNIT_EXPECT_EQ(test, vd->s1.pgd, 0x40000);
	KUNIT_EXPECT_EQ(test, vd->s1.levels, 4);
	KUNIT_EXPECT_TRUE(test, vd->s1.wpe);
	KUNIT_EXPECT_FALSE(test, vd->s1.sre);
	KUNIT_EXPECT_PTR_EQ(test, list_first_entry(&parent->nested,
						   struct vtd_domain, nested_node), vd);
	d->ops->free(d);
	KUNIT_EXPECT_TRUE(test, list_empty(&parent->nested));
}

static void dom_test_did_refcount(struct kunit *test)
{
	struct fake_unit *f = fake_new(test, FAKE_CAP, FAKE_ECAP);
	struct fake_unit *g = fake_new(test, FAKE_CAP, FAKE_ECAP);
	struct vtd_domain *a = dom_new(test, &f->unit, 0);
	struct vtd_domain *b = dom_new(test, &f->unit, 0);
	struct vtd_domain *more[14];
	struct vtd_domain_unit *du, *du2, *dub, *dug, *x;
	unsigned int i;

	/* 0 is unused and 1 the identity domain's. */
	du = vtd_domain_get_did(a, &f->unit);
	KUNIT_ASSERT_FALSE(test, IS_ERR(du));
	KUNIT_EXPECT_EQ(test, du->did, 2);
	KUNIT_EXPECT_EQ(test, du->refs, 1);
	du2 = vtd_domain_get_did(a, &f->unit);
	KUNIT_EXPECT_PTR_EQ(test, du2, du);
	KUNIT_EXPECT_EQ(test, du->refs, 2);
	dub = vtd_domain_get_did(b, &f->unit);
	KUNIT_ASSERT_FALSE(test, IS_ERR(dub));
	KUNIT_EXPECT_EQ(test, dub->did, 3);
	/* Ids are per unit. */
	dug = vtd_domain_get_did(b, &g->unit);
	KUNIT_ASSERT_FALSE(test, IS_ERR(dug));
	KUNIT_EXPECT_EQ(test, dug->did, 2);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&b->units), 2);

	/* The id stays while a reference does. */
	vtd_domain_put_did(a, du);
	KUNIT_EXPECT_EQ(test, du->refs, 1);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&a->units), 1);
	vtd_domain_put_did(a, du);
	KUNIT_EXPECT_TRUE(test, list_empty(&a->units));

	/* ...and is free again afterwards: 14 domains fit in ids 2-15. */
	for (i = 0; i < ARRAY_SIZE(more); i++)
		more[i] = dom_new(test, &f->unit, 0);
	for (i = 0; i < ARRAY_SIZE(more) - 1; i++) {
		x = vtd_domain_get_did(more[i], &f->unit);
		KUNIT_ASSERT_FALSE(test, IS_ERR(x));
		if (i == 0)
			KUNIT_EXPECT_EQ(test, x->did, 2);
		KUNIT_EXPECT_NE(test, x->did, 3);
		KUNIT_EXPECT_LT(test, x->did, 16);
	}
	/* Unit f is out of ids; a failed get leaves nothing behind. */
	x = vtd_domain_get_did(more[i], &f->unit);
	KUNIT_EXPECT_EQ(test, PTR_ERR(x), -ENOSPC);
	KUNIT_EXPECT_TRUE(test, list_empty(&more[i]->units));

	for (i = 0; i < ARRAY_SIZE(more) - 1; i++) {
		x = list_first_entry(&more[i]->units, struct vtd_domain_unit, node);
		vtd_domain_put_did(more[i], x);
	}
	vtd_domain_put_did(b, dub);
	vtd_domain_put_did(b, dug);
	KUNIT_EXPECT_TRUE(test, list_empty(&b->units));
}

static void dom_expect_desc(struct kunit *test, const struct vtd_qi_desc *d,
			    unsigned int type, unsigned int g, u16 did, u32 pasid,
			    u64 qw1)
{
	KUNIT_EXPECT_EQ(test, FIELD_GET(D_TYPE, d->qw[0]), type);
	KUNIT_EXPECT_EQ(test, FIELD_GET(D_G, d->qw[0]), g);
	KUNIT_EXPECT_EQ(test, FIELD_GET(D_DID, d->qw[0]), did);
	if (type == T_PIOTLB)
		KUNIT_EXPECT_EQ(test, FIELD_GET(D_PASID, d->qw[0]), pasid);
	else
		KUNIT_EXPECT_EQ(test, d->qw[0] & (D_DR | D_DW), D_DR | D_DW);
	KUNIT_EXPECT_EQ(test, d->qw[1], qw1);
	KUNIT_EXPECT_EQ(test, d->qw[2], 0);
	KUNIT_EXPECT_EQ(test, d->qw[3], 0);
}

static void dom_test_flush_sl(struct kunit *test)
{
	struct fake_unit *f = fake_new(test, FAKE_CAP, FAKE_ECAP);
	struct fake_unit *nopsi = fake_new(test, FAKE_CAP & ~CAP_PSI, FAKE_ECAP);
	struct vtd_domain *vd = dom_new(test, &f->unit, 0);
	struct vtd_attachment *att = dom_attach(test, vd, &f->unit, 0);
	struct vtd_attachment *att2 = dom_attach(test, vd, &nopsi->unit, 7);
	u16 did = att->du->did;
	struct vtd_qi_batch b;

	vtd_qi_batch_begin(&b, &f->unit.qi);
	spin_lock_irq(&vd->lock);
	/* One page, leaf only: page-selective, AM 0, IH. */
	vtd_domain_build_flush(vd, att->du, &b, 0x5000, 0x5fff, VTD_FLUSH_LEAF);
	/* Pages 0x1 to 0x2: the aligned block of four at 0. */
	vtd_domain_build_flush(vd, att->du, &b, 0x1000, 0x2fff, 0);
	/* 2 MiB at 6 MiB: AM 9. */
	vtd_domain_build_flush(vd, att->du, &b, 0x600000, 0x7fffff, 0);
	/* 4 MiB needs AM 10 > MAMV: domain-selective. */
	vtd_domain_build_flush(vd, att->du, &b, 0x400000, 0x7fffff, 0);
	vtd_domain_build_flush(vd, att->du, &b, 0, ULONG_MAX, VTD_FLUSH_ALL);
	/* No PSI on the unit: domain-selective. */
	vtd_domain_build_flush(vd, att2->du, &b, 0x5000, 0x5fff, 0);
	spin_unlock_irq(&vd->lock);

	KUNIT_ASSERT_EQ(test, b.n, 6);
	dom_expect_desc(test, &b.desc[0], T_IOTLB, G_IOTLB_PAGE, did, 0,
			0x5000 | D_IH);
	dom_expect_desc(test, &b.desc[1], T_IOTLB, G_IOTLB_PAGE, did, 0,
			FIELD_PREP(D_AM, 2));
	dom_expect_desc(test, &b.desc[2], T_IOTLB, G_IOTLB_PAGE, did, 0,
			0x600000 | FIELD_PREP(D_AM, 9));
	dom_expect_desc(test, &b.desc[3], T_IOTLB, G_IOTLB_DOMAIN, did, 0, 0);
	dom_expect_desc(test, &b.desc[4], T_IOTLB, G_IOTLB_DOMAIN, did, 0, 0);
	dom_expect_desc(test, &b.desc[5], T_IOTLB, G_IOTLB_DOMAIN,
			att2->du->did, 0, 0);
	b.n = 0;

	dom_detach(vd, att2);
	dom_detach(vd, att);
}

static void dom_test_flush_fl_and_nested(struct kunit *test)
{
	struct fake_unit *f = fake_new(test, FAKE_CAP, FAKE_ECAP & ~VTD_ECAP_SLTS);
	struct fake_unit *s = fake_new(test, FAKE_CAP, FAKE_ECAP);
	struct vtd_domain *vd = dom_new(test, &f->unit, 0);
	struct vtd_domain *parent = dom_new(test, &s->unit,
					    IOMMU_HWPT_ALLOC_NEST_PARENT);
	struct vtd_attachment *a0, *a5, *pa, *na;
	struct vtd_domain *child;
	struct vtd_qi_batch b;

	/* First level: one PASID-based invalidation per attached PASID. */
	a0 = dom_attach(test, vd, &f->unit, 0);
	a5 = dom_attach(test, vd, &f->unit, 5);
	vtd_qi_batch_begin(&b, &f->unit.qi);
	spin_lock_irq(&vd->lock);
	vtd_domain_build_flush(vd, a0->du, &b, 0x3000, 0x3fff, VTD_FLUSH_LEAF);
	vtd_domain_build_flush(vd, a0->du, &b, 0, ULONG_MAX, VTD_FLUSH_ALL);
	spin_unlock_irq(&vd->lock);
	KUNIT_ASSERT_EQ(test, b.n, 4);
	dom_expect_desc(test, &b.desc[0], T_PIOTLB, G_PIOTLB_PAGE, a0->du->did,
			0, 0x3000 | D_IH);
	dom_expect_desc(test, &b.desc[1], T_PIOTLB, G_PIOTLB_PAGE, a0->du->did,
			5, 0x3000 | D_IH);
	dom_expect_desc(test, &b.desc[2], T_PIOTLB, G_PIOTLB_PASID, a0->du->did,
			0, 0);
	dom_expect_desc(test, &b.desc[3], T_PIOTLB, G_PIOTLB_PASID, a0->du->did,
			5, 0);
	b.n = 0;
	dom_detach(vd, a5);
	dom_detach(vd, a0);

	/*
	 * A nested domain uses its parent's id; the parent's flush then
	 * becomes domain-selective on the unit, which covers the nested
	 * translations (a second-level address does not name them).
	 */
	child = kunit_kzalloc(test, sizeof(*child), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, child);
	child->kind = VTD_DOMAIN_NESTED;
	child->parent = parent;
	mutex_init(&child->attach_lock);
	spin_lock_init(&child->lock);
	INIT_LIST_HEAD(&child->units);
	INIT_LIST_HEAD(&child->attachments);
	INIT_LIST_HEAD(&child->nested);
	spin_lock_irq(&parent->lock);
	list_add(&child->nested_node, &parent->nested);
	spin_unlock_irq(&parent->lock);

	pa = dom_attach(test, parent, &s->unit, 0);
	vtd_qi_batch_begin(&b, &s->unit.qi);
	spin_lock_irq(&parent->lock);
	vtd_domain_build_flush(parent, pa->du, &b, 0x5000, 0x5fff, VTD_FLUSH_LEAF);
	spin_unlock_irq(&parent->lock);
	KUNIT_ASSERT_EQ(test, b.n, 1);
	dom_expect_desc(test, &b.desc[0], T_IOTLB, G_IOTLB_PAGE, pa->du->did, 0,
			0x5000 | D_IH);
	b.n = 0;

	na = dom_attach(test, child, &s->unit, 3);
	/* The nested attachment holds the parent's id and uses it. */
	KUNIT_EXPECT_PTR_EQ(test, vtd_domain_parent_du(child, &s->unit), pa->du);
	KUNIT_EXPECT_EQ(test, pa->du->refs, 2);
	KUNIT_EXPECT_EQ(test, na->du->did, pa->du->did);

	spin_lock_irq(&parent->lock);
	vtd_domain_build_flush(parent, pa->du, &b, 0x5000, 0x5fff, VTD_FLUSH_LEAF);
	spin_unlock_irq(&parent->lock);
	KUNIT_ASSERT_EQ(test, b.n, 1);
	dom_expect_desc(test, &b.desc[0], T_IOTLB, G_IOTLB_DOMAIN, pa->du->did,
			0, 0);
	b.n = 0;

	dom_detach(child, na);
	KUNIT_EXPECT_EQ(test, pa->du->refs, 1);
	KUNIT_EXPECT_TRUE(test, list_empty(&child->units));
	dom_detach(parent, pa);
	KUNIT_EXPECT_TRUE(test, list_empty(&parent->units));
	spin_lock_irq(&parent->lock);
	list_del(&child->nested_node);
	spin_unlock_irq(&parent->lock);
	mutex_destroy(&child->attach_lock);
}

static void dom_test_inv_check(struct kunit *test)
{
	struct iommu_hwpt_vtd_s1_invalidate inv = { .addr = 0x1000, .npages = 1 };

	KUNIT_EXPECT_EQ(test, vtd_nested_check_inv(&inv), 0);
	inv.flags = IOMMU_VTD_INV_FLAGS_LEAF;
	KUNIT_EXPECT_EQ(test, vtd_nested_check_inv(&inv), 0);
	inv.flags = BIT(1);
	KUNIT_EXPECT_EQ(test, vtd_nested_check_inv(&inv), -EOPNOTSUPP);
	inv.flags = 0;
	inv.__reserved = 1;
	KUNIT_EXPECT_EQ(test, vtd_nested_check_inv(&inv), -EOPNOTSUPP);
	inv.__reserved = 0;
	inv.addr = 0x1800;
	KUNIT_EXPECT_EQ(test, vtd_nested_check_inv(&inv), -EINVAL);
	/* All pages only from 0. */
	inv.addr = 0x1000;
	inv.npages = U64_MAX;
	KUNIT_EXPECT_EQ(test, vtd_nested_check_inv(&inv), -EINVAL);
	inv.addr = 0;
	KUNIT_EXPECT_EQ(test, vtd_nested_check_inv(&inv), 0);
}

/* A nested domain over @parent with attachments on @unit, PASIDs 1 and 9. */
static struct vtd_domain *dom_nested(struct kunit *test,
				     struct vtd_domain *parent,
				     struct vtd_unit *unit,
				     struct vtd_attachment **att)
{
	struct iommu_hwpt_vtd_s1 s1 = { .pgtbl_addr = 0x8000, .addr_width = 48 };
	struct iommu_user_data ud = {
		.type = IOMMU_HWPT_DATA_VTD_S1,
		.len = sizeof(s1),
		.uptr = dom_user(test, &s1, sizeof(s1)),
	};
	struct iommu_domain *d;

	d = vtd_domain_alloc_user_unit(unit, 0, &parent->domain, &ud);
	KUNIT_ASSERT_FALSE(test, IS_ERR(d));
	att[0] = dom_attach(test, to_vtd_domain(d), unit, 1);
	att[1] = dom_attach(test, to_vtd_domain(d), unit, 9);
	return to_vtd_domain(d);
}

static void dom_test_inv_build(struct kunit *test)
{
	struct fake_unit *f = fake_new(test, FAKE_CAP, FAKE_ECAP);
	struct fake_unit *g = fake_new(test, FAKE_CAP, FAKE_ECAP);
	struct vtd_domain *parent = dom_new(test, &f->unit,
					    IOMMU_HWPT_ALLOC_NEST_PARENT);
	struct iommu_hwpt_vtd_s1_invalidate inv = {};
	struct vtd_attachment *att[2], *other;
	struct vtd_domain *vd;
	struct vtd_qi_batch b;
	u16 did;

	vd = dom_nested(test, parent, &f->unit, att);
	other = dom_attach(test, vd, &g->unit, 4);
	did = att[0]->du->did;

	vtd_qi_batch_begin(&b, &f->unit.qi);
	spin_lock_irq(&vd->lock);
	/* Nothing for no pages. */
	inv.addr = 0x2000;
	vtd_nested_build_inv(vd, att[0]->du, &b, &inv);
	KUNIT_EXPECT_EQ(test, b.n, 0);
	/* Three pages from 0x3000: the aligned block of 8 at 0 (AM 3). */
	inv.addr = 0x3000;
	inv.npages = 3;
	inv.flags = IOMMU_VTD_INV_FLAGS_LEAF;
	vtd_nested_build_inv(vd, att[0]->du, &b, &inv);
	/* 8 GiB: AM 21 > MAMV, PASID-selective. */
	inv.addr = 0;
	inv.npages = SZ_8G >> PAGE_SHIFT;
	inv.flags = 0;
	vtd_nested_build_inv(vd, att[0]->du, &b, &inv);
	/* The whole space. */
	inv.npages = U64_MAX;
	vtd_nested_build_inv(vd, att[0]->du, &b, &inv);
	spin_unlock_irq(&vd->lock);

	/* Each entry, once per PASID attached on the unit (not PASID 4). */
	KUNIT_ASSERT_EQ(test, b.n, 6);
	dom_expect_desc(test, &b.desc[0], T_PIOTLB, G_PIOTLB_PAGE, did, 1,
			FIELD_PREP(D_AM, 3) | D_IH);
	dom_expect_desc(test, &b.desc[1], T_PIOTLB, G_PIOTLB_PAGE, did, 9,
			FIELD_PREP(D_AM, 3) | D_IH);
	dom_expect_desc(test, &b.desc[2], T_PIOTLB, G_PIOTLB_PASID, did, 1, 0);
	dom_expect_desc(test, &b.desc[3], T_PIOTLB, G_PIOTLB_PASID, did, 9, 0);
	dom_expect_desc(test, &b.desc[4], T_PIOTLB, G_PIOTLB_PASID, did, 1, 0);
	dom_expect_desc(test, &b.desc[5], T_PIOTLB, G_PIOTLB_PASID, did, 9, 0);
	b.n = 0;

	dom_detach(vd, other);
	dom_detach(vd, att[1]);
	dom_detach(vd, att[0]);
	vd->domain.ops->free(&vd->domain);
}

static void dom_test_cache_invalidate_user(struct kunit *test)
{
	struct fake_unit *f = fake_new(test, FAKE_CAP, FAKE_ECAP);
	struct vtd_domain *parent = dom_new(test, &f->unit,
					    IOMMU_HWPT_ALLOC_NEST_PARENT);
	struct iommu_hwpt_vtd_s1_invalidate inv[3] = {
		{ .addr = 0x1000, .npages = 1, .flags = IOMMU_VTD_INV_FLAGS_LEAF },
		{ .addr = 0x40000, .npages = 0x40 },
		{ .addr = 0x2001, .npages = 1 },
	};
	struct iommu_user_data_array array = {
		.type = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
		.entry_len = sizeof(inv[0]),
		.entry_num = ARRAY_SIZE(inv),
	};
	struct vtd_attachment *att[2];
	struct vtd_domain *vd;
	u16 did;

	vd = dom_nested(test, parent, &f->unit, att);
	did = att[0]->du->did;
	array.uptr = dom_user(test, inv, sizeof(inv));

	/* Stops at the unaligned third entry; the two before go out. */
	KUNIT_EXPECT_EQ(test, vd->domain.ops->cache_invalidate_user(&vd->domain,
								    &array),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, array.entry_num, 2);
	/* One batch: one wait descriptor. */
	KUNIT_EXPECT_EQ(test, f->waits, 1);
	KUNIT_ASSERT_EQ(test, f->nr_seen, 4);
	dom_expect_desc(test, &f->seen[0], T_PIOTLB, G_PIOTLB_PAGE, did, 1,
			0x1000 | D_IH);
	dom_expect_desc(test, &f->seen[1], T_PIOTLB, G_PIOTLB_PAGE, did, 9,
			0x1000 | D_IH);
	dom_expect_desc(test, &f->seen[2], T_PIOTLB, G_PIOTLB_PAGE, did, 1,
			0x40000 | FIELD_PREP(D_AM, 6));
	dom_expect_desc(test, &f->seen[3], T_PIOTLB, G_PIOTLB_PAGE, did, 9,
			0x40000 | FIELD_PREP(D_AM, 6));

	/* All good: all handled, still one batch. */
	f->nr_seen = 0;
	f->waits = 0;
	array.entry_num = 2;
	KUNIT_EXPECT_EQ(test, vd->domain.ops->cache_invalidate_user(&vd->domain,
								    &array), 0);
	KUNIT_EXPECT_EQ(test, array.entry_num, 2);
	KUNIT_EXPECT_EQ(test, f->waits, 1);
	KUNIT_EXPECT_EQ(test, f->nr_seen, 4);

	/* Entries longer than the driver's struct (6.12 rejects them). */
	f->nr_seen = 0;
	f->waits = 0;
	array.entry_len = 2 * sizeof(inv[0]);
	array.entry_num = 2;
	KUNIT_EXPECT_EQ(test, vd->domain.ops->cache_invalidate_user(&vd->domain,
								    &array),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, array.entry_num, 0);
	KUNIT_EXPECT_EQ(test, f->nr_seen, 0);

	/* Another data type. */
	array.entry_len = sizeof(inv[0]);
	array.entry_num = 1;
	array.type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3;
	KUNIT_EXPECT_EQ(test, vd->domain.ops->cache_invalidate_user(&vd->domain,
								    &array),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, array.entry_num, 0);
	KUNIT_EXPECT_EQ(test, f->nr_seen, 0);

	dom_detach(vd, att[1]);
	dom_detach(vd, att[0]);
	vd->domain.ops->free(&vd->domain);
}

/* PASID entry fields, per the specification. */
#define PE0_P		BIT_ULL(0)
#define PE0_PGTT	GENMASK_ULL(8, 6)
#define PE0_SLPTPTR	GENMASK_ULL(63, 12)
#define PE1_DID		GENMASK_ULL(15, 0)
#define T_CC		1
#define T_PC		7

static void dom_dev_exit(void *data)
{
	struct vtd_dev *vdev = data;

	vtd_ctx_pasid_dir_free(vdev);
	xa_destroy(&vdev->pasid_domains);
	mutex_destroy(&vdev->pasid_lock);
}

/* A device behind @f with a PASID directory, as probe makes it. */
static struct vtd_dev *dom_dev(struct kunit *test, struct fake_unit *f)
{
	struct vtd_dev *vdev = kunit_kzalloc(test, sizeof(*vdev), GFP_KERNEL);
	static atomic_t seq = ATOMIC_INIT(0);
	char name[32];

	KUNIT_ASSERT_NOT_NULL(test, vdev);
	/* Device names must be unique while they exist. */
	snprintf(name, sizeof(name), "vtd_sm_domain_dev%d",
		 atomic_inc_return(&seq));
	vdev->dev = kunit_device_register(test, name);
	KUNIT_ASSERT_FALSE(test, IS_ERR(vdev->dev));
	vdev->unit = &f->unit;
	vdev->sid = 0x0108;
	vdev->max_pasids = 64;
	mutex_init(&vdev->pasid_lock);
	xa_init(&vdev->pasid_domains);
	KUNIT_ASSERT_EQ(test, vtd_ctx_pasid_dir_alloc(vdev), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, dom_dev_exit, vdev), 0);
	return vdev;
}

/* The entry of @pasid, read under the lock its writers hold. */
static void dom_snapshot(struct vtd_dev *vdev, u32 pasid,
			 struct vtd_pasid_entry *pe)
{
	mutex_lock(&vdev->pasid_lock);
	vtd_dev_pasid_entry_snapshot(vdev, pasid, pe);
	mutex_unlock(&vdev->pasid_lock);
}

static void dom_fake_clear(struct fake_unit *f)
{
	f->nr_seen = 0;
	f->waits = 0;
}

static void dom_test_attach_replace(struct kunit *test)
{
	struct fake_unit *f = fake_new(test, FAKE_CAP, FAKE_ECAP);
	struct vtd_dev *vdev = dom_dev(test, f);
	struct vtd_domain *a = dom_new(test, &f->unit, 0);
	struct vtd_domain *b = dom_new(test, &f->unit, 0);
	struct vtd_pasid_entry pe, blocked;
	u16 did_a, did_b;

	/* RID: a second-level entry with the domain's id, one batch. */
	KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&a->domain, vdev, 0), 0);
	KUNIT_EXPECT_PTR_EQ(test, vdev->domain, &a->domain);
	KUNIT_ASSERT_EQ(test, list_count_nodes(&a->attachments), 1);
	did_a = list_first_entry(&a->units, struct vtd_domain_unit, node)->did;
	KUNIT_EXPECT_EQ(test, did_a, 2);
	dom_snapshot(vdev, 0, &pe);
	KUNIT_EXPECT_TRUE(test, pe.val[0] & PE0_P);
	KUNIT_EXPECT_EQ(test, FIELD_GET(PE0_PGTT, pe.val[0]), 2);
	KUNIT_EXPECT_EQ(test, pe.val[0] & PE0_SLPTPTR,
			(u64)vtd_pgtable_root_phys(&a->pt));
	KUNIT_EXPECT_EQ(test, FIELD_GET(PE1_DID, pe.val[1]), did_a);
	/*
	 * The PASID cache for the new id and, the fake unit being in caching
	 * mode, its IOTLB, in one batch; no context cache (the context entry
	 * did not change).
	 */
	KUNIT_EXPECT_EQ(test, f->waits, 1);
	KUNIT_ASSERT_EQ(test, f->nr_seen, 2);
	KUNIT_EXPECT_EQ(test, FIELD_GET(D_TYPE, f->seen[0].qw[0]), T_PC);
	KUNIT_EXPECT_EQ(test, FIELD_GET(D_DID, f->seen[0].qw[0]), did_a);
	KUNIT_EXPECT_EQ(test, FIELD_GET(D_TYPE, f->seen[1].qw[0]), T_IOTLB);
	KUNIT_EXPECT_EQ(test, FIELD_GET(D_DID, f->seen[1].qw[0]), did_a);

	/* Attaching it again changes nothing. */
	dom_fake_clear(f);
	KUNIT_EXPECT_EQ(test, vtd_domain_attach_pasid(&a->domain, vdev, 0), 0);
	KUNIT_EXPECT_EQ(test, f->waits, 0);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&a->attachments), 1);

	/* Replace: b's id in the entry, a's record and id gone. */
	KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&b->domain, vdev, 0), 0);
	KUNIT_EXPECT_PTR_EQ(test, vdev->domain, &b->domain);
	KUNIT_EXPECT_TRUE(test, list_empty(&a->attachments));
	KUNIT_EXPECT_TRUE(test, list_empty(&a->units));
	did_b = list_first_entry(&b->units, struct vtd_domain_unit, node)->did;
	dom_snapshot(vdev, 0, &pe);
	KUNIT_EXPECT_EQ(test, FIELD_GET(PE1_DID, pe.val[1]), did_b);
	KUNIT_EXPECT_EQ(test, pe.val[0] & PE0_SLPTPTR,
			(u64)vtd_pgtable_root_phys(&b->pt));

	/*
	 * A replace whose invalidation the unit refuses: nothing is written
	 * back; the RID is left not present with no domain, and neither a
	 * nor b is attached (dom_test_fail_each_step() checks the rest).
	 */
	f->refuse_type = T_PC;
	f->refuse_left = 1;
	KUNIT_EXPECT_EQ(test, vtd_domain_attach_pasid(&a->domain, vdev, 0), -EIO);
	KUNIT_EXPECT_EQ(test, f->refuse_left, 0);
	KUNIT_EXPECT_NULL(test, vdev->domain);
	dom_snapshot(vdev, 0, &pe);
	KUNIT_EXPECT_FALSE(test, pe.val[0] & PE0_P);
	KUNIT_EXPECT_TRUE(test, list_empty(&a->attachments));
	KUNIT_EXPECT_TRUE(test, list_empty(&a->units));
	KUNIT_EXPECT_TRUE(test, list_empty(&b->attachments));
	KUNIT_EXPECT_TRUE(test, a->quarantined && b->quarantined);
	KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&b->domain, vdev, 0), 0);

	/* A PASID, and one beyond the device's. */
	KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&a->domain, vdev, 5), 0);
	KUNIT_EXPECT_PTR_EQ(test, vtd_dev_domain(vdev, 5), &a->domain);
	KUNIT_EXPECT_EQ(test, list_first_entry(&a->attachments,
					       struct vtd_attachment, node)->pasid, 5);
	KUNIT_EXPECT_EQ(test, vtd_domain_attach_pasid(&b->domain, vdev, 64),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&b->attachments), 1);
	KUNIT_EXPECT_NULL(test, vtd_dev_domain(vdev, 64));

	/* Detach: not present, no domain, records and ids gone. */
	vtd_pasid_encode_blocked(&blocked, false);
	KUNIT_EXPECT_EQ(test, vtd_dev_attach(NULL, vdev, 5, NULL, &blocked), 0);
	KUNIT_EXPECT_NULL(test, vtd_dev_domain(vdev, 5));
	dom_snapshot(vdev, 5, &pe);
	KUNIT_EXPECT_FALSE(test, pe.val[0] & PE0_P);
	KUNIT_EXPECT_TRUE(test, list_empty(&a->attachments));
	KUNIT_EXPECT_TRUE(test, list_empty(&a->units));
	KUNIT_EXPECT_EQ(test, vtd_dev_attach(NULL, vdev, 0, NULL, &blocked), 0);
	KUNIT_EXPECT_NULL(test, vdev->domain);
	KUNIT_EXPECT_TRUE(test, list_empty(&b->attachments));
	KUNIT_EXPECT_TRUE(test, list_empty(&b->units));
}

static bool dom_on_list(struct vtd_domain *vd, struct vtd_attachment *att)
{
	struct vtd_attachment *each;
	bool found = false;

	spin_lock_irq(&vd->lock);
	list_for_each_entry(each, &vd->attachments, node)
		found |= each == att;
	spin_unlock_irq(&vd->lock);
	return found;
}

/*
 * Each (device, PASID) finds its own attachment record directly: two
 * devices with the same PASIDs on one domain, detached newest, oldest and
 * in the middle, take exactly their own record off the domain's list.  A
 * static domain on a PASID has no record.
 */
static void dom_test_attach_lookup(struct kunit *test)
{
	struct fake_unit *f = fake_new(test, FAKE_CAP, FAKE_ECAP);
	struct vtd_dev *v1 = dom_dev(test, f);
	struct vtd_dev *v2 = dom_dev(test, f);
	struct vtd_domain *a = dom_new(test, &f->unit, 0);
	struct vtd_domain *b = dom_new(test, &f->unit, 0);
	static const u32 order[] = { 8, 1, 3 };
	struct iommu_domain fake_static = {};
	struct vtd_attachment *att, *other;
	struct vtd_pasid_entry blocked;
	unsigned int i, n;
	u32 pasid;

	vtd_pasid_encode_blocked(&blocked, false);
	for (pasid = 0; pasid <= 8; pasid++)
		KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&a->domain, v1, pasid), 0);
	for (pasid = 1; pasid <= 4; pasid++)
		KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&a->domain, v2, pasid), 0);
	n = 9 + 4;
	KUNIT_ASSERT_EQ(test, list_count_nodes(&a->attachments), n);
	KUNIT_ASSERT_PTR_EQ(test, vtd_dev_attachment(v1, 0), v1->rid_att);
	for (pasid = 0; pasid <= 8; pasid++) {
		att = vtd_dev_attachment(v1, pasid);
		KUNIT_ASSERT_NOT_NULL(test, att);
		KUNIT_EXPECT_EQ(test, att->pasid, pasid);
		KUNIT_EXPECT_PTR_EQ(test, att->du->vd, a);
		KUNIT_EXPECT_TRUE(test, dom_on_list(a, att));
		if (pasid && pasid <= 4)
			KUNIT_EXPECT_PTR_NE(test, att, vtd_dev_attachment(v2, pasid));
	}

	for (i = 0; i < ARRAY_SIZE(order); i++) {
		pasid = order[i];
		att = vtd_dev_attachment(v1, pasid);
		other = vtd_dev_attachment(v2, pasid);
		KUNIT_ASSERT_EQ(test, vtd_dev_attach(NULL, v1, pasid, NULL, &blocked), 0);
		KUNIT_EXPECT_EQ(test, list_count_nodes(&a->attachments), --n);
		KUNIT_EXPECT_NULL(test, vtd_dev_attachment(v1, pasid));
		KUNIT_EXPECT_NULL(test, vtd_dev_domain(v1, pasid));
		/* The other device's record of the same PASID stays. */
		if (other) {
			KUNIT_EXPECT_PTR_EQ(test, vtd_dev_attachment(v2, pasid), other);
			KUNIT_EXPECT_TRUE(test, dom_on_list(a, other));
		}
	}
	/* A replace moves the record to the new domain's list. */
	att = vtd_dev_attachment(v2, 3);
	KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&b->domain, v2, 3), 0);
	KUNIT_EXPECT_FALSE(test, dom_on_list(a, att));
	KUNIT_EXPECT_EQ(test, list_count_nodes(&a->attachments), --n);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&b->attachments), 1);
	KUNIT_EXPECT_PTR_EQ(test, vtd_dev_domain(v2, 3), &b->domain);
	KUNIT_EXPECT_TRUE(test, dom_on_list(b, vtd_dev_attachment(v2, 3)));
	KUNIT_EXPECT_PTR_NE(test, vtd_dev_attachment(v2, 3), att);

	/* A static domain: named by the slot, no record. */
	KUNIT_ASSERT_EQ(test, vtd_dev_attach(&fake_static, v1, 8, NULL, &blocked), 0);
	KUNIT_EXPECT_PTR_EQ(test, vtd_dev_domain(v1, 8), &fake_static);
	KUNIT_EXPECT_NULL(test, vtd_dev_attachment(v1, 8));
	KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&a->domain, v1, 8), 0);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&a->attachments), ++n);
	KUNIT_EXPECT_EQ(test, vtd_dev_attachment(v1, 8)->pasid, 8);
	KUNIT_ASSERT_EQ(test, vtd_dev_attach(&fake_static, v1, 8, NULL, &blocked), 0);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&a->attachments), --n);
	KUNIT_ASSERT_EQ(test, vtd_dev_attach(NULL, v1, 8, NULL, &blocked), 0);
	KUNIT_EXPECT_NULL(test, vtd_dev_domain(v1, 8));

	/* The RID's record goes with the RID's entry. */
	KUNIT_ASSERT_EQ(test, vtd_dev_attach(NULL, v1, 0, NULL, &blocked), 0);
	KUNIT_EXPECT_NULL(test, v1->rid_att);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&a->attachments), --n);

	for (pasid = 1; pasid <= 8; pasid++) {
		if (vtd_dev_attachment(v1, pasid))
			KUNIT_EXPECT_EQ(test, vtd_dev_attach(NULL, v1, pasid, NULL, &blocked), 0);
		if (vtd_dev_domain(v2, pasid))
			KUNIT_EXPECT_EQ(test, vtd_dev_attach(NULL, v2, pasid, NULL, &blocked), 0);
	}
	KUNIT_EXPECT_TRUE(test, list_empty(&a->attachments));
	KUNIT_EXPECT_TRUE(test, list_empty(&a->units));
	KUNIT_EXPECT_TRUE(test, list_empty(&b->attachments));
	KUNIT_EXPECT_TRUE(test, list_empty(&b->units));
}

#define PE2_FLPTR	GENMASK_ULL(63, 12)

static struct iommu_domain *dom_nested_at(struct kunit *test,
					  struct vtd_domain *parent, u64 pgd)
{
	struct iommu_hwpt_vtd_s1 s1 = { .pgtbl_addr = pgd, .addr_width = 48 };
	struct iommu_user_data ud = {
		.type = IOMMU_HWPT_DATA_VTD_S1,
		.len = sizeof(s1),
		.uptr = dom_user(test, &s1, sizeof(s1)),
	};
	struct iommu_domain *d;

	d = vtd_domain_alloc_user_unit(NULL, 0, &parent->domain, &ud);
	KUNIT_ASSERT_FALSE(test, IS_ERR(d));
	return d;
}

/*
 * A guest switching a PASID to a new first-level table: nested domain to
 * nested domain over the same parent, with the parent's id, is one store
 * (a single batch, no fence), and leaves the parent's id in place.
 */
static void dom_test_nested_switch(struct kunit *test)
{
	struct fake_unit *f = fake_new(test, FAKE_CAP, FAKE_ECAP);
	struct vtd_dev *vdev = dom_dev(test, f);
	struct vtd_domain *parent = dom_new(test, &f->unit,
					    IOMMU_HWPT_ALLOC_NEST_PARENT);
	struct iommu_domain *n1 = dom_nested_at(test, parent, 0x10000);
	struct iommu_domain *n2 = dom_nested_at(test, parent, 0x20000);
	struct vtd_pasid_entry pe, blocked;
	u16 did;

	KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&parent->domain, vdev, 0), 0);
	did = list_first_entry(&parent->units, struct vtd_domain_unit, node)->did;
	KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(n1, vdev, 3), 0);
	dom_snapshot(vdev, 3, &pe);
	KUNIT_EXPECT_EQ(test, FIELD_GET(PE0_PGTT, pe.val[0]), 3);
	KUNIT_EXPECT_EQ(test, FIELD_GET(PE1_DID, pe.val[1]), did);
	KUNIT_EXPECT_EQ(test, pe.val[0] & PE0_SLPTPTR,
			(u64)vtd_pgtable_root_phys(&parent->pt));
	KUNIT_EXPECT_EQ(test, pe.val[2] & PE2_FLPTR, 0x10000);
	KUNIT_EXPECT_EQ(test, list_first_entry(&parent->units,
					       struct vtd_domain_unit, node)->refs, 2);

	dom_fake_clear(f);
	KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(n2, vdev, 3), 0);
	KUNIT_EXPECT_EQ(test, f->waits, 1);
	/*
	 * PASID cache and IOTLB of the shared id, nothing else; the IOTLB
	 * domain-selective, as for any nested entry (6.5.3.3).
	 */
	KUNIT_ASSERT_EQ(test, f->nr_seen, 2);
	KUNIT_EXPECT_EQ(test, FIELD_GET(D_TYPE, f->seen[0].qw[0]), T_PC);
	KUNIT_EXPECT_EQ(test, FIELD_GET(D_DID, f->seen[0].qw[0]), did);
	KUNIT_EXPECT_EQ(test, FIELD_GET(D_TYPE, f->seen[1].qw[0]), T_IOTLB);
	KUNIT_EXPECT_EQ(test, FIELD_GET(D_G, f->seen[1].qw[0]), G_IOTLB_DOMAIN);
	KUNIT_EXPECT_EQ(test, FIELD_GET(D_DID, f->seen[1].qw[0]), did);
	dom_snapshot(vdev, 3, &pe);
	KUNIT_EXPECT_EQ(test, pe.val[2] & PE2_FLPTR, 0x20000);
	KUNIT_EXPECT_EQ(test, FIELD_GET(PE1_DID, pe.val[1]), did);
	KUNIT_EXPECT_TRUE(test, list_empty(&to_vtd_domain(n1)->attachments));
	KUNIT_EXPECT_TRUE(test, list_empty(&to_vtd_domain(n1)->units));
	KUNIT_EXPECT_PTR_EQ(test, vtd_dev_domain(vdev, 3), n2);

	vtd_pasid_encode_blocked(&blocked, false);
	KUNIT_EXPECT_EQ(test, vtd_dev_attach(NULL, vdev, 3, NULL, &blocked), 0);
	KUNIT_EXPECT_EQ(test, vtd_dev_attach(NULL, vdev, 0, NULL, &blocked), 0);
	KUNIT_EXPECT_TRUE(test, list_empty(&parent->units));
	n2->ops->free(n2);
	n1->ops->free(n1);
}

/*
 * Taking an entry down (detach to not present) follows the specification
 * (6.5.3.3): P is cleared alone, then the PASID cache and the IOTLB of the
 * old domain id are invalidated while the entry still names them, and only
 * then is the rest of the entry cleared.
 */
static void dom_test_take_down_order(struct kunit *test)
{
	struct fake_unit *f = fake_new(test, FAKE_CAP, FAKE_ECAP);
	struct vtd_dev *vdev = dom_dev(test, f);
	struct vtd_domain *a = dom_new(test, &f->unit, 0);
	struct vtd_pasid_entry blocked, pe, live;
	unsigned int i, pc = 0, iotlb = 0;
	u16 did;

	KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&a->domain, vdev, 5), 0);
	did = list_first_entry(&a->units, struct vtd_domain_unit, node)->did;
	dom_snapshot(vdev, 5, &live);
	f->watch = vtd_pasid_entry(vdev, 5, false);
	dom_fake_clear(f);

	vtd_pasid_encode_blocked(&blocked, false);
	KUNIT_EXPECT_EQ(test, vtd_dev_attach(NULL, vdev, 5, NULL, &blocked), 0);
	dom_snapshot(vdev, 5, &pe);
	KUNIT_EXPECT_EQ(test, memcmp(&pe, &blocked, sizeof(pe)), 0);

	/* PASID cache, then IOTLB, of the old id; nothing after. */
	KUNIT_ASSERT_EQ(test, f->nr_seen, 2U);
	KUNIT_EXPECT_EQ(test, FIELD_GET(D_TYPE, f->seen[0].qw[0]), T_PC);
	for (i = 0; i < f->nr_seen; i++) {
		u64 type = FIELD_GET(D_TYPE, f->seen[i].qw[0]);

		if (type == T_PC && FIELD_GET(D_DID, f->seen[i].qw[0]) == did)
			pc++;
		if ((type != T_PIOTLB && type != T_IOTLB) ||
		    FIELD_GET(D_DID, f->seen[i].qw[0]) != did)
			continue;
		iotlb++;
		/* Invalidated while P is clear and the rest is the old entry. */
		KUNIT_EXPECT_EQ_MSG(test, f->seen_pe[i][0], live.val[0] & ~PE0_P,
				    "descriptor %u", i);
		KUNIT_EXPECT_EQ_MSG(test, f->seen_pe[i][1], live.val[1],
				    "descriptor %u", i);
		/* ...and after a PASID-cache invalidation of the old id. */
		KUNIT_EXPECT_GT_MSG(test, pc, 0U, "descriptor %u", i);
	}
	/* A second-level entry: domain-selective IOTLB, once, one batch. */
	KUNIT_EXPECT_EQ(test, iotlb, 1U);
	KUNIT_EXPECT_EQ(test, f->waits, 1);
	KUNIT_EXPECT_EQ(test, FIELD_GET(PE1_DID, f->seen_pe[0][1]), did);
	f->watch = NULL;
}

/* One expected invalidation descriptor: type, granularity, domain id. */
struct dom_desc {
	u8 type;
	u8 g;
	u16 did;
};

#define G_PC_PASID	1
#define G_CC_DEVICE	3
#define PC(d)		{ T_PC, G_PC_PASID, d }
#define DSI(d)		{ T_IOTLB, G_IOTLB_DOMAIN, d }
#define PIOTLB(d)	{ T_PIOTLB, G_PIOTLB_PASID, d }
#define CC		{ T_CC, G_CC_DEVICE, 0 }

/*
 * The operation since dom_fake_clear() sent exactly @n descriptors, @e, in
 * that order, in @batches batches (waits).
 */
static void dom_expect_descs(struct kunit *test, struct fake_unit *f,
			     const char *op, unsigned int batches,
			     const struct dom_desc *e, unsigned int n)
{
	unsigned int i;

	KUNIT_EXPECT_EQ_MSG(test, f->waits, batches, "%s: batches", op);
	KUNIT_EXPECT_EQ_MSG(test, f->nr_seen, n, "%s: descriptors", op);
	for (i = 0; i < min(n, f->nr_seen); i++) {
		u64 qw0 = f->seen[i].qw[0];

		KUNIT_EXPECT_EQ_MSG(test, FIELD_GET(D_TYPE, qw0), e[i].type,
				    "%s: descriptor %u type", op, i);
		KUNIT_EXPECT_EQ_MSG(test, FIELD_GET(D_G, qw0), e[i].g,
				    "%s: descriptor %u granularity", op, i);
		if (e[i].type != T_CC)
			KUNIT_EXPECT_EQ_MSG(test, FIELD_GET(D_DID, qw0),
					    e[i].did, "%s: descriptor %u id",
					    op, i);
	}
	dom_fake_clear(f);
}

#define EXPECT_DESCS(test, f, op, batches, ...) do {			\
	const struct dom_desc __e[] = { __VA_ARGS__ };			\
	dom_expect_descs(test, f, op, batches, __e, ARRAY_SIZE(__e));	\
} while (0)

static u16 dom_did(struct vtd_domain *vd)
{
	return list_first_entry(&vd->units, struct vtd_domain_unit, node)->did;
}

/*
 * Exactly the invalidations the specification asks for, per entry change
 * (Documentation/driver-api/vtd_sm-pasid-entry.rst, "Descriptors per
 * operation"), in caching mode: second-level attach, replace and detach on
 * a PASID and on the RID, the RID into and out of pass-through (plus the
 * context cache QEMU needs), and first-level attach, replace (a teardown)
 * and detach with the writer's fences.
 */
static void dom_test_descs_per_op(struct kunit *test)
{
	static struct iommu_domain blk = { .type = IOMMU_DOMAIN_BLOCKED };
	static struct iommu_domain idn = { .type = IOMMU_DOMAIN_IDENTITY };
	struct vtd_pasid_cfg pt = { .did = VTD_DID_IDENTITY, .sl.levels = 4 };
	struct fake_unit *f = fake_new(test, FAKE_CAP, FAKE_ECAP);
	struct fake_unit *ffl = fake_new(test, FAKE_CAP,
					 FAKE_ECAP & ~VTD_ECAP_SLTS);
	struct vtd_dev *vdev = dom_dev(test, f);
	struct vtd_dev *vfl = dom_dev(test, ffl);
	struct vtd_domain *a = dom_new(test, &f->unit, 0);
	struct vtd_domain *b = dom_new(test, &f->unit, 0);
	struct vtd_domain *fa = dom_new(test, &ffl->unit, 0);
	struct vtd_domain *fb = dom_new(test, &ffl->unit, 0);
	struct vtd_domain *nest_parent = dom_new(test, &f->unit,
						 IOMMU_HWPT_ALLOC_NEST_PARENT);
	static const u32 pasids[] = { 5, 0 };
	struct iommu_domain *nested;
	struct vtd_pasid_entry blocked, ident;
	unsigned int i;
	u16 da, db;
	u32 pasid;

	vtd_pasid_encode_blocked(&blocked, false);
	KUNIT_ASSERT_EQ(test, vtd_pasid_encode_pt(&ident, &pt), 0);

	/* Second level, on PASID 5 and on the RID: 1, 2 and 2, one batch. */
	for (i = 0; i < ARRAY_SIZE(pasids); i++) {
		pasid = pasids[i];
		dom_fake_clear(f);
		KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&a->domain, vdev,
							      pasid), 0);
		da = dom_did(a);
		EXPECT_DESCS(test, f, "SL attach", 1, PC(da), DSI(da));
		KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&b->domain, vdev,
							      pasid), 0);
		db = dom_did(b);
		EXPECT_DESCS(test, f, "SL replace", 1, PC(da), DSI(da), DSI(db));
		KUNIT_ASSERT_EQ(test, vtd_dev_attach(pasid ? NULL : &blk, vdev,
						     pasid, NULL, &blocked), 0);
		EXPECT_DESCS(test, f, "SL detach", 1, PC(db), DSI(db));
	}

	/* The RID into and out of pass-through: the context cache too. */
	KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&a->domain, vdev, 0), 0);
	da = dom_did(a);
	dom_fake_clear(f);
	KUNIT_ASSERT_EQ(test, vtd_dev_attach(&idn, vdev, 0, NULL, &ident), 0);
	EXPECT_DESCS(test, f, "SL to identity", 1, PC(da), DSI(da), CC);
	KUNIT_ASSERT_EQ(test, vtd_dev_attach(&blk, vdev, 0, NULL, &blocked), 0);
	/* Pass-through translations are tagged with the PASID: P_IOTLB. */
	EXPECT_DESCS(test, f, "identity to blocked", 1,
		     PC(VTD_DID_IDENTITY), PIOTLB(VTD_DID_IDENTITY), CC);
	KUNIT_ASSERT_EQ(test, vtd_dev_attach(&idn, vdev, 0, NULL, &ident), 0);
	EXPECT_DESCS(test, f, "blocked to identity", 1, PC(VTD_DID_IDENTITY),
		     CC);
	KUNIT_ASSERT_EQ(test, vtd_dev_attach(&blk, vdev, 0, NULL, &blocked), 0);
	dom_fake_clear(f);

	/*
	 * First level: the attach is an ordered sequence (a fence before P
	 * is set), the replace a teardown (take-down fence, fence before P
	 * is set, final flush), the detach a take-down alone.
	 */
	dom_fake_clear(ffl);
	KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&fa->domain, vfl, 5), 0);
	da = dom_did(fa);
	EXPECT_DESCS(test, ffl, "FL attach", 2, PC(da), PC(da), PIOTLB(da));
	KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&fb->domain, vfl, 5), 0);
	db = dom_did(fb);
	EXPECT_DESCS(test, ffl, "FL replace", 3, PC(da), PIOTLB(da),
		     PC(da), PC(db), PC(db), PIOTLB(db));
	KUNIT_ASSERT_EQ(test, vtd_dev_attach(NULL, vfl, 5, NULL, &blocked), 0);
	EXPECT_DESCS(test, ffl, "FL detach", 1, PC(db), PIOTLB(db));

	/*
	 * Nested over a second-level parent: an ordered attach like first
	 * level, and a domain-selective IOTLB invalidation of the parent's
	 * id, not a PASID-based one, for the new entry and at the detach.
	 */
	KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&nest_parent->domain,
						      vdev, 0), 0);
	nested = dom_nested_at(test, nest_parent, 0x10000);
	da = dom_did(nest_parent);
	dom_fake_clear(f);
	KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(nested, vdev, 5), 0);
	EXPECT_DESCS(test, f, "nested attach", 2, PC(da), PC(da), DSI(da));
	KUNIT_ASSERT_EQ(test, vtd_dev_attach(NULL, vdev, 5, NULL, &blocked), 0);
	EXPECT_DESCS(test, f, "nested detach", 1, PC(da), DSI(da));
	KUNIT_ASSERT_EQ(test, vtd_dev_attach(&blk, vdev, 0, NULL, &blocked), 0);
	nested->ops->free(nested);
}

/*
 * Without caching mode the unit caches nothing for a domain id that no
 * present entry carried: an attach and a replace invalidate no IOTLB of
 * the new id.
 */
static void dom_test_descs_no_cm(struct kunit *test)
{
	struct fake_unit *f = fake_new(test, FAKE_CAP & ~VTD_CAP_CM, FAKE_ECAP);
	struct vtd_dev *vdev = dom_dev(test, f);
	struct vtd_domain *a = dom_new(test, &f->unit, 0);
	struct vtd_domain *b = dom_new(test, &f->unit, 0);
	struct vtd_pasid_entry blocked;
	u16 da, db;

	vtd_pasid_encode_blocked(&blocked, false);
	dom_fake_clear(f);
	KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&a->domain, vdev, 5), 0);
	da = dom_did(a);
	/* Nothing: a unit without caching mode caches no not-present entry */
	KUNIT_EXPECT_EQ(test, f->waits, 0);
	KUNIT_EXPECT_EQ(test, f->nr_seen, 0);
	dom_fake_clear(f);
	KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&b->domain, vdev, 5), 0);
	db = dom_did(b);
	EXPECT_DESCS(test, f, "SL replace", 1, PC(da), DSI(da));
	KUNIT_ASSERT_EQ(test, vtd_dev_attach(NULL, vdev, 5, NULL, &blocked), 0);
	EXPECT_DESCS(test, f, "SL detach", 1, PC(db), DSI(db));
}

enum dom_fail_op {
	OP_ATTACH,		/* nothing -> A on PASID 5 */
	OP_REPLACE,		/* A -> B on PASID 5 */
	OP_REPLACE_RID,		/* A -> B on the RID */
	OP_DETACH,		/* A -> nothing on PASID 5 (PASID removal) */
	OP_BLOCKED_RID,		/* A -> blocked on the RID (blocking, release) */
	OP_IDENTITY_RID,	/* A -> identity on the RID */
	OP_FL_REPLACE,		/* first level A -> B on PASID 5: teardown */
	OP_FL_DETACH,		/* first level A -> nothing on PASID 5 */
	OP_NR
};

static const char * const dom_fail_op_names[OP_NR] = {
	"attach", "replace", "replace RID", "detach", "blocked RID",
	"identity RID", "FL replace (teardown)", "FL detach",
};

static const char * const dom_fail_kind_names[] = {
	[FAIL_IQE] = "IQE", [FAIL_ITE] = "ITE", [FAIL_HANG] = "time-out",
};

/* Is @did still taken on @unit (not free for another domain)? */
static bool dom_did_taken(struct vtd_unit *unit, u16 did)
{
	int id = ida_alloc_range(&unit->domain_ids, did, did, GFP_KERNEL);

	if (id < 0)
		return true;
	ida_free(&unit->domain_ids, id);
	return false;
}

/*
 * Run @op with the unit failing its @nth batch with @kind.  Return: false
 * if the operation made fewer batches (nothing failed).
 */
static bool dom_fail_one(struct kunit *test, enum dom_fail_op op,
			 enum fake_fail_kind kind, unsigned int nth)
{
	bool fl = op == OP_FL_REPLACE || op == OP_FL_DETACH;
	struct fake_unit *f = fake_new(test, FAKE_CAP, fl ?
				       FAKE_ECAP & ~VTD_ECAP_SLTS : FAKE_ECAP);
	struct vtd_dev *vdev = dom_dev(test, f);
	struct vtd_domain *a = dom_new(test, &f->unit, 0);
	struct vtd_domain *b = dom_new(test, &f->unit, 0);
	static struct iommu_domain blk = { .type = IOMMU_DOMAIN_BLOCKED };
	static struct iommu_domain idn = { .type = IOMMU_DOMAIN_IDENTITY };
	u32 pasid = (op == OP_REPLACE_RID || op == OP_BLOCKED_RID ||
		     op == OP_IDENTITY_RID) ? 0 : 5;
	struct vtd_pasid_cfg pt = { .did = 1, .sl.levels = 4 };
	struct vtd_pasid_entry pe, target;
	u16 did_a = 0, did_b = 0;
	bool new_b = false;
	char name[64];
	int ret, id;

	snprintf(name, sizeof(name), "%s, %s at batch %u",
		 dom_fail_op_names[op], dom_fail_kind_names[kind], nth);
	if (op != OP_ATTACH) {
		KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&a->domain, vdev,
							      pasid), 0);
		did_a = list_first_entry(&a->units, struct vtd_domain_unit,
					 node)->did;
	}
	/* The id the next new domain gets. */
	id = ida_alloc_range(&f->unit.domain_ids, 2, 15, GFP_KERNEL);
	KUNIT_ASSERT_GE(test, id, 2);
	ida_free(&f->unit.domain_ids, id);

	fake_fail(f, kind, nth);
	switch (op) {
	case OP_ATTACH:
		ret = vtd_domain_attach_pasid(&a->domain, vdev, pasid);
		did_a = id;
		break;
	case OP_REPLACE:
	case OP_REPLACE_RID:
	case OP_FL_REPLACE:
		ret = vtd_domain_attach_pasid(&b->domain, vdev, pasid);
		did_b = id;
		new_b = true;
		break;
	case OP_DETACH:
	case OP_FL_DETACH:
		vtd_pasid_encode_blocked(&target, false);
		ret = vtd_dev_attach(NULL, vdev, pasid, NULL, &target);
		break;
	case OP_BLOCKED_RID:
		vtd_pasid_encode_blocked(&target, false);
		ret = vtd_dev_attach(&blk, vdev, pasid, NULL, &target);
		break;
	default:
		KUNIT_ASSERT_EQ(test, vtd_pasid_encode_pt(&target, &pt), 0);
		ret = vtd_dev_attach(&idn, vdev, pasid, NULL, &target);
		break;
	}
	if (!f->failed) {
		KUNIT_EXPECT_EQ_MSG(test, ret, 0, "%s", name);
		f->fail_kind = FAIL_NONE;
		vtd_pasid_encode_blocked(&target, false);
		KUNIT_EXPECT_EQ(test, vtd_dev_attach(NULL, vdev, pasid, NULL,
						     &target), 0);
		return false;
	}

	/*
	 * Not present, and no domain on record for the PASID; except that
	 * blocking does not fail (the core cannot undo it): a not-present
	 * entry is blocked.
	 */
	dom_snapshot(vdev, pasid, &pe);
	KUNIT_EXPECT_FALSE_MSG(test, pe.val[0] & PE0_P, "%s: present", name);
	if (op == OP_BLOCKED_RID) {
		KUNIT_EXPECT_EQ_MSG(test, ret, 0, "%s", name);
		KUNIT_EXPECT_PTR_EQ_MSG(test, vtd_dev_domain(vdev, pasid), &blk,
					"%s", name);
	} else {
		KUNIT_EXPECT_LT_MSG(test, ret, 0, "%s", name);
		KUNIT_EXPECT_NULL_MSG(test, vtd_dev_domain(vdev, pasid), "%s",
				      name);
	}
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&f->unit.quarantined), 1, "%s",
			    name);
	/* Neither domain still believes it is attached there. */
	KUNIT_EXPECT_TRUE_MSG(test, list_empty(&a->attachments), "%s", name);
	KUNIT_EXPECT_TRUE_MSG(test, list_empty(&b->attachments), "%s", name);
	KUNIT_EXPECT_TRUE_MSG(test, list_empty(&a->units), "%s", name);
	KUNIT_EXPECT_TRUE_MSG(test, list_empty(&b->units), "%s", name);
	/* Ids and tables the unit may still use are out of reuse. */
	KUNIT_EXPECT_TRUE_MSG(test, a->quarantined, "%s", name);
	KUNIT_EXPECT_TRUE_MSG(test, dom_did_taken(&f->unit, did_a),
			      "%s: id %u reusable", name, did_a);
	KUNIT_EXPECT_EQ_MSG(test, b->quarantined, new_b, "%s", name);
	if (new_b)
		KUNIT_EXPECT_TRUE_MSG(test, dom_did_taken(&f->unit, did_b),
				      "%s: id %u reusable", name, did_b);
	/* A later attach works, with a fresh id. */
	KUNIT_EXPECT_EQ_MSG(test, vtd_domain_attach_pasid(&b->domain, vdev, pasid),
			    0, "%s: attach after", name);
	dom_snapshot(vdev, pasid, &pe);
	KUNIT_EXPECT_TRUE_MSG(test, pe.val[0] & PE0_P, "%s", name);
	KUNIT_EXPECT_NE_MSG(test, FIELD_GET(PE1_DID, pe.val[1]), did_a, "%s", name);
	KUNIT_EXPECT_NE_MSG(test, FIELD_GET(PE1_DID, pe.val[1]), did_b, "%s", name);
	vtd_pasid_encode_blocked(&target, false);
	KUNIT_EXPECT_EQ(test, vtd_dev_attach(NULL, vdev, pasid, NULL, &target), 0);
	return true;
}

/*
 * A batch that fails with IQE, ITE or a time-out, at each step of every
 * kind of entry change: the entry is left not present, never rolled back
 * toward translation, and nothing that may still be in use is reused.
 */
static void dom_test_fail_each_step(struct kunit *test)
{
	enum fake_fail_kind kind;
	unsigned int nth;
	int op;

	for (op = 0; op < OP_NR; op++) {
		for (kind = FAIL_IQE; kind <= FAIL_HANG; kind++) {
			for (nth = 1; nth < 8; nth++)
				if (!dom_fail_one(test, op, kind, nth))
					break;
			/* Every operation makes at least one batch. */
			KUNIT_EXPECT_GT_MSG(test, nth, 1U, "%s",
					    dom_fail_op_names[op]);
		}
	}
}

#define ECAP_SMPWC	BIT_ULL(48)
#define PE1_PWSNP	BIT_ULL(23)

/*
 * Scalable-mode walks of first- and second-level tables snoop only with
 * ECAP.SMPWC (and PWSNP); ECAP.C says nothing about them.  A unit with
 * C=1, SMPWC=0 needs its tables written back to memory.
 */
static void dom_test_walk_coherency(struct kunit *test)
{
	struct fake_unit *f = fake_new(test, FAKE_CAP, FAKE_ECAP);
	struct fake_unit *g = fake_new(test, FAKE_CAP, FAKE_ECAP | ECAP_SMPWC);
	struct fake_unit *fl = fake_new(test, FAKE_CAP, FAKE_ECAP & ~VTD_ECAP_SLTS);
	struct vtd_dev *vf = dom_dev(test, f), *vg = dom_dev(test, g);
	struct vtd_domain *nc = dom_new(test, &f->unit, 0);
	struct vtd_domain *coh = dom_new(test, &g->unit, 0);
	struct vtd_pasid_entry pe, blocked;

	KUNIT_ASSERT_TRUE(test, FAKE_ECAP & VTD_ECAP_C);
	KUNIT_EXPECT_TRUE(test, nc->pt.flags & VTD_PGTABLE_NONCOHERENT);
	KUNIT_EXPECT_TRUE(test, dom_new(test, &fl->unit, 0)->pt.flags &
			  VTD_PGTABLE_NONCOHERENT);
	KUNIT_EXPECT_FALSE(test, coh->pt.flags & VTD_PGTABLE_NONCOHERENT);

	/* A table that is not written back cannot go to the C=1, SMPWC=0 unit. */
	KUNIT_EXPECT_EQ(test, vtd_domain_attach_pasid(&coh->domain, vf, 0), -EINVAL);
	KUNIT_EXPECT_NULL(test, vf->domain);
	/* The other way is fine; PWSNP only where walks snoop. */
	KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&nc->domain, vg, 0), 0);
	dom_snapshot(vg, 0, &pe);
	KUNIT_EXPECT_TRUE(test, pe.val[1] & PE1_PWSNP);
	KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&nc->domain, vf, 0), 0);
	dom_snapshot(vf, 0, &pe);
	KUNIT_EXPECT_FALSE(test, pe.val[1] & PE1_PWSNP);

	vtd_pasid_encode_blocked(&blocked, false);
	KUNIT_EXPECT_EQ(test, vtd_dev_attach(NULL, vf, 0, NULL, &blocked), 0);
	KUNIT_EXPECT_EQ(test, vtd_dev_attach(NULL, vg, 0, NULL, &blocked), 0);
}

/* A second-level table is used only by units whose MGAW covers it. */
static void dom_test_mgaw(struct kunit *test)
{
	u64 cap39 = (FAKE_CAP & ~VTD_CAP_MGAW) | FIELD_PREP(VTD_CAP_MGAW, 38);
	struct fake_unit *f = fake_new(test, FAKE_CAP, FAKE_ECAP);
	struct fake_unit *g = fake_new(test, cap39, FAKE_ECAP);
	struct vtd_dev *vf = dom_dev(test, f), *vg = dom_dev(test, g);
	struct vtd_domain *wide = dom_new(test, &f->unit, 0);
	struct vtd_domain *narrow = dom_new(test, &g->unit, 0);
	struct vtd_pasid_entry blocked;

	/* g walks 4 levels (SAGAW) but addresses only 39 bits. */
	KUNIT_EXPECT_EQ(test, narrow->domain.geometry.aperture_end, BIT_ULL(39) - 1);
	KUNIT_EXPECT_EQ(test, vtd_domain_attach_pasid(&wide->domain, vg, 0), -EINVAL);
	KUNIT_EXPECT_TRUE(test, list_empty(&wide->units));
	KUNIT_EXPECT_NULL(test, vg->domain);
	KUNIT_EXPECT_EQ(test, vtd_domain_attach_pasid(&narrow->domain, vf, 0), 0);
	KUNIT_EXPECT_EQ(test, vtd_domain_attach_pasid(&narrow->domain, vg, 0), 0);

	vtd_pasid_encode_blocked(&blocked, false);
	KUNIT_EXPECT_EQ(test, vtd_dev_attach(NULL, vf, 0, NULL, &blocked), 0);
	KUNIT_EXPECT_EQ(test, vtd_dev_attach(NULL, vg, 0, NULL, &blocked), 0);
}

/*
 * In caching mode a map is invalidated too; a map may add tables, so the
 * invalidation keeps IH clear (the paging-structure caches go as well).
 */
static void dom_test_map_flush_ih(struct kunit *test)
{
	struct fake_unit *f = fake_new(test, FAKE_CAP, FAKE_ECAP);
	struct vtd_domain *vd = dom_new(test, &f->unit, 0);
	struct vtd_attachment *att = dom_attach(test, vd, &f->unit, 0);
	const struct iommu_domain_ops *ops = vd->domain.ops;
	struct iommu_iotlb_gather gather;
	size_t mapped = 0;
	void *page = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, page);
	/* The first map at 1 GiB allocates the level 3, 2 and 1 tables. */
	KUNIT_ASSERT_EQ(test, ops->map_pages(&vd->domain, SZ_1G,
					     virt_to_phys(page), SZ_4K, 1,
					     IOMMU_READ, GFP_KERNEL, &mapped), 0);
	dom_fake_clear(f);
	KUNIT_ASSERT_EQ(test, ops->iotlb_sync_map(&vd->domain, SZ_1G, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, f->waits, 1);
	KUNIT_ASSERT_EQ(test, f->nr_seen, 1);
	dom_expect_desc(test, &f->seen[0], T_IOTLB, G_IOTLB_PAGE, att->du->did, 0,
			SZ_1G);

	iommu_iotlb_gather_init(&gather);
	KUNIT_EXPECT_EQ(test, ops->unmap_pages(&vd->domain, SZ_1G, SZ_4K, 1,
					       &gather), SZ_4K);
	ops->iotlb_sync(&vd->domain, &gather);
	dom_detach(vd, att);
}

/* Device-TLB invalidate descriptors, per the VT-d specification. */
#define T_DEVTLB	3		/* device-TLB invalidate */
#define T_PDEVTLB	8		/* PASID-based device-TLB invalidate */
#define DT_PFSID_LO	GENMASK_ULL(15, 12)	/* both types */
#define DT_PFSID_HI	GENMASK_ULL(63, 52)	/* both types */
#define DT_MIP		GENMASK_ULL(20, 16)
#define DT_SID		GENMASK_ULL(47, 32)
#define DT_S		BIT_ULL(0)
#define PDT_MIP		GENMASK_ULL(8, 4)
#define PDT_SID		GENMASK_ULL(31, 16)
#define PDT_PASID	GENMASK_ULL(51, 32)
#define PDT_G		BIT_ULL(0)
#define PDT_S		BIT_ULL(11)
#define DT_ADDR		GENMASK_ULL(63, 12)

/* The ATS device of these tests: queue depth 8, a PFSID of its own. */
#define ATS_SID		0x0108
#define ATS_PFSID	0x0100
#define ATS_QDEP	8
#define PLAIN_SID	0x0110

static void dom_dev_unregister(void *data)
{
	struct vtd_dev *vdev = data;

	xa_erase(&vdev->unit->devices, vdev->sid);
	if (vdev->ats_enabled)
		atomic_dec(&vdev->unit->ats_devices);
}

/*
 * A device of @f (dom_dev()) at @sid that the unit's device list holds,
 * with ATS enabled as probe leaves it on a unit with ECAP.DT if @ats.
 */
static struct vtd_dev *dom_dev_at(struct kunit *test, struct fake_unit *f,
				  u16 sid, bool ats)
{
	struct vtd_dev *vdev = dom_dev(test, f);

	vdev->sid = sid;
	vdev->bus = sid >> 8;
	vdev->devfn = sid & 0xff;
	if (ats) {
		vdev->ats_supported = true;
		vdev->ats_enabled = true;
		vdev->ats_qdep = ATS_QDEP;
		vdev->pfsid = ATS_PFSID;
		atomic_inc(&f->unit.ats_devices);
	}
	KUNIT_ASSERT_EQ(test, xa_err(xa_store(&f->unit.devices, sid, vdev,
					      GFP_KERNEL)), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							dom_dev_unregister,
							vdev), 0);
	return vdev;
}

static bool dom_is_devtlb(const struct vtd_qi_desc *d)
{
	u64 type = FIELD_GET(D_TYPE, d->qw[0]);

	return type == T_DEVTLB || type == T_PDEVTLB;
}

/* Device-TLB descriptors the fake unit saw since dom_fake_clear(). */
static unsigned int dom_nr_devtlb(struct fake_unit *f)
{
	unsigned int i, n = 0;

	for (i = 0; i < f->nr_seen; i++)
		n += dom_is_devtlb(&f->seen[i]);
	return n;
}

/*
 * @d invalidates the device TLB of the ATS device: requests without PASID
 * (type 3) if @pasid is 0, else those with @pasid (type 8, not global);
 * @qw1 is the address with the size encoding written out (S set by the
 * caller through @s).
 */
static void dom_expect_devtlb(struct kunit *test, const struct vtd_qi_desc *d,
			      u32 pasid, u64 addr, bool s)
{
	u64 qw0 = d->qw[0];

	KUNIT_EXPECT_EQ(test, FIELD_GET(DT_PFSID_LO, qw0), ATS_PFSID & 0xf);
	KUNIT_EXPECT_EQ(test, FIELD_GET(DT_PFSID_HI, qw0), ATS_PFSID >> 4);
	KUNIT_EXPECT_EQ(test, d->qw[2], 0);
	KUNIT_EXPECT_EQ(test, d->qw[3], 0);
	if (!pasid) {
		KUNIT_EXPECT_EQ(test, FIELD_GET(D_TYPE, qw0), T_DEVTLB);
		KUNIT_EXPECT_EQ(test, FIELD_GET(DT_MIP, qw0), ATS_QDEP);
		KUNIT_EXPECT_EQ(test, FIELD_GET(DT_SID, qw0), ATS_SID);
		/* Nothing else in word 0: bits 4-11, 21-31 and 48-51. */
		KUNIT_EXPECT_EQ(test, qw0 & (GENMASK_ULL(11, 4) |
					     GENMASK_ULL(31, 21) |
					     GENMASK_ULL(51, 48)), 0);
		KUNIT_EXPECT_EQ(test, d->qw[1], addr | (s ? DT_S : 0));
	} else {
		KUNIT_EXPECT_EQ(test, FIELD_GET(D_TYPE, qw0), T_PDEVTLB);
		KUNIT_EXPECT_EQ(test, FIELD_GET(PDT_MIP, qw0), ATS_QDEP);
		KUNIT_EXPECT_EQ(test, FIELD_GET(PDT_SID, qw0), ATS_SID);
		KUNIT_EXPECT_EQ(test, FIELD_GET(PDT_PASID, qw0), pasid);
		KUNIT_EXPECT_EQ(test, qw0 & GENMASK_ULL(11, 9), 0);
		KUNIT_EXPECT_EQ(test, d->qw[1] & PDT_G, 0);
		KUNIT_EXPECT_EQ(test, d->qw[1], addr | (s ? PDT_S : 0));
	}
}

/* The whole address space: S set, bit 63 the lowest clear address bit. */
#define DT_ALL		(DT_ADDR & ~BIT_ULL(63))

/*
 * Per PASID entry change on a device with ATS: the replace and the detach
 * invalidate the device TLB of the PASID (whole space) right after the
 * IOTLB of the old domain id, in the same batch; the attach, where the
 * device cannot have cached anything, does not.  A device without ATS on
 * the same unit gets none for the same operations.
 */
static void dom_test_ats_descs_per_op(struct kunit *test)
{
	static struct iommu_domain blk = { .type = IOMMU_DOMAIN_BLOCKED };
	struct fake_unit *f = fake_new(test, FAKE_CAP, FAKE_ECAP | VTD_ECAP_DT);
	struct vtd_dev *ats = dom_dev_at(test, f, ATS_SID, true);
	struct vtd_dev *plain = dom_dev_at(test, f, PLAIN_SID, false);
	struct vtd_domain *a = dom_new(test, &f->unit, 0);
	struct vtd_domain *b = dom_new(test, &f->unit, 0);
	struct vtd_pasid_entry blocked;
	static const u32 pasids[] = { 5, 0 };
	unsigned int i;
	u32 pasid;

	vtd_pasid_encode_blocked(&blocked, false);
	for (i = 0; i < ARRAY_SIZE(pasids); i++) {
		pasid = pasids[i];
		dom_fake_clear(f);
		KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&a->domain, ats,
							      pasid), 0);
		KUNIT_EXPECT_EQ(test, dom_nr_devtlb(f), 0);
		dom_fake_clear(f);
		KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&b->domain, ats,
							      pasid), 0);
		/* PC(a), DSI(a), device TLB, DSI(b) (caching mode). */
		KUNIT_EXPECT_EQ(test, f->waits, 1);
		KUNIT_ASSERT_EQ(test, f->nr_seen, 4);
		KUNIT_EXPECT_EQ(test, FIELD_GET(D_TYPE, f->seen[1].qw[0]), T_IOTLB);
		dom_expect_devtlb(test, &f->seen[2], pasid, DT_ALL, true);
		dom_fake_clear(f);
		KUNIT_ASSERT_EQ(test, vtd_dev_attach(pasid ? NULL : &blk, ats,
						     pasid, NULL, &blocked), 0);
		/* PC(b), DSI(b), device TLB. */
		KUNIT_EXPECT_EQ(test, f->waits, 1);
		KUNIT_ASSERT_EQ(test, f->nr_seen, 3);
		KUNIT_EXPECT_EQ(test, FIELD_GET(D_TYPE, f->seen[1].qw[0]), T_IOTLB);
		dom_expect_devtlb(test, &f->seen[2], pasid, DT_ALL, true);

		/* The same on the device without ATS: no device TLB. */
		dom_fake_clear(f);
		KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&a->domain, plain,
							      pasid), 0);
		KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&b->domain, plain,
							      pasid), 0);
		KUNIT_ASSERT_EQ(test, vtd_dev_attach(pasid ? NULL : &blk, plain,
						     pasid, NULL, &blocked), 0);
		KUNIT_EXPECT_EQ(test, f->nr_seen, 7);
		KUNIT_EXPECT_EQ(test, dom_nr_devtlb(f), 0);
	}
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->unit.qi.stats.devtlb), 4);
}

/*
 * Range flushes of a paging domain: after the IOTLB invalidation, one
 * device-TLB invalidation per attachment of a device with ATS, of the
 * naturally aligned block that covers the range (S and the low address
 * bits encode its size), the whole space for a flush of everything, and
 * nothing after a map; nothing for the attachment of a device without
 * ATS.
 */
static void dom_test_ats_flush(struct kunit *test)
{
	struct fake_unit *f = fake_new(test, FAKE_CAP, FAKE_ECAP | VTD_ECAP_DT);
	struct vtd_dev *ats = dom_dev_at(test, f, ATS_SID, true);
	struct vtd_dev *plain = dom_dev_at(test, f, PLAIN_SID, false);
	struct vtd_domain *vd = dom_new(test, &f->unit, 0);
	static struct iommu_domain blk = { .type = IOMMU_DOMAIN_BLOCKED };
	struct vtd_pasid_entry blocked;
	struct vtd_domain_unit *du;
	struct vtd_qi_batch b;

	KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&vd->domain, ats, 0), 0);
	KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&vd->domain, ats, 5), 0);
	KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&vd->domain, plain, 0), 0);
	du = list_first_entry(&vd->units, struct vtd_domain_unit, node);

	vtd_qi_batch_begin(&b, &f->unit.qi);
	spin_lock_irq(&vd->lock);
	/* One page. */
	vtd_domain_build_flush(vd, du, &b, 0x5000, 0x5fff, VTD_FLUSH_LEAF);
	spin_unlock_irq(&vd->lock);
	KUNIT_ASSERT_EQ(test, b.n, 3);
	KUNIT_EXPECT_EQ(test, FIELD_GET(D_TYPE, b.desc[0].qw[0]), T_IOTLB);
	dom_expect_devtlb(test, &b.desc[1], 0, 0x5000, false);
	dom_expect_devtlb(test, &b.desc[2], 5, 0x5000, false);
	b.n = 0;

	spin_lock_irq(&vd->lock);
	/* Pages 0x1 to 0x2: the block of four at 0, bit 12 set, 13 clear. */
	vtd_domain_build_flush(vd, du, &b, 0x1000, 0x2fff, 0);
	spin_unlock_irq(&vd->lock);
	KUNIT_ASSERT_EQ(test, b.n, 3);
	dom_expect_devtlb(test, &b.desc[1], 0, 0x1000, true);
	dom_expect_devtlb(test, &b.desc[2], 5, 0x1000, true);
	b.n = 0;

	spin_lock_irq(&vd->lock);
	/* 8 GiB at 8 GiB: beyond MAMV for the IOTLB, exact for the device. */
	vtd_domain_build_flush(vd, du, &b, SZ_8G, SZ_16G - 1, 0);
	spin_unlock_irq(&vd->lock);
	KUNIT_ASSERT_EQ(test, b.n, 3);
	KUNIT_EXPECT_EQ(test, FIELD_GET(D_G, b.desc[0].qw[0]), G_IOTLB_DOMAIN);
	dom_expect_devtlb(test, &b.desc[1], 0, SZ_8G | (SZ_4G - SZ_4K), true);
	b.n = 0;

	spin_lock_irq(&vd->lock);
	vtd_domain_build_flush(vd, du, &b, 0, ULONG_MAX, VTD_FLUSH_ALL);
	spin_unlock_irq(&vd->lock);
	KUNIT_ASSERT_EQ(test, b.n, 3);
	dom_expect_devtlb(test, &b.desc[1], 0, DT_ALL, true);
	dom_expect_devtlb(test, &b.desc[2], 5, DT_ALL, true);
	b.n = 0;

	/* After a map (caching mode): the IOTLB alone. */
	spin_lock_irq(&vd->lock);
	vtd_domain_build_flush(vd, du, &b, 0x5000, 0x5fff, VTD_FLUSH_CM_ONLY);
	spin_unlock_irq(&vd->lock);
	KUNIT_EXPECT_EQ(test, b.n, 1);
	b.n = 0;

	/* flush_iotlb_all goes out as one batch with both. */
	dom_fake_clear(f);
	vd->domain.ops->flush_iotlb_all(&vd->domain);
	KUNIT_EXPECT_EQ(test, f->waits, 1);
	KUNIT_EXPECT_EQ(test, dom_nr_devtlb(f), 2);

	vtd_pasid_encode_blocked(&blocked, false);
	KUNIT_ASSERT_EQ(test, vtd_dev_attach(NULL, ats, 5, NULL, &blocked), 0);
	KUNIT_ASSERT_EQ(test, vtd_dev_attach(&blk, ats, 0, NULL, &blocked), 0);
	KUNIT_ASSERT_EQ(test, vtd_dev_attach(&blk, plain, 0, NULL, &blocked), 0);
}

/*
 * A user invalidation of a nested domain: the PASID-based IOTLB
 * invalidation, then the device TLB of the same PASID and block for a
 * device with ATS; the parent's flush reaches the nested attachment's
 * device TLB too (whole space: it caches guest addresses).
 */
static void dom_test_ats_nested(struct kunit *test)
{
	struct fake_unit *f = fake_new(test, FAKE_CAP, FAKE_ECAP | VTD_ECAP_DT);
	struct vtd_domain *parent = dom_new(test, &f->unit,
					    IOMMU_HWPT_ALLOC_NEST_PARENT);
	struct iommu_hwpt_vtd_s1_invalidate inv = {
		.addr = 0x3000, .npages = 3,
	};
	struct vtd_attachment *att[2];
	struct vtd_domain_unit *pdu;
	struct vtd_domain *vd;
	struct vtd_qi_batch b;

	dom_dev_at(test, f, ATS_SID, true);
	vd = dom_nested(test, parent, &f->unit, att);
	/* PASID 1 is the ATS device's; PASID 9 a device without ATS. */
	att[0]->sid = ATS_SID;
	att[1]->sid = PLAIN_SID;
	dom_dev_at(test, f, PLAIN_SID, false);

	vtd_qi_batch_begin(&b, &f->unit.qi);
	spin_lock_irq(&vd->lock);
	vtd_nested_build_inv(vd, att[0]->du, &b, &inv);
	spin_unlock_irq(&vd->lock);
	/* PIOTLB(1), device TLB of PASID 1 (block of 8 at 0), PIOTLB(9). */
	KUNIT_ASSERT_EQ(test, b.n, 3);
	KUNIT_EXPECT_EQ(test, FIELD_GET(D_TYPE, b.desc[0].qw[0]), T_PIOTLB);
	dom_expect_devtlb(test, &b.desc[1], 1, 0x3000, true);
	KUNIT_EXPECT_EQ(test, FIELD_GET(D_TYPE, b.desc[2].qw[0]), T_PIOTLB);
	b.n = 0;

	/* The whole space. */
	inv.addr = 0;
	inv.npages = U64_MAX;
	spin_lock_irq(&vd->lock);
	vtd_nested_build_inv(vd, att[0]->du, &b, &inv);
	spin_unlock_irq(&vd->lock);
	KUNIT_ASSERT_EQ(test, b.n, 3);
	dom_expect_devtlb(test, &b.desc[1], 1, DT_ALL, true);
	b.n = 0;

	/* An unmap of the parent: DSI of its id, then the nested device. */
	pdu = list_first_entry(&parent->units, struct vtd_domain_unit, node);
	spin_lock_irq(&parent->lock);
	vtd_domain_build_flush(parent, pdu, &b, 0x5000, 0x5fff, 0);
	spin_unlock_irq(&parent->lock);
	KUNIT_ASSERT_EQ(test, b.n, 2);
	KUNIT_EXPECT_EQ(test, FIELD_GET(D_G, b.desc[0].qw[0]), G_IOTLB_DOMAIN);
	dom_expect_devtlb(test, &b.desc[1], 1, DT_ALL, true);
	b.n = 0;

	dom_detach(vd, att[1]);
	dom_detach(vd, att[0]);
	vd->domain.ops->free(&vd->domain);
}

static struct kunit_case dom_test_cases[] = {
	KUNIT_CASE(dom_test_alloc_flags),
	KUNIT_CASE(dom_test_s1_check),
	KUNIT_CASE(dom_test_nested_alloc),
	KUNIT_CASE(dom_test_did_refcount),
	KUNIT_CASE(dom_test_attach_replace),
	KUNIT_CASE(dom_test_attach_lookup),
	KUNIT_CASE(dom_test_nested_switch),
	KUNIT_CASE(dom_test_take_down_order),
	KUNIT_CASE(dom_test_descs_per_op),
	KUNIT_CASE(dom_test_descs_no_cm),
	KUNIT_CASE(dom_test_walk_coherency),
	KUNIT_CASE(dom_test_mgaw),
	KUNIT_CASE(dom_test_map_flush_ih),
	KUNIT_CASE_SLOW(dom_test_fail_each_step),
	KUNIT_CASE(dom_test_flush_sl),
	KUNIT_CASE(dom_test_flush_fl_and_nested),
	KUNIT_CASE(dom_test_inv_check),
	KUNIT_CASE(dom_test_inv_build),
	KUNIT_CASE(dom_test_cache_invalidate_user),
	KUNIT_CASE(dom_test_ats_descs_per_op),
	KUNIT_CASE(dom_test_ats_flush),
	KUNIT_CASE(dom_test_ats_nested),
	{}
};

static struct kunit_suite dom_test_suite = {
	.name = "vtd_sm_domain",
	.test_cases = dom_test_cases,
};

kunit_test_suite(dom_test_suite);

MODULE_DESCRIPTION("KUnit tests of vtd_sm paging and nested domains");
MODULE_LICENSE("GPL");
