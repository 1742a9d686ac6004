// SPDX-License-Identifier: GPL-2.0
/*
 * The PASID layer: which HW pagetable the RID and each PASID of a device
 * translate with.
 *
 * The IOMMU core attaches domains to IOMMU groups, RID and PASIDs alike,
 * so attachments are kept per group: every IOMMU group with a device bound
 * to a context has a struct iommufd_group there (device.c), with a mutex
 * and an XArray from PASID (IOMMU_NO_PASID, 0, for the RID) to a record of
 * the HWPT the group has attached there and of the devices of the group
 * that attached it.  Every such device holds a reference on the HWPT, so
 * it cannot be destroyed while attached.  The first device of the group
 * to attach a HWPT at a PASID attaches the group; the others attaching
 * the same HWPT there are only recorded (a different HWPT gives EINVAL);
 * the group is detached when the last of them detaches, and a replace by
 * any of them switches the whole group.  Attach, replace and detach of any
 * PASID of any device of the group run under the mutex, check the rules
 * below against the XArray, and change the IOMMU through the IOMMU core:
 *
 * - the RID: the devices' DMA ownership was claimed at bind, so the group
 *   sits on the core's blocking domain; attach is
 *   iommu_attach_group_handle(), replace iommu_replace_group_handle(),
 *   detach iommu_detach_group_handle(), which goes back to blocking;
 * - a PASID: iommu_attach_device_pasid() and iommu_detach_device_pasid().
 * Either way the core keeps the record's iommu_attach_handle in its
 * group's pasid_array while attached, at the PASID (IOMMU_NO_PASID for the
 * RID): that is where it looks for the domain a page request goes to
 * (fault.c).
 *
 * Replacing the HWPT of a PASID has no core function in 6.12.  It is done
 * here as the core would do it: under the group mutex (taken by
 * iommu_group_for_each_dev()), the new domain's set_dev_pasid() is called
 * for each device of the group that has PASIDs, with the old domain as
 * @old.  If a device fails, the old domain is set again on the devices
 * already switched and on that one (a driver may have left it blocked); if
 * that fails as well (an IOMMU can fail an invalidation), the PASID is
 * detached from the whole group, its DMA blocked, its record dropped, and
 * the replace returns the error.  The handle the core holds is pointed at
 * the new domain in the same pass, under the group mutex, as soon as a
 * device translates with it (and back if the replace is undone), so that
 * the core (fault delivery, detach, iommu_get_domain_for_dev_pasid())
 * never sees the old domain once the replace is done.
 *
 * A device attaching a HWPT that names a fault queue enables its page
 * requests (iommufd_fault_iopf_get()); when it leaves the attachment, the
 * groups it had outstanding there are answered first (iommufd_fault_answer()),
 * and a replace answers those of the old HWPT once the new one is in.
 *
 * Each device that attaches a HWPT to the RID reserves its reserved
 * regions (MSI window, RMRRs) in the IOAS the HWPT translates through: its
 * own for a paging HWPT, its parent's for a nested one.  PASID attachments
 * reserve nothing, as in mainline: the reserved regions concern DMA
 * without a PASID.
 *
 * The rules (mainline's; iommufd_attach_check()):
 * - a PASID above the device's width, or at or above 2^20: EINVAL;
 * - attach where the device has something attached: EBUSY; attach of a
 *   HWPT other than the one another device of the group attached there:
 *   EINVAL; replace where the device has nothing attached: EINVAL;
 *   replace with the HWPT already there: nothing happens;
 * - a PASID only takes a HWPT allocated with IOMMU_HWPT_ALLOC_PASID, and
 *   only while the group's RID is detached or holds such a HWPT: EINVAL;
 * - while any PASID of the group is attached, the RID only takes such a
 *   HWPT: EINVAL;
 * - detaching what the device has not attached does nothing.
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

/* iommu_group_replace_domain(), iommu_*_group_handle() */
MODULE_IMPORT_NS(IOMMUFD_INTERNAL);

/* PCIe PASIDs are 20 bits wide. */
#define IOMMUFD_PASID_LIMIT BIT(20)

/**
 * struct iommufd_pasid_record - a HWPT a group has attached at a PASID
 * @hwpt: the HWPT; each device in @devices holds a reference on it
 * @devices: the devices of the group that attached @hwpt here
 * @handle: the handle the IOMMU core holds in the group's pasid_array
 *	    while attached; names the domain in use
 *
 * 32 bytes; there is one per attached PASID.
 */
struct iommufd_pasid_record {
	struct iommufd_hw_pagetable *hwpt;
	struct iommufd_pasid_devs devices;
	struct iommu_attach_handle handle;
};

