// SPDX-License-Identifier: GPL-2.0
/*
 * Nested domains: a first-level table owned by userspace (a guest's, its
 * root a guest physical address, i.e. an IOVA of the parent) translated
 * through the second-level table of a nest parent domain.
 *
 * Domain ids: a nested domain uses its parent's id on each unit.  Every
 * PASID entry with that id then points at the same second-level table, as
 * the specification requires of entries sharing an id, while first-level
 * and nested translations are cached per PASID as well.  Switching a PASID
 * from one nested domain to another over the same parent (a guest loading a
 * new first-level table) changes only the first-level fields of the entry,
 * one 128-bit piece, so the entry writer does it without a window (see
 * vtd_sm-pasid-entry.rst); with an id per nested domain it would have to
 * tear the entry down, as it does between nested domains over different
 * parents (another id and both tables change).  The user's invalidations
 * become PASID-based IOTLB invalidations with the shared id and the PASIDs
 * the nested domain is attached to, so they do not touch other nested
 * domains.  A change of the parent's table is invalidated domain-selectively
 * on every unit with nested domains live (nested translations are not found
 * by second-level address); an attachment of a nested domain holds the
 * parent's id, so the parent's invalidations reach the unit.
 */
#define pr_fmt(fmt) "vtd_sm: " fmt

#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <kunit/visibility.h>

#include "pasid_entry.h"
#include "regs.h"
#include "vtd.h"

#define VTD_S1_FLAGS	(IOMMU_VTD_S1_SRE | IOMMU_VTD_S1_EAFE | IOMMU_VTD_S1_WPE)

/**
 * vtd_nested_check_s1() - validate a VT-d first-stage table description
 * @parent: the nest parent it would be nested over
 * @s1: the description from userspace
 *
 * SRE needs ECAP.SRS and EAFE ECAP.EAFS; the address width is 48 (4-level)
 * or 57 (5-level, needs CAP.FL5LP); the table is 4 KiB aligned and within
 * the parent's address space.  Capabilities are those of the unit the
 * parent was allocated for; attaching checks the device's unit again.
 *
 * Return: 0 or -EINVAL.
 */
int vtd_nested_check_s1(const struct vtd_domain *parent,
			const struct iommu_hwpt_vtd_s1 *s1)
{
	if ((s1->flags & ~(u64)VTD_S1_FLAGS) || s1->__reserved)
		return -EINVAL;
	if ((s1->flags & IOMMU_VTD_S1_SRE) && !(parent->ecap & VTD_ECAP_SRS))
		return -EINVAL;
	if ((s1->flags & IOMMU_VTD_S1_EAFE) && !(parent->ecap & VTD_ECAP_EAFS))
		return -EINVAL;
	if (s1->addr_width != 48 && s1->addr_width != 57)
		return -EINVAL;
	if (s1->addr_width == 57 && !(parent->cap & VTD_CAP_FL5LP))
		return -EINVAL;
	if (!IS_ALIGNED(s1->pgtbl_addr, SZ_4K) ||
	    s1->pgtbl_addr > parent->domain.geometry.aperture_end)
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_nested_check_s1);

/**
 * vtd_nested_alloc() - allocate a nested domain over a nest parent
 * @parent: the parent domain (any domain; checked here)
 * @flags: IOMMU_HWPT_ALLOC_*; only IOMMU_HWPT_ALLOC_PASID is allowed
 * @user_data: IOMMU_HWPT_DATA_VTD_S1, struct iommu_hwpt_vtd_s1
 *
 * Return: the domain (type IOMMU_DOMAIN_NESTED; the caller sets its
 * owner), or ERR_PTR(): -EOPNOTSUPP for other flags or data types, -EINVAL
 * if @parent is not a nest parent of this driver or the data is not valid
 * (see vtd_nested_check_s1()) or of another length, -EFAULT, -ENOMEM.
 */
