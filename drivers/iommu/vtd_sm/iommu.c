// SPDX-License-Identifier: GPL-2.0
/*
 * The IOMMU core side: iommu_ops, the identity and blocked domains, device
 * probe and release, and one platform device per remapping unit whose
 * driver registers the unit with the core.
 *
 * Registering after boot makes the core probe every PCI device, put it in
 * a group and attach a default domain; every device asks for the identity
 * domain, so its RID_PASID entry is pass-through before translation is
 * turned on and DMA already in flight keeps flowing.
 *
 * The core holds a reference on this module for every probed device, so
 * the module cannot go away while a unit is registered.  Unbinding a
 * unit's platform device (see Documentation/driver-api/vtd_sm.rst) turns
 * its translation off and unregisters it, which drops those references.
 */
#define pr_fmt(fmt) "vtd_sm: " fmt

#include <kunit/visibility.h>
#include <linux/iommu.h>
#include <linux/iommufd_dirty.h>
#include <linux/pci.h>
#include <linux/pci-ats.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/syscore_ops.h>
#include <uapi/linux/iommufd.h>

#include "pasid_entry.h"
#include "regs.h"
#include "vtd.h"

#define VTD_DRIVER_NAME		"vtd_sm"

static const struct iommu_ops vtd_iommu_ops;

static struct vtd_dev *vtd_dev_get(struct device *dev)
{
	return dev_iommu_priv_get(dev);
}

static int vtd_sl_levels(struct vtd_unit *unit)
{
	unsigned int levels = vtd_cap_sl_max_levels(unit->cap);

	/* Pass-through ignores AW; keep it a value the unit accepts. */
	return levels ? min(levels, 4U) : 4;
}

static int vtd_identity_set(struct iommu_domain *domain, struct vtd_dev *vdev,
			    u32 pasid)
{
	struct vtd_pasid_cfg cfg = {
		.did = VTD_DID_IDENTITY,
		.sl.levels = vtd_sl_levels(vdev->unit),
	};
	struct vtd_pasid_entry pe;
	int ret;

	if (vtd_dev_domain(vdev, pasid) == domain)
		return 0;
	ret = vtd_pasid_encode_pt(&pe, &cfg);
	if (ret)
		return ret;
	return vtd_dev_attach(domain, vdev, pasid, NULL, &pe);
}

static int vtd_identity_attach(struct iommu_domain *domain, struct device *dev)
{
	return vtd_identity_set(domain, vtd_dev_get(dev), 0);
}

static int vtd_identity_set_dev_pasid(struct iommu_domain *domain,
				      struct device *dev, ioasid_t pasid,
				      struct iommu_domain *old)
{
	return vtd_identity_set(domain, vtd_dev_get(dev), pasid);
}

/* @domain NULL: the PASID is left with no domain at all. */
static int vtd_blocked_set(struct iommu_domain *domain, struct vtd_dev *vdev,
			   u32 pasid)
{
	struct vtd_pasid_entry pe;

	if (domain && vtd_dev_domain(vdev, pasid) == domain)
		return 0;
	vtd_pasid_encode_blocked(&pe, false);
	return vtd_dev_attach(domain, vdev, pasid, NULL, &pe);
}

static int vtd_blocked_attach(struct iommu_domain *domain, struct device *dev)
{
	return vtd_blocked_set(domain, vtd_dev_get(dev), 0);
}

static int vtd_blocked_set_dev_pasid(struct iommu_domain *domain,
				     struct device *dev, ioasid_t pasid,
				     struct iommu_domain *old)
{
	return vtd_blocked_set(domain, vtd_dev_get(dev), pasid);
}

/*
 * The core detaches a PASID with this; the entry becomes not present
 * (DMA with the PASID faults) and the domain's record goes.
 */
static void vtd_remove_dev_pasid(struct device *dev, ioasid_t pasid,
				 struct iommu_domain *domain)
{
	struct vtd_dev *vdev = vtd_dev_get(dev);
	int ret;

	if (!pasid || !vtd_dev_domain(vdev, pasid))
		return;
	ret = vtd_blocked_set(NULL, vdev, pasid);
	if (ret)
		dev_err(dev, "PASID %u not detached: %d\n", pasid, ret);
}