/**
 * iommufd_pasid_devs_add() - add a device to a PASID's devices
 * @devs: the devices
 * @idev: a device not in @devs
 *
 * The first device goes inline; the others into an XArray by object ID,
 * allocated (accounted) when first needed.
 *
 * Return: 0, -ENOMEM, or -EBUSY if @idev's object ID is there already.
 */
int iommufd_pasid_devs_add(struct iommufd_pasid_devs *devs,
			   struct iommufd_device *idev)
{
	struct xarray *more;

	if (devs->one == idev)
		return -EBUSY;
	if (!devs->one && !iommufd_pasid_devs_has(devs, idev)) {
		/* Read without the lock: iommufd_pasid_handle_device() */
		WRITE_ONCE(devs->one, idev);
		return 0;
	}
	if (!devs->more) {
		more = kzalloc(sizeof(*more), GFP_KERNEL_ACCOUNT);
		if (!more)
			return -ENOMEM;
		xa_init(more);
		/* Pairs with iommufd_pasid_handle_device(): init first. */
		smp_store_release(&devs->more, more);
	}
	return xa_insert(devs->more, idev->obj.id, idev, GFP_KERNEL_ACCOUNT);
}
EXPORT_SYMBOL_IF_KUNIT(iommufd_pasid_devs_add);

/**
 * iommufd_pasid_devs_del() - take a device out of a PASID's devices
 * @devs: the devices
 * @idev: a device in @devs
 */
void iommufd_pasid_devs_del(struct iommufd_pasid_devs *devs,
			    struct iommufd_device *idev)
{
	if (devs->one == idev)
		WRITE_ONCE(devs->one, NULL);
	else if (devs->more)
		xa_erase(devs->more, idev->obj.id);
}
EXPORT_SYMBOL_IF_KUNIT(iommufd_pasid_devs_del);

/**
 * iommufd_pasid_devs_has() - is a device among a PASID's devices?
 * @devs: the devices
 * @idev: the device
 *
 * Return: true if @idev itself was added (not another device with its ID).
 */
bool iommufd_pasid_devs_has(const struct iommufd_pasid_devs *devs,
			    const struct iommufd_device *idev)
{
	return devs->one == idev ||
	       (devs->more && xa_load(devs->more, idev->obj.id) == idev);
}
EXPORT_SYMBOL_IF_KUNIT(iommufd_pasid_devs_has);

/**
 * iommufd_pasid_devs_empty() - are there no devices left?
 * @devs: the devices
 *
 * Return: true if none.
 */
bool iommufd_pasid_devs_empty(const struct iommufd_pasid_devs *devs)
{
	return !devs->one && (!devs->more || xa_empty(devs->more));
}
EXPORT_SYMBOL_IF_KUNIT(iommufd_pasid_devs_empty);

/**
 * iommufd_pasid_devs_next() - the next device of a walk
 * @devs: the devices
 * @pos: the cursor: 0 to start, then one past the device returned
 *
 * Cursor 0 is the inline device; from 1 on, the XArray's indexes (object
 * IDs, which are never 0).  Devices may be deleted during the walk.
 *
 * Return: the device at or after @pos (and @pos set to it), or NULL.
 */
struct iommufd_device *
iommufd_pasid_devs_next(const struct iommufd_pasid_devs *devs,
			unsigned long *pos)
{
	if (!*pos) {
		if (devs->one)
			return devs->one;
		*pos = 1;
	}
	if (!devs->more)
		return NULL;
	return xa_find(devs->more, pos, ULONG_MAX, XA_PRESENT);
}
EXPORT_SYMBOL_IF_KUNIT(iommufd_pasid_devs_next);

/**
 * iommufd_pasid_devs_destroy() - free what the devices took
 * @devs: the devices; empty or not, they are forgotten
 */
