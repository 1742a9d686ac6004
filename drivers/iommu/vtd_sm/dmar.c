// SPDX-License-Identifier: GPL-2.0
/*
 * Remapping units from the ACPI DMAR table.
 *
 * Each DRHD structure describes one unit: its register base, its PCI
 * segment and either INCLUDE_PCI_ALL or a list of device scopes.  The
 * units are mapped and their capabilities read; nothing is written to
 * them here.  A unit this driver cannot drive makes the whole probe fail
 * before any unit is touched; so does a DRHD scope naming an ACPI
 * namespace device (ANDD): such devices issue DMA with a source ID the
 * driver would have to take from the ANDD structures, and it does not.
 *
 * Each RMRR structure names memory that the devices of its scope keep
 * reaching by DMA whatever the OS does (firmware-owned buffers).  Those
 * ranges are reported to the IOMMU core as direct-mapped reserved
 * regions of the devices (relaxable for USB and graphics devices, as
 * their firmware use ends once the OS drives them), so the core maps them
 * 1:1 in their DMA domains and keeps them out of userspace IOVA space.
 *
 * Each ATSR structure names the root ports of a segment below which
 * devices may use ATS (or all of them, ALL_PORTS); a device integrated in
 * the root complex may use it whatever the ATSRs say.  SATC structures
 * are not read: a device that needs ATS from them gets none.
 */
#define pr_fmt(fmt) "vtd_sm: " fmt

#include <kunit/visibility.h>
#include <linux/acpi.h>
#include <linux/io.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "regs.h"
#include "vtd.h"

LIST_HEAD(vtd_units);

/**
 * struct vtd_rmrr - a reserved memory region of the DMAR table
 * @node: in vtd_rmrrs
 * @base: first byte
 * @last: last byte
 * @segment: PCI segment of @scope
 * @scope: copy of the RMRR's device scope entries
 * @scope_len: bytes in @scope
 */
struct vtd_rmrr {
	struct list_head node;
	u64 base;
	u64 last;
	u16 segment;
	void *scope;
	unsigned int scope_len;
};

/* Filled at probe; the KUnit suite adds and removes its own entries. */
static LIST_HEAD(vtd_rmrrs);
static DEFINE_MUTEX(vtd_rmrr_lock);

/**
 * struct vtd_atsr - a root port ATS capability reporting structure
 * @node: in vtd_atsrs
 * @segment: PCI segment
 * @all_ports: every root port of @segment may forward ATS
 * @scope: copy of the ATSR's device scope entries (root ports)
 * @scope_len: bytes in @scope
 */
struct vtd_atsr {
	struct list_head node;
	u16 segment;
	bool all_ports;
	void *scope;
	unsigned int scope_len;
};

/* Filled at probe, read at device probe: under vtd_rmrr_lock too. */
static LIST_HEAD(vtd_atsrs);

/**
 * vtd_dmar_check_scope() - can the driver take a DRHD's device scope?
 * @scope: the scope entries
 * @len: bytes in @scope
 *
 * Return: 0; -EINVAL for an entry that is too short or runs past the
 * structure (the devices the unit covers cannot be known); -EOPNOTSUPP
 * for an ACPI namespace device.
 */
