// SPDX-License-Identifier: GPL-2.0
/*
 * Remapping units from the ACPI DMAR table.
 *
 * Each DRHD structure describes one unit: its register base, its PCI
 * segment and either INCLUDE_PCI_ALL or a list of device scopes.  The
 * units are mapped and their capabilities read; nothing is written to
 * them here.  A unit this driver cannot drive makes the whole probe fail
 * before any unit is touched.
 */
#define pr_fmt(fmt) "vtd_sm: " fmt

#include <linux/acpi.h>
#include <linux/io.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "regs.h"
#include "vtd.h"

LIST_HEAD(vtd_units);

static int vtd_dmar_add_unit(struct acpi_dmar_hardware_unit *drhd,
			     unsigned int index)
{
	unsigned int scope_len = drhd->header.length - sizeof(*drhd);
	struct vtd_unit *unit;

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

	list_for_each_entry_safe(unit, tmp, &vtd_units, node)
		vtd_dmar_free_unit(unit);
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

static bool vtd_scope_covers(struct vtd_unit *unit, struct pci_dev *pdev)
{
	void *p = unit->scope, *end = unit->scope + unit->scope_len;

	while (p + sizeof(struct acpi_dmar_device_scope) <= end) {
		struct acpi_dmar_device_scope *s = p;
		struct pci_dev *target;
		bool hit = false;

		if (!s->length || p + s->length > end)
			break;
		if (s->entry_type == ACPI_DMAR_SCOPE_TYPE_ENDPOINT ||
		    s->entry_type == ACPI_DMAR_SCOPE_TYPE_BRIDGE) {
			target = vtd_scope_dev(unit->segment, s);
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
		if (vtd_scope_covers(unit, pdev))
			return unit;
	}
	return all;
}
