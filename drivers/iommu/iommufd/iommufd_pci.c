// SPDX-License-Identifier: GPL-2.0
/*
 * iommufd_pci: PCI devices handed to userspace through iommufd.
 *
 * The driver has no ID table: an administrator gives it a device with
 * driver_override and drivers_probe.  For every device it creates
 * /dev/iommufd/<BDF> (mode 0600), whose ioctls follow the VFIO device cdev
 * ABI (<uapi/linux/iommufd_pci.h>): bind the device to an iommufd context,
 * then attach, replace and detach HW pagetables on its RID and PASIDs.
 *
 * One file may be open on a node at a time (EBUSY otherwise); it is the
 * device's user.  Once bound, the node is also the device's VFIO device
 * file as vfio-pci makes it (<uapi/linux/vfio.h>): device, region and IRQ
 * information, the regions through pread/pwrite at index << 40 (config
 * space filtered by pci_config.c), mmap of the memory BARs at their region
 * offsets, interrupts as eventfds (pci_intrs.c), reset.  Closing the file
 * unbinds the device, which takes the interrupts back, resets the function
 * where the PCI core can and restores the config state the driver found,
 * detaches every PASID and then the RID and hands the DMA ownership back;
 * binding resets and restores the same way.  Bus mastering is on only
 * while the device is bound, so the device never masters through the
 * kernel's default domain on userspace's behalf, and the BARs can be
 * accessed only while bound too.
 *
 * Removal of the device from the driver (unbind through sysfs, hot
 * unplug, rmmod) while the node is open signals the owner's request
 * eventfd (VFIO_PCI_REQ_IRQ_INDEX), but does not wait: it ends the binding
 * at once (without a reset: the PCI core holds the device lock) and
 * revokes the BAR mappings (later accesses get SIGBUS); the open file
 * stays, but its ioctls, reads and writes fail with ENODEV and mmap with
 * EINVAL (the BARs are no longer mappable).  VFIO instead keeps the
 * remover waiting until the user closes the device.
 *
 * The memory BARs are reached only while they decode: while the owner
 * keeps Memory Space Enable clear in the command register (and while the
 * device resets, or is not in D0), faults on their mappings get SIGBUS and
 * region reads and writes of them and of the ROM fail with EIO.  Clearing
 * the bit zaps every mapping first; pages fault in again once it is set.
 *
 * Locking: @lock of a node serializes its ioctls, reads and writes (their
 * work on the device, not their copies), open, release and removal.
 * Nothing copies from or to userspace under @lock: the removal (under the
 * device lock) takes it, and userspace can stall a copy forever
 * (userfaultfd), so every call copies its arguments in before it locks
 * the node and its answer out after (iommufd_pci_lock_bound()); reads and
 * writes of a region lock it for each piece.  The mmap and fault handlers
 * run under the mm's mmap_lock and take @memory_lock instead (for
 * reading), nested inside @lock where both are held; nothing copies from
 * or to userspace under @memory_lock either.
 */
#define pr_fmt(fmt) "iommufd_pci: " fmt

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/iommu.h>
#include <linux/iommufd_pasid.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include <uapi/linux/iommufd_pci.h>

#include <uapi/linux/vfio.h>

#include "iommufd_pci.h"
#include "iommufd_private.h"

#define IOMMUFD_PCI_NAME	"iommufd_pci"
#define IOMMUFD_PCI_MINORS	256
static dev_t iommufd_pci_devt;
static DEFINE_IDA(iommufd_pci_minors);

static char *iommufd_pci_devnode(const struct device *dev, umode_t *mode)
{
	if (mode)
		*mode = 0600;
	return kasprintf(GFP_KERNEL, "iommufd/%s", dev_name(dev));
}

static const struct class iommufd_pci_class = {
	.name = IOMMUFD_PCI_NAME,
	.devnode = iommufd_pci_devnode,
};

static void iommufd_pci_node_release(struct device *dev)
{
	struct iommufd_pci_node *node =
		container_of(dev, struct iommufd_pci_node, dev);

	ida_free(&iommufd_pci_minors, MINOR(dev->devt));
	pci_dev_put(node->pdev);
	mutex_destroy(&node->lock);
	kfree(node);
}

/**
 * iommufd_pci_memory_lock() - hold off every access to the memory BARs
 * @node: the node, locked
 * @zap: also revoke every user mapping of the BARs (they fault in again
 *	 once accesses are allowed)
 *
 * Taken before anything that may stop the memory BARs from decoding
 * (Memory Space Enable cleared, a reset, the end of the binding), so
 * that no access reaches the device while it does not decode: an
 * access then may end in an unsupported request, fatal on some hosts.
 */
void iommufd_pci_memory_lock(struct iommufd_pci_node *node, bool zap)
{
	lockdep_assert_held(&node->lock);
	down_write(&node->memory_lock);
	if (zap && node->file)
		unmap_mapping_range(node->file->f_mapping, 0, 0, true);
}

/**
 * iommufd_pci_memory_unlock() - allow the memory BAR accesses again
 * @node: the node, locked
 */
void iommufd_pci_memory_unlock(struct iommufd_pci_node *node)
{
	up_write(&node->memory_lock);
}

/* The memory BARs may be accessed now. */
static bool iommufd_pci_mem_usable(struct iommufd_pci_node *node)
{
	lockdep_assert_held(&node->memory_lock);
	return node->mappable && node->mem_enabled &&
	       node->pdev->current_state == PCI_D0;
}

/* Revoke the BARs: no mapping is made or faulted in again until set. */
static void iommufd_pci_set_mappable(struct iommufd_pci_node *node,
				     bool mappable)
{
	u16 cmd;

	iommufd_pci_memory_lock(node, !mappable);
	node->mappable = mappable;
	if (mappable) {
		pci_read_config_word(node->pdev, PCI_COMMAND, &cmd);
		node->mem_enabled = cmd & PCI_COMMAND_MEMORY;
	}
	iommufd_pci_memory_unlock(node);
}

/*
 * Between two owners: reset the function if the PCI core can (not while
 * the device is leaving the driver, whose core holds the device lock), and
 * put the config state back to what it was when the driver took the
 * device, so nothing an owner wrote survives it.  Bus mastering is off.
 */
