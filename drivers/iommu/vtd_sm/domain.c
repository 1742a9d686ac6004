// SPDX-License-Identifier: GPL-2.0
/*
 * Paging domains and the bookkeeping of attachments.
 *
 * A paging domain owns one I/O page table: second level when the unit
 * translates second level (ECAP.SLTS), else first level.  It gets a domain
 * id on a unit when it is first attached to a device there, and gives it
 * back when the last attachment on that unit goes.  Every attachment
 * (device, PASID) is on the domain's list, so that an invalidation reaches
 * every unit and domain id, and for first-level tables every PASID, the
 * domain is live on.
 *
 * Each operation issues its invalidations as one batch per unit, ending in
 * one wait descriptor; see Documentation/driver-api/vtd_sm-pasid-entry.rst
 * for which descriptors each batch holds.
 */
#define pr_fmt(fmt) "vtd_sm: " fmt

#include <linux/iommu.h>
#include <linux/iommufd_dirty.h>
#include <linux/log2.h>
#include <linux/moduleparam.h>
#include <linux/panic.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <kunit/visibility.h>

#include "pasid_entry.h"
#include "pgtable.h"
#include "regs.h"
#include "vtd.h"

/* One per attached PASID: see &struct vtd_attachment. */
static_assert(sizeof(struct vtd_attachment) <= 32);

/**
 * to_vtd_domain() - the vtd_domain of a paging or nested domain
 * @domain: a domain, or NULL
 *
 * Return: the vtd_domain, or NULL for NULL and for the identity and
 * blocked domains (and any domain not of this driver).
 */
struct vtd_domain *to_vtd_domain(struct iommu_domain *domain)
{
	if (!domain || (domain->ops != &vtd_paging_ops &&
			domain->ops != &vtd_nested_ops))
		return NULL;
	return container_of(domain, struct vtd_domain, domain);
}
EXPORT_SYMBOL_IF_KUNIT(to_vtd_domain);

/* The domain whose second-level table @vd walks: itself or its parent. */
static struct vtd_domain *vtd_domain_sl(struct vtd_domain *vd)
{
	return vd->kind == VTD_DOMAIN_NESTED ? vd->parent : vd;
}

/*
 * The dirty_lock that an attachment of @vd takes: its second-level
 * table's, if a SLADE change can walk that table's attachments, i.e. if
 * the table's domain has dirty_ops (given at allocation, never changed);
 * NULL otherwise (SLADE stays clear there, nothing to keep in step).
 */
static struct mutex *vtd_domain_dirty_lock(struct vtd_domain *vd)
{
	struct vtd_domain *sl = vtd_domain_sl(vd);

	return sl->domain.dirty_ops ? &sl->dirty_lock : NULL;
}

/* Fewest second-level levels the unit walks that cover @aw bits. */
static unsigned int vtd_sl_levels_for(u64 cap, unsigned int aw)
{
	unsigned long sagaw = FIELD_GET(VTD_CAP_SAGAW, cap);
	unsigned int levels;

	for (levels = 3; levels <= 5; levels++)
		if ((sagaw & BIT(levels - 2)) && 9 * levels + PAGE_SHIFT >= aw)
			return levels;
	return vtd_cap_sl_max_levels(cap);
}

/**
 * vtd_domain_alloc() - allocate an unattached paging domain
 * @unit: the unit whose capabilities shape the page table
 * @flags: IOMMU_HWPT_ALLOC_* (already validated by the caller)
 *
 * The table is second level if @unit translates second level, first level
 * otherwise; a nest parent must be second level.  The domain's type and
 * owner are left to the caller.
 *
 * Return: the domain, ERR_PTR(-EOPNOTSUPP) if @unit cannot translate with
 * an own table (or a nest parent was asked of a first-level-only unit), or
 * ERR_PTR(-ENOMEM).
 */
struct vtd_domain *vtd_domain_alloc(struct vtd_unit *unit, u32 flags)
{
	struct vtd_pgtable_cfg cfg = { .nid = NUMA_NO_NODE };
	unsigned int mgaw = vtd_cap_mgaw(unit->cap);
	struct vtd_domain *vd;
	int ret;

	if (unit->ecap & VTD_ECAP_SLTS) {
		cfg.format = VTD_PGTABLE_SL;
		cfg.levels = vtd_sl_levels_for(unit->cap, mgaw);
		if (!cfg.levels)
			return ERR_PTR(-EOPNOTSUPP);
		cfg.aw = min(mgaw, 9 * cfg.levels + PAGE_SHIFT);
		cfg.pgsize_bitmap = vtd_pgtable_sl_pgsizes(unit->cap);
	} else if ((unit->ecap & VTD_ECAP_FLTS) &&
		   !(flags & IOMMU_HWPT_ALLOC_NEST_PARENT)) {
		cfg.format = VTD_PGTABLE_FL;
		cfg.levels = (mgaw > 48 && (unit->cap & VTD_CAP_FL5LP)) ? 5 : 4;
		/* 0: the lower, canonical half of what the levels translate */
		cfg.aw = 0;
		cfg.pgsize_bitmap = vtd_pgtable_fl_pgsizes(unit->cap);
	} else {
		return ERR_PTR(-EOPNOTSUPP);
	}
	/*
	 * In scalable mode, walks of first- and second-level tables snoop the
	 * CPU caches only with ECAP.SMPWC (and PWSNP in the PASID entry);
	 * ECAP.C covers the root, context and PASID structures alone.
	 */
	if (!(unit->ecap & VTD_ECAP_SMPWC))
		cfg.flags |= VTD_PGTABLE_NONCOHERENT;
	if (unit->ecap & VTD_ECAP_SC)
		cfg.flags |= VTD_PGTABLE_SNOOP_CTRL;

