// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of vtd_sm's second-stage dirty tracking (ECAP.SSADS) on fake
 * units, since no emulator sets accessed/dirty flags: which units give
 * and take dirty-tracking domains, SLADE in every entry over a table when
 * tracking is turned on and off (with the invalidations the specification
 * asks for, counted in the fake unit's queue), and the walk that reports
 * and clears the dirty flags of 4 KiB, 2 MiB and 1 GiB leaves, where the
 * test plays the unit and sets D itself.  Field positions are written out
 * from the specification here, not taken from the driver's headers.
 */
#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/iommufd_dirty.h>
#include <linux/mman.h>
#include <linux/uaccess.h>

#include "pasid_entry.h"
#include "regs.h"
#include "vtd.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/* ECAP.SSADS: second-stage accessed/dirty support. */
#define ECAP_SSADS	BIT_ULL(45)
#define ECAP_SMPWC	BIT_ULL(48)
/* PASID entry: P, PGTT, SLADE (bit 9), SLPTPTR; DID. */
#define PE0_P		BIT_ULL(0)
#define PE0_PGTT	GENMASK_ULL(8, 6)
#define PE0_SLADE	BIT_ULL(9)
#define PE0_SLPTPTR	GENMASK_ULL(63, 12)
#define PE1_DID		GENMASK_ULL(15, 0)
/* Second-level entry: A is bit 8, D bit 9; the output address. */
#define SL_A		BIT_ULL(8)
#define SL_D		BIT_ULL(9)
#define SL_ADDR		GENMASK_ULL(51, 12)
/* Invalidation descriptors. */
#define D_TYPE		GENMASK_ULL(3, 0)
#define D_G		GENMASK_ULL(5, 4)
#define D_DID		GENMASK_ULL(31, 16)
#define D_PASID		GENMASK_ULL(51, 32)
#define T_IOTLB		2
#define T_WAIT		5
#define T_PC		7
#define G_IOTLB_DOMAIN	2
#define G_PC_PASID	1

/* 4-level second level, 256 domain ids, 2 MiB and 1 GiB pages. */
#define FAKE_CAP	(FIELD_PREP(VTD_CAP_SAGAW, BIT(2)) |		\
			 FIELD_PREP(VTD_CAP_MGAW, 47) |			\
			 FIELD_PREP(VTD_CAP_SLLPS, 3) |			\
			 FIELD_PREP(VTD_CAP_ND, 2))
/* A unit that can track dirty pages. */
#define FAKE_ECAP	(VTD_ECAP_C | VTD_ECAP_QI | VTD_ECAP_PT |	\
			 VTD_ECAP_NEST | VTD_ECAP_PASID | VTD_ECAP_SMTS | \
			 VTD_ECAP_SLTS | VTD_ECAP_FLTS | ECAP_SMPWC |	\
			 ECAP_SSADS)

#define MAX_SEEN	64

struct fake_unit {
	struct vtd_unit unit;
	u64 iqh;
	u64 iqt;
	u32 fsts;
	unsigned int refuse_type;
	unsigned int refuse_left;
	struct vtd_qi_desc seen[MAX_SEEN];
	/* Descriptors seen when each wait completed. */
	unsigned int batch_end[MAX_SEEN];
	unsigned int nr_seen;
	unsigned int waits;
};

/* Consume the queue: record descriptors, complete waits, refuse if armed. */
static void fake_run(struct fake_unit *f)
{
	struct vtd_qi *qi = &f->unit.qi;

	while (f->iqh != f->iqt && !(f->fsts & VTD_FSTS_IQE)) {
		unsigned int idx = f->iqh >> 5;
		struct vtd_qi_desc *d = &qi->ring[idx];
		unsigned int type = FIELD_GET(D_TYPE, d->qw[0]);

		if (type == f->refuse_type && f->refuse_left) {
			f->refuse_left--;
			f->fsts |= VTD_FSTS_IQE;
			return;
		}
		if (type == T_WAIT) {
			if (d->qw[0] & VTD_QI_WAIT_SW) {
				u32 *status = phys_to_virt(d->qw[1] &
							   VTD_QI_WAIT_ADDR);

				WRITE_ONCE(*status, FIELD_GET(VTD_QI_WAIT_DATA,
							      d->qw[0]));
				if (f->waits < MAX_SEEN)
					f->batch_end[f->waits] = f->nr_seen;
				f->waits++;
			}
		} else if (f->nr_seen < MAX_SEEN) {
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

	if (reg == VTD_REG_IQT)
		f->iqt = val;
	else if (reg == VTD_REG_FSTS)
		f->fsts &= ~(u32)val;
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
	xa_destroy(&f->unit.devices);
}

static struct fake_unit *fake_new(struct kunit *test, u64 ecap)
{
	struct fake_unit *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->unit.cap = FAKE_CAP;
	f->unit.ecap = ecap;
	spin_lock_init(&f->unit.ctx_lock);
	ida_init(&f->unit.domain_ids);
	xa_init(&f->unit.devices);
	KUNIT_ASSERT_EQ(test, vtd_qi_init(&f->unit.qi, 0, &fake_io, f, "fake"), 0);
	f->unit.qi.timeout_us = 200 * USEC_PER_MSEC;
	strscpy(f->unit.name, "fake", sizeof(f->unit.name));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, fake_exit, f), 0);
	return f;
}