static void iommufd_pci_quiesce(struct iommufd_pci_node *node)
{
	struct pci_dev *pdev = node->pdev;

	lockdep_assert_held(&node->lock);
	if (node->reset_works && !node->removed)
		pci_try_reset_function(pdev);
	pci_load_saved_state(pdev, node->saved);
	pci_restore_state(pdev);
	pci_clear_master(pdev);
}

static void iommufd_pci_unbind_locked(struct iommufd_pci_node *node)
{
	lockdep_assert_held(&node->lock);
	if (!node->idev)
		return;
	/* No more DMA, register access or interrupts, then the unbind. */
	pci_clear_master(node->pdev);
	iommufd_pci_set_mappable(node, false);
	iommufd_pci_intrs_release(node);
	iommufd_pci_quiesce(node);
	iommufd_device_unbind(node->idev);
	node->idev = NULL;
	xa_destroy(&node->attached);
}

static int iommufd_pci_bind_locked(struct iommufd_pci_node *node,
				   struct iommufd_ctx *ictx, u32 *devid)
{
	struct iommufd_device *idev;

	lockdep_assert_held(&node->lock);
	if (node->removed)
		return -ENODEV;
	if (node->idev)
		return -EBUSY;
	idev = iommufd_device_bind(ictx, &node->pdev->dev, devid);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	node->idev = idev;
	/* A fresh device for the new owner: DMA blocked until attached. */
	iommufd_pci_quiesce(node);
	iommufd_pci_config_init(node);
	pci_set_master(node->pdev);
	iommufd_pci_set_mappable(node, true);
	return 0;
}

static int iommufd_pci_ioctl_bind(struct iommufd_pci_node *node,
				  struct iommufd_pci_bind __user *arg)
{
	const size_t minsz = offsetofend(struct iommufd_pci_bind, out_devid);
	struct iommufd_device *idev;
	struct iommufd_pci_bind bind;
	struct iommufd_ctx *ictx;
	u32 devid;
	int ret;

	if (copy_from_user(&bind, arg, minsz))
		return -EFAULT;
	if (bind.argsz < minsz || bind.flags || bind.iommufd < 0)
		return -EINVAL;

	CLASS(fd, f)(bind.iommufd);
	if (fd_empty(f))
		return -EBADF;
	ictx = iommufd_ctx_from_file(fd_file(f));
	if (IS_ERR(ictx))
		return PTR_ERR(ictx);

	mutex_lock(&node->lock);
	ret = iommufd_pci_bind_locked(node, ictx, &devid);
	idev = node->idev;
	mutex_unlock(&node->lock);
	/* The binding holds a reference of its own. */
	iommufd_ctx_put(ictx);
	if (ret || !put_user(devid, &arg->out_devid))
		return ret;
	/*
	 * Written without the lock (the copy may stall); undone unless the
	 * device was removed meanwhile, which ended the binding already.
	 */
	mutex_lock(&node->lock);
	if (node->idev == idev)
		iommufd_pci_unbind_locked(node);
	mutex_unlock(&node->lock);
	return -EFAULT;
}

/* Every ioctl but BIND needs a live, bound node. */
static int iommufd_pci_check_bound(struct iommufd_pci_node *node)
{
	lockdep_assert_held(&node->lock);
	if (node->removed)
		return -ENODEV;
	if (!node->idev)
		return -EINVAL;
	return 0;
}

/**
 * iommufd_pci_lock_bound() - lock a node that is live and bound
 * @node: the node
 *
 * Nothing may copy from or to userspace under the node's lock: the
 * device's removal takes it, and userspace can stall a copy forever
 * (userfaultfd).  So calls copy their arguments in before this and their
 * answers out after unlocking.
 *
 * Return: 0 with @node->lock held, or the error of an unbound (EINVAL)
 * or removed (ENODEV) node without it.
 */
int iommufd_pci_lock_bound(struct iommufd_pci_node *node)
{
	int ret;

	mutex_lock(&node->lock);
	ret = iommufd_pci_check_bound(node);
	if (ret)
		mutex_unlock(&node->lock);
	return ret;
}

/**
 * iommufd_pci_bound_err() - the errno of a call that failed before locking
 * @node: the node
 * @err: the call's error (EFAULT from copying its arguments in, say)
 *
 * A call on a node that is not bound, or removed, fails with that, even
 * if its arguments are bad too: the error of the node's state wins.
 *
 * Return: the node's error, or @err.
 */
int iommufd_pci_bound_err(struct iommufd_pci_node *node, int err)
{
	int ret = iommufd_pci_lock_bound(node);

	if (ret)
		return ret;
	mutex_unlock(&node->lock);
	return err;
}

/*
 * As VFIO does, the node keeps apart what it attached with and without
 * IOMMUFD_PCI_ATTACH_PASID: an ATTACH is a replace only of what the same
 * kind of ATTACH attached.  So PASID 0 given with the PASID flag on a RID
 * attached without it is an attach on an attached RID: EBUSY, as in
 * mainline, never a replace; and the other way round.
 *
 * pt_id is written back before anything changes (with the value given,
 * the answer unless an IOAS gives an automatic HWPT), so an ATTACH that
 * fails with EFAULT because the structure is not writable is a failed
 * attach or replace like any other: the RID or PASID stays as it was.
 * VFIO detaches instead, which for a replace would break the rule that a
 * failed replace keeps the old HWPT.  Only if another thread makes the
 * structure unwritable between the two writes does the second one fail:
 * an attach is then undone (if the node still records it), a replace is
 * kept (the old HWPT may be gone already, an automatic one with its last
 * attachment) and EFAULT tells userspace that it does not know the new
 * pt_id.  Both writes happen without the node's lock (see
 * iommufd_pci_lock_bound()).
 *
 * Return: 0 or a negative errno; *@attached says whether this was an
 * attach (not a replace) that succeeded.
 */