	vd = kzalloc(sizeof(*vd), GFP_KERNEL);
	if (!vd)
		return ERR_PTR(-ENOMEM);
	vd->kind = cfg.format == VTD_PGTABLE_SL ? VTD_DOMAIN_SL : VTD_DOMAIN_FL;
	vd->alloc_flags = flags;
	vd->cap = unit->cap;
	vd->ecap = unit->ecap;
	mutex_init(&vd->attach_lock);
	mutex_init(&vd->dirty_lock);
	spin_lock_init(&vd->lock);
	INIT_LIST_HEAD(&vd->units);
	INIT_LIST_HEAD(&vd->attachments);
	INIT_LIST_HEAD(&vd->nested);
	INIT_LIST_HEAD(&vd->nested_node);

	ret = vtd_pgtable_init(&vd->pt, &cfg, GFP_KERNEL);
	if (ret) {
		mutex_destroy(&vd->dirty_lock);
		mutex_destroy(&vd->attach_lock);
		kfree(vd);
		return ERR_PTR(ret);
	}
	vd->domain.ops = &vtd_paging_ops;
	vd->domain.pgsize_bitmap = cfg.pgsize_bitmap;
	vd->domain.geometry.aperture_start = 0;
	vd->domain.geometry.aperture_end = BIT_ULL(vd->pt.aw) - 1;
	vd->domain.geometry.force_aperture = true;
	return vd;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_domain_alloc);

static struct vtd_domain_unit *vtd_domain_unit_find(struct vtd_domain *vd,
						    struct vtd_unit *unit)
{
	struct vtd_domain_unit *du;

	list_for_each_entry(du, &vd->units, node)
		if (du->unit == unit)
			return du;
	return NULL;
}

/*
 * DEBUG, taints the kernel: let units without ECAP.NEST hold nest parents
 * and nested entries.  No emulator translates nested entries; with this
 * set, the PASID entries are programmed all the same so that the debugfs
 * walker (Documentation/driver-api/vtd_sm-debug.rst) can prove them, while
 * DMA through them faults (the unit sees a reserved PGTT).
 */
static bool debug_nesting;
module_param(debug_nesting, bool, 0600);
MODULE_PARM_DESC(debug_nesting,
		 "DEBUG, taints: program nested entries on units without ECAP.NEST (they fault; for the walker only)");

static bool vtd_unit_can_nest(struct vtd_unit *unit)
{
	if (!(unit->ecap & VTD_ECAP_SLTS))
		return false;
	if (unit->ecap & VTD_ECAP_NEST)
		return true;
	if (!READ_ONCE(debug_nesting))
		return false;
	pr_warn_once("%s: debug_nesting: nested entries on a unit without nesting support\n",
		     unit->name);
	add_taint(TAINT_USER, LOCKDEP_STILL_OK);
	return true;
}

/**
 * vtd_domain_alloc_user_unit() - domain_alloc_user for a device's unit
 * @unit: the unit of the device
 * @flags: IOMMU_HWPT_ALLOC_NEST_PARENT (needs ECAP.NEST and second-level
 *	translation), IOMMU_HWPT_ALLOC_DIRTY_TRACKING (needs a unit that can
 *	track dirty pages: vtd_ecap_dirty_tracking()) and
 *	IOMMU_HWPT_ALLOC_PASID
 * @parent: NULL for a paging domain; the nest parent of a nested domain
 * @user_data: NULL for a paging domain; IOMMU_HWPT_DATA_VTD_S1 for a
 *	nested one
 *
 * Return: the domain (type IOMMU_DOMAIN_UNMANAGED or IOMMU_DOMAIN_NESTED,
 * owner not set), or ERR_PTR(): -EOPNOTSUPP for unknown or unsupported
 * flags and data, else as vtd_domain_alloc() and vtd_nested_alloc().
 */
struct iommu_domain *
vtd_domain_alloc_user_unit(struct vtd_unit *unit, u32 flags,
			   struct iommu_domain *parent,
			   const struct iommu_user_data *user_data)
{
	struct vtd_domain *vd;

	if (parent)
		return vtd_nested_alloc(parent, flags, user_data);
	if (flags & ~(IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_PASID |
		      IOMMU_HWPT_ALLOC_DIRTY_TRACKING))
		return ERR_PTR(-EOPNOTSUPP);
	if (user_data)
		return ERR_PTR(-EOPNOTSUPP);
	if ((flags & IOMMU_HWPT_ALLOC_NEST_PARENT) && !vtd_unit_can_nest(unit))
		return ERR_PTR(-EOPNOTSUPP);
	/* The unit's tables are then second level (vtd_domain_alloc()). */
	if ((flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) &&
	    !vtd_ecap_dirty_tracking(unit->ecap))
		return ERR_PTR(-EOPNOTSUPP);
	vd = vtd_domain_alloc(unit, flags);
	if (IS_ERR(vd))
		return ERR_CAST(vd);
	vd->domain.type = IOMMU_DOMAIN_UNMANAGED;
	if (flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING)
		vd->domain.dirty_ops = &vtd_dirty_ops;
	return &vd->domain;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_domain_alloc_user_unit);

/**
 * vtd_domain_get_did() - take a reference on the domain's id on a unit
 * @vd: the domain
 * @unit: the unit
 *
 * The first reference of a paging domain allocates an id from
 * @unit->domain_ids (never 0, unused, nor VTD_DID_IDENTITY).  A nested
 * domain uses its parent's id on the unit: the caller must hold a
 * reference on it (see vtd_domain_parent_du()).
 *
 * Context: process, may sleep.
 * Return: the domain's record for @unit, or an ERR_PTR (-ENOSPC when the
 * unit has no id left, -ENOMEM).
 */
struct vtd_domain_unit *vtd_domain_get_did(struct vtd_domain *vd,
					   struct vtd_unit *unit)
{
	struct vtd_domain_unit *du, *pdu = NULL;
	unsigned long flags;
	int did;

	if (vd->kind == VTD_DOMAIN_NESTED) {
		spin_lock_irqsave(&vd->parent->lock, flags);
		pdu = vtd_domain_unit_find(vd->parent, unit);
		spin_unlock_irqrestore(&vd->parent->lock, flags);
		if (WARN_ON(!pdu))
			return ERR_PTR(-EINVAL);
	}

