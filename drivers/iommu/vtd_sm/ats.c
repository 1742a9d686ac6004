// SPDX-License-Identifier: GPL-2.0
/*
 * Address Translation Services: whether a device may keep translations in
 * its own TLB, and the device-TLB invalidations of the devices that do.
 *
 * A device gets ATS when its unit can invalidate device TLBs (ECAP.DT),
 * the PCI core lets it (pci_ats_supported(), which refuses untrusted
 * devices) and the DMAR table allows it for its root port (an ATSR, see
 * vtd_dmar_ats_allowed()).  That is decided at probe before the context
 * entries are written, which then have DTE set; ATS itself is turned on in
 * the device once probe set everything else up (PASID first), and off at
 * release once its last device-TLB invalidation completed.
 *
 * A device keeps translations of requests without PASID (those the
 * RID_PASID entry translates) apart from those of each PASID: the first go
 * with a device-TLB invalidate descriptor, the others with a PASID-based
 * device-TLB invalidate descriptor for that PASID.  Either follows, in the
 * same batch, the IOTLB invalidation of the same translations: the device
 * could otherwise fetch the stale translation again from the IOTLB.
 */
#define pr_fmt(fmt) "vtd_sm: " fmt

#include <kunit/visibility.h>
#include <linux/pci.h>
#include <linux/pci-ats.h>

#include "regs.h"
#include "vtd.h"

/* Smallest translation the unit hands to a device TLB: 4 KiB. */
#define VTD_ATS_STU_SHIFT	12

/*
 * The Invalidate Queue Depth of the device's ATS capability, 1 to 32 (the
 * field's 0 means 32); 0 for a VF, which shares its PF's queue.  What
 * pci_ats_queue_depth() returns, which Linux 6.12 does not export.
 */
static int vtd_ats_queue_depth(struct pci_dev *pdev)
{
	u16 cap;

	if (!pdev->ats_cap)
		return -EINVAL;
	if (pdev->is_virtfn)
		return 0;
	pci_read_config_word(pdev, pdev->ats_cap + PCI_ATS_CAP, &cap);
	return PCI_ATS_CAP_QDEP(cap) ?: PCI_ATS_MAX_QDEP;
}

/**
 * vtd_ats_probe() - decide whether a device being probed gets ATS
 * @vdev: the device, before its context entries are written
 *
 * Sets &vtd_dev.ats_supported (the context entries get DTE) and what the
 * device-TLB descriptors need; ATS stays off in the device.
 */
void vtd_ats_probe(struct vtd_dev *vdev)
{
	struct pci_dev *pdev = to_pci_dev(vdev->dev);
	struct vtd_unit *unit = vdev->unit;
	int qdep;

	if (!(unit->ecap & VTD_ECAP_DT) || !pci_ats_supported(pdev) ||
	    !vtd_dmar_ats_allowed(pdev))
		return;
	qdep = vtd_ats_queue_depth(pdev);
	if (qdep < 0)
		return;
	vdev->ats_qdep = qdep;
	/* Without ECAP.DIT the field is reserved: 0. */
	vdev->pfsid = unit->ecap & VTD_ECAP_DIT ?
		      pci_dev_id(pci_physfn(pdev)) : 0;
	vdev->ats_supported = true;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_ats_probe);

/**
 * vtd_ats_enable() - turn ATS on in a device that may have it
 * @vdev: the device, at the end of its probe
 *
 * A device whose ATS capability refuses is left without ATS (its context
 * entries keep DTE, which is harmless: it never asks for a translation).
 */
void vtd_ats_enable(struct vtd_dev *vdev)
{
	struct pci_dev *pdev = to_pci_dev(vdev->dev);
	int ret;

	if (!vdev->ats_supported || vdev->ats_enabled)
		return;
	/* The PF's smallest translation unit, for its VFs. */
	pci_prepare_ats(pdev, VTD_ATS_STU_SHIFT);
	ret = pci_enable_ats(pdev, VTD_ATS_STU_SHIFT);
	if (ret) {
		pci_info(pdev, "vtd_sm: ATS not enabled: %d\n", ret);
		return;
	}
	atomic_inc(&vdev->unit->ats_devices);
	WRITE_ONCE(vdev->ats_enabled, true);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_ats_enable);

/**
 * vtd_ats_disable() - turn a device's ATS off
 * @vdev: the device, released: nothing translates its DMA any more and its
 *	last device-TLB invalidation completed
 */
void vtd_ats_disable(struct vtd_dev *vdev)
{
	if (!vdev->ats_enabled)
		return;
	WRITE_ONCE(vdev->ats_enabled, false);
	atomic_dec(&vdev->unit->ats_devices);
	pci_disable_ats(to_pci_dev(vdev->dev));
}
EXPORT_SYMBOL_IF_KUNIT(vtd_ats_disable);

/**
 * vtd_ats_add_flush() - queue the device-TLB invalidation of a range
 * @b: the batch, which already holds the IOTLB invalidation of the range
 * @vdev: the device
 * @pasid: the PASID whose translations changed (0: the RID's)
 * @addr: start, aligned to 4 KiB << @order
 * @order: the range is 2^@order pages; %VTD_QI_DEVTLB_ALL for everything
 *
 * Nothing for a device without ATS.  The RID's translations, and those of
 * the PASID that a debug knob made the RID_PASID, are the device's
 * translations of requests without PASID; any other PASID's are those of
 * requests with that PASID.
 *
 * Context: any.
 */
void vtd_ats_add_flush(struct vtd_qi_batch *b, struct vtd_dev *vdev,
		       u32 pasid, u64 addr, unsigned int order)
{
	if (!READ_ONCE(vdev->ats_enabled))
		return;
	if (pasid == IOMMU_NO_PASID || pasid == vtd_ctx_rid_pasid(vdev))
		vtd_qi_add_devtlb(b, vdev->sid, vdev->pfsid, vdev->ats_qdep,
				  addr, order);
	if (pasid != IOMMU_NO_PASID)
		vtd_qi_add_pdevtlb(b, vdev->sid, vdev->pfsid, vdev->ats_qdep,
				   pasid, addr, order);
}

/**
 * vtd_ats_add_flush_sid() - vtd_ats_add_flush() for an attachment
 * @b: the batch
 * @unit: the unit the attachment is on
 * @sid: the attachment's source-id (&vtd_attachment.sid)
 * @pasid: the attachment's PASID
 * @addr: as for vtd_ats_add_flush()
 * @order: as for vtd_ats_add_flush()
 *
 * An attached device is in &vtd_unit.devices until its release has
 * detached everything.  While no device of the unit has ATS, the lookup
 * is skipped.
 *
 * Context: any (the domain's lock held, which keeps the attachment).
 */
void vtd_ats_add_flush_sid(struct vtd_qi_batch *b, struct vtd_unit *unit,
			   u16 sid, u32 pasid, u64 addr, unsigned int order)
{
	struct vtd_dev *vdev;

	if (!atomic_read(&unit->ats_devices))
		return;
	vdev = xa_load(&unit->devices, sid);
	if (vdev)
		vtd_ats_add_flush(b, vdev, pasid, addr, order);
}