void iommufd_pasid_devs_destroy(struct iommufd_pasid_devs *devs)
{
	if (devs->more) {
		xa_destroy(devs->more);
		kfree(devs->more);
		devs->more = NULL;
	}
	devs->one = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(iommufd_pasid_devs_destroy);

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
	/* The group's other devices attached another HWPT there. */
	if (!rule->replace && rule->group_other)
		return -EINVAL;
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

/* Walk: for (pos = 0; (idev = iommufd_rec_dev_next(rec, &pos)); pos++) */
static struct iommufd_device *
iommufd_rec_dev_next(struct iommufd_pasid_record *rec, unsigned long *pos)
{
	return iommufd_pasid_devs_next(&rec->devices, pos);
}

/**
 * iommufd_pasid_handle_device() - which bound device sent a page request
 * @handle: the attach handle the request's group came through
 * @dev: the device that sent it
 *
 * For fault.c, which holds the mutex of the fault queue the group is in.
 * Every group of a queue came through the handle of a record whose HWPT
 * names that queue, or whose HWPT did until a replace that has not yet
 * answered them and holds the group's attach mutex meanwhile.  A device
 * leaves a record, and a record is freed, only once its groups there are
 * answered, which takes that mutex; so the record and the device found
 * stay valid while the caller holds it.  Other devices may join or leave
 * the record meanwhile: its device list is read without the attach mutex.
 *
 * Return: the device of @dev in the record of @handle, or NULL if @dev
 * left it (or never attached there: another device of its IOMMU group did).
 */
struct iommufd_device *
iommufd_pasid_handle_device(struct iommu_attach_handle *handle,
			    struct device *dev)
{
	struct iommufd_pasid_record *rec =
		container_of(handle, struct iommufd_pasid_record, handle);
	struct iommufd_device *idev = READ_ONCE(rec->devices.one);
	struct xarray *more;
	unsigned long index;

	if (idev && idev->dev == dev)
		return idev;
	/* Pairs with iommufd_pasid_devs_add(): an initialized XArray. */
	more = smp_load_acquire(&rec->devices.more);
	if (!more)
		return NULL;
	xa_for_each(more, index, idev) {
		if (idev->dev == dev)
			return idev;
	}
	return NULL;
}

/* Page requests for @hwpt from every device of @rec (or none: undo). */
static int iommufd_pasid_iopf_all(struct iommufd_pasid_record *rec,
				  struct iommufd_hw_pagetable *hwpt, bool get)
{
	struct iommufd_device *idev, *failed = NULL;
	unsigned long pos;
	int rc = 0;

	if (!hwpt->fault)
		return 0;
	for (pos = 0; (idev = iommufd_rec_dev_next(rec, &pos)); pos++) {
		if (!get) {
			iommufd_fault_iopf_put(idev);
			continue;
		}
		rc = iommufd_fault_iopf_get(idev);
		if (rc) {
			failed = idev;
			break;
		}
	}
	if (!failed)
		return 0;
	for (pos = 0; (idev = iommufd_rec_dev_next(rec, &pos)); pos++) {
		if (idev == failed)
			break;
		iommufd_fault_iopf_put(idev);
	}
	return rc;
}

static struct iommufd_pasid_record *
iommufd_pasid_record(struct iommufd_group *igroup, u32 pasid)
{
	lockdep_assert_held(&igroup->lock);
	if (pasid >= IOMMUFD_PASID_LIMIT)
		return NULL;
	return xa_load(&igroup->pasid_attach, pasid);
}

/* @idev attached @rec's HWPT itself (not just another device of its group) */
static bool iommufd_pasid_dev_attached(struct iommufd_pasid_record *rec,
				       struct iommufd_device *idev)
{
	return rec && iommufd_pasid_devs_has(&rec->devices, idev);
}

static int iommufd_attach_rules(struct iommufd_device *idev, u32 pasid,
				struct iommufd_hw_pagetable *hwpt,
				bool replace)
{
	struct iommufd_group *igroup = idev->igroup;
	struct iommufd_pasid_record *cur, *rid;
	unsigned long next = IOMMU_NO_PASID + 1;
	struct iommufd_attach_rule rule;
	bool attached;

	cur = iommufd_pasid_record(igroup, pasid);
	rid = iommufd_pasid_record(igroup, IOMMU_NO_PASID);
	attached = iommufd_pasid_dev_attached(cur, idev);
	rule = (struct iommufd_attach_rule){
		.pasid = pasid,
		.max_pasids = idev->max_pasids,
		.replace = replace,
		.attached = attached,
		.same = cur && cur->hwpt == hwpt,
		.group_other = cur && !attached && cur->hwpt != hwpt,
		.new_compat = hwpt->pasid_compat,
		.rid_incompat = rid && !rid->hwpt->pasid_compat,
		.pasids_attached = !!xa_find(&igroup->pasid_attach, &next,
					     ULONG_MAX, XA_PRESENT),
	};
	return iommufd_attach_check(&rule);
}

/*
 * The IOAS whose IOVA space DMA without a PASID uses through @hwpt: a
 * paging HWPT's own, or the parent's of a nested HWPT.
 */
static struct io_pagetable *iommufd_hwpt_iopt(struct iommufd_hw_pagetable *hwpt)
{
	struct iommufd_hwpt_paging *hwpt_paging = iommufd_hwpt_find_paging(hwpt);

	return hwpt_paging ? &hwpt_paging->ioas->iopt : NULL;
}

/*
 * Keep @idev's reserved regions (MSI window, RMRRs) out of @iopt while
 * the device's RID uses it: userspace cannot map over them, and the
 * reservation fails with EADDRINUSE if it already did.  The reservations
 * are owned by @idev.
 */
static int iommufd_pasid_reserve(struct iommufd_device *idev,
				 struct io_pagetable *iopt)
{
	struct iommu_resv_region *region;
	LIST_HEAD(regions);
	int rc = 0;

	if (!iopt)
		return 0;

	iommu_get_resv_regions(idev->dev, &regions);
	list_for_each_entry(region, &regions, list) {
		if (region->type == IOMMU_RESV_DIRECT_RELAXABLE ||
		    !region->length)
			continue;
		rc = iopt_reserve(iopt, region->start,
				  region->start + region->length - 1, idev);
		if (rc)
			break;
	}
	iommu_put_resv_regions(idev->dev, &regions);
	if (rc)
		iopt_unreserve(iopt, idev);
	return rc;
}

static void iommufd_pasid_unreserve(struct iommufd_device *idev,
				    struct io_pagetable *iopt)
{
	if (iopt)
		iopt_unreserve(iopt, idev);
}

/* A device whose IOMMU snoops must only use domains that enforce it. */
static int iommufd_pasid_prepare(struct iommufd_device *idev,
				 struct iommufd_hw_pagetable *hwpt)
{
	if (!idev->enforce_cache_coherency)
		return 0;
	return iommufd_hwpt_enforce_cc(hwpt);
}

/**
 * iommufd_pasid_switch_dev() - switch one device of a group to a domain
 * @dev: the device
 * @data: the struct iommufd_pasid_switch
 *
 * Called under the group mutex, for each device of the group in turn, by
 * iommu_group_for_each_dev().  Once a device translates with @to, the
 * core's attach handle names @to as well, so that nothing reading it
 * under the group mutex or the pasid_array lock can find a domain no
 * device uses any more once the pass is over.
 *
 * The forward pass stops at the first device that fails.  The undo pass
 * sets the old domain again on every device up to and including that one:
 * a driver may have left the failed device's PASID blocked rather than on
 * the old domain (vtd_sm does after a failed invalidation).  Setting the
 * old domain back can fail for the same reason; that is noted in
 * @data's undo_failed for the caller, which must then detach the PASID.
 *
 * Return: 0, the driver's error in the forward pass, or 1 at the device
 * that failed in the undo pass (which ends the walk).
 */
int iommufd_pasid_switch_dev(struct device *dev, void *data)
{
	struct iommufd_pasid_switch *sw = data;
	int rc;

	/* The core did not program devices without PASIDs either. */
	if (dev->iommu && dev->iommu->max_pasids) {
		rc = sw->to->ops->set_dev_pasid(sw->to, dev, sw->pasid,
						sw->from);
		if (rc && !sw->undo) {
			sw->failed = dev;
			return rc;
		}
		if (rc)
			sw->undo_failed = true;
		/* Readers take the pasid_array lock, not the group mutex. */
		WRITE_ONCE(sw->handle->domain, sw->to);
	}
	return sw->undo && dev == sw->failed ? 1 : 0;
}
EXPORT_SYMBOL_IF_KUNIT(iommufd_pasid_switch_dev);

/*
 * On failure, *@lost tells that the old domain could not be set again on
 * every device of the group either: the caller must detach the PASID.
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
		.handle = &rec->handle,
	};
	struct iommu_group *group = idev->igroup->group;
	int rc;

	*lost = false;
	if (pasid == IOMMU_NO_PASID) {
		rc = iommu_replace_group_handle(group, hwpt->domain,
						&rec->handle);
		/* The core pointed the handle at the new domain already. */
		if (rc)
			WRITE_ONCE(rec->handle.domain, rec->hwpt->domain);
		return rc;
	}

	/* What iommu_attach_device_pasid() checks. */
	if (!hwpt->domain->ops->set_dev_pasid)
		return -EOPNOTSUPP;
	if (hwpt->domain->owner != rec->hwpt->domain->owner)
		return -EINVAL;

	rc = iommu_group_for_each_dev(group, &sw, iommufd_pasid_switch_dev);
	if (rc && sw.failed) {
		sw.to = rec->hwpt->domain;
		sw.from = hwpt->domain;
		sw.undo = true;
		iommu_group_for_each_dev(group, &sw, iommufd_pasid_switch_dev);
		*lost = sw.undo_failed;
	}
	return rc;
}