	mutex_lock(&vd->attach_lock);
	/* @units changes only under attach_lock too: no need for @lock. */
	du = vtd_domain_unit_find(vd, unit);
	if (du) {
		du->refs++;
		goto out;
	}
	du = kzalloc(sizeof(*du), GFP_KERNEL);
	if (!du) {
		du = ERR_PTR(-ENOMEM);
		goto out;
	}
	if (pdu) {
		did = pdu->did;
	} else {
		did = ida_alloc_range(&unit->domain_ids, VTD_DID_IDENTITY + 1,
				      vtd_cap_ndoms(unit->cap) - 1, GFP_KERNEL);
		if (did < 0) {
			kfree(du);
			du = ERR_PTR(did);
			goto out;
		}
	}
	du->vd = vd;
	du->unit = unit;
	du->did = did;
	du->refs = 1;
	spin_lock_irqsave(&vd->lock, flags);
	list_add_tail(&du->node, &vd->units);
	spin_unlock_irqrestore(&vd->lock, flags);
out:
	mutex_unlock(&vd->attach_lock);
	return du;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_domain_get_did);

/**
 * vtd_domain_put_did() - drop a reference taken by vtd_domain_get_did()
 * @vd: the domain
 * @du: its record for a unit
 *
 * The last reference of a paging domain gives the id back to the unit,
 * unless the id is quarantined (vtd_dev_attach()).  The caller must have
 * invalidated the unit's caches for the id first (vtd_dev_set_pasid_entry()
 * does so when an entry stops using it).
 */
void vtd_domain_put_did(struct vtd_domain *vd, struct vtd_domain_unit *du)
{
	unsigned long flags;

	mutex_lock(&vd->attach_lock);
	if (--du->refs) {
		mutex_unlock(&vd->attach_lock);
		return;
	}
	spin_lock_irqsave(&vd->lock, flags);
	list_del(&du->node);
	spin_unlock_irqrestore(&vd->lock, flags);
	mutex_unlock(&vd->attach_lock);
	if (vd->kind != VTD_DOMAIN_NESTED && !du->quarantined)
		ida_free(&du->unit->domain_ids, du->did);
	kfree(du);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_domain_put_did);

/*
 * The naturally aligned block of 2^order pages that covers [start, end]:
 * its order, and its first address in *@addr.
 */
static unsigned int vtd_flush_order(u64 start, u64 end, u64 *addr)
{
	u64 first = start >> PAGE_SHIFT, last = end >> PAGE_SHIFT;
	unsigned int order = first == last ? 0 : fls64(first ^ last);

	*addr = order >= 64 - PAGE_SHIFT ? 0 : (first >> order << order) << PAGE_SHIFT;
	return order;
}

/*
 * Device-TLB invalidations after the IOTLB ones of vtd_domain_build_flush(),
 * for every attachment on the unit whose device has ATS enabled: the range
 * (the naturally aligned block that covers it, whatever the unit's PSI
 * support) for the domain's own attachments; the whole address space for
 * those of nested domains over it on the unit, whose devices cache
 * translations of the guest's addresses.  Nothing for a map (the unit in
 * caching mode only learns of new translations): a device never caches
 * what was not mapped.
 */
static void vtd_domain_build_devtlb(struct vtd_domain *vd,
				    struct vtd_domain_unit *du,
				    struct vtd_qi_batch *b, u64 start, u64 end,
				    unsigned int flags)
{
	struct vtd_unit *unit = du->unit;
	struct vtd_attachment *att;
	struct vtd_domain *child;
	unsigned int order = VTD_QI_DEVTLB_ALL;
	u64 addr = 0;

	if (!atomic_read(&unit->ats_devices))
		return;
	if (!(flags & VTD_FLUSH_ALL))
		order = vtd_flush_order(start, end, &addr);
	list_for_each_entry(att, &vd->attachments, node)
		if (att->du == du)
			vtd_ats_add_flush_sid(b, unit, att->sid, att->pasid,
					      addr, order);
	list_for_each_entry(child, &vd->nested, nested_node) {
		spin_lock_nested(&child->lock, SINGLE_DEPTH_NESTING);
		list_for_each_entry(att, &child->attachments, node)
			if (att->du->unit == unit)
				vtd_ats_add_flush_sid(b, unit, att->sid,
						      att->pasid, 0,
						      VTD_QI_DEVTLB_ALL);
		spin_unlock(&child->lock);
	}
}

/**
 * vtd_domain_build_flush() - queue what makes a unit forget a range
 * @vd: a paging domain
 * @du: its record for the unit the batch goes to
 * @b: the batch
 * @start: first IOVA
 * @end: last IOVA
 * @flags: VTD_FLUSH_*
 *
 * Second level: one IOTLB invalidation of the domain id, page-selective
 * when the unit can do it for the range, else domain-selective (this also
 * covers every PASID with a second-level entry of the domain).  First
 * level: one PASID-based IOTLB invalidation per PASID the domain is
 * attached to on the unit (first-level translations are tagged with the
 * PASID).  A nest parent with nested domains live on the unit is always
 * invalidated domain-selectively: they share its id, and their cached
 * translations combine both stages, so a second-level address does not
 * name them.  Then, for devices with ATS, the device-TLB invalidations of
 * vtd_domain_build_devtlb().
 *
 * Context: @vd->lock held.
 */