static int iommufd_pci_attach_locked(struct iommufd_pci_node *node,
				     u32 pasid, u32 *pt_id, bool by_pasid,
				     bool *attached)
{
	struct iommufd_device *idev = node->idev;
	void *entry = xa_load(&node->attached, pasid);
	int ret;

	*attached = false;
	/* A replace that could not be undone detached it, maybe by another node. */
	if (entry && !iommufd_device_pasid_attached(idev, pasid)) {
		xa_erase(&node->attached, pasid);
		entry = NULL;
	}
	if (entry && xa_to_value(entry) != by_pasid)
		return -EBUSY;
	if (entry) {
		/* The HWPT there stays if the replace fails (or it is detached). */
		ret = iommufd_device_pasid_replace(idev, pasid, pt_id);
		if (ret && !iommufd_device_pasid_attached(idev, pasid))
			xa_erase(&node->attached, pasid);
		return ret;
	}

	/* Reserve the slot first, so recording the attach cannot fail. */
	ret = xa_reserve(&node->attached, pasid, GFP_KERNEL_ACCOUNT);
	if (ret)
		return ret;
	ret = iommufd_device_pasid_attach(idev, pasid, pt_id);
	if (ret) {
		xa_release(&node->attached, pasid);
		return ret;
	}
	xa_store(&node->attached, pasid, xa_mk_value(by_pasid), GFP_KERNEL);
	*attached = true;
	return 0;
}

/*
 * The checks ATTACH and DETACH share: @argsz covers at least @minsz, no
 * flag but @pasid_flag, and with @pasid_flag the PASID at @upasid, which
 * must lie within @argsz (@pasid_end), is read into @pasid; without it
 * @pasid is the RID's.
 */
static int iommufd_pci_user_pasid(u32 argsz, size_t minsz, u32 flags,
				  u32 pasid_flag, size_t pasid_end,
				  const u32 __user *upasid, u32 *pasid)
{
	*pasid = IOMMU_NO_PASID;
	if (argsz < minsz || flags & ~pasid_flag)
		return -EINVAL;
	if (!(flags & pasid_flag))
		return 0;
	if (argsz < pasid_end)
		return -EINVAL;
	return get_user(*pasid, upasid) ? -EFAULT : 0;
}

static int iommufd_pci_ioctl_attach(struct iommufd_pci_node *node,
				    struct iommufd_pci_attach __user *arg)
{
	const size_t minsz = offsetofend(struct iommufd_pci_attach, pt_id);
	struct iommufd_pci_attach attach;
	struct iommufd_device *idev;
	bool by_pasid, attached;
	u32 pasid, pt_id;
	int ret;

	/* Arguments first, without the lock; the node's state wins. */
	if (copy_from_user(&attach, arg, minsz))
		return iommufd_pci_bound_err(node, -EFAULT);
	ret = iommufd_pci_user_pasid(attach.argsz, minsz, attach.flags,
				     IOMMUFD_PCI_ATTACH_PASID,
				     offsetofend(struct iommufd_pci_attach, pasid),
				     &arg->pasid, &pasid);
	if (ret)
		return iommufd_pci_bound_err(node, ret);
	by_pasid = attach.flags & IOMMUFD_PCI_ATTACH_PASID;
	pt_id = attach.pt_id;
	if (put_user(pt_id, &arg->pt_id))
		return iommufd_pci_bound_err(node, -EFAULT);

	ret = iommufd_pci_lock_bound(node);
	if (ret)
		return ret;
	idev = node->idev;
	ret = iommufd_pci_attach_locked(node, pasid, &pt_id, by_pasid,
					&attached);
	mutex_unlock(&node->lock);
	if (ret || pt_id == attach.pt_id || !put_user(pt_id, &arg->pt_id))
		return ret;

	if (attached) {
		mutex_lock(&node->lock);
		if (node->idev == idev &&
		    xa_load(&node->attached, pasid) == xa_mk_value(by_pasid)) {
			iommufd_device_pasid_detach(idev, pasid);
			xa_erase(&node->attached, pasid);
		}
		mutex_unlock(&node->lock);
	}
	return -EFAULT;
}

static int iommufd_pci_ioctl_detach(struct iommufd_pci_node *node,
				    struct iommufd_pci_detach __user *arg)
{
	const size_t minsz = offsetofend(struct iommufd_pci_detach, flags);
	struct iommufd_pci_detach detach;
	u32 pasid;
	void *entry;
	int ret;

	if (copy_from_user(&detach, arg, minsz))
		return iommufd_pci_bound_err(node, -EFAULT);
	ret = iommufd_pci_user_pasid(detach.argsz, minsz, detach.flags,
				     IOMMUFD_PCI_DETACH_PASID,
				     offsetofend(struct iommufd_pci_detach, pasid),
				     &arg->pasid, &pasid);
	if (ret)
		return iommufd_pci_bound_err(node, ret);

	ret = iommufd_pci_lock_bound(node);
	if (ret)
		return ret;
	/*
	 * Detaching what holds nothing is not an error; nor is detaching
	 * what the other kind of ATTACH attached, which stays.
	 */
	entry = xa_load(&node->attached, pasid);
	if (entry && xa_to_value(entry) ==
		     !!(detach.flags & IOMMUFD_PCI_DETACH_PASID)) {
		iommufd_device_pasid_detach(node->idev, pasid);
		xa_erase(&node->attached, pasid);
	}
	mutex_unlock(&node->lock);
	return 0;
}

/* ---- VFIO_DEVICE_GET_INFO, GET_REGION_INFO ---- */

static int iommufd_pci_ioctl_get_info(struct iommufd_pci_node *node,
				      struct vfio_device_info __user *arg)
{
	size_t minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_device_info info = {};
	int ret;