static int iommufd_pasid_hw_attach(struct iommufd_device *idev, u32 pasid,
				   struct iommufd_pasid_record *rec,
				   struct iommufd_hw_pagetable *hwpt)
{
	if (pasid == IOMMU_NO_PASID)
		return iommu_attach_group_handle(hwpt->domain,
						 idev->igroup->group,
						 &rec->handle);
	return iommu_attach_device_pasid(hwpt->domain, idev->dev, pasid,
					 &rec->handle);
}

static void iommufd_pasid_hw_detach(struct iommufd_device *idev, u32 pasid,
				    struct iommufd_pasid_record *rec)
{
	if (pasid == IOMMU_NO_PASID)
		iommu_detach_group_handle(rec->hwpt->domain,
					  idev->igroup->group);
	else
		iommu_detach_device_pasid(rec->hwpt->domain, idev->dev, pasid);
}

/* Attach @hwpt at @pasid of @idev; the device takes a reference. */
static int iommufd_pasid_do_attach(struct iommufd_device *idev, u32 pasid,
				   struct iommufd_hw_pagetable *hwpt)
{
	struct iommufd_group *igroup = idev->igroup;
	struct io_pagetable *iopt = NULL;
	struct iommufd_pasid_record *rec;
	bool first;
	int rc;