static void fake_clear(struct fake_unit *f)
{
	f->nr_seen = 0;
	f->waits = 0;
}

static void dom_free(void *data)
{
	struct iommu_domain *domain = data;

	domain->ops->free(domain);
}

static struct iommu_domain *dom_alloc(struct kunit *test, struct fake_unit *f,
				      u32 flags, struct iommu_domain *parent,
				      const struct iommu_user_data *ud)
{
	struct iommu_domain *d;

	d = vtd_domain_alloc_user_unit(&f->unit, flags, parent, ud);
	if (!IS_ERR(d))
		KUNIT_ASSERT_EQ(test,
				kunit_add_action_or_reset(test, dom_free, d), 0);
	return d;
}

static struct vtd_domain *dom_new(struct kunit *test, struct fake_unit *f,
				  u32 flags)
{
	struct iommu_domain *d = dom_alloc(test, f, flags, NULL, NULL);

	KUNIT_ASSERT_FALSE(test, IS_ERR(d));
	return to_vtd_domain(d);
}

/*
 * A nested domain over @parent, first level at guest address 0x40000,
 * allocated with @flags: the domain or the ERR_PTR() of the allocation.
 */
static struct iommu_domain *dom_nested_flags(struct kunit *test,
					     struct fake_unit *f,
					     struct vtd_domain *parent,
					     u32 flags)
{
	struct iommu_hwpt_vtd_s1 s1 = { .pgtbl_addr = 0x40000,
					.addr_width = 48 };
	struct iommu_user_data ud = {
		.type = IOMMU_HWPT_DATA_VTD_S1,
		.len = sizeof(s1),
	};
	unsigned long addr;

	addr = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, addr, 0, "no user memory");
	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)addr, &s1,
					   sizeof(s1)), 0);
	ud.uptr = (void __user *)addr;
	return dom_alloc(test, f, flags, &parent->domain, &ud);
}

static struct vtd_domain *dom_nested(struct kunit *test, struct fake_unit *f,
				     struct vtd_domain *parent)
{
	struct iommu_domain *d = dom_nested_flags(test, f, parent, 0);

	KUNIT_ASSERT_FALSE(test, IS_ERR(d));
	return to_vtd_domain(d);
}

static void dev_exit(void *data)
{
	struct vtd_dev *vdev = data;

	xa_erase(&vdev->unit->devices, vdev->sid);
	vtd_ctx_pasid_dir_free(vdev);
	xa_destroy(&vdev->pasid_domains);
	mutex_destroy(&vdev->pasid_lock);
}

/* A device behind @f, in its devices XArray as probe puts it. */
static struct vtd_dev *dev_new(struct kunit *test, struct fake_unit *f,
			       u16 sid)
{
	struct vtd_dev *vdev = kunit_kzalloc(test, sizeof(*vdev), GFP_KERNEL);
	static atomic_t seq = ATOMIC_INIT(0);
	char name[32];

	KUNIT_ASSERT_NOT_NULL(test, vdev);
	snprintf(name, sizeof(name), "vtd_sm_dirty_dev%d",
		 atomic_inc_return(&seq));
	vdev->dev = kunit_device_register(test, name);
	KUNIT_ASSERT_FALSE(test, IS_ERR(vdev->dev));
	vdev->unit = &f->unit;
	vdev->sid = sid;
	vdev->max_pasids = 64;
	mutex_init(&vdev->pasid_lock);
	xa_init(&vdev->pasid_domains);
	KUNIT_ASSERT_EQ(test, vtd_ctx_pasid_dir_alloc(vdev), 0);
	KUNIT_ASSERT_EQ(test, xa_err(xa_store(&f->unit.devices, sid, vdev,
					      GFP_KERNEL)), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, dev_exit, vdev), 0);
	return vdev;
}

static void dev_detach(struct kunit *test, struct vtd_dev *vdev, u32 pasid)
{
	struct vtd_pasid_entry blocked;

	vtd_pasid_encode_blocked(&blocked, false);
	KUNIT_EXPECT_EQ(test, vtd_dev_attach(NULL, vdev, pasid, NULL, &blocked),
			0);
}

static void entry(struct vtd_dev *vdev, u32 pasid, struct vtd_pasid_entry *pe)
{
	mutex_lock(&vdev->pasid_lock);
	vtd_dev_pasid_entry_snapshot(vdev, pasid, pe);
	mutex_unlock(&vdev->pasid_lock);
}

static bool slade(struct vtd_dev *vdev, u32 pasid)
{
	struct vtd_pasid_entry pe;

	entry(vdev, pasid, &pe);
	return pe.val[0] & PE0_SLADE;
}

static u16 dom_did(struct vtd_domain *vd)
{
	return list_first_entry(&vd->units, struct vtd_domain_unit, node)->did;
}

/*
 * Dirty-tracking domains come only from units with SSADS, SMPWC and
 * second-level translation, as paging domains or nest parents; any other
 * unit, or a nested domain, gets EOPNOTSUPP.
 */