	if (copy_from_user(&info, arg, minsz))
		return iommufd_pci_bound_err(node, -EFAULT);
	if (info.argsz < minsz)
		return iommufd_pci_bound_err(node, -EINVAL);
	ret = iommufd_pci_lock_bound(node);
	if (ret)
		return ret;
	/* No device capabilities: cap_offset stays 0 if it fits. */
	minsz = min_t(size_t, info.argsz, sizeof(info));
	info.flags = VFIO_DEVICE_FLAGS_PCI;
	if (node->reset_works)
		info.flags |= VFIO_DEVICE_FLAGS_RESET;
	info.num_regions = VFIO_PCI_NUM_REGIONS;
	info.num_irqs = VFIO_PCI_NUM_IRQS;
	mutex_unlock(&node->lock);
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

/*
 * The parts of the MSI-X BAR that may be mapped: all but the pages of the
 * table, which only the host may program.
 */
static int iommufd_pci_msix_sparse(struct iommufd_pci_node *node,
				   struct vfio_region_info_cap_sparse_mmap *cap)
{
	u64 len = pci_resource_len(node->pdev, node->msix_bar);
	u64 start = round_down(node->msix_start, PAGE_SIZE);
	u64 end = round_up(node->msix_end, PAGE_SIZE);
	int n = 0;

	if (start) {
		cap->areas[n].offset = 0;
		cap->areas[n].size = start;
		n++;
	}
	if (end < len) {
		cap->areas[n].offset = end;
		cap->areas[n].size = len - end;
		n++;
	}
	return n;
}

static int iommufd_pci_ioctl_get_region_info(struct iommufd_pci_node *node,
					     struct vfio_region_info __user *arg)
{
	const size_t minsz = offsetofend(struct vfio_region_info, offset);
	/* The sparse mmap capability, with at most two areas */
	u8 cap[sizeof(struct vfio_region_info_cap_sparse_mmap) +
	       2 * sizeof(struct vfio_region_sparse_mmap_area)] __aligned(8) = {};
	struct vfio_region_info_cap_sparse_mmap *sparse = (void *)cap;
	struct pci_dev *pdev = node->pdev;
	struct vfio_region_info info;
	size_t cap_size = 0;
	int ret;

	if (copy_from_user(&info, arg, minsz))
		return iommufd_pci_bound_err(node, -EFAULT);
	if (info.argsz < minsz)
		return iommufd_pci_bound_err(node, -EINVAL);
	ret = iommufd_pci_lock_bound(node);
	if (ret)
		return ret;

	info.cap_offset = 0;
	switch (info.index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		info.size = pdev->cfg_size;
		info.flags = VFIO_REGION_INFO_FLAG_READ |
			     VFIO_REGION_INFO_FLAG_WRITE;
		break;
	case VFIO_PCI_BAR0_REGION_INDEX ... VFIO_PCI_BAR5_REGION_INDEX:
		info.size = pci_resource_len(pdev, info.index);
		info.flags = 0;
		if (!info.size || !node->bar_io[info.index])
			break;
		info.flags = VFIO_REGION_INFO_FLAG_READ |
			     VFIO_REGION_INFO_FLAG_WRITE;
		if (!node->bar_mmap[info.index])
			break;
		info.flags |= VFIO_REGION_INFO_FLAG_MMAP;
		if (info.index != node->msix_bar)
			break;
		sparse->header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
		sparse->header.version = 1;
		sparse->nr_areas = iommufd_pci_msix_sparse(node, sparse);
		cap_size = struct_size(sparse, areas, sparse->nr_areas);
		break;
	case VFIO_PCI_ROM_REGION_INDEX:
		info.size = pci_resource_len(pdev, PCI_ROM_RESOURCE);
		info.flags = info.size ? VFIO_REGION_INFO_FLAG_READ : 0;
		break;
	default:
		/* No VGA region and no device specific regions */
		mutex_unlock(&node->lock);
		return -EINVAL;
	}
	mutex_unlock(&node->lock);
	info.offset = IOMMUFD_PCI_INDEX_TO_OFFSET(info.index);

	if (cap_size) {
		info.flags |= VFIO_REGION_INFO_FLAG_CAPS;
		if (info.argsz < sizeof(info) + cap_size) {
			/* Tell the caller how much room the chain needs. */
			info.argsz = sizeof(info) + cap_size;
		} else {
			/* One capability: its next stays 0. */
			if (copy_to_user(arg + 1, cap, cap_size))
				return -EFAULT;
			info.cap_offset = sizeof(info);
		}
	}
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

/* ---- VFIO_DEVICE_RESET, GET_PCI_HOT_RESET_INFO, FEATURE ---- */

static int iommufd_pci_ioctl_reset(struct iommufd_pci_node *node)
{
	int ret;

	ret = iommufd_pci_lock_bound(node);
	if (ret)
		return ret;
	ret = -EINVAL;
	if (!node->reset_works)
		goto out;
	/*
	 * No access to the BARs while the device resets.  The reset puts the
	 * command register back as it was, so accesses resume only if
	 * memory decode was on before.
	 */
	iommufd_pci_memory_lock(node, true);
	ret = pci_try_reset_function(node->pdev);
	iommufd_pci_memory_unlock(node);
out:
	mutex_unlock(&node->lock);
	return ret;
}

struct iommufd_pci_hot_reset_fill {
	struct pci_dev *self;
	struct pci_slot *slot;
	u32 devid;
	struct vfio_pci_dependent_device *devices;
	u32 nr;
	u32 count;
};

static int iommufd_pci_hot_reset_one(struct pci_dev *pdev, void *data)
{
	struct iommufd_pci_hot_reset_fill *fill = data;
	struct vfio_pci_dependent_device *dev;

	if (fill->slot && pdev->slot != fill->slot)
		return 0;
	if (fill->devices) {
		if (fill->count >= fill->nr)
			return -EAGAIN;
		dev = &fill->devices[fill->count];
		dev->devid = pdev == fill->self ? fill->devid :
			     VFIO_PCI_DEVID_NOT_OWNED;
		dev->segment = pci_domain_nr(pdev->bus);
		dev->bus = pdev->bus->number;
		dev->devfn = pdev->devfn;
	}
	fill->count++;
	return 0;
}

/*
 * The devices a slot or bus reset would reset with ours, in the device ID
 * form of the cdev ABI.  Only our own device is reported as owned: other
 * devices get VFIO_PCI_DEVID_NOT_OWNED, and VFIO_DEVICE_PCI_HOT_RESET
 * itself is not implemented.
 */
static int iommufd_pci_ioctl_hot_reset_info(struct iommufd_pci_node *node,
					    struct vfio_pci_hot_reset_info __user *arg)
{
	const size_t minsz = offsetofend(struct vfio_pci_hot_reset_info, count);
	struct iommufd_pci_hot_reset_fill fill = {
		.self = node->pdev,
	};
	struct vfio_pci_hot_reset_info hdr;
	struct pci_bus *bus = node->pdev->bus;
	int ret;