static const struct iommu_domain_ops vtd_identity_ops = {
	.attach_dev = vtd_identity_attach,
	.set_dev_pasid = vtd_identity_set_dev_pasid,
};

static const struct iommu_domain_ops vtd_blocked_ops = {
	.attach_dev = vtd_blocked_attach,
	.set_dev_pasid = vtd_blocked_set_dev_pasid,
};

static struct iommu_domain vtd_identity_domain = {
	.type = IOMMU_DOMAIN_IDENTITY,
	.ops = &vtd_identity_ops,
};

static struct iommu_domain vtd_blocked_domain = {
	.type = IOMMU_DOMAIN_BLOCKED,
	.ops = &vtd_blocked_ops,
};

/**
 * vtd_dev_is_identity() - is the device's RID on the identity domain
 * @vdev: the device
 *
 * Return: true if so.
 */
bool vtd_dev_is_identity(struct vtd_dev *vdev)
{
	return vdev->domain == &vtd_identity_domain;
}

struct vtd_alias_ctx {
	struct vtd_dev *vdev;
	struct vtd_qi_batch *b;
	bool install;
};

static int vtd_alias_fn(struct pci_dev *pdev, u16 alias, void *data)
{
	struct vtd_alias_ctx *c = data;

	if (!c->install) {
		vtd_ctx_remove(c->vdev, alias, c->b);
		return 0;
	}
	/* An alias shared with devices of the same group is counted. */
	return vtd_ctx_install(c->vdev, alias, c->b);
}

/*
 * Call vtd_alias_fn() for every requester id the device's DMA may carry
 * when it reaches the unit: its own, quirk aliases on its bus, and the
 * ids bridges on the way substitute (pci_for_each_dma_alias() is not
 * exported to modules).
 */
static int vtd_walk_aliases(struct pci_dev *pdev, struct vtd_alias_ctx *data)
{
	struct pci_bus *bus;
	unsigned int devfn;
	int ret;

	ret = vtd_alias_fn(pdev, pci_dev_id(pdev), data);
	if (ret)
		return ret;
	if (pdev->dma_alias_mask) {
		for_each_set_bit(devfn, pdev->dma_alias_mask, 256) {
			ret = vtd_alias_fn(pdev, PCI_DEVID(pdev->bus->number, devfn), data);
			if (ret)
				return ret;
		}
	}
	for (bus = pdev->bus; !pci_is_root_bus(bus); bus = bus->parent) {
		struct pci_dev *br = bus->self;

		if (!br)
			continue;
		if (pci_is_pcie(br)) {
			switch (pci_pcie_type(br)) {
			case PCI_EXP_TYPE_PCI_BRIDGE:
				/* PCIe-to-PCI: transactions carry secondary bus, devfn 0. */
				ret = vtd_alias_fn(br, PCI_DEVID(br->subordinate->number, 0), data);
				break;
			case PCI_EXP_TYPE_PCIE_BRIDGE:
				ret = vtd_alias_fn(br, pci_dev_id(br), data);
				break;
			default:
				continue;
			}
		} else {
			/* Conventional PCI bridge: it takes ownership. */
			ret = vtd_alias_fn(br, pci_dev_id(br), data);
		}
		if (ret)
			return ret;
	}
	return 0;
}

static void vtd_dev_contexts(struct vtd_dev *vdev, bool install, int *err)
{
	struct vtd_qi_batch b;
	struct vtd_alias_ctx c = { .vdev = vdev, .b = &b, .install = install };
	int ret;

	vtd_qi_batch_begin(&b, &vdev->unit->qi);
	ret = vtd_walk_aliases(to_pci_dev(vdev->dev), &c);
	if (!install) {
		/* Whatever the device's entries were cached as goes too. */
		vtd_qi_add_pc_global(&b);
		vtd_qi_add_iotlb_global(&b);
		vtd_ats_add_flush(&b, vdev, IOMMU_NO_PASID, 0, VTD_QI_DEVTLB_ALL);
	}
	/* Submit even on error: some entries may have become present. */
	if (vtd_qi_submit(&b) && !ret)
		ret = -EIO;
	*err = ret;
}