struct iommu_domain *vtd_nested_alloc(struct iommu_domain *parent, u32 flags,
				      const struct iommu_user_data *user_data)
{
	struct vtd_domain *pd = to_vtd_domain(parent);
	struct iommu_hwpt_vtd_s1 s1;
	struct vtd_domain *vd;
	unsigned long irqflags;
	int ret;

	if (flags & ~IOMMU_HWPT_ALLOC_PASID)
		return ERR_PTR(-EOPNOTSUPP);
	if (!user_data || user_data->type != IOMMU_HWPT_DATA_VTD_S1)
		return ERR_PTR(-EOPNOTSUPP);
	if (!pd || pd->kind != VTD_DOMAIN_SL ||
	    !(pd->alloc_flags & IOMMU_HWPT_ALLOC_NEST_PARENT))
		return ERR_PTR(-EINVAL);
	ret = iommu_copy_struct_from_user(&s1, user_data,
					  IOMMU_HWPT_DATA_VTD_S1, __reserved);
	if (ret)
		return ERR_PTR(ret);
	ret = vtd_nested_check_s1(pd, &s1);
	if (ret)
		return ERR_PTR(ret);

	vd = kzalloc(sizeof(*vd), GFP_KERNEL);
	if (!vd)
		return ERR_PTR(-ENOMEM);
	vd->kind = VTD_DOMAIN_NESTED;
	vd->alloc_flags = flags;
	vd->cap = pd->cap;
	vd->ecap = pd->ecap;
	vd->parent = pd;
	vd->s1.pgd = s1.pgtbl_addr;
	vd->s1.levels = s1.addr_width == 57 ? 5 : 4;
	vd->s1.sre = s1.flags & IOMMU_VTD_S1_SRE;
	vd->s1.wpe = s1.flags & IOMMU_VTD_S1_WPE;
	vd->s1.eafe = s1.flags & IOMMU_VTD_S1_EAFE;
	mutex_init(&vd->attach_lock);
	/* Unused: a nested domain's entries follow the parent's lock. */
	mutex_init(&vd->dirty_lock);
	spin_lock_init(&vd->lock);
	INIT_LIST_HEAD(&vd->units);
	INIT_LIST_HEAD(&vd->attachments);
	INIT_LIST_HEAD(&vd->nested);
	vd->domain.type = IOMMU_DOMAIN_NESTED;
	vd->domain.ops = &vtd_nested_ops;

	mutex_lock(&pd->dirty_lock);
	spin_lock_irqsave(&pd->lock, irqflags);
	list_add_tail(&vd->nested_node, &pd->nested);
	spin_unlock_irqrestore(&pd->lock, irqflags);
	mutex_unlock(&pd->dirty_lock);
	return &vd->domain;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_nested_alloc);

/**
 * vtd_nested_check_inv() - validate one user invalidation entry
 * @inv: the entry
 *
 * Return: 0; -EOPNOTSUPP for unknown flags or a non-zero @__reserved;
 * -EINVAL for an unaligned address, or all pages (@npages U64_MAX) from
 * an address other than 0.
 */
VISIBLE_IF_KUNIT int
vtd_nested_check_inv(const struct iommu_hwpt_vtd_s1_invalidate *inv)
{
	if ((inv->flags & ~IOMMU_VTD_INV_FLAGS_LEAF) || inv->__reserved)
		return -EOPNOTSUPP;
	if (!IS_ALIGNED(inv->addr, SZ_4K) ||
	    (inv->npages == U64_MAX && inv->addr))
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_nested_check_inv);

/**
 * vtd_nested_build_inv() - queue one user invalidation for a unit
 * @vd: a nested domain
 * @du: its record for the unit the batch goes to
 * @b: the batch
 * @inv: a valid entry (vtd_nested_check_inv())
 *
 * For every PASID the domain is attached to on the unit: a page-selective
 * PASID-based IOTLB invalidation of the smallest aligned block covering
 * the range, or a PASID-selective one for all pages or a block larger than
 * CAP.MAMV allows; then, if the device has ATS enabled, a device-TLB
 * invalidation of that block (whatever CAP.MAMV says) for the PASID.
 * Nothing for @npages 0.
 *
 * Context: @vd->lock held.
 */