	if (copy_from_user(&hdr, arg, minsz))
		return iommufd_pci_bound_err(node, -EFAULT);
	if (hdr.argsz < minsz)
		return iommufd_pci_bound_err(node, -EINVAL);
	ret = iommufd_pci_lock_bound(node);
	if (ret)
		return ret;
	fill.devid = node->idev->obj.id;
	hdr.flags = 0;
	if (!pci_probe_reset_slot(node->pdev->slot))
		fill.slot = node->pdev->slot;
	else if (pci_probe_reset_bus(bus))
		ret = -ENODEV;
	if (fill.slot)
		bus = fill.slot->bus;
	if (ret)
		goto out_unlock;

	pci_walk_bus(bus, iommufd_pci_hot_reset_one, &fill);
	if (fill.count > (hdr.argsz - sizeof(hdr)) / sizeof(*fill.devices)) {
		mutex_unlock(&node->lock);
		hdr.count = fill.count;
		ret = -ENOSPC;
		goto header;
	}
	fill.nr = fill.count;
	fill.count = 0;
	fill.devices = kcalloc(fill.nr, sizeof(*fill.devices), GFP_KERNEL);
	if (!fill.devices) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	pci_walk_bus(bus, iommufd_pci_hot_reset_one, &fill);
	mutex_unlock(&node->lock);
	if (copy_to_user(arg->devices, fill.devices,
			 sizeof(*fill.devices) * fill.count)) {
		ret = -EFAULT;
		goto out;
	}
	hdr.count = fill.count;
	hdr.flags = VFIO_PCI_HOT_RESET_FLAG_DEV_ID;
	if (fill.count == 1)
		hdr.flags |= VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED;
header:
	if (copy_to_user(arg, &hdr, minsz))
		ret = -EFAULT;
out:
	kfree(fill.devices);
	return ret;

out_unlock:
	mutex_unlock(&node->lock);
	return ret;
}

/*
 * No feature is implemented (no migration, dirty tracking, low power or
 * VF token): after the checks every device gets, vfio-pci's answer for a
 * feature the device lacks, ENOTTY, to a probe as to a request.
 */
static int iommufd_pci_ioctl_feature(struct iommufd_pci_node *node,
				     struct vfio_device_feature __user *arg)
{
	const size_t minsz = offsetofend(struct vfio_device_feature, flags);
	struct vfio_device_feature feature;
	int ret;

	/* The node's state decides first; nothing else needs the lock. */
	ret = iommufd_pci_bound_err(node, 0);
	if (ret)
		return ret;
	if (copy_from_user(&feature, arg, minsz))
		return -EFAULT;
	if (feature.argsz < minsz)
		return -EINVAL;
	if (feature.flags & ~(VFIO_DEVICE_FEATURE_MASK |
			      VFIO_DEVICE_FEATURE_SET |
			      VFIO_DEVICE_FEATURE_GET |
			      VFIO_DEVICE_FEATURE_PROBE))
		return -EINVAL;
	if (!(feature.flags & VFIO_DEVICE_FEATURE_PROBE) &&
	    (feature.flags & VFIO_DEVICE_FEATURE_SET) &&
	    (feature.flags & VFIO_DEVICE_FEATURE_GET))
		return -EINVAL;
	return -ENOTTY;
}

/*
 * The VFIO device ioctls, on a live and bound node: each locks the node
 * itself, between copying its arguments in and its answer out.
 */
static long iommufd_pci_ioctl_vfio(struct iommufd_pci_node *node,
				   unsigned int cmd, void __user *uarg)
{
	long ret;

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		ret = iommufd_pci_ioctl_get_info(node, uarg);
		break;
	case VFIO_DEVICE_GET_REGION_INFO:
		ret = iommufd_pci_ioctl_get_region_info(node, uarg);
		break;
	case VFIO_DEVICE_GET_IRQ_INFO:
		ret = iommufd_pci_ioctl_get_irq_info(node, uarg);
		break;
	case VFIO_DEVICE_SET_IRQS:
		ret = iommufd_pci_ioctl_set_irqs(node, uarg);
		break;
	case VFIO_DEVICE_RESET:
		ret = iommufd_pci_ioctl_reset(node);
		break;
	case VFIO_DEVICE_GET_PCI_HOT_RESET_INFO:
		ret = iommufd_pci_ioctl_hot_reset_info(node, uarg);
		break;
	case VFIO_DEVICE_FEATURE:
		ret = iommufd_pci_ioctl_feature(node, uarg);
		break;
	default:
		ret = -ENOTTY;
	}
	return ret;
}

static long iommufd_pci_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	struct iommufd_pci_node *node = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case IOMMUFD_PCI_BIND:
		return iommufd_pci_ioctl_bind(node, uarg);
	case IOMMUFD_PCI_ATTACH:
		return iommufd_pci_ioctl_attach(node, uarg);
	case IOMMUFD_PCI_DETACH:
		return iommufd_pci_ioctl_detach(node, uarg);
	case VFIO_DEVICE_GET_INFO:
	case VFIO_DEVICE_GET_REGION_INFO:
	case VFIO_DEVICE_GET_IRQ_INFO:
	case VFIO_DEVICE_SET_IRQS:
	case VFIO_DEVICE_RESET:
	case VFIO_DEVICE_GET_PCI_HOT_RESET_INFO:
	case VFIO_DEVICE_FEATURE:
		return iommufd_pci_ioctl_vfio(node, cmd, uarg);
	}
	return -ENOTTY;
}

/* ---- region reads and writes: pread/pwrite at index << 40 ---- */

static bool iommufd_pci_in_msix(struct iommufd_pci_node *node, int bar,
				u64 off, unsigned int size)
{
	return bar == node->msix_bar && off < node->msix_end &&
	       off + size > node->msix_start;
}