/**
 * vtd_dev_enable_pasid() - let a device tag its requests with PASIDs
 * @unit: the unit that translates for @pdev
 * @pdev: the device
 *
 * Enables the PASID capability of @pdev when @unit translates PASIDs.  The
 * PCI core refuses when a switch on the way to the root port could route
 * PASID-tagged requests peer to peer (ACS request redirect and upstream
 * forwarding are required all the way up) or when a bridge on the way
 * cannot carry the PASID prefix; the device then stays with requests
 * without PASID.  Of the device's execute and privileged-mode permissions
 * only those the unit honours (ECAP.ERS, ECAP.SRS) are enabled.  Called
 * before ATS is enabled: the PCIe specification leaves a change of PASID
 * Enable undefined while ATS is enabled.
 *
 * Return: the number of PASIDs the device may use, 0 when its PASID
 * capability is not enabled.
 */
VISIBLE_IF_KUNIT u32 vtd_dev_enable_pasid(struct vtd_unit *unit,
					  struct pci_dev *pdev)
{
	unsigned int bits = vtd_ecap_pasid_bits(unit->ecap);
	int features, n, ret;

	if (!bits || !pdev->pasid_cap)
		return 0;
	n = pci_max_pasids(pdev);
	features = pci_pasid_features(pdev);
	if (n <= 0 || features < 0)
		return 0;
	if (!(unit->ecap & VTD_ECAP_ERS))
		features &= ~PCI_PASID_CAP_EXEC;
	if (!(unit->ecap & VTD_ECAP_SRS))
		features &= ~PCI_PASID_CAP_PRIV;
	ret = pci_enable_pasid(pdev, features);
	if (ret) {
		pci_info(pdev, "vtd_sm: PASID not enabled (%d): requests without PASID only\n",
			 ret);
		return 0;
	}
	return min_t(u32, n, 1U << bits);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_dev_enable_pasid);

/**
 * vtd_dev_disable_pasid() - undo vtd_dev_enable_pasid()
 * @pdev: the device, whose ATS is already disabled
 */
VISIBLE_IF_KUNIT void vtd_dev_disable_pasid(struct pci_dev *pdev)
{
	if (pdev->pasid_enabled)
		pci_disable_pasid(pdev);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_dev_disable_pasid);

static struct iommu_device *vtd_probe_device(struct device *dev)
{
	struct pci_dev *pdev;
	struct vtd_unit *unit;
	struct vtd_dev *vdev;
	int ret, err;

	if (!dev_is_pci(dev))
		return ERR_PTR(-ENODEV);
	pdev = to_pci_dev(dev);
	unit = vtd_unit_for_pci(pdev);
	/* A unit not yet enabled gets its devices when it registers. */
	if (!unit || !unit->iommu_registered)
		return ERR_PTR(-ENODEV);

	vdev = kzalloc(sizeof(*vdev), GFP_KERNEL);
	if (!vdev)
		return ERR_PTR(-ENOMEM);
	vdev->dev = dev;
	vdev->unit = unit;
	vdev->bus = pdev->bus->number;
	vdev->devfn = pdev->devfn;
	vdev->sid = PCI_DEVID(vdev->bus, vdev->devfn);
	vdev->pci_pasids = vtd_dev_enable_pasid(unit, pdev);
	vdev->max_pasids = max(vdev->pci_pasids, 1U);
	mutex_init(&vdev->pasid_lock);
	xa_init(&vdev->pasid_domains);
	vtd_ats_probe(vdev);

	ret = vtd_ctx_pasid_dir_alloc(vdev);
	if (ret)
		goto err_free;
	dev_iommu_priv_set(dev, vdev);

	/* RID_PASID is pass-through before any context entry points at it. */
	ret = vtd_identity_set(&vtd_identity_domain, vdev, 0);
	if (ret)
		goto err_dir;
	vtd_dev_contexts(vdev, true, &ret);
	if (ret)
		goto err_ctx;

	ret = xa_err(xa_store(&unit->devices, vdev->sid, vdev, GFP_KERNEL));
	if (ret)
		goto err_ctx;
	vtd_ats_enable(vdev);
	return &unit->iommu;

err_ctx:
	vtd_dev_contexts(vdev, false, &err);
	dev_iommu_priv_set(dev, NULL);
	vtd_ctx_pasid_dir_release(vdev, err);
	goto err_free;
err_dir:
	dev_iommu_priv_set(dev, NULL);
	vtd_ctx_pasid_dir_free(vdev);
err_free:
	vtd_dev_disable_pasid(pdev);
	mutex_destroy(&vdev->pasid_lock);
	kfree(vdev);
	return ERR_PTR(ret);
}