VISIBLE_IF_KUNIT void
vtd_nested_build_inv(struct vtd_domain *vd, struct vtd_domain_unit *du,
		     struct vtd_qi_batch *b,
		     const struct iommu_hwpt_vtd_s1_invalidate *inv)
{
	bool leaf = inv->flags & IOMMU_VTD_INV_FLAGS_LEAF;
	unsigned int dev_order = VTD_QI_DEVTLB_ALL;
	struct vtd_attachment *att;
	unsigned int order = 0;
	u64 addr = inv->addr, dev_addr = 0;
	bool all;

	lockdep_assert_held(&vd->lock);
	if (!inv->npages)
		return;
	all = inv->npages > (U64_MAX - inv->addr) >> PAGE_SHIFT;
	if (!all) {
		u64 first = inv->addr >> PAGE_SHIFT;
		u64 last = first + inv->npages - 1;

		order = first == last ? 0 : fls64(first ^ last);
		dev_order = order;
		dev_addr = order >= VTD_QI_DEVTLB_ALL ? 0 :
			   (first >> order << order) << PAGE_SHIFT;
		all = order > FIELD_GET(VTD_CAP_MAMV, du->unit->cap);
		if (!all)
			addr = dev_addr;
	}
	list_for_each_entry(att, &vd->attachments, node) {
		if (att->du != du)
			continue;
		if (all)
			vtd_qi_add_piotlb_pasid(b, du->did, att->pasid);
		else
			vtd_qi_add_piotlb_range(b, du->did, att->pasid, addr,
						order, leaf);
		/* The same range of the device's TLB, if it has ATS. */
		vtd_ats_add_flush_sid(b, du->unit, att->sid, att->pasid,
				      dev_addr, dev_order);
	}
}
EXPORT_SYMBOL_IF_KUNIT(vtd_nested_build_inv);

/*
 * Every entry is read and checked first: the invalidations of the good
 * ones before the first bad one then go out as one batch per unit.
 */
static int vtd_nested_cache_invalidate_user(struct iommu_domain *domain,
					    struct iommu_user_data_array *array)
{
	struct vtd_domain *vd = to_vtd_domain(domain);
	struct iommu_hwpt_vtd_s1_invalidate *inv;
	struct vtd_domain_unit *du;
	struct vtd_qi_batch b;
	unsigned long irqflags;
	u32 i, n = 0;
	int ret = 0, err;

	if (array->type != IOMMU_HWPT_INVALIDATE_DATA_VTD_S1) {
		array->entry_num = 0;
		return -EINVAL;
	}
	if (!array->entry_num)
		return 0;
	inv = kvmalloc_array(array->entry_num, sizeof(*inv),
			     GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!inv) {
		array->entry_num = 0;
		return -ENOMEM;
	}
	for (i = 0; i < array->entry_num; i++) {
		ret = iommu_copy_struct_from_user_array(&inv[i], array,
							IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
							i, __reserved);
		if (!ret)
			ret = vtd_nested_check_inv(&inv[i]);
		if (ret)
			break;
		n++;
	}

	spin_lock_irqsave(&vd->lock, irqflags);
	list_for_each_entry(du, &vd->units, node) {
		if (!n)
			break;
		vtd_qi_batch_begin(&b, &du->unit->qi);
		for (i = 0; i < n; i++)
			vtd_nested_build_inv(vd, du, &b, &inv[i]);
		err = vtd_qi_submit(&b);
		if (err && !ret)
			ret = err;
		if (err)
			n = 0;
	}
	spin_unlock_irqrestore(&vd->lock, irqflags);
	kvfree(inv);
	array->entry_num = n;
	return ret;
}

static void vtd_nested_free(struct iommu_domain *domain)
{
	struct vtd_domain *vd = to_vtd_domain(domain);
	unsigned long irqflags;

	WARN_ON(!list_empty(&vd->attachments));
	/* The parent's dirty tracking walks @nested under its dirty_lock. */
	mutex_lock(&vd->parent->dirty_lock);
	spin_lock_irqsave(&vd->parent->lock, irqflags);
	list_del(&vd->nested_node);
	spin_unlock_irqrestore(&vd->parent->lock, irqflags);
	mutex_unlock(&vd->parent->dirty_lock);
	mutex_destroy(&vd->dirty_lock);
	mutex_destroy(&vd->attach_lock);
	kfree(vd);
}

const struct iommu_domain_ops vtd_nested_ops = {
	.attach_dev = vtd_domain_attach_dev,
	.set_dev_pasid = vtd_domain_set_dev_pasid,
	.cache_invalidate_user = vtd_nested_cache_invalidate_user,
	.free = vtd_nested_free,
};