static u32 iommufd_pci_ioread(void __iomem *addr, unsigned int size)
{
	if (size == 4)
		return ioread32(addr);
	if (size == 2)
		return ioread16(addr);
	return ioread8(addr);
}

static void iommufd_pci_iowrite(void __iomem *addr, u32 val, unsigned int size)
{
	if (size == 4)
		iowrite32(val, addr);
	else if (size == 2)
		iowrite16(val, addr);
	else
		iowrite8(val, addr);
}

/* The next naturally aligned access of at most 4 bytes at @off. */
static unsigned int iommufd_pci_piece(u64 off, size_t count)
{
	if (count >= 4 && !(off % 4))
		return 4;
	if (count >= 2 && !(off % 2))
		return 2;
	return 1;
}

/*
 * BAR accesses in naturally aligned pieces of up to 4 bytes; the MSI-X
 * table reads as all ones and ignores writes.  A memory BAR answers EIO
 * while it does not decode.  Each piece is done under the node's lock
 * (and, for a memory BAR, memory_lock), its data copied from userspace
 * before and to userspace after: a copy may take the mmap_lock, which
 * the fault handler holds when it takes memory_lock, and userspace may
 * stall it, which must not stall the device's removal.
 */
static ssize_t iommufd_pci_bar_rw(struct iommufd_pci_node *node, int bar,
				  char __user *buf, size_t count, u64 off,
				  bool write)
{
	u64 len = pci_resource_len(node->pdev, bar);
	bool mem = pci_resource_flags(node->pdev, bar) & IORESOURCE_MEM;
	bool decodes = true;
	unsigned int size;
	ssize_t done = 0;
	int err = 0;
	u32 val;

	if (!node->bar_io[bar] || off >= len)
		return -EINVAL;
	count = min_t(u64, count, len - off);
	while (count) {
		size = iommufd_pci_piece(off, count);
		val = write ? 0 : ~0U;
		if (write && copy_from_user(&val, buf, size)) {
			err = -EFAULT;
			break;
		}
		/* The BARs are unmapped once the device is removed. */
		err = iommufd_pci_lock_bound(node);
		if (err)
			break;
		if (mem) {
			down_read(&node->memory_lock);
			decodes = iommufd_pci_mem_usable(node);
		}
		/* The MSI-X table is not the owner's. */
		if (decodes && !iommufd_pci_in_msix(node, bar, off, size)) {
			void __iomem *io = node->bar_io[bar];

			if (write)
				iommufd_pci_iowrite(io + off, val, size);
			else
				val = iommufd_pci_ioread(io + off, size);
		}
		if (mem)
			up_read(&node->memory_lock);
		mutex_unlock(&node->lock);
		if (!decodes) {
			err = -EIO;
			break;
		}
		if (!write && copy_to_user(buf, &val, size)) {
			err = -EFAULT;
			break;
		}
		count -= size;
		done += size;
		off += size;
		buf += size;
		cond_resched();
	}
	return done ? done : err;
}

static ssize_t iommufd_pci_rom_read(struct iommufd_pci_node *node,
				    char __user *buf, size_t count, u64 off)
{
	void __iomem *io;
	size_t size;
	void *tmp = NULL;
	ssize_t ret;

	ret = iommufd_pci_lock_bound(node);
	if (ret)
		return ret;
	/* The ROM decodes only with memory decode on. */
	down_read(&node->memory_lock);
	ret = -EIO;
	if (!iommufd_pci_mem_usable(node))
		goto out_unlock;
	io = pci_map_rom(node->pdev, &size);
	if (!io)
		goto out_unlock;
	ret = 0;
	if (off >= size)
		goto out_unmap;
	count = min_t(u64, count, size - off);
	count = min_t(size_t, count, SZ_64K);
	ret = -ENOMEM;
	tmp = kmalloc(count, GFP_KERNEL);
	if (!tmp)
		goto out_unmap;
	memcpy_fromio(tmp, io + off, count);
	ret = count;
out_unmap:
	pci_unmap_rom(node->pdev, io);
out_unlock:
	up_read(&node->memory_lock);
	mutex_unlock(&node->lock);
	if (ret > 0) {
		if (copy_to_user(buf, tmp, count))
			ret = -EFAULT;
		kfree(tmp);
	}
	return ret;
}

/* Config space in the pieces pci_config.c takes, each under the lock. */
static ssize_t iommufd_pci_config_user(struct iommufd_pci_node *node,
				       char __user *buf, size_t count,
				       u64 off, bool write)
{
	unsigned int size, cfg_size = node->pdev->cfg_size;
	ssize_t done = 0, ret;
	u8 bytes[4];

	if (off >= cfg_size)
		return -EINVAL;
	count = min_t(u64, count, cfg_size - off);
	while (count) {
		size = iommufd_pci_piece(off, count);
		if (write && copy_from_user(bytes, buf, size)) {
			ret = -EFAULT;
			break;
		}
		ret = iommufd_pci_lock_bound(node);
		if (ret)
			break;
		ret = iommufd_pci_config_rw(node, bytes, size, off, write);
		mutex_unlock(&node->lock);
		if (ret < 0)
			break;
		if (!write && copy_to_user(buf, bytes, size)) {
			ret = -EFAULT;
			break;
		}
		count -= size;
		done += size;
		off += size;
		buf += size;
	}
	return done ? done : ret;
}

static ssize_t iommufd_pci_rw(struct file *file, char __user *buf,
			      size_t count, loff_t *ppos, bool write)
{
	struct iommufd_pci_node *node = file->private_data;
	unsigned int index = (u64)*ppos >> IOMMUFD_PCI_OFFSET_SHIFT;
	u64 off = (u64)*ppos & IOMMUFD_PCI_OFFSET_MASK;
	ssize_t ret;

	if (*ppos < 0)
		return -EINVAL;
	if (!count)
		return 0;
	/* The node's state first; each piece checks it again. */
	ret = iommufd_pci_bound_err(node, 0);
	if (ret)
		return ret;
	switch (index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		ret = iommufd_pci_config_user(node, buf, count, off, write);
		break;
	case VFIO_PCI_BAR0_REGION_INDEX ... VFIO_PCI_BAR5_REGION_INDEX:
		ret = iommufd_pci_bar_rw(node, index, buf, count, off, write);
		break;
	case VFIO_PCI_ROM_REGION_INDEX:
		ret = -EINVAL;
		if (!write && pci_resource_len(node->pdev, PCI_ROM_RESOURCE))
			ret = iommufd_pci_rom_read(node, buf, count, off);
		break;
	default:
		ret = -EINVAL;
	}
	if (ret > 0)
		*ppos += ret;
	return ret;
}