static void vtd_release_device(struct device *dev)
{
	struct vtd_dev *vdev = vtd_dev_get(dev);
	unsigned long pasid;
	void *entry;
	int ret;

	/* Users detach their PASIDs first; whatever is left goes now. */
	xa_for_each(&vdev->pasid_domains, pasid, entry) {
		dev_warn(dev, "PASID %lu still attached at release\n", pasid);
		vtd_remove_dev_pasid(dev, pasid, vtd_pasid_slot_domain(entry));
	}
	/* The core attached the release (blocked) domain to the RID. */
	if (WARN_ON(to_vtd_domain(vdev->domain)))
		vtd_blocked_set(&vtd_blocked_domain, vdev, 0);
	xa_destroy(&vdev->pasid_domains);
	/* Its users turn IOPF off before they let go of the device. */
	if (WARN_ON(vdev->pri))
		vtd_prq_disable_iopf(dev);
	/* Debug knobs in progress finish with @vdev; later ones miss it. */
	mutex_lock(&vtd_debug_dev_lock);
	/* A PASID table shrinker pass that found @vdev is done with it. */
	mutex_lock(&vdev->unit->pt_lock);
	xa_erase(&vdev->unit->devices, vdev->sid);
	mutex_unlock(&vdev->unit->pt_lock);
	mutex_unlock(&vtd_debug_dev_lock);
	vtd_prq_dev_release(vdev);
	vtd_dev_contexts(vdev, false, &ret);
	/* That batch held the device's last device-TLB invalidation. */
	vtd_ats_disable(vdev);
	/* dev->iommu, and the pointer to @vdev in it, go with the core. */
	vtd_ctx_pasid_dir_release(vdev, ret);
	vtd_dev_disable_pasid(to_pci_dev(dev));
	mutex_destroy(&vdev->pasid_lock);
	kfree(vdev);
}

static struct iommu_group *vtd_device_group(struct device *dev)
{
	return pci_device_group(dev);
}

/*
 * Devices nobody owns get pass-through, so that loading the driver does
 * not disturb their DMA; an external-facing (untrusted) PCI device gets a
 * DMA domain instead, as the core requires (it refuses to probe an
 * untrusted device whose driver asks for identity).
 */
VISIBLE_IF_KUNIT int vtd_def_domain_type(struct device *dev)
{
	if (dev_is_pci(dev) && to_pci_dev(dev)->untrusted)
		return IOMMU_DOMAIN_DMA;
	return IOMMU_DOMAIN_IDENTITY;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_def_domain_type);

static bool vtd_capable(struct device *dev, enum iommu_cap cap)
{
	/* Its dirty_ops record into iommufd_pasid's bitmap. */
	if (cap == IOMMUFD_CAP_DIRTY_RECORD)
		return true;
	if (cap == IOMMU_CAP_DIRTY_TRACKING)
		return vtd_ecap_dirty_tracking(vtd_dev_get(dev)->unit->ecap);
	return cap == IOMMU_CAP_CACHE_COHERENCY;
}

static void *vtd_hw_info(struct device *dev, u32 *length, u32 *type)
{
	struct vtd_dev *vdev = vtd_dev_get(dev);
	struct iommu_hw_info_vtd *info;

	info = kzalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return ERR_PTR(-ENOMEM);
	info->cap_reg = vdev->unit->cap;
	info->ecap_reg = vdev->unit->ecap;
	*length = sizeof(*info);
	*type = IOMMU_HW_INFO_TYPE_INTEL_VTD;
	return info;
}

static struct iommu_domain *vtd_domain_alloc_paging(struct device *dev)
{
	struct vtd_domain *vd = vtd_domain_alloc(vtd_dev_get(dev)->unit, 0);

	return IS_ERR(vd) ? ERR_CAST(vd) : &vd->domain;
}

