// SPDX-License-Identifier: GPL-2.0
/*
 * Debug knobs of vtd_sm and the queries tests use.
 *
 * No emulated device issues PASID-tagged DMA, so two knobs let a test
 * reach any PASID entry with a device's ordinary DMA: "pasid_bits" makes
 * the driver (and the IOMMU core) treat the device as PASID-capable, and
 * "rid_pasid" points the RID_PASID field of its context entry at another
 * PASID, whose entry then translates the device's requests without PASID.
 * Both taint the kernel.  They exist as functions for in-kernel tests
 * (namespace VTD_SM_DEBUG) and as files in
 * /sys/kernel/debug/vtd_sm/<device>/.
 *
 * The queries read only: the last fault a unit recorded, and the
 * independent walker's translation of a request through the structures
 * in memory (walk.c; nothing here touches the code that writes them).
 */
#define pr_fmt(fmt) "vtd_sm: " fmt

#include <linux/bitfield.h>
#include <linux/debugfs.h>
#include <linux/iommu.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/panic.h>
#include <linux/pci.h>
#include <linux/pci-ats.h>
#include <linux/slab.h>

#include "regs.h"
#include "vtd.h"
#include "vtd_sm_debug.h"
#include "walk.h"

#define VTD_DEBUG_MAX_PASID_BITS	20

/*
 * The knobs use a vtd_dev across sleeping calls.  They hold this mutex
 * from the lookup of the device to the end of the call, and
 * vtd_release_device() takes the device out of its unit's table under it:
 * a knob either finds the device before its release and is done with it
 * before the release frees it, or does not find it.  pasid_bits instead
 * runs under the IOMMU group mutex, under which the core releases devices
 * (see vtd_debug_pasid_bits_grouped()).
 */
DEFINE_MUTEX(vtd_debug_dev_lock);

/* The remapping unit of @dev and its state, if vtd_sm translates it. */
static struct vtd_dev *vtd_debug_vdev(struct device *dev)
{
	struct vtd_unit *unit;
	struct pci_dev *pdev;
	struct vtd_dev *vdev;

	if (!dev || !dev_is_pci(dev))
		return ERR_PTR(-ENODEV);
	pdev = to_pci_dev(dev);
	unit = vtd_unit_for_pci(pdev);
	if (!unit || !unit->iommu_registered)
		return ERR_PTR(-ENODEV);
	vdev = xa_load(&unit->devices, pci_dev_id(pdev));
	if (!vdev || vdev->dev != dev)
		return ERR_PTR(-ENODEV);
	return vdev;
}

static void vtd_debug_taint(struct vtd_dev *vdev, const char *knob, u32 val)
{
	add_taint(TAINT_USER, LOCKDEP_STILL_OK);
	dev_warn(vdev->dev, "vtd_sm debug knob %s = %u: DMA translation altered for testing, kernel tainted\n",
		 knob, val);
}

/* PASID width the unit reports in ECAP.PSS, whether or not ECAP.PASID is set. */
static unsigned int vtd_debug_unit_pasid_bits(struct vtd_unit *unit)
{
	return FIELD_GET(VTD_ECAP_PSS, unit->ecap) + 1;
}

static int vtd_debug_rid_pasid(struct vtd_dev *vdev, u32 pasid)
{
	int ret;

	vtd_debug_taint(vdev, "rid_pasid", pasid);
	ret = vtd_ctx_set_rid_pasid(vdev, pasid);
	if (ret)
		dev_warn(vdev->dev, "vtd_sm: rid_pasid %u: %d\n", pasid, ret);
	return ret;
}

/* Called under the IOMMU group mutex: see vtd_debug_pasid_bits_grouped(). */
static int vtd_debug_pasid_bits(struct vtd_dev *vdev, unsigned int bits)
{
	unsigned int max_bits = vtd_debug_unit_pasid_bits(vdev->unit);
	u32 native = vdev->pci_pasids;
	int ret;

	if (bits > VTD_DEBUG_MAX_PASID_BITS)
		return -EINVAL;
	vtd_debug_taint(vdev, "pasid_bits", bits);
	/*
	 * Wider than the unit says is the point of the knob on QEMU, whose
	 * unit reports one bit (PSS 0) but walks any PASID table entry the
	 * context entry's directory covers.  Real hardware may not.
	 */
	if (bits > max_bits)
		dev_warn(vdev->dev, "vtd_sm: pasid_bits %u is wider than the %u-bit PASID width %s reports (ECAP.PSS%s)\n",
			 bits, max_bits, vdev->unit->name,
			 vdev->unit->ecap & VTD_ECAP_PASID ? "" :
			 ", with ECAP.PASID clear");
	/* 0 gives the device back the PASIDs it has of its own. */
	ret = vtd_ctx_set_max_pasids(vdev, bits ? 1U << bits : max(native, 1U));
	if (ret)
		return ret;
	/*
	 * The core attaches PASIDs below this, to devices where it is not 0;
	 * it reads it under the group mutex, which the caller holds.
	 */
	vdev->dev->iommu->max_pasids = bits ? 1U << bits : native;
	return bits;
}