static void dirty_test_alloc(struct kunit *test)
{
	static const u64 lacking[] = {
		ECAP_SSADS, ECAP_SMPWC, VTD_ECAP_SLTS,
	};
	struct fake_unit *f = fake_new(test, FAKE_ECAP);
	const u32 dirty = IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
	struct vtd_domain *vd, *parent;
	struct iommu_domain *d;
	unsigned int i;

	KUNIT_EXPECT_TRUE(test, vtd_ecap_dirty_tracking(FAKE_ECAP));
	vd = dom_new(test, f, dirty);
	KUNIT_EXPECT_PTR_EQ(test, vd->domain.dirty_ops, &vtd_dirty_ops);
	KUNIT_EXPECT_EQ(test, vd->kind, VTD_DOMAIN_SL);
	KUNIT_EXPECT_FALSE(test, vd->dirty_tracking);
	parent = dom_new(test, f, dirty | IOMMU_HWPT_ALLOC_NEST_PARENT |
			 IOMMU_HWPT_ALLOC_PASID);
	KUNIT_EXPECT_PTR_EQ(test, parent->domain.dirty_ops, &vtd_dirty_ops);
	/* A nested domain tracks through its parent, never with the flag. */
	d = dom_nested_flags(test, f, parent, dirty);
	KUNIT_EXPECT_EQ(test, PTR_ERR(d), -EOPNOTSUPP);
	d = dom_nested_flags(test, f, parent, 0);
	KUNIT_EXPECT_FALSE(test, IS_ERR(d));
	if (!IS_ERR(d))
		KUNIT_EXPECT_NULL(test, d->dirty_ops);
	/* Without the flag: no dirty_ops, on the same unit. */
	vd = dom_new(test, f, 0);
	KUNIT_EXPECT_NULL(test, vd->domain.dirty_ops);

	for (i = 0; i < ARRAY_SIZE(lacking); i++) {
		struct fake_unit *g = fake_new(test, FAKE_ECAP & ~lacking[i]);

		KUNIT_EXPECT_FALSE(test,
				   vtd_ecap_dirty_tracking(g->unit.ecap));
		d = dom_alloc(test, g, dirty, NULL, NULL);
		KUNIT_EXPECT_EQ_MSG(test, PTR_ERR(d), -EOPNOTSUPP,
				    "ecap without %llx", lacking[i]);
		/* The unit still gives domains without tracking. */
		d = dom_alloc(test, g, 0, NULL, NULL);
		KUNIT_EXPECT_FALSE(test, IS_ERR(d));
		if (!IS_ERR(d))
			KUNIT_EXPECT_NULL(test, d->dirty_ops);
	}
}

/*
 * A dirty-tracking domain, and a nested domain over one, refuse a device
 * behind a unit without SSADS (EINVAL, nothing written), while a domain
 * without tracking from the same unit attaches there.
 */