static ssize_t iommufd_pci_read(struct file *file, char __user *buf,
				size_t count, loff_t *ppos)
{
	return iommufd_pci_rw(file, buf, count, ppos, false);
}

static ssize_t iommufd_pci_write(struct file *file, const char __user *buf,
				 size_t count, loff_t *ppos)
{
	return iommufd_pci_rw(file, (char __user *)buf, count, ppos, true);
}

/* ---- mmap of the memory BARs at their region offsets ---- */

#define IOMMUFD_PCI_PGOFF_SHIFT	(IOMMUFD_PCI_OFFSET_SHIFT - PAGE_SHIFT)

static vm_fault_t iommufd_pci_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct iommufd_pci_node *node = vma->vm_private_data;
	unsigned int bar = vma->vm_pgoff >> IOMMUFD_PCI_PGOFF_SHIFT;
	unsigned long pgoff = vma->vm_pgoff &
			      ((1UL << IOMMUFD_PCI_PGOFF_SHIFT) - 1);
	unsigned long pfn;
	vm_fault_t ret = VM_FAULT_SIGBUS;

	pfn = (pci_resource_start(node->pdev, bar) >> PAGE_SHIFT) + pgoff +
	      ((vmf->address - vma->vm_start) >> PAGE_SHIFT);
	/* Only while the BAR decodes: SIGBUS otherwise. */
	down_read(&node->memory_lock);
	if (iommufd_pci_mem_usable(node))
		ret = vmf_insert_pfn(vma, vmf->address, pfn);
	up_read(&node->memory_lock);
	return ret;
}

static const struct vm_operations_struct iommufd_pci_vm_ops = {
	.fault = iommufd_pci_fault,
};

/*
 * A memory BAR (page aligned, at least a page) maps at its region offset,
 * BAR N at N << 40 (so BAR 0 at 0), within its whole pages and outside the
 * pages of the MSI-X table.  Pages are faulted in on access, so revoking
 * them at unbind, reset or removal is complete.
 */
static int iommufd_pci_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct iommufd_pci_node *node = file->private_data;
	unsigned long bar = vma->vm_pgoff >> IOMMUFD_PCI_PGOFF_SHIFT;
	unsigned long pgoff = vma->vm_pgoff &
			      ((1UL << IOMMUFD_PCI_PGOFF_SHIFT) - 1);
	unsigned long npages, first, last;
	int ret = 0;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (bar >= PCI_STD_NUM_BARS || !node->bar_mmap[bar])
		return -EINVAL;
	npages = pci_resource_len(node->pdev, bar) >> PAGE_SHIFT;
	if (pgoff >= npages || vma_pages(vma) > npages - pgoff)
		return -EINVAL;
	if (bar == node->msix_bar) {
		first = node->msix_start >> PAGE_SHIFT;
		last = (node->msix_end - 1) >> PAGE_SHIFT;
		if (pgoff <= last && pgoff + vma_pages(vma) > first)
			return -EINVAL;
	}

	/* Memory decode may be off: the fault handler checks it. */
	down_read(&node->memory_lock);
	if (!node->mappable)
		ret = -EINVAL;
	up_read(&node->memory_lock);
	if (ret)
		return ret;

	vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	vma->vm_private_data = node;
	vma->vm_ops = &iommufd_pci_vm_ops;
	return 0;
}

static int iommufd_pci_open(struct inode *inode, struct file *file)
{
	struct iommufd_pci_node *node =
		container_of(inode->i_cdev, struct iommufd_pci_node, cdev);
	int ret = 0;

	mutex_lock(&node->lock);
	if (node->removed)
		ret = -ENODEV;
	else if (node->file)
		ret = -EBUSY;
	else
		node->file = file;
	mutex_unlock(&node->lock);
	if (ret)
		return ret;
	/* Not a stream: pread and pwrite address the regions. */
	file->private_data = node;
	return 0;
}

static int iommufd_pci_release(struct inode *inode, struct file *file)
{
	struct iommufd_pci_node *node = file->private_data;

	mutex_lock(&node->lock);
	iommufd_pci_unbind_locked(node);
	node->file = NULL;
	mutex_unlock(&node->lock);
	return 0;
}

static const struct file_operations iommufd_pci_fops = {
	.owner = THIS_MODULE,
	.open = iommufd_pci_open,
	.release = iommufd_pci_release,
	.read = iommufd_pci_read,
	.write = iommufd_pci_write,
	.unlocked_ioctl = iommufd_pci_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = iommufd_pci_mmap,
};

/* Where the MSI-X table lies, which userspace must not reach. */
static void iommufd_pci_find_msix(struct iommufd_pci_node *node)
{
	struct pci_dev *pdev = node->pdev;
	u32 table;
	u16 flags;

	node->msix_bar = -1;
	if (!pdev->msix_cap)
		return;
	pci_read_config_word(pdev, pdev->msix_cap + PCI_MSIX_FLAGS, &flags);
	pci_read_config_dword(pdev, pdev->msix_cap + PCI_MSIX_TABLE, &table);
	node->msix_bar = table & PCI_MSIX_TABLE_BIR;
	node->msix_start = table & PCI_MSIX_TABLE_OFFSET;
	node->msix_end = node->msix_start +
			 ((flags & PCI_MSIX_FLAGS_QSIZE) + 1) * PCI_MSIX_ENTRY_SIZE;
}