static struct iommu_domain *
vtd_domain_alloc_user(struct device *dev, u32 flags, struct iommu_domain *parent,
		      const struct iommu_user_data *user_data)
{
	struct iommu_domain *domain;

	domain = vtd_domain_alloc_user_unit(vtd_dev_get(dev)->unit, flags,
					    parent, user_data);
	if (!IS_ERR(domain))
		domain->owner = &vtd_iommu_ops;
	return domain;
}

/* Interrupt requests, never translated: keep IOVAs out of the window. */
#define VTD_MSI_BASE		0xfee00000UL
#define VTD_MSI_SIZE		SZ_1M

static void vtd_get_resv_regions(struct device *dev, struct list_head *head)
{
	struct iommu_resv_region *reg;

	reg = iommu_alloc_resv_region(VTD_MSI_BASE, VTD_MSI_SIZE, 0,
				      IOMMU_RESV_MSI, GFP_KERNEL);
	if (reg)
		list_add_tail(&reg->list, head);
	vtd_dmar_rmrr_regions(dev, head);
}

/*
 * IOMMU_DEV_FEAT_IOPF: page requests (prq.c).  SVA (binding a process's
 * address space) is not offered.
 */
static int vtd_dev_enable_feat(struct device *dev, enum iommu_dev_features f)
{
	if (f != IOMMU_DEV_FEAT_IOPF)
		return -ENODEV;
	return vtd_prq_enable_iopf(dev);
}

static int vtd_dev_disable_feat(struct device *dev, enum iommu_dev_features f)
{
	if (f != IOMMU_DEV_FEAT_IOPF)
		return -ENODEV;
	return vtd_prq_disable_iopf(dev);
}

static const struct iommu_ops vtd_iommu_ops = {
	.capable = vtd_capable,
	.hw_info = vtd_hw_info,
	.probe_device = vtd_probe_device,
	.release_device = vtd_release_device,
	.device_group = vtd_device_group,
	.def_domain_type = vtd_def_domain_type,
	.domain_alloc_paging = vtd_domain_alloc_paging,
	.domain_alloc_user = vtd_domain_alloc_user,
	.get_resv_regions = vtd_get_resv_regions,
	.remove_dev_pasid = vtd_remove_dev_pasid,
	.dev_enable_feat = vtd_dev_enable_feat,
	.dev_disable_feat = vtd_dev_disable_feat,
	.page_response = vtd_prq_page_response,
	.identity_domain = &vtd_identity_domain,
	.blocked_domain = &vtd_blocked_domain,
	.release_domain = &vtd_blocked_domain,
	.pgsize_bitmap = SZ_4K | SZ_2M | SZ_1G,
	.owner = THIS_MODULE,
};

static struct vtd_unit *vtd_unit_of(struct platform_device *pdev)
{
	struct vtd_unit *unit;

	list_for_each_entry(unit, &vtd_units, node)
		if (unit->index == pdev->id)
			return unit;
	return NULL;
}

/* Every PCI device the unit covers must have a context entry. */
static bool vtd_unit_all_covered(struct vtd_unit *unit)
{
	struct pci_dev *pdev = NULL;
	bool ok = true;

	for_each_pci_dev(pdev) {
		if (vtd_unit_for_pci(pdev) != unit)
			continue;
		if (!xa_load(&unit->devices, PCI_DEVID(pdev->bus->number,
						       pdev->devfn))) {
			pci_err(pdev, "no context entry on %s, the unit is not used\n",
				unit->name);
			ok = false;
		}
	}
	return ok;
}