static void dirty_test_attach_refused(struct kunit *test)
{
	struct fake_unit *f = fake_new(test, FAKE_ECAP);
	struct fake_unit *g = fake_new(test, FAKE_ECAP & ~ECAP_SSADS);
	struct vtd_domain *vd = dom_new(test, f, IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
					IOMMU_HWPT_ALLOC_NEST_PARENT);
	struct vtd_domain *nd = dom_nested(test, f, vd);
	struct vtd_domain *plain = dom_new(test, f, 0);
	struct vtd_dev *vg = dev_new(test, g, 0x10);
	struct vtd_dev *vf = dev_new(test, f, 0x10);
	struct vtd_pasid_entry pe;

	KUNIT_EXPECT_EQ(test, vtd_domain_attach_pasid(&vd->domain, vg, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vtd_domain_attach_pasid(&vd->domain, vg, 3),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vtd_domain_attach_pasid(&nd->domain, vg, 4),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, g->waits, 0);
	KUNIT_EXPECT_TRUE(test, list_empty(&vd->attachments));
	KUNIT_EXPECT_TRUE(test, list_empty(&nd->attachments));
	entry(vg, 0, &pe);
	KUNIT_EXPECT_FALSE(test, pe.val[0] & PE0_P);

	KUNIT_EXPECT_EQ(test, vtd_domain_attach_pasid(&plain->domain, vg, 0), 0);
	KUNIT_EXPECT_EQ(test, vtd_domain_attach_pasid(&vd->domain, vf, 0), 0);
	KUNIT_EXPECT_EQ(test, vtd_domain_attach_pasid(&nd->domain, vf, 4), 0);
	dev_detach(test, vg, 0);
	dev_detach(test, vf, 0);
	dev_detach(test, vf, 4);
}

/*
 * Check the descriptors since fake_clear(): one batch per device, each
 * a PASID-cache invalidation (did, PASID) per changed entry, then one
 * domain-selective IOTLB invalidation of did.  @pasids[d] lists what
 * batch d must name, in the order the device's entries were attached;
 * batches may come in any order of the devices.
 */
static void expect_slade_batches(struct kunit *test, struct fake_unit *f,
				 u16 did, const u32 (*pasids)[4],
				 unsigned int ndev)
{
	unsigned int b, i, d, start = 0, total = 0;
	bool used[4] = {};

	for (d = 0; d < ndev; d++)
		for (i = 0; i < 4 && pasids[d][i] != U32_MAX; i++)
			total++;
	KUNIT_ASSERT_EQ(test, f->waits, ndev);
	KUNIT_ASSERT_EQ(test, f->nr_seen, total + ndev);
	for (b = 0; b < ndev; b++) {
		unsigned int end = f->batch_end[b], n = end - start - 1;
		const struct vtd_qi_desc *last = &f->seen[end - 1];
		u32 first = FIELD_GET(D_PASID, f->seen[start].qw[0]);

		/* Which device: the one whose first PASID this batch names. */
		for (d = 0; d < ndev; d++)
			if (!used[d] && pasids[d][0] == first)
				break;
		KUNIT_ASSERT_LT_MSG(test, d, ndev, "batch %u: PASID %u", b,
				    first);
		used[d] = true;
		KUNIT_ASSERT_LE_MSG(test, n, 4U, "batch %u", b);
		for (i = 0; i < n; i++) {
			u64 qw0 = f->seen[start + i].qw[0];

			KUNIT_EXPECT_EQ(test, FIELD_GET(D_TYPE, qw0), T_PC);
			KUNIT_EXPECT_EQ(test, FIELD_GET(D_G, qw0), G_PC_PASID);
			KUNIT_EXPECT_EQ(test, FIELD_GET(D_DID, qw0), did);
			KUNIT_EXPECT_EQ(test, FIELD_GET(D_PASID, qw0),
					pasids[d][i]);
		}
		KUNIT_EXPECT_TRUE(test, n == 4 || pasids[d][n] == U32_MAX);
		KUNIT_EXPECT_EQ(test, FIELD_GET(D_TYPE, last->qw[0]), T_IOTLB);
		KUNIT_EXPECT_EQ(test, FIELD_GET(D_G, last->qw[0]),
				G_IOTLB_DOMAIN);
		KUNIT_EXPECT_EQ(test, FIELD_GET(D_DID, last->qw[0]), did);
		start = end;
	}
	fake_clear(f);
}

/*
 * set_dirty_tracking: SLADE in the RID's and the PASIDs' entries of a
 * nest parent and in a nested entry over it, one batch per device with
 * exactly the specification's descriptors, hitless updates; another
 * domain's entry is left alone; nothing is sent when nothing changes; a
 * later attach follows the table's state.
 */
static void dirty_test_set_tracking(struct kunit *test)
{
	static const u32 on_v1[][4] = {
		{ 0, 3, 7, U32_MAX }, { 5, U32_MAX },
	};
	struct fake_unit *f = fake_new(test, FAKE_ECAP);
	struct vtd_domain *p = dom_new(test, f, IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
				       IOMMU_HWPT_ALLOC_NEST_PARENT |
				       IOMMU_HWPT_ALLOC_PASID);
	struct vtd_domain *n = dom_nested(test, f, p);
	struct vtd_domain *q = dom_new(test, f, 0);
	struct vtd_dev *v1 = dev_new(test, f, 0x08);
	struct vtd_dev *v2 = dev_new(test, f, 0x09);
	const struct iommu_dirty_ops *ops = p->domain.dirty_ops;
	struct vtd_pasid_entry *before, after;
	static const u32 pp[] = { 0, 3, 7 };
	s64 hitless;
	unsigned int i;
	u16 did;

	before = kunit_kcalloc(test, 4, sizeof(*before), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, before);
	for (i = 0; i < ARRAY_SIZE(pp); i++)
		KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&p->domain, v1,
							      pp[i]), 0);
	KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&n->domain, v2, 5), 0);
	KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&q->domain, v2, 0), 0);
	did = dom_did(p);
	for (i = 0; i < ARRAY_SIZE(pp); i++) {
		entry(v1, pp[i], &before[i]);
		KUNIT_EXPECT_FALSE(test, before[i].val[0] & PE0_SLADE);
	}
	entry(v2, 5, &before[3]);
	KUNIT_EXPECT_EQ(test, FIELD_GET(PE0_PGTT, before[3].val[0]), 3);
	KUNIT_EXPECT_EQ(test, FIELD_GET(PE1_DID, before[3].val[1]), did);
	fake_clear(f);

	hitless = atomic64_read(&f->unit.pasid_updates[VTD_PASID_UPDATE_HITLESS]);
	KUNIT_ASSERT_EQ(test, ops->set_dirty_tracking(&p->domain, true), 0);
	KUNIT_EXPECT_TRUE(test, p->dirty_tracking);
	expect_slade_batches(test, f, did, on_v1, 2);
	KUNIT_EXPECT_EQ(test,
			atomic64_read(&f->unit.pasid_updates[VTD_PASID_UPDATE_HITLESS]),
			hitless + 4);
	/* SLADE and nothing else changed. */
	for (i = 0; i < 4; i++) {
		entry(i < 3 ? v1 : v2, i < 3 ? pp[i] : 5, &after);
		KUNIT_EXPECT_EQ(test, after.val[0], before[i].val[0] | PE0_SLADE);
		KUNIT_EXPECT_MEMEQ(test, &after.val[1], &before[i].val[1],
				   sizeof(u64) * (VTD_PASID_ENTRY_QWORDS - 1));
	}
	KUNIT_EXPECT_FALSE(test, slade(v2, 0));

	/* Again: nothing to change, nothing sent. */
	KUNIT_ASSERT_EQ(test, ops->set_dirty_tracking(&p->domain, true), 0);
	KUNIT_EXPECT_EQ(test, f->waits, 0);
	KUNIT_EXPECT_EQ(test, f->nr_seen, 0);

	/* An entry attached now has SLADE; one of another domain has not. */
	KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&p->domain, v2, 9), 0);
	KUNIT_EXPECT_TRUE(test, slade(v2, 9));
	KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&q->domain, v1, 11), 0);
	KUNIT_EXPECT_FALSE(test, slade(v1, 11));
	fake_clear(f);

	/* Off: every entry over the table, v2's two in one batch. */
	KUNIT_ASSERT_EQ(test, ops->set_dirty_tracking(&p->domain, false), 0);
	KUNIT_EXPECT_FALSE(test, p->dirty_tracking);
	{
		static const u32 off[][4] = {
			{ 0, 3, 7, U32_MAX }, { 5, 9, U32_MAX },
		};

		expect_slade_batches(test, f, did, off, 2);
	}
	for (i = 0; i < ARRAY_SIZE(pp); i++)
		KUNIT_EXPECT_FALSE(test, slade(v1, pp[i]));
	KUNIT_EXPECT_FALSE(test, slade(v2, 5));
	KUNIT_EXPECT_FALSE(test, slade(v2, 9));

	for (i = 0; i < ARRAY_SIZE(pp); i++)
		dev_detach(test, v1, pp[i]);
	dev_detach(test, v1, 11);
	dev_detach(test, v2, 0);
	dev_detach(test, v2, 5);
	dev_detach(test, v2, 9);
}