VISIBLE_IF_KUNIT void vtd_domain_build_flush(struct vtd_domain *vd,
					     struct vtd_domain_unit *du,
					     struct vtd_qi_batch *b, u64 start,
					     u64 end, unsigned int flags)
{
	u64 cap = du->unit->cap;
	bool leaf = flags & VTD_FLUSH_LEAF;
	struct vtd_attachment *att;
	struct vtd_domain *child;
	unsigned int order = 0;
	bool psi = false;
	u64 addr = 0;

	lockdep_assert_held(&vd->lock);
	if (!(flags & VTD_FLUSH_ALL) && (cap & VTD_CAP_PSI)) {
		order = vtd_flush_order(start, end, &addr);
		psi = order <= FIELD_GET(VTD_CAP_MAMV, cap);
	}
	list_for_each_entry(child, &vd->nested, nested_node) {
		spin_lock_nested(&child->lock, SINGLE_DEPTH_NESTING);
		if (vtd_domain_unit_find(child, du->unit))
			psi = false;
		spin_unlock(&child->lock);
	}

	if (vd->kind == VTD_DOMAIN_SL) {
		if (psi)
			vtd_qi_add_iotlb_range(b, du->did, addr, order, leaf);
		else
			vtd_qi_add_iotlb_domain(b, du->did);
	} else {
		list_for_each_entry(att, &vd->attachments, node) {
			if (att->du != du)
				continue;
			if (psi)
				vtd_qi_add_piotlb_range(b, du->did, att->pasid,
							addr, order, leaf);
			else
				vtd_qi_add_piotlb_pasid(b, du->did, att->pasid);
		}
	}
	if (!(flags & VTD_FLUSH_CM_ONLY))
		vtd_domain_build_devtlb(vd, du, b, start, end, flags);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_domain_build_flush);

static int vtd_domain_flush(struct vtd_domain *vd, u64 start, u64 end,
			    unsigned int flags)
{
	struct vtd_domain_unit *du;
	struct vtd_qi_batch b;
	unsigned long irqflags;
	int ret = 0, err;

	spin_lock_irqsave(&vd->lock, irqflags);
	list_for_each_entry(du, &vd->units, node) {
		if ((flags & VTD_FLUSH_CM_ONLY) && !(du->unit->cap & VTD_CAP_CM))
			continue;
		vtd_qi_batch_begin(&b, &du->unit->qi);
		vtd_domain_build_flush(vd, du, &b, start, end, flags);
		err = vtd_qi_submit(&b);
		if (err && !ret)
			ret = err;
	}
	spin_unlock_irqrestore(&vd->lock, irqflags);
	return ret;
}

/**
 * vtd_domain_flush_range() - invalidate an IOVA range of a paging domain
 * @vd: the domain
 * @start: first IOVA
 * @end: last IOVA
 * @leaf: only leaf entries changed
 *
 * One batch per unit the domain is live on.
 */
void vtd_domain_flush_range(struct vtd_domain *vd, unsigned long start,
			    unsigned long end, bool leaf)
{
	vtd_domain_flush(vd, start, end, leaf ? VTD_FLUSH_LEAF : 0);
}

/**
 * vtd_domain_flush_all() - invalidate everything a paging domain cached
 * @vd: the domain
 */
void vtd_domain_flush_all(struct vtd_domain *vd)
{
	vtd_domain_flush(vd, 0, ULONG_MAX, VTD_FLUSH_ALL);
}

/**
 * vtd_domain_parent_du() - a nested domain's parent's record for a unit
 * @vd: a nested domain
 * @unit: a unit it is attached on
 *
 * Every attachment of @vd on @unit holds a reference on the record
 * returned (vtd_domain_attach_pasid()), so it exists while @vd does.
 *
 * Return: the parent's &struct vtd_domain_unit for @unit, or NULL if the
 * parent is not live on @unit.
 */
struct vtd_domain_unit *vtd_domain_parent_du(struct vtd_domain *vd,
					     struct vtd_unit *unit)
{
	struct vtd_domain_unit *pdu;
	unsigned long flags;

	spin_lock_irqsave(&vd->parent->lock, flags);
	pdu = vtd_domain_unit_find(vd->parent, unit);
	spin_unlock_irqrestore(&vd->parent->lock, flags);
	return pdu;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_domain_parent_du);

/**
 * vtd_pasid_slot_domain() - the domain an entry of &vtd_dev.pasid_domains
 *	names
 * @entry: the entry, or NULL
 *
 * Return: the static domain of a tagged entry, the domain of an
 * attachment record, or NULL.
 */
struct iommu_domain *vtd_pasid_slot_domain(void *entry)
{
	struct vtd_attachment *att = entry;

	if (!entry)
		return NULL;
	if (xa_pointer_tag(entry) == VTD_STATIC_DOMAIN_TAG)
		return xa_untag_pointer(entry);
	return &att->du->vd->domain;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_pasid_slot_domain);

/**
 * vtd_dev_domain() - the domain attached to a PASID of a device
 * @vdev: the device
 * @pasid: the PASID, 0 for the RID
 *
 * Return: the domain, or NULL if none is attached.
 */
struct iommu_domain *vtd_dev_domain(struct vtd_dev *vdev, u32 pasid)
{
	if (!pasid)
		return vdev->domain;
	return vtd_pasid_slot_domain(xa_load(&vdev->pasid_domains, pasid));
}
EXPORT_SYMBOL_IF_KUNIT(vtd_dev_domain);

/**
 * vtd_dev_attachment() - the attachment record of a PASID of a device
 * @vdev: the device
 * @pasid: the PASID, 0 for the RID
 *
 * One lookup in the device's XArray (or its RID pointer), whatever the
 * number of attachments of the domain.
 *
 * Return: the record of the paging or nested domain attached there, or
 * NULL if nothing or a static (identity, blocked) domain is attached.
 */
struct vtd_attachment *vtd_dev_attachment(struct vtd_dev *vdev, u32 pasid)
{
	void *entry;

	if (!pasid)
		return vdev->rid_att;
	entry = xa_load(&vdev->pasid_domains, pasid);
	if (!entry || xa_pointer_tag(entry) == VTD_STATIC_DOMAIN_TAG)
		return NULL;
	return entry;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_dev_attachment);

/*
 * A failed invalidation left an entry of @vd with @du's id behind: the unit
 * may still use the id and walk the table (for a nested domain, its
 * parent's).  Neither is ever handed out again.
 */
static void vtd_domain_quarantine(struct vtd_domain *vd,
				  struct vtd_domain_unit *du)
{
	struct vtd_domain *tables = vd->kind == VTD_DOMAIN_NESTED ? vd->parent : vd;
	struct vtd_domain_unit *parent_du = NULL;