static int vtd_platform_probe(struct platform_device *pdev)
{
	struct vtd_unit *unit = vtd_unit_of(pdev);
	int ret;

	if (!unit)
		return -ENODEV;
	ret = vtd_unit_enable(unit);
	if (ret)
		return ret;
	vtd_fault_start(unit);

	ret = iommu_device_sysfs_add(&unit->iommu, &pdev->dev, NULL, "%s",
				     unit->name);
	if (ret)
		goto err_disable;
	unit->iommu.max_pasids = vtd_ecap_pasid_bits(unit->ecap) ?
		1U << vtd_ecap_pasid_bits(unit->ecap) : 0;
	unit->iommu_registered = true;
	ret = iommu_device_register(&unit->iommu, &vtd_iommu_ops, NULL);
	if (ret) {
		unit->iommu_registered = false;
		goto err_sysfs;
	}

	/*
	 * A unit registered without translation would let the core believe
	 * it isolates devices (blocked and user domains "attach") while
	 * their DMA is untranslated: give up the unit instead.
	 */
	if (!vtd_unit_all_covered(unit)) {
		ret = -ENODEV;
		goto err_unregister;
	}
	ret = vtd_unit_enable_translation(unit);
	if (ret)
		goto err_unregister;
	vtd_ctx_pt_shrinker_add(unit);
	vtd_debugfs_add_unit(unit);
	return 0;

err_unregister:
	iommu_device_unregister(&unit->iommu);
	unit->iommu_registered = false;
err_sysfs:
	iommu_device_sysfs_remove(&unit->iommu);
err_disable:
	vtd_fault_stop(unit);
	vtd_unit_disable(unit);
	return ret;
}

/*
 * A unit may let go of its devices only while none is translated by
 * anything but pass-through: PASID 0 (the RID) on the identity entry and
 * no other PASID entry present.  Turning translation off then changes
 * nothing for any device; otherwise it would hand a device someone owns
 * (a blocked or user-controlled entry) untranslated access to memory.
 */
static bool vtd_dev_pass_through_only(struct vtd_dev *vdev)
{
	struct vtd_pasid_entry *pe;
	bool ok = true;
	u32 pasid;

	mutex_lock(&vdev->pasid_lock);
	pe = vtd_pasid_entry(vdev, 0, false);
	if (!pe || vtd_pasid_entry_pgtt(pe) != VTD_PGTT_PT)
		ok = false;
	for (pasid = 1; ok && pasid < vdev->max_pasids; pasid++) {
		pe = vtd_pasid_entry(vdev, pasid, false);
		if (!pe)	/* no table: skip the PASIDs it would hold */
			pasid |= VTD_PASID_TABLE_ENTRIES - 1;
		else if (vtd_pasid_entry_present(pe))
			ok = false;
	}
	mutex_unlock(&vdev->pasid_lock);
	return ok;
}

/*
 * Stop new entries other than pass-through on the unit, then check that
 * every device is on pass-through only.  Entries are written under the
 * device's pasid_lock after the releasing flag is read (attach.c), so a
 * write either is seen here or sees the flag.
 */
static int vtd_unit_quiesce(struct vtd_unit *unit)
{
	struct vtd_dev *vdev;
	unsigned long sid;

	WRITE_ONCE(unit->releasing, true);
	/* Order the flag before the entries read below. */
	smp_mb();
	xa_for_each(&unit->devices, sid, vdev) {
		if (!vtd_dev_pass_through_only(vdev)) {
			dev_info(vdev->dev, "%s not released: the device is not on pass-through\n",
				 unit->name);
			WRITE_ONCE(unit->releasing, false);
			return -EBUSY;
		}
	}
	return 0;
}

/*
 * /sys/bus/platform/drivers/vtd_sm/release: write a unit's platform
 * device name (vtd_sm.<N>) to unbind it, which unregisters the unit from
 * the IOMMU core and so drops the core's references on this module.
 * Refused with -EBUSY while a device of the unit is translated by
 * anything but pass-through.  (The unbind file is suppressed: unbinding
 * cannot fail, this can.)
 */
static ssize_t release_store(struct device_driver *drv, const char *buf,
			     size_t count)
{
	struct vtd_unit *unit;
	struct device *dev;
	char name[32];
	int ret;

	if (count >= sizeof(name))
		return -EINVAL;
	memcpy(name, buf, count);
	name[count] = 0;
	dev = bus_find_device_by_name(&platform_bus_type, NULL, strim(name));
	if (!dev)
		return -ENODEV;
	device_lock(dev);
	unit = dev->driver == drv ? vtd_unit_of(to_platform_device(dev)) : NULL;
	ret = unit ? vtd_unit_quiesce(unit) : -ENODEV;
	device_unlock(dev);
	/* Releasing stays set: nothing but pass-through can come back. */
	if (!ret)
		device_release_driver(dev);
	put_device(dev);
	return ret ?: count;
}
static DRIVER_ATTR_WO(release);