/*
 * An invalidation the unit refuses: the call fails, tracking stays off
 * and every entry has SLADE clear again.
 */
static void dirty_test_set_tracking_fails(struct kunit *test)
{
	struct fake_unit *f = fake_new(test, FAKE_ECAP);
	struct vtd_domain *vd = dom_new(test, f, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
	const struct iommu_dirty_ops *ops = vd->domain.dirty_ops;
	struct vtd_dev *v1 = dev_new(test, f, 0x20);
	struct vtd_dev *v2 = dev_new(test, f, 0x21);

	KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&vd->domain, v1, 0), 0);
	KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&vd->domain, v2, 0), 0);
	f->refuse_type = T_IOTLB;
	f->refuse_left = 1;
	KUNIT_EXPECT_EQ(test, ops->set_dirty_tracking(&vd->domain, true), -EIO);
	KUNIT_EXPECT_EQ(test, f->refuse_left, 0);
	KUNIT_EXPECT_FALSE(test, vd->dirty_tracking);
	KUNIT_EXPECT_FALSE(test, slade(v1, 0));
	KUNIT_EXPECT_FALSE(test, slade(v2, 0));
	dev_detach(test, v1, 0);
	dev_detach(test, v2, 0);
}

/* Set or clear P of a live entry, as a writer stopped halfway leaves it. */
static void set_present(struct vtd_dev *vdev, u32 pasid, bool on)
{
	struct vtd_pasid_entry *pe;

	mutex_lock(&vdev->pasid_lock);
	pe = vtd_pasid_entry(vdev, pasid, false);
	if (pe)
		WRITE_ONCE(pe->val[0], on ? pe->val[0] | PE0_P :
					    pe->val[0] & ~PE0_P);
	mutex_unlock(&vdev->pasid_lock);
}

/*
 * Since fake_clear(): one batch, the PASID-cache invalidation of (@did,
 * PASID 0) and the IOTLB of @did; no PASID-cache invalidation of another
 * PASID.  Expectations only, so that a failing case still cleans up.
 */
static void expect_rid_batch(struct kunit *test, struct fake_unit *f,
			     u16 did)
{
	unsigned int i;

	KUNIT_EXPECT_EQ(test, f->waits, 1);
	KUNIT_EXPECT_EQ(test, f->nr_seen, 2);
	for (i = 0; i < f->nr_seen && i < MAX_SEEN; i++) {
		u64 qw0 = f->seen[i].qw[0];
		u32 pasid = FIELD_GET(D_PASID, qw0);
		u16 d = FIELD_GET(D_DID, qw0);

		KUNIT_EXPECT_EQ_MSG(test, d, did, "descriptor %u", i);
		if (FIELD_GET(D_TYPE, qw0) == T_PC)
			KUNIT_EXPECT_EQ_MSG(test, pasid, 0, "descriptor %u", i);
	}
	fake_clear(f);
}

/*
 * An entry over the table that is not present, though it still carries
 * the table's PGTT, DID and SLPTPTR (a teardown clears P first and the
 * rest after a sync), keeps SLADE as it is and gets no invalidation, when
 * tracking goes on or off and when vtd_dev_set_slade() names it alone;
 * the present entries of the same device change as usual.
 */