	if (vd->kind == VTD_DOMAIN_NESTED)
		parent_du = vtd_domain_parent_du(vd, du->unit);

	mutex_lock(&vd->attach_lock);
	du->quarantined = true;
	mutex_unlock(&vd->attach_lock);
	if (parent_du) {
		mutex_lock(&vd->parent->attach_lock);
		parent_du->quarantined = true;
		mutex_unlock(&vd->parent->attach_lock);
	}
	WRITE_ONCE(tables->quarantined, true);
}

/*
 * Forget the attachment @att of @domain; its entry is gone.  The device
 * found @att itself (vtd_dev_attachment()): taking it off the domain's
 * list costs the same however many attachments the domain has.
 * @quarantine: it went with a failed invalidation.
 */
static void vtd_domain_drop(struct iommu_domain *domain,
			    struct vtd_attachment *att, bool quarantine)
{
	struct vtd_domain *vd = to_vtd_domain(domain);
	struct mutex *dirty_lock = vd ? vtd_domain_dirty_lock(vd) : NULL;
	struct vtd_domain_unit *parent_du = NULL;
	unsigned long flags;

	if (!vd || WARN_ON(!att))
		return;
	/* A SLADE change walking the list has the device in hand. */
	if (dirty_lock)
		mutex_lock(dirty_lock);
	spin_lock_irqsave(&vd->lock, flags);
	list_del(&att->node);
	spin_unlock_irqrestore(&vd->lock, flags);
	if (dirty_lock)
		mutex_unlock(dirty_lock);
	if (vd->kind == VTD_DOMAIN_NESTED) {
		parent_du = vtd_domain_parent_du(vd, att->du->unit);
		WARN_ON(!parent_du);
	}
	if (quarantine)
		vtd_domain_quarantine(vd, att->du);
	vtd_domain_put_did(vd, att->du);
	if (parent_du)
		vtd_domain_put_did(vd->parent, parent_du);
	kfree(att);
}

/* What an entry update leaves for the old domain: its record to drop. */
struct vtd_dev_old {
	struct iommu_domain *domain;
	struct vtd_attachment *att;
	bool quarantine;
};

/*
 * vtd_dev_attach() without dropping the old domain's record, which is
 * left in @old for vtd_domain_drop() once the caller let go of the
 * dirty_lock of @domain's table (the old domain may walk the same one).
 * With @att, the caller holds that lock if the table has one to take
 * (vtd_domain_dirty_lock()).
 */
static int __vtd_dev_attach(struct iommu_domain *domain, struct vtd_dev *vdev,
			    u32 pasid, struct vtd_attachment *att,
			    const struct vtd_pasid_entry *pe,
			    struct vtd_dev_old *old)
{
	struct vtd_domain *vd = to_vtd_domain(domain);
	unsigned long flags;
	bool dirty;
	int ret;

	old->att = vtd_dev_attachment(vdev, pasid);
	old->domain = vtd_dev_domain(vdev, pasid);
	old->quarantine = false;
	if (pasid && !old->domain && domain) {
		ret = xa_reserve(&vdev->pasid_domains, pasid, GFP_KERNEL);
		if (ret)
			goto keep_old;
	}
	if (att) {
		if (vtd_domain_dirty_lock(vd))
			lockdep_assert_held(vtd_domain_dirty_lock(vd));
		att->sid = vdev->sid;
		spin_lock_irqsave(&vd->lock, flags);
		list_add_tail(&att->node, &vd->attachments);
		spin_unlock_irqrestore(&vd->lock, flags);
	}

	ret = __vtd_dev_set_pasid_entry(vdev, pasid, pe, &dirty);
	if (ret) {
		if (att) {
			spin_lock_irqsave(&vd->lock, flags);
			list_del(&att->node);
			spin_unlock_irqrestore(&vd->lock, flags);
		}
		if (!dirty) {
			if (pasid && !old->domain && domain)
				xa_release(&vdev->pasid_domains, pasid);
			goto keep_old;
		}
		atomic_inc(&vdev->unit->quarantined);
		pr_warn_once("%s: an invalidation failed; PASID entries are left not present, their domain ids and tables quarantined\n",
			     vdev->unit->name);
		dev_err(vdev->dev, "PASID %u left not present after a failed invalidation (%d)\n",
			pasid, ret);
		if (att)
			vtd_domain_quarantine(vd, att->du);
		old->quarantine = true;
		/*
		 * Blocking must not fail: the core has no way back from it.
		 * The entry is not present, which is all a blocked domain
		 * asks for, so it is attached.
		 */
		if (domain && domain->type == IOMMU_DOMAIN_BLOCKED)
			goto record;
		if (!pasid) {
			vdev->domain = NULL;
			vdev->rid_att = NULL;
		} else {
			xa_erase(&vdev->pasid_domains, pasid);
		}
		return ret;
	}

record:
	if (!pasid) {
		vdev->domain = domain;
		vdev->rid_att = att;
	} else if (domain) {
		/* The slot exists (reserved above, or the old entry's). */
		xa_store(&vdev->pasid_domains, pasid,
			 att ?: xa_tag_pointer(domain, VTD_STATIC_DOMAIN_TAG),
			 GFP_KERNEL);
	} else {
		xa_erase(&vdev->pasid_domains, pasid);
	}
	return 0;

keep_old:
	old->domain = NULL;
	old->att = NULL;
	return ret;
}