/* Claims and maps every BAR; a BAR that cannot be mapped is not offered. */
static int iommufd_pci_setup_bars(struct iommufd_pci_node *node)
{
	struct pci_dev *pdev = node->pdev;
	int bar, ret;

	ret = pci_request_regions(pdev, IOMMUFD_PCI_NAME);
	if (ret)
		return ret;
	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		if (!pci_resource_len(pdev, bar))
			continue;
		node->bar_io[bar] = pci_iomap(pdev, bar, 0);
		node->bar_mmap[bar] =
			node->bar_io[bar] &&
			(pci_resource_flags(pdev, bar) & IORESOURCE_MEM) &&
			PAGE_ALIGNED(pci_resource_start(pdev, bar)) &&
			pci_resource_len(pdev, bar) >= PAGE_SIZE;
	}
	return 0;
}

static void iommufd_pci_release_bars(struct iommufd_pci_node *node)
{
	int bar;

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		if (node->bar_io[bar])
			pci_iounmap(node->pdev, node->bar_io[bar]);
		node->bar_io[bar] = NULL;
	}
	pci_release_regions(node->pdev);
}

static int iommufd_pci_probe(struct pci_dev *pdev,
			     const struct pci_device_id *id)
{
	struct iommufd_pci_node *node;
	int minor, ret;

	/* Without an IOMMU, userspace would drive DMA to anywhere. */
	if (!device_iommu_mapped(&pdev->dev))
		return -ENODEV;

	minor = ida_alloc_max(&iommufd_pci_minors, IOMMUFD_PCI_MINORS - 1,
			      GFP_KERNEL);
	if (minor < 0)
		return minor;
	node = kzalloc(sizeof(*node), GFP_KERNEL);
	if (!node) {
		ida_free(&iommufd_pci_minors, minor);
		return -ENOMEM;
	}
	node->pdev = pci_dev_get(pdev);
	mutex_init(&node->lock);
	init_rwsem(&node->memory_lock);
	xa_init(&node->attached);
	device_initialize(&node->dev);
	node->dev.class = &iommufd_pci_class;
	node->dev.parent = &pdev->dev;
	node->dev.devt = MKDEV(MAJOR(iommufd_pci_devt), minor);
	node->dev.release = iommufd_pci_node_release;
	/* From here on, put_device() frees the node and the minor. */
	ret = dev_set_name(&node->dev, "%s", pci_name(pdev));
	if (ret)
		goto err_put;

	ret = pci_enable_device(pdev);
	if (ret)
		goto err_put;
	/* Whatever the previous driver left: no DMA until bound. */
	pci_clear_master(pdev);
	ret = iommufd_pci_setup_bars(node);
	if (ret)
		goto err_disable;
	iommufd_pci_find_msix(node);
	iommufd_pci_intrs_probe(node);
	node->reset_works = pdev->reset_methods[0] != 0;
	/* The state every owner starts from */
	pci_save_state(pdev);
	node->saved = pci_store_saved_state(pdev);
	if (!node->saved) {
		ret = -ENOMEM;
		goto err_bars;
	}

	cdev_init(&node->cdev, &iommufd_pci_fops);
	node->cdev.owner = THIS_MODULE;
	ret = cdev_device_add(&node->cdev, &node->dev);
	if (ret)
		goto err_saved;
	pci_set_drvdata(pdev, node);
	return 0;

err_saved:
	kfree(node->saved);
err_bars:
	iommufd_pci_release_bars(node);
err_disable:
	pci_disable_device(pdev);
err_put:
	put_device(&node->dev);
	return ret;
}

static void iommufd_pci_remove(struct pci_dev *pdev)
{
	struct iommufd_pci_node *node = pci_get_drvdata(pdev);

	/* No new opens; a file already open keeps the node. */
	cdev_device_del(&node->cdev, &node->dev);
	mutex_lock(&node->lock);
	/* Ask the owner to let go: it is about to lose the device anyway. */
	iommufd_pci_signal_req(node);
	node->removed = true;
	iommufd_pci_unbind_locked(node);
	mutex_unlock(&node->lock);

	iommufd_pci_release_bars(node);
	pci_disable_device(pdev);
	kfree(node->saved);
	node->saved = NULL;
	put_device(&node->dev);
}

/* An uncorrectable error: tell the owner through the error eventfd. */
static pci_ers_result_t iommufd_pci_error_detected(struct pci_dev *pdev,
						   pci_channel_state_t state)
{
	struct iommufd_pci_node *node = pci_get_drvdata(pdev);

	mutex_lock(&node->lock);
	iommufd_pci_signal_err(node);
	mutex_unlock(&node->lock);
	return PCI_ERS_RESULT_CAN_RECOVER;
}

static const struct pci_error_handlers iommufd_pci_err_handlers = {
	.error_detected = iommufd_pci_error_detected,
};

static struct pci_driver iommufd_pci_driver = {
	.name = IOMMUFD_PCI_NAME,
	/* No ID table: devices come through driver_override only. */
	.probe = iommufd_pci_probe,
	.remove = iommufd_pci_remove,
	.err_handler = &iommufd_pci_err_handlers,
	/* DMA is the business of the iommufd context the device is bound to. */
	.driver_managed_dma = true,
};

/**
 * iommufd_pci_init() - register the class, the minors and the PCI driver
 *
 * Return: 0 or a negative errno.
 */
int iommufd_pci_init(void)
{
	int ret;

	ret = alloc_chrdev_region(&iommufd_pci_devt, 0, IOMMUFD_PCI_MINORS,
				  IOMMUFD_PCI_NAME);
	if (ret)
		return ret;
	ret = class_register(&iommufd_pci_class);
	if (ret)
		goto err_chrdev;
	ret = pci_register_driver(&iommufd_pci_driver);
	if (ret)
		goto err_class;
	return 0;

err_class:
	class_unregister(&iommufd_pci_class);
err_chrdev:
	unregister_chrdev_region(iommufd_pci_devt, IOMMUFD_PCI_MINORS);
	return ret;
}

/**
 * iommufd_pci_exit() - undo iommufd_pci_init()
 *
 * Every device leaves the driver, which ends its binding.
 */
void iommufd_pci_exit(void)
{
	pci_unregister_driver(&iommufd_pci_driver);
	class_unregister(&iommufd_pci_class);
	unregister_chrdev_region(iommufd_pci_devt, IOMMUFD_PCI_MINORS);
	ida_destroy(&iommufd_pci_minors);
}
