// SPDX-License-Identifier: GPL-2.0
/*
 * The PASID layer: which HW pagetable the RID and each PASID of a device
 * translate with.
 *
 * Every bound device has a struct iommufd_attach: a mutex and an XArray
 * from PASID (IOMMU_NO_PASID, 0, for the RID) to a record naming the HWPT
 * attached there.  The record holds a reference on the HWPT, so it cannot
 * be destroyed while attached.  Attach, replace and detach of any PASID of
 * the device run under the mutex, check the rules below against the
 * XArray, and change the IOMMU through the IOMMU core:
 *
 * - the RID: the device's DMA ownership was claimed at bind, so its group
 *   sits on the core's blocking domain; attach is iommu_attach_group(),
 *   replace iommu_group_replace_domain(), detach iommu_detach_group(),
 *   which goes back to blocking;
 * - a PASID: iommu_attach_device_pasid() and iommu_detach_device_pasid().
 *   The core keeps the record's iommu_attach_handle in its group's
 *   pasid_array while attached.
 *
 * Replacing the HWPT of a PASID has no core function in 6.12.  It is done
 * here as the core would do it: under the group mutex (taken by
 * iommu_group_for_each_dev()), the new domain's set_dev_pasid() is called
 * for each device of the group that has PASIDs, with the old domain as
 * @old; the driver switches the PASID entry from one to the other without
 * a window in which DMA faults.  If a device fails, the old domain is set
 * again on the devices already switched and on that one; if that fails as
 * well, the PASID is detached from the group (a defined, blocked state)
 * and its record dropped.  On success the handle the core holds is pointed
 * at the new domain, so that the core's view
 * (iommu_get_domain_for_dev_pasid(), detach) stays right.
 *
 * The rules (mainline's; iommufd_attach_check()):
 * - a PASID above the device's width, or at or above 2^20: EINVAL;
 * - attach where something is attached: EBUSY; replace where nothing is:
 *   EINVAL; replace with the HWPT already there: nothing happens;
 * - a PASID only takes a HWPT allocated with IOMMU_HWPT_ALLOC_PASID, and
 *   only while the RID is detached or holds such a HWPT: EINVAL;
 * - while any PASID is attached, the RID only takes such a HWPT: EINVAL;
 * - detaching what is not attached does nothing.
 * Unbinding detaches every PASID, then the RID.
 */
#include <kunit/visibility.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/iommu.h>
#include <linux/iommufd_pasid.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "iommufd_private.h"

/* iommu_group_replace_domain() */
MODULE_IMPORT_NS(IOMMUFD_INTERNAL);

/* PCIe PASIDs are 20 bits wide. */
#define IOMMUFD_PASID_LIMIT BIT(20)

/**
 * struct iommufd_pasid_record - a HWPT attached to the RID or a PASID
 * @hwpt: the HWPT; the record holds a reference on it
 * @handle: for a PASID, the handle the IOMMU core holds in the group's
 *	    pasid_array while attached; names the domain in use
 */
struct iommufd_pasid_record {
	struct iommufd_hw_pagetable *hwpt;
	struct iommu_attach_handle handle;
};

/**
 * iommufd_attach_check() - the PASID layer's rules
 * @rule: the state of the device and the request
 *
 * Return: 0 if the request may go ahead, IOMMUFD_ATTACH_NOP if it is a
 * replace with the HWPT already attached, -EINVAL or -EBUSY.
 */