struct vtd_debug_bits_arg {
	struct device *dev;
	unsigned int bits;
	int ret;
};

static int vtd_debug_pasid_bits_fn(struct device *dev, void *data)
{
	struct vtd_debug_bits_arg *arg = data;
	struct vtd_dev *vdev;

	if (dev != arg->dev)
		return 0;
	/*
	 * The core releases a device under the group mutex, after taking it
	 * off the group's list: if the walk found it, it is not released.
	 */
	vdev = vtd_debug_vdev(dev);
	arg->ret = IS_ERR(vdev) ? PTR_ERR(vdev) :
				  vtd_debug_pasid_bits(vdev, arg->bits);
	return 1;
}

/*
 * The knob changes the device's PASID count in vtd_sm and in the IOMMU
 * core (dev->iommu->max_pasids), which the core reads under the IOMMU
 * group's mutex when it attaches or detaches a PASID, and it must not
 * interleave with an attachment of a PASID.  The mutex is private to the
 * core; iommu_group_for_each_dev() runs the knob under it.  The caller
 * keeps @dev alive (a reference) and holds no vtd_sm lock: releasing a
 * device takes vtd_debug_dev_lock under the group mutex.
 */
static int vtd_debug_pasid_bits_grouped(struct device *dev, unsigned int bits)
{
	struct vtd_debug_bits_arg arg = {
		.dev = dev,
		.bits = bits,
		.ret = -ENODEV,
	};
	struct iommu_group *group = iommu_group_get(dev);

	if (!group)
		return -ENODEV;
	iommu_group_for_each_dev(group, &arg, vtd_debug_pasid_bits_fn);
	iommu_group_put(group);
	return arg.ret;
}

/**
 * vtd_sm_debug_set_rid_pasid() - make a device's DMA without PASID use
 *				  the entry of another PASID
 * @dev: a device vtd_sm translates
 * @pasid: the PASID (below the device's PASID count; 0 restores normal
 *	   operation)
 *
 * Debug only; taints the kernel.  Writes the RID_PASID field of the
 * device's context entries and invalidates the context cache, the PASID
 * cache and the IOTLB in one batch.  From then on the entry of @pasid
 * (not that of PASID 0) translates the device's requests without PASID,
 * so what iommu_attach_device_pasid(domain, dev, @pasid) installs is
 * reachable with the device's ordinary DMA.  The IOMMU core still
 * believes the RID uses PASID 0.
 *
 * Context: process, may sleep.
 * Return: 0, -ENODEV if vtd_sm does not translate @dev, -ERANGE if @pasid
 * is not below the device's PASID count (see vtd_sm_debug_set_pasid_bits())
 * or -EIO if the invalidation failed.
 */