	mutex_lock(&igroup->lock);
	rc = iommufd_attach_rules(idev, pasid, hwpt, false);
	if (rc)
		goto out_unlock;
	rc = iommufd_pasid_prepare(idev, hwpt);
	if (rc)
		goto out_unlock;

	rec = iommufd_pasid_record(igroup, pasid);
	first = !rec;
	if (first) {
		rec = kzalloc(sizeof(*rec), GFP_KERNEL_ACCOUNT);
		if (!rec) {
			rc = -ENOMEM;
			goto out_unlock;
		}
		rec->hwpt = hwpt;
		rc = xa_insert(&igroup->pasid_attach, pasid, rec,
			       GFP_KERNEL_ACCOUNT);
		if (rc)
			goto err_free;
	}
	rc = iommufd_pasid_devs_add(&rec->devices, idev);
	if (rc)
		goto err_erase;
	if (pasid == IOMMU_NO_PASID) {
		iopt = iommufd_hwpt_iopt(hwpt);
		rc = iommufd_pasid_reserve(idev, iopt);
		if (rc)
			goto err_erase_dev;
	}
	/* Before any request can come through the attachment. */
	if (hwpt->fault) {
		rc = iommufd_fault_iopf_get(idev);
		if (rc)
			goto err_unreserve;
	}
	/* The group's later devices follow its first one's attachment. */
	if (first) {
		rc = iommufd_pasid_hw_attach(idev, pasid, rec, hwpt);
		if (rc)
			goto err_iopf;
	}
	refcount_inc(&hwpt->obj.users);
	mutex_unlock(&igroup->lock);
	return 0;

err_iopf:
	if (hwpt->fault)
		iommufd_fault_iopf_put(idev);
err_unreserve:
	iommufd_pasid_unreserve(idev, iopt);
err_erase_dev:
	iommufd_pasid_devs_del(&rec->devices, idev);
err_erase:
	if (first)
		xa_erase(&igroup->pasid_attach, pasid);
err_free:
	if (first) {
		iommufd_pasid_devs_destroy(&rec->devices);
		kfree(rec);
	}
out_unlock:
	mutex_unlock(&igroup->lock);
	return rc;
}

/* Undo the reservations of every device of @rec in @iopt. */
static void iommufd_pasid_unreserve_all(struct iommufd_pasid_record *rec,
					struct io_pagetable *iopt)
{
	struct iommufd_device *idev;
	unsigned long pos;

	for (pos = 0; (idev = iommufd_rec_dev_next(rec, &pos)); pos++)
		iommufd_pasid_unreserve(idev, iopt);
}

static int iommufd_pasid_reserve_all(struct iommufd_pasid_record *rec,
				     struct io_pagetable *iopt)
{
	struct iommufd_device *idev;
	unsigned long pos;
	int rc;

	for (pos = 0; (idev = iommufd_rec_dev_next(rec, &pos)); pos++) {
		rc = iommufd_pasid_reserve(idev, iopt);
		if (rc) {
			iommufd_pasid_unreserve_all(rec, iopt);
			return rc;
		}
	}
	return 0;
}