VISIBLE_IF_KUNIT int vtd_dmar_check_scope(const void *scope, unsigned int len)
{
	const void *p = scope, *end = scope + len;

	while (p < end) {
		const struct acpi_dmar_device_scope *s = p;

		if (p + sizeof(*s) > end || s->length < sizeof(*s) ||
		    p + s->length > end)
			return -EINVAL;
		if (s->entry_type == ACPI_DMAR_SCOPE_TYPE_NAMESPACE)
			return -EOPNOTSUPP;
		p += s->length;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_dmar_check_scope);

static int vtd_dmar_add_unit(struct acpi_dmar_hardware_unit *drhd,
			     unsigned int index)
{
	unsigned int scope_len = drhd->header.length - sizeof(*drhd);
	struct vtd_unit *unit;
	int ret;

	ret = vtd_dmar_check_scope(drhd + 1, scope_len);
	if (ret) {
		pr_err("DRHD %u at %#llx: %s in its device scope, refusing\n",
		       index, drhd->address,
		       ret == -EOPNOTSUPP ? "an ACPI namespace device" :
		       "a malformed entry");
		return -ENODEV;
	}
	unit = kzalloc(sizeof(*unit), GFP_KERNEL);
	if (!unit)
		return -ENOMEM;
	unit->index = index;
	snprintf(unit->name, sizeof(unit->name), "dmar%u", index);
	unit->segment = drhd->segment;
	unit->include_all = drhd->flags & ACPI_DMAR_INCLUDE_ALL;
	unit->reg_phys = drhd->address;
	if (scope_len) {
		unit->scope = kmemdup(drhd + 1, scope_len, GFP_KERNEL);
		if (!unit->scope) {
			kfree(unit);
			return -ENOMEM;
		}
		unit->scope_len = scope_len;
	}
	spin_lock_init(&unit->ctx_lock);
	xa_init(&unit->ctx_users);
	ida_init(&unit->domain_ids);
	xa_init(&unit->devices);
	mutex_init(&unit->pt_lock);
	list_add_tail(&unit->node, &vtd_units);
	return 0;
}

static void vtd_dmar_free_unit(struct vtd_unit *unit)
{
	list_del(&unit->node);
	if (unit->regs)
		iounmap(unit->regs);
	ida_destroy(&unit->domain_ids);
	xa_destroy(&unit->devices);
	mutex_destroy(&unit->pt_lock);
	kfree(unit->scope);
	kfree(unit);
}

/* Can this driver take the unit over?  Reads registers only. */
static int vtd_dmar_check_regs(struct vtd_unit *unit, void __iomem *regs)
{
	u32 gsts;

	unit->cap = readq(regs + VTD_REG_CAP);
	unit->ecap = readq(regs + VTD_REG_ECAP);
	gsts = readl(regs + VTD_REG_GSTS);

	if (unit->cap == ~0ULL) {
		pr_err("%s at %pa: registers read all-ones, refusing\n",
		       unit->name, &unit->reg_phys);
		return -ENODEV;
	}
	if (!(unit->ecap & VTD_ECAP_SMTS) || !(unit->ecap & VTD_ECAP_QI) ||
	    !(unit->ecap & VTD_ECAP_PT)) {
		pr_err("%s at %pa: needs scalable mode, queued invalidation and pass-through (ecap %#llx), refusing\n",
		       unit->name, &unit->reg_phys, unit->ecap);
		return -ENODEV;
	}
	if (gsts & (VTD_GSTS_TES | VTD_GSTS_QIES | VTD_GSTS_IRES)) {
		pr_err("%s at %pa: already in use (gsts %#x; boot with intel_iommu=off), refusing\n",
		       unit->name, &unit->reg_phys, gsts);
		return -ENODEV;
	}
	return 0;
}

/* Map the registers, fault recording registers included, and check them. */
static int vtd_dmar_map_unit(struct vtd_unit *unit)
{
	void __iomem *regs;
	size_t size;
	int ret;

	regs = ioremap(unit->reg_phys, VTD_REG_MIN_SIZE);
	if (!regs)
		return -ENOMEM;
	ret = vtd_dmar_check_regs(unit, regs);
	iounmap(regs);
	if (ret)
		return ret;

	size = max_t(size_t, VTD_REG_MIN_SIZE,
		     PAGE_ALIGN(vtd_cap_fault_reg_offset(unit->cap) +
				vtd_cap_num_fault_regs(unit->cap) * 16));
	unit->regs = ioremap(unit->reg_phys, size);
	if (!unit->regs)
		return -ENOMEM;
	unit->reg_size = size;
	return 0;
}

/**
 * vtd_dmar_add_rmrr() - remember an RMRR of the DMAR table
 * @acpi: the RMRR structure (its header's length covers the scope)
 *
 * Return: the new entry; ERR_PTR(-EINVAL) for a range that is empty,
 * wraps or is not page aligned (a firmware bug, reported and left out),
 * or whose scope is malformed; ERR_PTR(-ENOMEM).
 */
VISIBLE_IF_KUNIT struct vtd_rmrr *
vtd_dmar_add_rmrr(const struct acpi_dmar_reserved_memory *acpi)
{
	unsigned int scope_len = acpi->header.length - sizeof(*acpi);
	u64 base = acpi->base_address, last = acpi->end_address;
	struct vtd_rmrr *rmrr;

	if (last <= base || !PAGE_ALIGNED(base) || !PAGE_ALIGNED(last + 1) ||
	    vtd_dmar_check_scope(acpi + 1, scope_len) == -EINVAL) {
		pr_warn(FW_BUG "RMRR [%#llx-%#llx] is malformed, ignored\n",
			base, last);
		return ERR_PTR(-EINVAL);
	}
	rmrr = kzalloc(sizeof(*rmrr), GFP_KERNEL);
	if (!rmrr)
		return ERR_PTR(-ENOMEM);
	rmrr->scope = kmemdup(acpi + 1, scope_len, GFP_KERNEL);
	if (scope_len && !rmrr->scope) {
		kfree(rmrr);
		return ERR_PTR(-ENOMEM);
	}
	rmrr->scope_len = scope_len;
	rmrr->base = base;
	rmrr->last = last;
	rmrr->segment = acpi->segment;
	mutex_lock(&vtd_rmrr_lock);
	list_add_tail(&rmrr->node, &vtd_rmrrs);
	mutex_unlock(&vtd_rmrr_lock);
	return rmrr;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_dmar_add_rmrr);

/**
 * vtd_dmar_remove_rmrr() - forget an entry of vtd_dmar_add_rmrr()
 * @rmrr: the entry
 */
VISIBLE_IF_KUNIT void vtd_dmar_remove_rmrr(struct vtd_rmrr *rmrr)
{
	mutex_lock(&vtd_rmrr_lock);
	list_del(&rmrr->node);
	mutex_unlock(&vtd_rmrr_lock);
	kfree(rmrr->scope);
	kfree(rmrr);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_dmar_remove_rmrr);

/* Remember an ATSR; a malformed one is reported and left out. */
static int vtd_dmar_add_atsr(const struct acpi_dmar_atsr *acpi)
{
	unsigned int scope_len = acpi->header.length - sizeof(*acpi);
	struct vtd_atsr *atsr;

	if (vtd_dmar_check_scope(acpi + 1, scope_len) == -EINVAL) {
		pr_warn(FW_BUG "ATSR of segment %u is malformed, ignored\n",
			acpi->segment);
		return 0;
	}
	atsr = kzalloc(sizeof(*atsr), GFP_KERNEL);
	if (!atsr)
		return -ENOMEM;
	if (scope_len) {
		atsr->scope = kmemdup(acpi + 1, scope_len, GFP_KERNEL);
		if (!atsr->scope) {
			kfree(atsr);
			return -ENOMEM;
		}
	}
	atsr->scope_len = scope_len;
	atsr->segment = acpi->segment;
	atsr->all_ports = acpi->flags & ACPI_DMAR_ALL_PORTS;
	mutex_lock(&vtd_rmrr_lock);
	list_add_tail(&atsr->node, &vtd_atsrs);
	mutex_unlock(&vtd_rmrr_lock);
	return 0;
}

/**
 * vtd_dmar_probe() - find, map and check every DRHD unit
 *
 * Return: 0 with vtd_units filled, or a negative errno with it empty.
 */
int vtd_dmar_probe(void)
{
	struct acpi_table_header *hdr;
	struct acpi_dmar_header *sub;
	struct vtd_unit *unit;
	unsigned int index = 0;
	void *end;
	acpi_status status;
	int ret = 0;

	status = acpi_get_table(ACPI_SIG_DMAR, 0, &hdr);
	if (ACPI_FAILURE(status)) {
		pr_err("no ACPI DMAR table, refusing\n");
		return -ENODEV;
	}

	end = (void *)hdr + hdr->length;
	sub = (void *)hdr + sizeof(struct acpi_table_dmar);
	while ((void *)(sub + 1) <= end && sub->length &&
	       (void *)sub + sub->length <= end) {
		if (sub->type == ACPI_DMAR_TYPE_HARDWARE_UNIT &&
		    sub->length >= sizeof(struct acpi_dmar_hardware_unit)) {
			ret = vtd_dmar_add_unit((void *)sub, index++);
			if (ret)
				break;
		}
		if (sub->type == ACPI_DMAR_TYPE_RESERVED_MEMORY &&
		    sub->length >= sizeof(struct acpi_dmar_reserved_memory)) {
			struct vtd_rmrr *rmrr = vtd_dmar_add_rmrr((void *)sub);

			/* A malformed RMRR is reported and left out. */
			if (IS_ERR(rmrr) && PTR_ERR(rmrr) == -ENOMEM) {
				ret = -ENOMEM;
				break;
			}
		}
		if (sub->type == ACPI_DMAR_TYPE_ROOT_ATS &&
		    sub->length >= sizeof(struct acpi_dmar_atsr)) {
			ret = vtd_dmar_add_atsr((void *)sub);
			if (ret)
				break;
		}
		sub = (void *)sub + sub->length;
	}
	acpi_put_table(hdr);

	if (!ret && list_empty(&vtd_units)) {
		pr_err("no DRHD unit in the DMAR table, refusing\n");
		ret = -ENODEV;
	}
	if (!ret) {
		list_for_each_entry(unit, &vtd_units, node) {
			ret = vtd_dmar_map_unit(unit);
			if (ret)
				break;
		}
	}
	if (ret)
		vtd_dmar_release();
	return ret;
}

/**
 * vtd_dmar_release() - unmap and forget every unit
 */
void vtd_dmar_release(void)
{
	struct vtd_unit *unit, *tmp;
	struct vtd_rmrr *rmrr, *next;
	struct vtd_atsr *atsr, *anext;

	list_for_each_entry_safe(unit, tmp, &vtd_units, node)
		vtd_dmar_free_unit(unit);
	list_for_each_entry_safe(rmrr, next, &vtd_rmrrs, node)
		vtd_dmar_remove_rmrr(rmrr);
	mutex_lock(&vtd_rmrr_lock);
	list_for_each_entry_safe(atsr, anext, &vtd_atsrs, node) {
		list_del(&atsr->node);
		kfree(atsr->scope);
		kfree(atsr);
	}
	mutex_unlock(&vtd_rmrr_lock);
}

/* Follow a scope's PCI path from its start bus; returns a referenced dev. */
static struct pci_dev *vtd_scope_dev(u16 segment, struct acpi_dmar_device_scope *s)
{
	struct acpi_dmar_pci_path *path = (void *)(s + 1);
	int n = (s->length - sizeof(*s)) / sizeof(*path);
	struct pci_dev *dev = NULL;
	int bus = s->bus;

	for (; n > 0; n--, path++) {
		pci_dev_put(dev);
		dev = pci_get_domain_bus_and_slot(segment, bus,
						  PCI_DEVFN(path->device,
							    path->function));
		if (!dev)
			return NULL;
		if (dev->subordinate)
			bus = dev->subordinate->number;
	}
	return dev;
}

/* Does a device scope name @pdev itself (an ATSR's root ports)? */
static bool vtd_scope_names(u16 segment, void *scope, unsigned int len,
			    struct pci_dev *pdev)
{
	void *p = scope, *end = scope + len;

	while (p + sizeof(struct acpi_dmar_device_scope) <= end) {
		struct acpi_dmar_device_scope *s = p;
		struct pci_dev *target;
		bool hit;

		if (!s->length || p + s->length > end)
			break;
		target = vtd_scope_dev(segment, s);
		hit = target == pdev;
		pci_dev_put(target);
		if (hit)
			return true;
		p += s->length;
	}
	return false;
}

/* Does a device scope (DRHD or RMRR) name @pdev or a bridge above it? */
static bool vtd_scope_covers(u16 segment, void *scope, unsigned int len,
			     struct pci_dev *pdev)
{
	void *p = scope, *end = scope + len;

	while (p + sizeof(struct acpi_dmar_device_scope) <= end) {
		struct acpi_dmar_device_scope *s = p;
		struct pci_dev *target;
		bool hit = false;

		if (!s->length || p + s->length > end)
			break;
		if (s->entry_type == ACPI_DMAR_SCOPE_TYPE_ENDPOINT ||
		    s->entry_type == ACPI_DMAR_SCOPE_TYPE_BRIDGE) {
			target = vtd_scope_dev(segment, s);
			if (target == pdev) {
				hit = true;
			} else if (target && target->subordinate &&
				   s->entry_type == ACPI_DMAR_SCOPE_TYPE_BRIDGE) {
				struct pci_bus *bus;

				for (bus = pdev->bus; bus; bus = bus->parent)
					if (bus == target->subordinate)
						hit = true;
			}
			pci_dev_put(target);
		}
		if (hit)
			return true;
		p += s->length;
	}
	return false;
}

/**
 * vtd_unit_for_pci() - the unit that translates a PCI device's DMA
 * @pdev: the device
 *
 * Return: the unit, or NULL if no unit covers @pdev.
 */
struct vtd_unit *vtd_unit_for_pci(struct pci_dev *pdev)
{
	struct vtd_unit *unit, *all = NULL;

	list_for_each_entry(unit, &vtd_units, node) {
		if (unit->segment != pci_domain_nr(pdev->bus))
			continue;
		if (unit->include_all) {
			all = unit;
			continue;
		}
		if (vtd_scope_covers(unit->segment, unit->scope,
				     unit->scope_len, pdev))
			return unit;
	}
	return all;
}

/* Firmware stops using these once the OS drives the device. */
static bool vtd_rmrr_relaxable(struct pci_dev *pdev)
{
	return (pdev->class >> 8) == PCI_CLASS_SERIAL_USB ||
	       (pdev->class >> 16) == PCI_BASE_CLASS_DISPLAY;
}

/**
 * vtd_dmar_rmrr_regions() - add a device's RMRRs to its reserved regions
 * @dev: the device
 * @head: list of struct iommu_resv_region to add to
 *
 * Each RMRR whose scope names @dev (or a bridge above it) becomes a
 * direct-mapped region, readable and writable.
 */
void vtd_dmar_rmrr_regions(struct device *dev, struct list_head *head)
{
	enum iommu_resv_type type;
	struct iommu_resv_region *reg;
	struct vtd_rmrr *rmrr;
	struct pci_dev *pdev;

	if (!dev_is_pci(dev))
		return;
	pdev = to_pci_dev(dev);
	type = vtd_rmrr_relaxable(pdev) ? IOMMU_RESV_DIRECT_RELAXABLE :
					  IOMMU_RESV_DIRECT;
	mutex_lock(&vtd_rmrr_lock);
	list_for_each_entry(rmrr, &vtd_rmrrs, node) {
		if (rmrr->segment != pci_domain_nr(pdev->bus) ||
		    !vtd_scope_covers(rmrr->segment, rmrr->scope,
				      rmrr->scope_len, pdev))
			continue;
		reg = iommu_alloc_resv_region(rmrr->base,
					      rmrr->last - rmrr->base + 1,
					      IOMMU_READ | IOMMU_WRITE, type,
					      GFP_KERNEL);
		if (reg)
			list_add_tail(&reg->list, head);
	}
	mutex_unlock(&vtd_rmrr_lock);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_dmar_rmrr_regions);

/**
 * vtd_dmar_ats_allowed() - may a device use ATS, as the DMAR table says?
 * @pdev: the device (a VF is judged by its PF)
 *
 * Walks up to the root port: a device on a root bus (integrated in the
 * root complex) may; one behind a conventional PCI bridge or a
 * PCIe-to-PCI bridge may not (its requests cannot carry ATS); otherwise
 * its root port must be in an ATSR's scope, or an ATSR of its segment
 * must have ALL_PORTS.
 *
 * Return: true if ATS is allowed.
 */
bool vtd_dmar_ats_allowed(struct pci_dev *pdev)
{
	struct pci_dev *port = NULL;
	struct vtd_atsr *atsr;
	struct pci_bus *bus;
	bool ok = false;

	pdev = pci_physfn(pdev);
	for (bus = pdev->bus; bus; bus = bus->parent) {
		port = bus->self;
		if (!port)
			return true;
		if (!pci_is_pcie(port) ||
		    pci_pcie_type(port) == PCI_EXP_TYPE_PCI_BRIDGE)
			return false;
		if (pci_pcie_type(port) == PCI_EXP_TYPE_ROOT_PORT)
			break;
	}
	if (!bus)
		return false;
	mutex_lock(&vtd_rmrr_lock);
	list_for_each_entry(atsr, &vtd_atsrs, node) {
		if (atsr->segment != pci_domain_nr(pdev->bus))
			continue;
		if (atsr->all_ports ||
		    vtd_scope_names(atsr->segment, atsr->scope,
				    atsr->scope_len, port)) {
			ok = true;
			break;
		}
	}
	mutex_unlock(&vtd_rmrr_lock);
	return ok;
}