int vtd_sm_debug_set_rid_pasid(struct device *dev, u32 pasid)
{
	struct vtd_dev *vdev;
	int ret;

	mutex_lock(&vtd_debug_dev_lock);
	vdev = vtd_debug_vdev(dev);
	ret = IS_ERR(vdev) ? PTR_ERR(vdev) : vtd_debug_rid_pasid(vdev, pasid);
	mutex_unlock(&vtd_debug_dev_lock);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(vtd_sm_debug_set_rid_pasid, VTD_SM_DEBUG);

/**
 * vtd_sm_debug_set_pasid_bits() - treat a device as PASID-capable
 * @dev: a device vtd_sm translates
 * @bits: PASID width to give it; 0 restores what the device supports
 *
 * Debug only; taints the kernel.  The device gets 2^@bits PASIDs in
 * vtd_sm (its PASID directory grows if needed and PASIDE is set in its
 * context entries) and in the IOMMU core (dev->iommu->max_pasids), so
 * iommu_attach_device_pasid() accepts PASIDs below 2^@bits.  A width
 * above the one the unit reports in ECAP.PSS is granted with a warning:
 * QEMU reports 1 bit but walks any PASID the directory covers.
 *
 * Context: process, may sleep; takes @dev's IOMMU group mutex, so the
 * caller must hold a reference on @dev and neither that mutex nor a lock
 * of vtd_sm.
 * Return: the width applied (@bits), -ENODEV if vtd_sm does not
 * translate @dev, -EINVAL for @bits above 20, -EBUSY while a PASID other
 * than 0 has an entry or RID_PASID would fall outside the new count,
 * -ENOMEM, or -EIO if the invalidation failed.
 */
int vtd_sm_debug_set_pasid_bits(struct device *dev, unsigned int bits)
{
	if (!dev || !dev_is_pci(dev))
		return -ENODEV;
	return vtd_debug_pasid_bits_grouped(dev, bits);
}
EXPORT_SYMBOL_NS_GPL(vtd_sm_debug_set_pasid_bits, VTD_SM_DEBUG);

/**
 * vtd_debug_fault_info() - decode a unit's fault counters and last record
 * @unit: the unit
 * @info: filled in
 */
void vtd_debug_fault_info(struct vtd_unit *unit, struct vtd_sm_fault_info *info)
{
	u64 lo, hi;

	memset(info, 0, sizeof(*info));
	info->valid = vtd_fault_last(unit, &lo, &hi);
	info->count = atomic64_read(&unit->faults.records);
	info->overflows = atomic64_read(&unit->faults.overflows);
	if (!info->valid)
		return;
	info->sid = FIELD_GET(VTD_FRCD_HI_SID, hi);
	info->pasid_present = hi & VTD_FRCD_HI_PP;
	info->pasid = info->pasid_present ? FIELD_GET(VTD_FRCD_HI_PV, hi) : 0;
	info->addr = lo & VTD_FRCD_LO_FI;
	info->reason = FIELD_GET(VTD_FRCD_HI_FR, hi);
	/* T1 is 0 for a write request, 1 for a read. */
	info->write = !(hi & VTD_FRCD_HI_T1);
}

/**
 * vtd_sm_debug_faults() - the faults recorded by a device's unit
 * @dev: a device vtd_sm translates
 * @info: the unit's fault counters and its last fault record
 *
 * Reads the unit's fault recording registers first, so a fault the unit
 * recorded before the call is included.  The record is the unit's last,
 * whatever device caused it: check @info->sid.
 *
 * Context: process, may sleep.
 * Return: 0 or -ENODEV if vtd_sm does not translate @dev.
 */
int vtd_sm_debug_faults(struct device *dev, struct vtd_sm_fault_info *info)
{
	struct vtd_dev *vdev = vtd_debug_vdev(dev);

	if (IS_ERR(vdev))
		return PTR_ERR(vdev);
	vtd_fault_sync(vdev->unit);
	vtd_debug_fault_info(vdev->unit, info);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(vtd_sm_debug_faults, VTD_SM_DEBUG);

/**
 * vtd_debug_walk() - translate a request with the independent walker
 * @unit: the unit whose root table is walked
 * @sid: source-id of the request
 * @pasid: its PASID, or %VTD_WALK_NO_PASID for a request without PASID
 * @addr: input address
 * @access: ``VTD_WALK_*`` access flags
 * @res: the result
 *
 * Return: as vtd_walk().
 */
int vtd_debug_walk(struct vtd_unit *unit, u16 sid, u32 pasid, u64 addr,
		   unsigned int access, struct vtd_walk_result *res)
{
	struct vtd_walk_ctx ctx = {
		.root = virt_to_phys(unit->root),
	};

	return vtd_walk(&ctx, sid, pasid, addr, access, res);
}

/**
 * vtd_sm_debug_translate() - where the unit would send a device's request
 * @dev: a device vtd_sm translates
 * @pasid: PASID of the request, or %VTD_WALK_NO_PASID for a request
 *	   without PASID (translated by the RID_PASID entry)
 * @addr: input address
 * @access: ``VTD_WALK_READ``, ``VTD_WALK_WRITE``, optionally
 *	    ``VTD_WALK_PRIV``
 * @res: the walker's result: output address and leaf level, or the fault
 *
 * Uses the software walker of walk.c, written from the VT-d specification
 * and sharing no code with the driver's entry writers, on the root,
 * context, PASID and paging structures in memory, for every translation
 * type including nested.
 *
 * Context: process.  The caller keeps the domains involved from being
 * unmapped or freed during the call.
 * Return: 0 when translated, -EFAULT for a fault (described in @res),
 * -EINVAL for bad arguments, -ENODEV if vtd_sm does not translate @dev.
 */
int vtd_sm_debug_translate(struct device *dev, u32 pasid, u64 addr,
			   unsigned int access, struct vtd_walk_result *res)
{
	struct vtd_dev *vdev = vtd_debug_vdev(dev);

	if (IS_ERR(vdev))
		return PTR_ERR(vdev);
	return vtd_debug_walk(vdev->unit, vdev->sid, pasid, addr, access, res);
}
EXPORT_SYMBOL_NS_GPL(vtd_sm_debug_translate, VTD_SM_DEBUG);

/*
 * /sys/kernel/debug/vtd_sm/<device>/{rid_pasid,pasid_bits}.  A file names
 * its device by unit and source-id and looks it up at each access, so a
 * device released meanwhile is seen as gone rather than used.
 */
struct vtd_debug_dev {
	struct list_head node;
	struct vtd_unit *unit;
	u16 sid;
	struct dentry *dir;
};

static LIST_HEAD(vtd_debug_devs);
static DEFINE_MUTEX(vtd_debug_devs_lock);

/* Caller holds vtd_debug_dev_lock. */
static struct vtd_dev *vtd_debug_file_vdev(struct file *file)
{
	struct vtd_debug_dev *d = file->private_data;
	struct vtd_dev *vdev;

	lockdep_assert_held(&vtd_debug_dev_lock);
	vdev = xa_load(&d->unit->devices, d->sid);
	return vdev ?: ERR_PTR(-ENODEV);
}

static ssize_t vtd_debug_knob_write(struct file *file, const char __user *ubuf,
				    size_t count, loff_t *ppos,
				    int (*set)(struct vtd_dev *, u32))
{
	struct vtd_dev *vdev;
	u32 val;
	int ret;

	ret = kstrtou32_from_user(ubuf, count, 0, &val);
	if (ret)
		return ret;
	mutex_lock(&vtd_debug_dev_lock);
	vdev = vtd_debug_file_vdev(file);
	ret = IS_ERR(vdev) ? PTR_ERR(vdev) : set(vdev, val);
	mutex_unlock(&vtd_debug_dev_lock);
	return ret < 0 ? ret : count;
}

static ssize_t vtd_debug_knob_read(struct file *file, char __user *ubuf,
				   size_t count, loff_t *ppos,
				   u32 (*get)(struct vtd_dev *))
{
	struct vtd_dev *vdev;
	char buf[16];
	int n;

	mutex_lock(&vtd_debug_dev_lock);
	vdev = vtd_debug_file_vdev(file);
	if (IS_ERR(vdev)) {
		mutex_unlock(&vtd_debug_dev_lock);
		return PTR_ERR(vdev);
	}
	n = scnprintf(buf, sizeof(buf), "%u\n", get(vdev));
	mutex_unlock(&vtd_debug_dev_lock);
	return simple_read_from_buffer(ubuf, count, ppos, buf, n);
}

static ssize_t vtd_rid_pasid_read(struct file *file, char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	return vtd_debug_knob_read(file, ubuf, count, ppos, vtd_ctx_rid_pasid);
}

static ssize_t vtd_rid_pasid_write(struct file *file, const char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	return vtd_debug_knob_write(file, ubuf, count, ppos, vtd_debug_rid_pasid);
}

static const struct file_operations vtd_rid_pasid_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = vtd_rid_pasid_read,
	.write = vtd_rid_pasid_write,
	.llseek = default_llseek,
};

static u32 vtd_debug_pasid_bits_get(struct vtd_dev *vdev)
{
	return ilog2(READ_ONCE(vdev->max_pasids));
}

static ssize_t vtd_pasid_bits_read(struct file *file, char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	return vtd_debug_knob_read(file, ubuf, count, ppos,
				   vtd_debug_pasid_bits_get);
}

static ssize_t vtd_pasid_bits_write(struct file *file, const char __user *ubuf,
				    size_t count, loff_t *ppos)
{
	struct vtd_dev *vdev;
	struct device *dev;
	u32 bits;
	int ret;

	ret = kstrtou32_from_user(ubuf, count, 0, &bits);
	if (ret)
		return ret;
	/* A reference, then the group mutex without vtd_debug_dev_lock. */
	mutex_lock(&vtd_debug_dev_lock);
	vdev = vtd_debug_file_vdev(file);
	dev = IS_ERR(vdev) ? NULL : get_device(vdev->dev);
	mutex_unlock(&vtd_debug_dev_lock);
	if (!dev)
		return -ENODEV;
	ret = vtd_debug_pasid_bits_grouped(dev, bits);
	put_device(dev);
	return ret < 0 ? ret : count;
}

static const struct file_operations vtd_pasid_bits_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = vtd_pasid_bits_read,
	.write = vtd_pasid_bits_write,
	.llseek = default_llseek,
};