/**
 * vtd_dev_attach() - install an entry for a domain, replacing the old one
 * @domain: the domain; NULL to leave the PASID unattached (@pe blocking)
 * @vdev: the device
 * @pasid: the PASID, 0 for the RID
 * @att: for a paging or nested domain, its attachment record (with the
 *	domain ids taken); NULL for the identity and blocked domains
 * @pe: the entry
 *
 * @att is on the domain's list before the entry can be used, so that no
 * invalidation of the domain misses it.  On success the old domain's
 * record goes.  vtd_domain_attach_pasid() encodes and installs the entry
 * of a paging or nested domain under the dirty_lock of its second-level
 * table, so that its SLADE cannot miss a change of the table's dirty
 * tracking; this function takes that lock only around the update.  A
 * table whose domain has no dirty_ops never changes SLADE: no lock then.
 *
 * If the entry was written but an invalidation failed, nothing is rolled
 * back toward translation: the entry is left not present and the PASID has
 * no domain (the old one's record goes too).  The unit may still hold the
 * old or the new entry, or translations through them, so the domain ids
 * involved are quarantined (never given back to the unit) and so are the
 * tables (never freed, see vtd_paging_free()); the unit's counter of
 * quarantined updates goes up and a warning is logged once.
 *
 * Context: process; the caller serializes attachments of the device (the
 * group mutex of the IOMMU core).
 * Return: 0 or a negative errno.  On error @att is off the list again and
 * still the caller's (its domain id references are still to be put).
 */
int vtd_dev_attach(struct iommu_domain *domain, struct vtd_dev *vdev,
		   u32 pasid, struct vtd_attachment *att,
		   const struct vtd_pasid_entry *pe)
{
	struct mutex *dirty_lock = att ?
		vtd_domain_dirty_lock(to_vtd_domain(domain)) : NULL;
	struct vtd_dev_old old;
	int ret;

	if (dirty_lock)
		mutex_lock(dirty_lock);
	ret = __vtd_dev_attach(domain, vdev, pasid, att, pe, &old);
	if (dirty_lock)
		mutex_unlock(dirty_lock);
	vtd_domain_drop(old.domain, old.att, old.quarantine);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_dev_attach);

/* Can @unit walk @vd's table (for a nested domain: its parent's)? */
static int vtd_domain_check_unit(struct vtd_domain *vd, struct vtd_unit *unit)
{
	unsigned long sizes;

	if (!(unit->ecap & VTD_ECAP_SMPWC) &&
	    !(vd->pt.flags & VTD_PGTABLE_NONCOHERENT))
		return -EINVAL;
	if ((vd->pt.flags & VTD_PGTABLE_SNOOP_CTRL) &&
	    !(unit->ecap & VTD_ECAP_SC))
		return -EINVAL;
	/* A dirty-tracking table is walked only with SLADE: needs SSADS. */
	if (vd->domain.dirty_ops && !vtd_ecap_dirty_tracking(unit->ecap))
		return -EINVAL;
	if (vd->kind == VTD_DOMAIN_SL) {
		/* The levels, and every address of the aperture (MGAW). */
		if (!(unit->ecap & VTD_ECAP_SLTS) ||
		    !(FIELD_GET(VTD_CAP_SAGAW, unit->cap) & BIT(vd->pt.levels - 2)) ||
		    vd->pt.aw > vtd_cap_mgaw(unit->cap))
			return -EINVAL;
		sizes = vtd_pgtable_sl_pgsizes(unit->cap);
	} else {
		if (!(unit->ecap & VTD_ECAP_FLTS) ||
		    (vd->pt.levels == 5 && !(unit->cap & VTD_CAP_FL5LP)))
			return -EINVAL;
		sizes = vtd_pgtable_fl_pgsizes(unit->cap);
	}
	return (vd->pt.pgsize_bitmap & ~sizes) ? -EINVAL : 0;
}

/*
 * The PASID entry that makes @unit translate through @vd with @did.  The
 * caller holds vtd_domain_dirty_lock() of @vd, if any.
 */
static int vtd_domain_encode(struct vtd_domain *vd, struct vtd_unit *unit,
			     u16 did, struct vtd_pasid_entry *pe)
{
	struct vtd_domain *sl = vtd_domain_sl(vd);
	struct vtd_pasid_cfg cfg = {
		.did = did,
		.pwsnp = !!(unit->ecap & VTD_ECAP_SMPWC),
	};

	if (vd->kind != VTD_DOMAIN_FL) {
		if (vtd_domain_dirty_lock(vd))
			lockdep_assert_held(vtd_domain_dirty_lock(vd));
		cfg.sl.dirty_tracking = sl->dirty_tracking;
	}

	switch (vd->kind) {
	case VTD_DOMAIN_SL:
		cfg.sl.pgd = vtd_pgtable_root_phys(&vd->pt);
		cfg.sl.levels = vd->pt.levels;
		return vtd_pasid_encode_sl(pe, &cfg);
	case VTD_DOMAIN_FL:
		cfg.fl.pgd = vtd_pgtable_root_phys(&vd->pt);
		cfg.fl.levels = vd->pt.levels;
		return vtd_pasid_encode_fl(pe, &cfg);
	case VTD_DOMAIN_NESTED:
		cfg.fl = vd->s1;
		cfg.sl.pgd = vtd_pgtable_root_phys(&sl->pt);
		cfg.sl.levels = sl->pt.levels;
		return vtd_pasid_encode_nested(pe, &cfg);
	}
	return -EINVAL;
}

/**
 * vtd_domain_attach_pasid() - attach a paging or nested domain to a PASID
 * @domain: the domain
 * @vdev: the device
 * @pasid: the PASID, 0 for the RID
 *
 * Takes the domain's id (and for a nested domain its parent's) on the
 * device's unit, then installs the entry with vtd_dev_attach().
 *
 * Return: 0; -EINVAL if the unit cannot use the domain; -ENOSPC if it has
 * no domain id left; the errors of vtd_dev_attach().  On error the old
 * domain stays attached, unless an invalidation failed: the PASID is then
 * left not present with no domain (see vtd_dev_attach()).
 */
VISIBLE_IF_KUNIT int vtd_domain_attach_pasid(struct iommu_domain *domain,
					     struct vtd_dev *vdev, u32 pasid)
{
	struct vtd_domain *vd = to_vtd_domain(domain);
	struct vtd_domain *sl = vtd_domain_sl(vd);
	struct mutex *dirty_lock = vtd_domain_dirty_lock(vd);
	struct vtd_domain_unit *parent_du = NULL;
	struct vtd_unit *unit = vdev->unit;
	struct vtd_attachment *att;
	struct vtd_pasid_entry pe;
	struct vtd_dev_old old = {};
	int ret;