/*
 * A PASID replace failed and the old HWPT could not be set again on every
 * device of the group either (an IOMMU can fail an invalidation): neither
 * HWPT is in use everywhere.  Detach the PASID from the whole group, which
 * leaves its DMA blocked, and drop the record; every device of it gives up
 * its reference on the old HWPT, which the caller puts (@nr_old, @old).
 */
static void iommufd_pasid_drop(struct iommufd_device *idev, u32 pasid,
			       struct iommufd_pasid_record *rec, int err,
			       unsigned int *nr_old,
			       struct iommufd_hw_pagetable **old)
{
	struct iommufd_device *each;
	unsigned int nr = 0;
	unsigned long pos;

	dev_err(idev->dev, "PASID %u detached from the group: the old HWPT could not be set again (%d)\n",
		pasid, err);
	iommufd_pasid_hw_detach(idev, pasid, rec);
	xa_erase(&idev->igroup->pasid_attach, pasid);
	iommufd_fault_answer(rec->hwpt, &rec->handle, NULL);
	iommufd_pasid_iopf_all(rec, rec->hwpt, false);
	for (pos = 0; (each = iommufd_rec_dev_next(rec, &pos)); pos++)
		nr++;
	*old = rec->hwpt;
	*nr_old = nr;
	iommufd_pasid_devs_destroy(&rec->devices);
	kfree(rec);
}

/*
 * Replace at @pasid of @idev's group with @hwpt.  Every device of the group
 * that had the old HWPT attached there now holds @hwpt instead; the number
 * of references on the old HWPT the caller must drop is returned in
 * @nr_old.
 */
static int iommufd_pasid_do_replace_locked(struct iommufd_device *idev,
					   u32 pasid,
					   struct iommufd_hw_pagetable *hwpt,
					   unsigned int *nr_old,
					   struct iommufd_hw_pagetable **old)
{
	struct io_pagetable *old_iopt = NULL, *new_iopt = NULL;
	struct iommufd_pasid_record *rec;
	struct iommufd_device *each;
	unsigned int nr = 0;
	unsigned long pos;
	bool lost, iopf_on;
	int rc;

	rc = iommufd_attach_rules(idev, pasid, hwpt, true);
	if (rc == IOMMUFD_ATTACH_NOP)
		return 0;
	if (rc)
		return rc;
	rc = iommufd_pasid_prepare(idev, hwpt);
	if (rc)
		return rc;

	rec = iommufd_pasid_record(idev->igroup, pasid);
	/* Reservations only for the RID; they move to another IOAS. */
	if (pasid == IOMMU_NO_PASID) {
		old_iopt = iommufd_hwpt_iopt(rec->hwpt);
		new_iopt = iommufd_hwpt_iopt(hwpt);
		if (new_iopt == old_iopt) {
			old_iopt = NULL;
			new_iopt = NULL;
		}
	}
	rc = iommufd_pasid_reserve_all(rec, new_iopt);
	if (rc)
		return rc;
	/* Page requests on for the new HWPT if the old one had none. */
	iopf_on = !rec->hwpt->fault;
	if (iopf_on) {
		rc = iommufd_pasid_iopf_all(rec, hwpt, true);
		if (rc) {
			iommufd_pasid_unreserve_all(rec, new_iopt);
			return rc;
		}
	}
	rc = iommufd_pasid_hw_replace(idev, pasid, rec, hwpt, &lost);
	if (rc) {
		if (iopf_on)
			iommufd_pasid_iopf_all(rec, hwpt, false);
		iommufd_pasid_unreserve_all(rec, new_iopt);
		if (lost)
			iommufd_pasid_drop(idev, pasid, rec, rc, nr_old, old);
		return rc;
	}
	iommufd_pasid_unreserve_all(rec, old_iopt);
	/* What came through the old HWPT is answered; then off if need be. */
	iommufd_fault_answer(rec->hwpt, &rec->handle, NULL);
	if (!hwpt->fault)
		iommufd_pasid_iopf_all(rec, rec->hwpt, false);

	for (pos = 0; (each = iommufd_rec_dev_next(rec, &pos)); pos++)
		nr++;
	refcount_add(nr, &hwpt->obj.users);
	*old = rec->hwpt;
	*nr_old = nr;
	rec->hwpt = hwpt;
	return 0;
}

static int iommufd_pasid_do_replace(struct iommufd_device *idev, u32 pasid,
				    struct iommufd_hw_pagetable *hwpt)
{
	struct iommufd_hw_pagetable *old = NULL;
	unsigned int nr_old = 0;
	int rc;