/**
 * vtd_debug_add_unit() - add the knob directories of a unit's devices
 * @unit: a registered unit
 * @root: /sys/kernel/debug/vtd_sm
 *
 * Devices probed later (hot-plugged) get no directory.
 */
void vtd_debug_add_unit(struct vtd_unit *unit, struct dentry *root)
{
	struct vtd_debug_dev *d;
	struct vtd_dev *vdev;
	unsigned long sid;

	mutex_lock(&vtd_debug_devs_lock);
	xa_for_each(&unit->devices, sid, vdev) {
		d = kzalloc(sizeof(*d), GFP_KERNEL);
		if (!d)
			break;
		d->unit = unit;
		d->sid = sid;
		d->dir = debugfs_create_dir(dev_name(vdev->dev), root);
		debugfs_create_file("rid_pasid", 0600, d->dir, d,
				    &vtd_rid_pasid_fops);
		debugfs_create_file("pasid_bits", 0600, d->dir, d,
				    &vtd_pasid_bits_fops);
		list_add_tail(&d->node, &vtd_debug_devs);
	}
	mutex_unlock(&vtd_debug_devs_lock);
}

/**
 * vtd_debug_remove_unit() - remove the knob directories of a unit's devices
 * @unit: the unit
 *
 * Waits for knob accesses in progress.
 */