static struct attribute *vtd_driver_attrs[] = {
	&driver_attr_release.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vtd_driver);

static void vtd_platform_remove(struct platform_device *pdev)
{
	struct vtd_unit *unit = vtd_unit_of(pdev);
	struct vtd_dev *vdev;
	unsigned long sid;

	/* Only module exit gets here without release_store(): no devices. */
	xa_for_each(&unit->devices, sid, vdev)
		if (!vtd_dev_is_identity(vdev))
			dev_warn(vdev->dev, "%s going away while its DMA is not pass-through\n",
				 unit->name);

	/* No shrinker pass runs any more: the devices may go. */
	vtd_ctx_pt_shrinker_remove(unit);
	vtd_debugfs_remove_unit(unit);
	/* Untranslated DMA is what the identity entries gave: no change. */
	vtd_unit_disable_translation(unit);
	iommu_device_unregister(&unit->iommu);
	unit->iommu_registered = false;
	iommu_device_sysfs_remove(&unit->iommu);
	vtd_fault_stop(unit);
	vtd_unit_disable(unit);
}

static struct platform_driver vtd_platform_driver = {
	.probe = vtd_platform_probe,
	.remove = vtd_platform_remove,
	.driver = {
		.name = VTD_DRIVER_NAME,
		.groups = vtd_driver_groups,
		.suppress_bind_attrs = true,
	},
};

/*
 * The units' registers follow the machine, not a device: they are saved
 * and restored by syscore callbacks, which run after every device has
 * suspended and before any resumes, so that no device DMAs while its unit
 * is off.  Platform-device PM would run too early (the units' platform
 * devices were registered after the PCI devices, so they suspend first).
 */
static int vtd_syscore_suspend(void *data)
{
	struct vtd_unit *unit;

	list_for_each_entry(unit, &vtd_units, node)
		vtd_unit_suspend(unit);
	return 0;
}

static void vtd_syscore_resume(void *data)
{
	struct vtd_unit *unit;

	list_for_each_entry(unit, &vtd_units, node)
		WARN(vtd_unit_resume(unit),
		     "vtd_sm: %s not restored after sleep: DMA of its devices is untranslated\n",
		     unit->name);
}

/* After device shutdown, before reboot, power-off or kexec. */
static void vtd_syscore_shutdown(void *data)
{
	struct vtd_unit *unit;

	list_for_each_entry(unit, &vtd_units, node)
		vtd_unit_shutdown(unit);
}

static const struct syscore_ops vtd_syscore_ops = {
	.suspend = vtd_syscore_suspend,
	.resume = vtd_syscore_resume,
	.shutdown = vtd_syscore_shutdown,
};

static struct syscore vtd_syscore = {
	.ops = &vtd_syscore_ops,
};

static void vtd_platform_unregister(void)
{
	struct vtd_unit *unit;

	list_for_each_entry_reverse(unit, &vtd_units, node) {
		if (unit->pdev)
			platform_device_unregister(unit->pdev);
		unit->pdev = NULL;
	}
	platform_driver_unregister(&vtd_platform_driver);
}

/**
 * vtd_iommu_driver_register() - register the driver and one platform
 *				 device per unit, which enables the units
 * Return: 0 if every unit came up, or a negative errno with none left.
 */
int vtd_iommu_driver_register(void)
{
	struct vtd_unit *unit;
	int ret;

	ret = platform_driver_register(&vtd_platform_driver);
	if (ret)
		return ret;
	list_for_each_entry(unit, &vtd_units, node) {
		unit->pdev = platform_device_register_simple(VTD_DRIVER_NAME,
							     unit->index, NULL, 0);
		if (IS_ERR(unit->pdev)) {
			ret = PTR_ERR(unit->pdev);
			unit->pdev = NULL;
			break;
		}
		if (!unit->iommu_registered) {
			ret = -ENODEV;
			break;
		}
	}
	if (ret) {
		vtd_platform_unregister();
		return ret;
	}
	register_syscore(&vtd_syscore);
	return 0;
}

/**
 * vtd_iommu_driver_unregister() - remove the platform devices and driver
 */
void vtd_iommu_driver_unregister(void)
{
	unregister_syscore(&vtd_syscore);
	vtd_platform_unregister();
}