	mutex_lock(&idev->igroup->lock);
	rc = iommufd_pasid_do_replace_locked(idev, pasid, hwpt, &nr_old, &old);
	mutex_unlock(&idev->igroup->lock);
	/* Outside the lock: the last put may destroy an automatic HWPT. */
	while (nr_old--)
		iommufd_hwpt_put(idev->ictx, old);
	return rc;
}

/*
 * Look @pt_id up and attach or replace with it: a HWPT as it is, an IOAS
 * through an automatic HWPT (the RID only).
 */
static int iommufd_pasid_change(struct iommufd_device *idev, u32 pasid,
				u32 *pt_id, iommufd_hwpt_try_fn change)
{
	struct iommufd_hw_pagetable *hwpt;
	struct iommufd_object *obj;
	int rc;

	obj = iommufd_get_object(idev->ictx, *pt_id, IOMMUFD_OBJ_ANY);
	if (IS_ERR(obj))
		return PTR_ERR(obj);

	switch (obj->type) {
	case IOMMUFD_OBJ_HWPT_PAGING:
	case IOMMUFD_OBJ_HWPT_NESTED:
		hwpt = container_of(obj, struct iommufd_hw_pagetable, obj);
		rc = change(idev, pasid, hwpt);
		break;
	case IOMMUFD_OBJ_IOAS:
		/* Automatic HWPTs are not PASID compatible, as in mainline. */
		if (pasid != IOMMU_NO_PASID) {
			rc = -EINVAL;
			break;
		}
		rc = iommufd_hwpt_auto_attach(idev,
					      container_of(obj,
							   struct iommufd_ioas,
							   obj),
					      pasid, change, pt_id);
		break;
	default:
		rc = -EINVAL;
		break;
	}
	iommufd_put_object(obj);
	return rc;
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
 * PASID) from now on.  The IOMMU core attaches whole IOMMU groups: if
 * another device of @idev's group has attached the same HWPT at @pasid,
 * @idev joins that attachment.  Undo with iommufd_device_pasid_detach().
 *
 * Context: process context; takes the group's attach mutex.
 * Return: 0; -ENOENT if @pt_id names nothing; -EBUSY if @idev holds a
 * HWPT at @pasid already; -EINVAL for an out-of-range @pasid, an object
 * that cannot be attached there, a HWPT other than the one another device
 * of the group has attached at @pasid, or a HWPT the PASID rules forbid
 * (see Documentation/userspace-api/iommufd.rst); -EADDRINUSE if the IOAS
 * maps a reserved region of the device; or an error of the IOMMU driver.
 */
int iommufd_device_pasid_attach(struct iommufd_device *idev, u32 pasid,
				u32 *pt_id)
{
	return iommufd_pasid_change(idev, pasid, pt_id,
				    iommufd_pasid_do_attach);
}
EXPORT_SYMBOL_GPL(iommufd_device_pasid_attach);

/**
 * iommufd_device_pasid_replace() - switch a RID or PASID to another HWPT
 * @idev: a bound device
 * @pasid: the PASID, or IOMMU_NO_PASID (0) for the RID
 * @pt_id: in: a HWPT, or an IOAS for the RID; out: the HWPT attached
 *
 * Like detach and attach, without detaching in between; whether DMA can
 * tell depends on the IOMMU driver (vtd_sm: the transitions of
 * Documentation/driver-api/vtd_sm_pasid_entry.rst).  Every device of
 * @idev's IOMMU group that had the old HWPT attached at @pasid has the new
 * one afterwards.  Replacing with the HWPT already attached does nothing.
 * On failure the old HWPT stays attached and translating, except for a
 * PASID whose old HWPT could not be set again either (an IOMMU can fail an
 * invalidation): that PASID is then detached from the whole group, its DMA
 * blocked, and the error returned.
 *
 * Context: process context; takes the group's attach mutex.
 * Return: 0; -ENOENT if @pt_id names nothing; -EINVAL if @idev has nothing
 * attached at @pasid, for an out-of-range @pasid, an object that cannot be
 * attached there or a HWPT the PASID rules forbid; -EADDRINUSE if the
 * IOAS maps a reserved region of a device of the group; or an error of
 * the IOMMU driver.
 */
int iommufd_device_pasid_replace(struct iommufd_device *idev, u32 pasid,
				 u32 *pt_id)
{
	return iommufd_pasid_change(idev, pasid, pt_id,
				    iommufd_pasid_do_replace);
}
EXPORT_SYMBOL_GPL(iommufd_device_pasid_replace);