static void dirty_test_slade_not_present(struct kunit *test)
{
	static const u32 only3[] = { 3 };
	struct fake_unit *f = fake_new(test, FAKE_ECAP);
	struct vtd_domain *p = dom_new(test, f, IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
				       IOMMU_HWPT_ALLOC_PASID);
	const struct iommu_dirty_ops *ops = p->domain.dirty_ops;
	u64 root = vtd_pgtable_root_phys(&p->pt);
	struct vtd_dev *v1 = dev_new(test, f, 0x30);
	struct vtd_pasid_entry before, after;
	u16 did;

	KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&p->domain, v1, 0), 0);
	KUNIT_ASSERT_EQ(test, vtd_domain_attach_pasid(&p->domain, v1, 3), 0);
	did = dom_did(p);
	set_present(v1, 3, false);
	entry(v1, 3, &before);
	KUNIT_ASSERT_FALSE(test, before.val[0] & PE0_P);
	KUNIT_ASSERT_EQ(test, FIELD_GET(PE0_PGTT, before.val[0]), 2);
	KUNIT_ASSERT_EQ(test, FIELD_GET(PE1_DID, before.val[1]), did);
	KUNIT_ASSERT_EQ(test, before.val[0] & PE0_SLPTPTR, root);
	fake_clear(f);

	/* On: the RID's entry alone changes and is invalidated. */
	KUNIT_EXPECT_EQ(test, ops->set_dirty_tracking(&p->domain, true), 0);
	expect_rid_batch(test, f, did);
	KUNIT_EXPECT_TRUE(test, slade(v1, 0));
	entry(v1, 3, &after);
	KUNIT_EXPECT_MEMEQ(test, &after, &before, sizeof(after));

	/* Named alone: nothing changed, nothing sent. */
	KUNIT_EXPECT_EQ(test, vtd_dev_set_slade(v1, only3, 1, did, root, true),
			0);
	KUNIT_EXPECT_EQ(test, f->waits, 0);
	KUNIT_EXPECT_EQ(test, f->nr_seen, 0);
	entry(v1, 3, &after);
	KUNIT_EXPECT_MEMEQ(test, &after, &before, sizeof(after));

	/* Off: the same. */
	KUNIT_EXPECT_EQ(test, ops->set_dirty_tracking(&p->domain, false), 0);
	expect_rid_batch(test, f, did);
	KUNIT_EXPECT_FALSE(test, slade(v1, 0));
	entry(v1, 3, &after);
	KUNIT_EXPECT_MEMEQ(test, &after, &before, sizeof(after));

	set_present(v1, 3, true);
	dev_detach(test, v1, 0);
	dev_detach(test, v1, 3);
}

/* A bitmap that keeps the ranges recorded, in order. */
struct rec_bitmap {
	struct iova_bitmap base;
	unsigned int n;
	struct {
		unsigned long iova;
		unsigned long len;
	} r[16];
};

static void rec_record(struct iova_bitmap *bitmap, unsigned long iova,
		       unsigned long length)
{
	struct rec_bitmap *rb = container_of(bitmap, struct rec_bitmap, base);

	if (rb->n < ARRAY_SIZE(rb->r)) {
		rb->r[rb->n].iova = iova;
		rb->r[rb->n].len = length;
	}
	rb->n++;
}

/* The leaf entry of @level that maps @iova (the test plays the unit). */
static u64 *leaf(struct vtd_pgtable *pt, u64 iova, unsigned int level)
{
	u64 *table = pt->root;
	unsigned int l;

	for (l = pt->levels; l > level; l--)
		table = phys_to_virt(table[(iova >> (12 + 9 * (l - 1))) & 511] &
				     SL_ADDR);
	return &table[(iova >> (12 + 9 * (level - 1))) & 511];
}

#define R(i, l)	{ i, l }

static void expect_records(struct kunit *test, const char *what,
			   struct rec_bitmap *rb, const unsigned long (*want)[2],
			   unsigned int n)
{
	unsigned int i;

	KUNIT_EXPECT_EQ_MSG(test, rb->n, n, "%s: records", what);
	for (i = 0; i < min(n, rb->n); i++) {
		KUNIT_EXPECT_EQ_MSG(test, rb->r[i].iova, want[i][0],
				    "%s: record %u", what, i);
		KUNIT_EXPECT_EQ_MSG(test, rb->r[i].len, want[i][1],
				    "%s: record %u", what, i);
	}
	rb->n = 0;
}

#define EXPECT_RECORDS(test, what, rb, ...) do {			\
	static const unsigned long __w[][2] = { __VA_ARGS__ };		\
	expect_records(test, what, rb, __w, ARRAY_SIZE(__w));		\
} while (0)

#define EXPECT_NO_RECORDS(test, what, rb)				\
	KUNIT_EXPECT_EQ_MSG(test, (rb)->n, 0, "%s: records", what)

/* The walk under test, in lines that fit. */
static int rd(struct vtd_pgtable *pt, unsigned long iova, size_t size,
	      unsigned long flags, struct iommu_dirty_bitmap *dirty)
{
	return vtd_pgtable_read_and_clear_dirty(pt, iova, size, flags, dirty);
}

#define IOVA_2M	0x200000UL
#define IOVA_1G	0x40000000UL

/*
 * The walk over 4 KiB, 2 MiB and 1 GiB leaves with D set by the "unit":
 * exactly the dirty leaves are reported (clipped to the range), D is
 * cleared atomically in leaves inside the range and kept with
 * IOMMU_DIRTY_NO_CLEAR and in leaves the range covers in part; A and the
 * rest of the entry are untouched; the gather collects what was reported.
 */