int iommufd_attach_check(const struct iommufd_attach_rule *rule)
{
	if (rule->pasid >= IOMMUFD_PASID_LIMIT ||
	    (rule->max_pasids > 1 && rule->pasid >= rule->max_pasids))
		return -EINVAL;
	if (!rule->replace && rule->attached)
		return -EBUSY;
	if (rule->replace && !rule->attached)
		return -EINVAL;
	if (rule->replace && rule->same)
		return IOMMUFD_ATTACH_NOP;
	if (rule->pasid == IOMMU_NO_PASID) {
		if (!rule->new_compat && rule->pasids_attached)
			return -EINVAL;
	} else {
		if (!rule->new_compat || rule->rid_incompat)
			return -EINVAL;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(iommufd_attach_check);

static int iommufd_attach_rules(struct iommufd_device *idev, u32 pasid,
				struct iommufd_hw_pagetable *hwpt,
				bool replace)
{
	struct xarray *pasids = &idev->attach.pasids;
	struct iommufd_pasid_record *cur, *rid;
	unsigned long next = IOMMU_NO_PASID + 1;
	struct iommufd_attach_rule rule;

	lockdep_assert_held(&idev->attach.lock);

	cur = pasid < IOMMUFD_PASID_LIMIT ? xa_load(pasids, pasid) : NULL;
	rid = xa_load(pasids, IOMMU_NO_PASID);
	rule = (struct iommufd_attach_rule){
		.pasid = pasid,
		.max_pasids = idev->max_pasids,
		.replace = replace,
		.attached = !!cur,
		.same = cur && cur->hwpt == hwpt,
		.new_compat = hwpt->pasid_compat,
		.rid_incompat = rid && !rid->hwpt->pasid_compat,
		.pasids_attached = !!xa_find(pasids, &next, ULONG_MAX,
					     XA_PRESENT),
	};
	return iommufd_attach_check(&rule);
}

/*
 * Keep the device's reserved regions (MSI window, RMRRs) out of the IOAS
 * of a paging HWPT while @rec uses it: userspace cannot map over them, and
 * fails with EADDRINUSE if it already did.
 */
static int iommufd_pasid_reserve(struct iommufd_device *idev,
				 struct iommufd_hw_pagetable *hwpt,
				 struct iommufd_pasid_record *rec)
{
	struct iommufd_hwpt_paging *hwpt_paging = iommufd_hwpt_to_paging(hwpt);
	struct iommu_resv_region *region;
	LIST_HEAD(regions);
	int rc = 0;

	if (!hwpt_paging)
		return 0;

	iommu_get_resv_regions(idev->dev, &regions);
	list_for_each_entry(region, &regions, list) {
		if (region->type == IOMMU_RESV_DIRECT_RELAXABLE ||
		    !region->length)
			continue;
		rc = iopt_reserve(&hwpt_paging->ioas->iopt, region->start,
				  region->start + region->length - 1, rec);
		if (rc)
			break;
	}
	iommu_put_resv_regions(idev->dev, &regions);
	if (rc)
		iopt_unreserve(&hwpt_paging->ioas->iopt, rec);
	return rc;
}

static void iommufd_pasid_unreserve(struct iommufd_hw_pagetable *hwpt,
				    struct iommufd_pasid_record *rec)
{
	struct iommufd_hwpt_paging *hwpt_paging = iommufd_hwpt_to_paging(hwpt);

	if (hwpt_paging)
		iopt_unreserve(&hwpt_paging->ioas->iopt, rec);
}

static struct io_pagetable *iommufd_hwpt_iopt(struct iommufd_hw_pagetable *hwpt)
{
	struct iommufd_hwpt_paging *hwpt_paging = iommufd_hwpt_to_paging(hwpt);

	return hwpt_paging ? &hwpt_paging->ioas->iopt : NULL;
}

/* A device whose IOMMU snoops must only use domains that enforce it. */
static int iommufd_pasid_prepare(struct iommufd_device *idev,
				 struct iommufd_hw_pagetable *hwpt)
{
	if (!idev->enforce_cache_coherency)
		return 0;
	return iommufd_hwpt_enforce_cc(hwpt);
}

/*
 * Called under the group mutex, for each device of the group in turn.  The
 * forward pass stops at the first device that fails.  The undo pass puts
 * the old domain back on every device up to and including that one (a
 * driver may leave the failed PASID blocked rather than on the old
 * domain); a device on which that fails too is noted, not warned about:
 * an IOMMU can legitimately fail an invalidation.
 */
VISIBLE_IF_KUNIT int iommufd_pasid_switch_dev(struct device *dev, void *data)
{
	struct iommufd_pasid_switch *sw = data;
	int rc;

	/* The core did not program devices without PASIDs either. */
	if (dev->iommu && dev->iommu->max_pasids) {
		rc = sw->to->ops->set_dev_pasid(sw->to, dev, sw->pasid, sw->from);
		if (rc && !sw->undo) {
			sw->failed = dev;
			return rc;
		}
		if (rc)
			sw->undo_failed = true;
	}
	/* The undo pass ends with the device that failed. */
	return sw->undo && dev == sw->failed ? 1 : 0;
}
EXPORT_SYMBOL_IF_KUNIT(iommufd_pasid_switch_dev);

/*
 * On failure, *@lost tells that the old domain could not be put back on
 * every device either: the caller must detach the PASID.
 */
static int iommufd_pasid_hw_replace(struct iommufd_device *idev, u32 pasid,
				    struct iommufd_pasid_record *rec,
				    struct iommufd_hw_pagetable *hwpt,
				    bool *lost)
{
	struct iommufd_pasid_switch sw = {
		.to = hwpt->domain,
		.from = rec->hwpt->domain,
		.pasid = pasid,
	};
	int rc;

	*lost = false;
	if (pasid == IOMMU_NO_PASID)
		return iommu_group_replace_domain(idev->group, hwpt->domain);

	/* What iommu_attach_device_pasid() checks. */
	if (!hwpt->domain->ops->set_dev_pasid)
		return -EOPNOTSUPP;
	if (hwpt->domain->owner != rec->hwpt->domain->owner)
		return -EINVAL;

	rc = iommu_group_for_each_dev(idev->group, &sw,
				      iommufd_pasid_switch_dev);
	if (rc) {
		if (sw.failed) {
			sw.to = rec->hwpt->domain;
			sw.from = hwpt->domain;
			sw.undo = true;
			iommu_group_for_each_dev(idev->group, &sw,
						 iommufd_pasid_switch_dev);
			*lost = sw.undo_failed;
		}
		return rc;
	}
	/* The core's record of the attachment names the new domain. */
	WRITE_ONCE(rec->handle.domain, hwpt->domain);
	return 0;
}

static void iommufd_pasid_hw_detach(struct iommufd_device *idev, u32 pasid,
				    struct iommufd_pasid_record *rec)
{
	if (pasid == IOMMU_NO_PASID)
		iommu_detach_group(rec->hwpt->domain, idev->group);
	else
		iommu_detach_device_pasid(rec->hwpt->domain, idev->dev, pasid);
}

/**
 * iommufd_device_pasid_attach() - attach a HW pagetable to a RID or PASID
 * @idev: a bound device
 * @pasid: the PASID, or IOMMU_NO_PASID (0) for the RID
 * @pt_id: in: a HWPT, or an IOAS for the RID; out: the HWPT attached (an
 *	   IOAS gives an automatic paging HWPT, shared between devices and
 *	   destroyed with its last attachment)
 *
 * The HWPT translates the device's DMA with @pasid (the RID: without a
 * PASID) from now on.  Undo with iommufd_device_pasid_detach().
 *
 * Context: process context; takes the device's attach mutex.
 * Return: 0; -ENOENT if @pt_id names nothing; -EBUSY if @pasid holds a
 * HWPT already; -EINVAL for an out-of-range @pasid, an object that cannot
 * be attached there, or a HWPT the PASID rules forbid (see
 * Documentation/userspace-api/iommufd.rst); -EADDRINUSE if the IOAS maps
 * a reserved region of the device; or an error of the IOMMU driver.
 */
int iommufd_device_pasid_attach(struct iommufd_device *idev, u32 pasid,
				u32 *pt_id)
{
	struct iommufd_attach *attach = &idev->attach;
	struct iommufd_hw_pagetable *hwpt;
	struct iommufd_pasid_record *rec;
	int rc;

	hwpt = iommufd_hwpt_get_for_attach(idev, *pt_id, pasid);
	if (IS_ERR(hwpt))
		return PTR_ERR(hwpt);

	mutex_lock(&attach->lock);
	rc = iommufd_attach_rules(idev, pasid, hwpt, false);
	if (rc)
		goto err_unlock;
	rc = iommufd_pasid_prepare(idev, hwpt);
	if (rc)
		goto err_unlock;

	rec = kzalloc(sizeof(*rec), GFP_KERNEL_ACCOUNT);
	if (!rec) {
		rc = -ENOMEM;
		goto err_unlock;
	}
	rc = iommufd_pasid_reserve(idev, hwpt, rec);
	if (rc)
		goto err_free;
	rc = xa_insert(&attach->pasids, pasid, rec, GFP_KERNEL_ACCOUNT);
	if (rc)
		goto err_unreserve;

	if (pasid == IOMMU_NO_PASID)
		rc = iommu_attach_group(hwpt->domain, idev->group);
	else
		rc = iommu_attach_device_pasid(hwpt->domain, idev->dev, pasid,
					       &rec->handle);
	if (rc)
		goto err_erase;

	/* The lookup's reference now belongs to the record. */
	rec->hwpt = hwpt;
	*pt_id = hwpt->obj.id;
	mutex_unlock(&attach->lock);
	return 0;

err_erase:
	xa_erase(&attach->pasids, pasid);
err_unreserve:
	iommufd_pasid_unreserve(hwpt, rec);
err_free:
	kfree(rec);
err_unlock:
	mutex_unlock(&attach->lock);
	iommufd_hwpt_put(idev->ictx, hwpt);
	return rc;
}
EXPORT_SYMBOL_GPL(iommufd_device_pasid_attach);

/* Takes @pasid out of the device; the caller puts the HWPT and frees. */
static struct iommufd_pasid_record *
iommufd_pasid_remove(struct iommufd_device *idev, u32 pasid)
{
	struct iommufd_pasid_record *rec;

	lockdep_assert_held(&idev->attach.lock);

	rec = xa_erase(&idev->attach.pasids, pasid);
	if (!rec)
		return NULL;
	iommufd_pasid_hw_detach(idev, pasid, rec);
	iommufd_pasid_unreserve(rec->hwpt, rec);
	return rec;
}

static void iommufd_pasid_record_free(struct iommufd_device *idev,
				      struct iommufd_pasid_record *rec)
{
	iommufd_hwpt_put(idev->ictx, rec->hwpt);
	kfree(rec);
}

/**
 * iommufd_device_pasid_replace() - switch a RID or PASID to another HWPT
 * @idev: a bound device
 * @pasid: the PASID, or IOMMU_NO_PASID (0) for the RID
 * @pt_id: in: a HWPT, or an IOAS for the RID; out: the HWPT attached
 *
 * Like detach and attach, without the blocked moment between: the IOMMU
 * driver switches the translation in one step as far as DMA can tell.
 * Replacing with the HWPT already attached does nothing.  On failure the
 * old HWPT stays attached and translating, unless putting it back failed
 * too (an IOMMU invalidation can fail): then @pasid is detached, its DMA
 * blocked, and the error returned.
 *
 * Context: process context; takes the device's attach mutex.
 * Return: 0; -ENOENT if @pt_id names nothing; -EINVAL if nothing is
 * attached at @pasid, for an out-of-range @pasid, an object that cannot be
 * attached there or a HWPT the PASID rules forbid; -EADDRINUSE if the
 * IOAS maps a reserved region of the device; or an error of the IOMMU
 * driver.
 */
int iommufd_device_pasid_replace(struct iommufd_device *idev, u32 pasid,
				 u32 *pt_id)
{
	struct iommufd_attach *attach = &idev->attach;
	struct iommufd_pasid_record *rec, *lost_rec = NULL;
	struct iommufd_hw_pagetable *hwpt, *old;
	struct io_pagetable *old_iopt, *new_iopt;
	bool lost;
	int rc;

	hwpt = iommufd_hwpt_get_for_attach(idev, *pt_id, pasid);
	if (IS_ERR(hwpt))
		return PTR_ERR(hwpt);

	mutex_lock(&attach->lock);
	rc = iommufd_attach_rules(idev, pasid, hwpt, true);
	if (rc == IOMMUFD_ATTACH_NOP) {
		*pt_id = hwpt->obj.id;
		rc = 0;
		goto out_unlock;
	}
	if (rc)
		goto out_unlock;
	rc = iommufd_pasid_prepare(idev, hwpt);
	if (rc)
		goto out_unlock;

	rec = xa_load(&attach->pasids, pasid);
	old = rec->hwpt;
	/* The reservations of @rec move with it to another IOAS. */
	old_iopt = iommufd_hwpt_iopt(old);
	new_iopt = iommufd_hwpt_iopt(hwpt);
	if (new_iopt != old_iopt) {
		rc = iommufd_pasid_reserve(idev, hwpt, rec);
		if (rc)
			goto out_unlock;
	}

	rc = iommufd_pasid_hw_replace(idev, pasid, rec, hwpt, &lost);
	if (rc) {
		if (new_iopt != old_iopt)
			iommufd_pasid_unreserve(hwpt, rec);
		if (lost) {
			/*
			 * Neither HWPT is on every device of the group: the
			 * PASID is detached (blocked) everywhere instead.
			 */
			dev_err(idev->dev, "PASID %u detached: the old HWPT could not be restored (%d)\n",
				pasid, rc);
			iommufd_pasid_remove(idev, pasid);
			lost_rec = rec;
		}
		goto out_unlock;
	}
	if (new_iopt != old_iopt)
		iommufd_pasid_unreserve(old, rec);

	rec->hwpt = hwpt;
	*pt_id = hwpt->obj.id;
	/* Release the old HWPT's reference below, outside the lock. */
	hwpt = old;

out_unlock:
	mutex_unlock(&attach->lock);
	iommufd_hwpt_put(idev->ictx, hwpt);
	if (lost_rec)
		iommufd_pasid_record_free(idev, lost_rec);
	return rc;
}
EXPORT_SYMBOL_GPL(iommufd_device_pasid_replace);

/**
 * iommufd_device_pasid_detach() - detach the HWPT of a RID or PASID
 * @idev: a bound device
 * @pasid: the PASID, or IOMMU_NO_PASID (0) for the RID
 *
 * DMA with @pasid is blocked afterwards.  Nothing happens if nothing is
 * attached there.  Detaching the RID leaves the PASIDs attached.
 *
 * Context: process context; takes the device's attach mutex.
 */
void iommufd_device_pasid_detach(struct iommufd_device *idev, u32 pasid)
{
	struct iommufd_pasid_record *rec;

	if (pasid >= IOMMUFD_PASID_LIMIT)
		return;

	mutex_lock(&idev->attach.lock);
	rec = iommufd_pasid_remove(idev, pasid);
	mutex_unlock(&idev->attach.lock);
	if (rec)
		iommufd_pasid_record_free(idev, rec);
}
EXPORT_SYMBOL_GPL(iommufd_device_pasid_detach);

/**
 * iommufd_attach_init() - start a device with nothing attached
 * @attach: the device's attachments
 */
void iommufd_attach_init(struct iommufd_attach *attach)
{
	mutex_init(&attach->lock);
	xa_init(&attach->pasids);
}

/**
 * iommufd_attach_destroy() - detach everything from a device being unbound
 * @idev: the device; nothing else attaches or detaches on it any more
 *
 * Every PASID is detached before the RID, and the HWPTs are released;
 * the device is blocked afterwards, ready for its DMA ownership to be
 * given back.
 */
void iommufd_attach_destroy(struct iommufd_device *idev)
{
	struct iommufd_attach *attach = &idev->attach;
	struct iommufd_pasid_record *rec;
	unsigned long pasid;

	mutex_lock(&attach->lock);
	xa_for_each_start(&attach->pasids, pasid, rec, IOMMU_NO_PASID + 1) {
		iommufd_pasid_remove(idev, pasid);
		iommufd_pasid_record_free(idev, rec);
	}
	rec = iommufd_pasid_remove(idev, IOMMU_NO_PASID);
	if (rec)
		iommufd_pasid_record_free(idev, rec);
	mutex_unlock(&attach->lock);

	xa_destroy(&attach->pasids);
	mutex_destroy(&attach->lock);
}