void vtd_debug_remove_unit(struct vtd_unit *unit)
{
	struct vtd_debug_dev *d, *tmp;

	mutex_lock(&vtd_debug_devs_lock);
	list_for_each_entry_safe(d, tmp, &vtd_debug_devs, node) {
		if (d->unit != unit)
			continue;
		debugfs_remove_recursive(d->dir);
		list_del(&d->node);
		kfree(d);
	}
	mutex_unlock(&vtd_debug_devs_lock);
}

/**
 * vtd_sm_debug_unit_regs() - capability registers of a device's unit
 * @dev: a device vtd_sm translates
 * @cap: CAP_REG of its remapping unit
 * @ecap: ECAP_REG of the unit
 *
 * Lets a test tell which translation types the unit offers (for instance
 * ECAP.FLTS and ECAP.SLTS) and which one a domain should therefore use.
 *
 * Return: 0 or -ENODEV if vtd_sm does not translate @dev.
 */
int vtd_sm_debug_unit_regs(struct device *dev, u64 *cap, u64 *ecap)
{
	struct vtd_dev *vdev = vtd_debug_vdev(dev);

	if (IS_ERR(vdev))
		return PTR_ERR(vdev);
	*cap = vdev->unit->cap;
	*ecap = vdev->unit->ecap;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(vtd_sm_debug_unit_regs, VTD_SM_DEBUG);

/**
 * vtd_sm_debug_updates() - how a device's unit updated PASID entries
 * @dev: a device vtd_sm translates
 * @counts: the unit's PASID entry updates so far, by kind (for every
 *	    device of the unit)
 *
 * Lets a test check that a transition was made as the documentation says
 * (Documentation/driver-api/vtd_sm-pasid-entry.rst): compare before and
 * after.
 *
 * Return: 0 or -ENODEV if vtd_sm does not translate @dev.
 */
int vtd_sm_debug_updates(struct device *dev,
			 struct vtd_sm_update_counts *counts)
{
	struct vtd_dev *vdev = vtd_debug_vdev(dev);
	atomic64_t *n;

	if (IS_ERR(vdev))
		return PTR_ERR(vdev);
	n = vdev->unit->pasid_updates;
	counts->hitless = atomic64_read(&n[VTD_PASID_UPDATE_HITLESS]);
	counts->hitless_seq = atomic64_read(&n[VTD_PASID_UPDATE_HITLESS_SEQ]);
	counts->teardown = atomic64_read(&n[VTD_PASID_UPDATE_TEARDOWN]);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(vtd_sm_debug_updates, VTD_SM_DEBUG);