static void dirty_test_read_and_clear(struct kunit *test)
{
	struct fake_unit *f = fake_new(test, FAKE_ECAP);
	struct vtd_domain *vd = dom_new(test, f, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
	struct vtd_pgtable *pt = &vd->pt;
	const int rw = IOMMU_READ | IOMMU_WRITE;
	struct rec_bitmap rb = { .base.record = rec_record };
	struct iommu_iotlb_gather gather;
	struct iommu_dirty_bitmap dirty;
	u64 *p1, *p3, *p2m, *p1g, *p0, old3;
	size_t mapped = 0;

	KUNIT_ASSERT_EQ(test, vtd_pgtable_map_pages(pt, 0, 0x10000000, SZ_4K, 4,
						    rw, GFP_KERNEL, &mapped), 0);
	KUNIT_ASSERT_EQ(test, vtd_pgtable_map_pages(pt, IOVA_2M, 0x20000000,
						    SZ_2M, 1, rw, GFP_KERNEL,
						    &mapped), 0);
	KUNIT_ASSERT_EQ(test, vtd_pgtable_map_pages(pt, IOVA_1G, 0x80000000,
						    SZ_1G, 1, rw, GFP_KERNEL,
						    &mapped), 0);
	p0 = leaf(pt, 0, 1);
	p1 = leaf(pt, SZ_4K, 1);
	p3 = leaf(pt, 3 * SZ_4K, 1);
	p2m = leaf(pt, IOVA_2M, 2);
	p1g = leaf(pt, IOVA_1G, 3);
	/* The leaves the map made, found the unit's way. */
	KUNIT_ASSERT_EQ(test, *p3 & SL_ADDR, 0x10003000ULL);
	KUNIT_ASSERT_EQ(test, *p2m & SL_ADDR, 0x20000000ULL);
	KUNIT_ASSERT_EQ(test, *p1g & SL_ADDR, 0x80000000ULL);
	*p1 |= SL_A | SL_D;
	*p3 |= SL_A | SL_D;
	*p2m |= SL_D;
	*p1g |= SL_D;
	*p0 |= SL_A;		/* read, not written: not dirty */
	old3 = *p3;

	iommu_dirty_bitmap_init(&dirty, &rb.base, &gather);

	/* Everything, leaving D: the four dirty leaves. */
	KUNIT_ASSERT_EQ(test, rd(pt, 0, SZ_2G, IOMMU_DIRTY_NO_CLEAR, &dirty), 0);
	EXPECT_RECORDS(test, "all, no clear", &rb, R(SZ_4K, SZ_4K),
		       R(3 * SZ_4K, SZ_4K), R(IOVA_2M, SZ_2M),
		       R(IOVA_1G, SZ_1G));
	KUNIT_EXPECT_EQ(test, *p3, old3);
	KUNIT_EXPECT_TRUE(test, *p1 & *p2m & *p1g & SL_D);
	KUNIT_EXPECT_EQ(test, gather.start, SZ_4K);
	KUNIT_EXPECT_EQ(test, gather.end, IOVA_1G + SZ_1G - 1);

	/* A clean page alone, then the page before it: exact edges. */
	iommu_dirty_bitmap_init(&dirty, &rb.base, &gather);
	KUNIT_ASSERT_EQ(test, rd(pt, 2 * SZ_4K, SZ_4K, 0, &dirty), 0);
	EXPECT_NO_RECORDS(test, "clean page", &rb);
	KUNIT_EXPECT_EQ(test, gather.start, ULONG_MAX);
	KUNIT_ASSERT_EQ(test, rd(pt, 0, 2 * SZ_4K, 0, &dirty), 0);
	EXPECT_RECORDS(test, "pages 0-1", &rb, R(SZ_4K, SZ_4K));
	KUNIT_EXPECT_FALSE(test, *p1 & SL_D);
	KUNIT_EXPECT_TRUE(test, *p1 & SL_A);
	KUNIT_EXPECT_TRUE(test, *p0 & SL_A);
	KUNIT_EXPECT_TRUE(test, *p3 & SL_D);
	KUNIT_EXPECT_EQ(test, gather.start, SZ_4K);
	KUNIT_EXPECT_EQ(test, gather.end, 2 * SZ_4K - 1);

	/* Part of the 2 MiB and of the 1 GiB leaf: clipped, D kept. */
	KUNIT_ASSERT_EQ(test, rd(pt, IOVA_2M + SZ_1M, SZ_4K, 0, &dirty), 0);
	EXPECT_RECORDS(test, "part of 2M", &rb, R(IOVA_2M + SZ_1M, SZ_4K));
	KUNIT_EXPECT_TRUE(test, *p2m & SL_D);
	KUNIT_ASSERT_EQ(test, rd(pt, IOVA_1G - SZ_4K, 2 * SZ_4K, 0, &dirty), 0);
	EXPECT_RECORDS(test, "edge of 1G", &rb, R(IOVA_1G, SZ_4K));
	KUNIT_EXPECT_TRUE(test, *p1g & SL_D);

	/* Everything, clearing: the rest, once. */
	KUNIT_ASSERT_EQ(test, rd(pt, 0, SZ_2G, 0, &dirty), 0);
	EXPECT_RECORDS(test, "all", &rb, R(3 * SZ_4K, SZ_4K),
		       R(IOVA_2M, SZ_2M), R(IOVA_1G, SZ_1G));
	KUNIT_EXPECT_EQ(test, *p3, old3 & ~SL_D);
	KUNIT_EXPECT_FALSE(test, (*p2m | *p1g) & SL_D);
	KUNIT_ASSERT_EQ(test, rd(pt, 0, SZ_2G, 0, &dirty), 0);
	EXPECT_NO_RECORDS(test, "all again", &rb);

	/* No bitmap (the clear before tracking starts): D still cleared. */
	*p2m |= SL_D;
	iommu_dirty_bitmap_init(&dirty, NULL, &gather);
	KUNIT_ASSERT_EQ(test, rd(pt, IOVA_2M, SZ_2M, 0, &dirty), 0);
	KUNIT_EXPECT_FALSE(test, *p2m & SL_D);
	KUNIT_EXPECT_EQ(test, gather.start, IOVA_2M);

	/* Beyond the address width. */
	KUNIT_EXPECT_EQ(test, rd(pt, 0, SZ_4K, 0, &dirty), 0);
	KUNIT_EXPECT_EQ(test, rd(pt, BIT_ULL(48) - SZ_4K, 2 * SZ_4K, 0, &dirty),
			-EINVAL);
}

/*
 * Through the domain's dirty_ops: reading into a bitmap needs tracking
 * on (EINVAL), clearing without one does not; a first-level table and
 * one the unit does not snoop cannot be read.
 */
static void dirty_test_domain_read(struct kunit *test)
{
	struct fake_unit *f = fake_new(test, FAKE_ECAP);
	struct vtd_domain *vd = dom_new(test, f, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
	const struct iommu_dirty_ops *ops = vd->domain.dirty_ops;
	struct rec_bitmap rb = { .base.record = rec_record };
	struct vtd_pgtable_cfg cfg = {
		.format = VTD_PGTABLE_SL, .levels = 4,
		.pgsize_bitmap = SZ_4K, .nid = NUMA_NO_NODE,
	};
	struct iommu_iotlb_gather gather;
	struct iommu_dirty_bitmap dirty;
	struct vtd_pgtable pt = {};
	size_t mapped = 0;

	KUNIT_ASSERT_EQ(test, vtd_pgtable_map_pages(&vd->pt, 0, 0x10000000,
						    SZ_4K, 1, IOMMU_WRITE,
						    GFP_KERNEL, &mapped), 0);
	*leaf(&vd->pt, 0, 1) |= SL_D;
	iommu_dirty_bitmap_init(&dirty, &rb.base, &gather);
	KUNIT_EXPECT_EQ(test, ops->read_and_clear_dirty(&vd->domain, 0, SZ_4K,
							0, &dirty), -EINVAL);
	EXPECT_NO_RECORDS(test, "tracking off", &rb);
	KUNIT_ASSERT_EQ(test, ops->set_dirty_tracking(&vd->domain, true), 0);
	KUNIT_EXPECT_EQ(test, ops->read_and_clear_dirty(&vd->domain, 0, SZ_4K,
							0, &dirty), 0);
	EXPECT_RECORDS(test, "tracking on", &rb, R(0, SZ_4K));
	KUNIT_ASSERT_EQ(test, ops->set_dirty_tracking(&vd->domain, false), 0);
	*leaf(&vd->pt, 0, 1) |= SL_D;
	iommu_dirty_bitmap_init(&dirty, NULL, &gather);
	KUNIT_EXPECT_EQ(test, ops->read_and_clear_dirty(&vd->domain, 0, SZ_4K,
							0, &dirty), 0);
	KUNIT_EXPECT_FALSE(test, *leaf(&vd->pt, 0, 1) & SL_D);

	cfg.flags = VTD_PGTABLE_NONCOHERENT;
	KUNIT_ASSERT_EQ(test, vtd_pgtable_init(&pt, &cfg, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_read_and_clear_dirty(&pt, 0, SZ_4K, 0,
							       &dirty),
			-EOPNOTSUPP);
	vtd_pgtable_destroy(&pt);
	cfg.flags = 0;
	cfg.format = VTD_PGTABLE_FL;
	KUNIT_ASSERT_EQ(test, vtd_pgtable_init(&pt, &cfg, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, vtd_pgtable_read_and_clear_dirty(&pt, 0, SZ_4K, 0,
							       &dirty), -EINVAL);
	vtd_pgtable_destroy(&pt);
}

static struct kunit_case dirty_test_cases[] = {
	KUNIT_CASE(dirty_test_alloc),
	KUNIT_CASE(dirty_test_attach_refused),
	KUNIT_CASE(dirty_test_set_tracking),
	KUNIT_CASE(dirty_test_set_tracking_fails),
	KUNIT_CASE(dirty_test_slade_not_present),
	KUNIT_CASE(dirty_test_read_and_clear),
	KUNIT_CASE(dirty_test_domain_read),
	{}
};

static struct kunit_suite dirty_test_suite = {
	.name = "vtd_sm_dirty",
	.test_cases = dirty_test_cases,
};

kunit_test_suite(dirty_test_suite);

MODULE_DESCRIPTION("KUnit tests of vtd_sm second-stage dirty tracking");
MODULE_LICENSE("GPL");