	if (vtd_dev_domain(vdev, pasid) == domain)
		return 0;
	ret = vtd_domain_check_unit(sl, unit);
	if (ret)
		return ret;
	if (vd->kind == VTD_DOMAIN_NESTED &&
	    (!vtd_unit_can_nest(unit) ||
	     (vd->s1.levels == 5 && !(unit->cap & VTD_CAP_FL5LP)) ||
	     (vd->s1.sre && !(unit->ecap & VTD_ECAP_SRS)) ||
	     (vd->s1.eafe && !(unit->ecap & VTD_ECAP_EAFS))))
		return -EINVAL;

	att = kzalloc(sizeof(*att), GFP_KERNEL);
	if (!att)
		return -ENOMEM;
	att->pasid = pasid;
	if (vd->kind == VTD_DOMAIN_NESTED) {
		parent_du = vtd_domain_get_did(vd->parent, unit);
		if (IS_ERR(parent_du)) {
			ret = PTR_ERR(parent_du);
			goto err_free;
		}
	}
	att->du = vtd_domain_get_did(vd, unit);
	if (IS_ERR(att->du)) {
		ret = PTR_ERR(att->du);
		goto err_parent;
	}
	/* SLADE and the attachment on the list, atomically for a change. */
	if (dirty_lock)
		mutex_lock(dirty_lock);
	ret = vtd_domain_encode(vd, unit, att->du->did, &pe);
	if (!ret)
		ret = __vtd_dev_attach(domain, vdev, pasid, att, &pe, &old);
	if (dirty_lock)
		mutex_unlock(dirty_lock);
	vtd_domain_drop(old.domain, old.att, old.quarantine);
	if (!ret)
		return 0;

	vtd_domain_put_did(vd, att->du);
err_parent:
	if (parent_du)
		vtd_domain_put_did(vd->parent, parent_du);
err_free:
	kfree(att);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_domain_attach_pasid);

/**
 * vtd_domain_attach_dev() - attach_dev of paging and nested domains
 * @domain: the domain
 * @dev: the device; its RID_PASID (PASID 0) entry is written
 *
 * Return: 0, -EINVAL if the device's unit cannot use the domain, or the
 * error of the update (see vtd_domain_attach_pasid() for what is attached
 * then).
 */
int vtd_domain_attach_dev(struct iommu_domain *domain, struct device *dev)
{
	return vtd_domain_attach_pasid(domain, dev_iommu_priv_get(dev), 0);
}

/**
 * vtd_domain_set_dev_pasid() - set_dev_pasid of paging and nested domains
 * @domain: the domain
 * @dev: the device
 * @pasid: the PASID
 * @old: the domain attached before, or NULL; the driver's own record is
 *	what counts
 *
 * Return: as vtd_domain_attach_dev(), and -ERANGE for a PASID beyond the
 * device's.
 */
int vtd_domain_set_dev_pasid(struct iommu_domain *domain, struct device *dev,
			     ioasid_t pasid, struct iommu_domain *old)
{
	return vtd_domain_attach_pasid(domain, dev_iommu_priv_get(dev), pasid);
}

static int vtd_paging_map_pages(struct iommu_domain *domain, unsigned long iova,
				phys_addr_t paddr, size_t pgsize, size_t pgcount,
				int prot, gfp_t gfp, size_t *mapped)
{
	struct vtd_domain *vd = to_vtd_domain(domain);

	return vtd_pgtable_map_pages(&vd->pt, iova, paddr, pgsize, pgcount,
				     prot, gfp, mapped);
}

static size_t vtd_paging_unmap_pages(struct iommu_domain *domain,
				     unsigned long iova, size_t pgsize,
				     size_t pgcount,
				     struct iommu_iotlb_gather *gather)
{
	struct vtd_domain *vd = to_vtd_domain(domain);

	return vtd_pgtable_unmap_pages(&vd->pt, iova, pgsize, pgcount, gather);
}

static phys_addr_t vtd_paging_iova_to_phys(struct iommu_domain *domain,
					   dma_addr_t iova)
{
	return vtd_pgtable_iova_to_phys(&to_vtd_domain(domain)->pt, iova);
}

/*
 * Table pages the unmap detached may still be in the paging-structure
 * caches: they are freed only once the invalidation completed.  If it did
 * not, they are leaked rather than handed back while the unit may use them.
 */
static void vtd_paging_iotlb_sync(struct iommu_domain *domain,
				  struct iommu_iotlb_gather *gather)
{
	struct vtd_domain *vd = to_vtd_domain(domain);
	bool leaf = list_empty(&gather->freelist);
	int ret;

	if (gather->start > gather->end)
		return;
	ret = vtd_domain_flush(vd, gather->start, gather->end,
			       leaf ? VTD_FLUSH_LEAF : 0);
	if (ret)
		pr_err_ratelimited("IOTLB invalidation failed (%d), table pages leaked\n",
				   ret);
	/* Quarantined: a unit may still walk what the unmap detached. */
	if (ret || READ_ONCE(vd->quarantined)) {
		INIT_LIST_HEAD(&gather->freelist);
		return;
	}
	vtd_pgtable_put_pages(&gather->freelist);
}

static void vtd_paging_flush_iotlb_all(struct iommu_domain *domain)
{
	vtd_domain_flush_all(to_vtd_domain(domain));
}

/*
 * A unit in caching mode may cache not-present entries (an emulated unit
 * keeps a shadow it only updates on invalidation): new mappings are
 * invalidated too.  The map may have added tables, whose not-present
 * parent entries may be in the paging-structure caches: IH stays 0.
 */
static int vtd_paging_iotlb_sync_map(struct iommu_domain *domain,
				     unsigned long iova, size_t size)
{
	struct vtd_domain *vd = to_vtd_domain(domain);

	if (!size)
		return 0;
	return vtd_domain_flush(vd, iova, iova + size - 1, VTD_FLUSH_CM_ONLY);
}