/**
 * iommufd_device_pasid_attached() - does a device hold a HWPT at a PASID?
 * @idev: a bound device
 * @pasid: the PASID, or IOMMU_NO_PASID (0) for the RID
 *
 * A caller that keeps its own record of what it attached learns here that
 * a replace which could not be undone detached the PASID (see
 * iommufd_device_pasid_replace()), for @idev or for another device of its
 * IOMMU group.
 *
 * Context: process context; takes the group's attach mutex.
 * Return: true if @idev attached a HWPT at @pasid that is still attached.
 */
bool iommufd_device_pasid_attached(struct iommufd_device *idev, u32 pasid)
{
	bool attached;

	mutex_lock(&idev->igroup->lock);
	attached = iommufd_pasid_dev_attached(iommufd_pasid_record(idev->igroup,
								   pasid),
					      idev);
	mutex_unlock(&idev->igroup->lock);
	return attached;
}
EXPORT_SYMBOL_GPL(iommufd_device_pasid_attached);

/*
 * Takes @idev out of the attachment at @pasid, detaching the group if it
 * was the last device there.  Returns the HWPT whose reference the caller
 * must drop, or NULL if @idev had nothing attached there.
 */
static struct iommufd_hw_pagetable *
iommufd_pasid_remove(struct iommufd_device *idev, u32 pasid)
{
	struct iommufd_group *igroup = idev->igroup;
	struct iommufd_pasid_record *rec;
	struct iommufd_hw_pagetable *hwpt;
	bool last;

	rec = iommufd_pasid_record(igroup, pasid);
	if (!iommufd_pasid_dev_attached(rec, idev))
		return NULL;
	hwpt = rec->hwpt;
	iommufd_pasid_devs_del(&rec->devices, idev);
	last = iommufd_pasid_devs_empty(&rec->devices);
	if (last) {
		iommufd_pasid_hw_detach(idev, pasid, rec);
		xa_erase(&igroup->pasid_attach, pasid);
	}
	/* The last device answers for any left; the record goes after. */
	iommufd_fault_answer(hwpt, &rec->handle, last ? NULL : idev->dev);
	if (hwpt->fault)
		iommufd_fault_iopf_put(idev);
	if (last) {
		iommufd_pasid_devs_destroy(&rec->devices);
		kfree(rec);
	}
	if (pasid == IOMMU_NO_PASID)
		iommufd_pasid_unreserve(idev, iommufd_hwpt_iopt(hwpt));
	return hwpt;
}

/**
 * iommufd_device_pasid_detach() - detach the HWPT of a RID or PASID
 * @idev: a bound device
 * @pasid: the PASID, or IOMMU_NO_PASID (0) for the RID
 *
 * DMA with @pasid is blocked afterwards, once no other device of @idev's
 * IOMMU group has the HWPT attached there any more: the group is detached
 * with its last device.  Nothing happens if @idev has nothing attached
 * there.  Detaching the RID leaves the PASIDs attached.
 *
 * Context: process context; takes the group's attach mutex.
 */
void iommufd_device_pasid_detach(struct iommufd_device *idev, u32 pasid)
{
	struct iommufd_hw_pagetable *hwpt;

	if (pasid >= IOMMUFD_PASID_LIMIT)
		return;

	mutex_lock(&idev->igroup->lock);
	hwpt = iommufd_pasid_remove(idev, pasid);
	mutex_unlock(&idev->igroup->lock);
	if (hwpt)
		iommufd_hwpt_put(idev->ictx, hwpt);
}
EXPORT_SYMBOL_GPL(iommufd_device_pasid_detach);

/**
 * iommufd_attach_destroy() - detach everything from a device being unbound
 * @idev: the device; nothing else attaches or detaches on it any more
 *
 * Every PASID is detached before the RID, and the HWPTs are released;
 * the device is blocked afterwards (unless other devices of its group
 * keep attachments), ready for its DMA ownership to be given back.
 */
void iommufd_attach_destroy(struct iommufd_device *idev)
{
	struct iommufd_group *igroup = idev->igroup;
	struct iommufd_pasid_record *rec;
	struct iommufd_hw_pagetable *hwpt;
	unsigned long pasid;

	mutex_lock(&igroup->lock);
	xa_for_each_start(&igroup->pasid_attach, pasid, rec,
			  IOMMU_NO_PASID + 1) {
		hwpt = iommufd_pasid_remove(idev, pasid);
		if (hwpt)
			iommufd_hwpt_put(idev->ictx, hwpt);
	}
	hwpt = iommufd_pasid_remove(idev, IOMMU_NO_PASID);
	mutex_unlock(&igroup->lock);
	if (hwpt)
		iommufd_hwpt_put(idev->ictx, hwpt);
}