static void vtd_paging_free(struct iommu_domain *domain)
{
	struct vtd_domain *vd = to_vtd_domain(domain);

	WARN_ON(!list_empty(&vd->attachments));
	WARN_ON(!list_empty(&vd->nested));
	/* A unit may still walk a quarantined table: its pages stay. */
	if (!READ_ONCE(vd->quarantined))
		vtd_pgtable_destroy(&vd->pt);
	mutex_destroy(&vd->dirty_lock);
	mutex_destroy(&vd->attach_lock);
	kfree(vd);
}

/* An entry over a second-level table, for a SLADE change. */
struct vtd_slade_target {
	struct vtd_dev *vdev;
	u32 pasid;
	u16 did;
};

static int vtd_slade_target_cmp(const void *a, const void *b)
{
	const struct vtd_slade_target *x = a, *y = b;

	if (x->vdev != y->vdev)
		return x->vdev < y->vdev ? -1 : 1;
	return x->pasid < y->pasid ? -1 : x->pasid > y->pasid;
}

/* Add the entries of @vd's attachments to @t; returns how many. */
static unsigned int vtd_slade_collect(struct vtd_domain *vd,
				      struct vtd_slade_target *t)
{
	struct vtd_attachment *att;
	unsigned int n = 0;

	list_for_each_entry(att, &vd->attachments, node) {
		if (t) {
			/* Live: its record is on the list (see vtd_domain_drop()). */
			t[n].vdev = xa_load(&att->du->unit->devices, att->sid);
			t[n].pasid = att->pasid;
			t[n].did = att->du->did;
		}
		n++;
	}
	return n;
}

/*
 * Set SLADE to @enable in every entry over @sl's table: one update per
 * device (vtd_dev_set_slade()), its PASIDs in ascending order.  The caller
 * holds @sl->dirty_lock, so no attachment comes or goes meanwhile.
 */
static int vtd_slade_apply(struct vtd_domain *sl, bool enable)
{
	u64 root = vtd_pgtable_root_phys(&sl->pt);
	struct vtd_slade_target *t;
	struct vtd_domain *child;
	unsigned int n, i, j;
	u32 *pasids;
	int ret = 0, err;

	lockdep_assert_held(&sl->dirty_lock);
	n = vtd_slade_collect(sl, NULL);
	list_for_each_entry(child, &sl->nested, nested_node)
		n += vtd_slade_collect(child, NULL);
	if (!n)
		return 0;
	t = kvmalloc_array(n, sizeof(*t), GFP_KERNEL);
	pasids = kvmalloc_array(n, sizeof(*pasids), GFP_KERNEL);
	if (!t || !pasids) {
		ret = -ENOMEM;
		goto out;
	}
	i = vtd_slade_collect(sl, t);
	list_for_each_entry(child, &sl->nested, nested_node)
		i += vtd_slade_collect(child, t + i);
	sort(t, n, sizeof(*t), vtd_slade_target_cmp, NULL);

	for (i = 0; i < n; i = j) {
		for (j = i; j < n && t[j].vdev == t[i].vdev; j++)
			pasids[j - i] = t[j].pasid;
		if (WARN_ON_ONCE(!t[i].vdev))
			continue;
		/* One unit per device: one domain id for all its entries. */
		err = vtd_dev_set_slade(t[i].vdev, pasids, j - i, t[i].did,
					root, enable);
		if (err < 0 && !ret)
			ret = err;
	}
out:
	kvfree(pasids);
	kvfree(t);
	return ret;
}

/*
 * set_dirty_tracking: SLADE in every entry over the table, then, if an
 * invalidation failed, back to the old value everywhere (best effort).
 */
static int vtd_paging_set_dirty_tracking(struct iommu_domain *domain,
					 bool enable)
{
	struct vtd_domain *vd = to_vtd_domain(domain);
	int ret = 0;

	mutex_lock(&vd->dirty_lock);
	if (vd->dirty_tracking != enable) {
		ret = vtd_slade_apply(vd, enable);
		if (ret)
			vtd_slade_apply(vd, !enable);
		else
			vd->dirty_tracking = enable;
	}
	mutex_unlock(&vd->dirty_lock);
	return ret;
}

/*
 * read_and_clear_dirty: the table's walk (vtd_pgtable_read_and_clear_dirty()).
 * Reading a bitmap needs tracking on, as in mainline; clearing without a
 * bitmap (what iommufd does before it turns tracking on) does not.
 */
static int vtd_paging_read_and_clear_dirty(struct iommu_domain *domain,
					   unsigned long iova, size_t size,
					   unsigned long flags,
					   struct iommu_dirty_bitmap *dirty)
{
	struct vtd_domain *vd = to_vtd_domain(domain);

	if (!READ_ONCE(vd->dirty_tracking) && dirty->bitmap)
		return -EINVAL;
	return vtd_pgtable_read_and_clear_dirty(&vd->pt, iova, size, flags,
						dirty);
}

/*
 * Dirty tracking of second-level paging domains.  Set on domains allocated
 * with IOMMU_HWPT_ALLOC_DIRTY_TRACKING, which only units that can track
 * dirty pages (vtd_ecap_dirty_tracking()) give and take.  Dirty ranges are
 * recorded with iommufd_dirty_record().
 */
const struct iommu_dirty_ops vtd_dirty_ops = {
	.set_dirty_tracking = vtd_paging_set_dirty_tracking,
	.read_and_clear_dirty = vtd_paging_read_and_clear_dirty,
};
EXPORT_SYMBOL_IF_KUNIT(vtd_dirty_ops);

const struct iommu_domain_ops vtd_paging_ops = {
	.attach_dev = vtd_domain_attach_dev,
	.set_dev_pasid = vtd_domain_set_dev_pasid,
	.map_pages = vtd_paging_map_pages,
	.unmap_pages = vtd_paging_unmap_pages,
	.iova_to_phys = vtd_paging_iova_to_phys,
	.iotlb_sync = vtd_paging_iotlb_sync,
	.iotlb_sync_map = vtd_paging_iotlb_sync_map,
	.flush_iotlb_all = vtd_paging_flush_iotlb_all,
	.free = vtd_paging_free,
};
