// SPDX-License-Identifier: GPL-2.0
/*
 * Scalable-mode root and context tables, and the per-device PASID
 * directory with its lazily allocated PASID tables.
 *
 * Root entry (128 bits) for bus B: the lower half points at the context
 * table of devfn 0-127, the upper half at the one of devfn 128-255.  A
 * scalable-mode context entry (256 bits) points at the device's PASID
 * directory; each 64-bit directory entry points at a 4 KiB PASID table
 * of 64 entries of 512 bits.  A PASID table is allocated the first time
 * one of its PASIDs is programmed and lives as long as the directory.
 */
#define pr_fmt(fmt) "vtd_sm: " fmt

#include <linux/bitfield.h>
#include <linux/gfp.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <asm/cacheflush.h>
#include <kunit/visibility.h>

#include "pasid_entry.h"
#include "regs.h"
#include "vtd.h"

#define VTD_ROOT_P		BIT_ULL(0)
#define VTD_TABLE_ADDR		GENMASK_ULL(63, 12)

#define VTD_CTX_P		BIT_ULL(0)
#define VTD_CTX_FPD		BIT_ULL(1)
#define VTD_CTX_DTE		BIT_ULL(2)
#define VTD_CTX_PASIDE		BIT_ULL(3)
#define VTD_CTX_PDTS		GENMASK_ULL(11, 9)
#define VTD_CTX_RID_PASID	GENMASK_ULL(19, 0)

#define VTD_PDIR_P		BIT_ULL(0)

#define VTD_PASID_TABLE_SHIFT	6	/* 64 entries per PASID table */
#define VTD_PDIR_MIN_ENTRIES	128

/**
 * vtd_struct_flush() - make a structure update visible to the unit
 * @unit: the unit that reads the structure
 * @p: start of the update
 * @len: its length
 *
 * Needed only by units that do not snoop their page walks (ECAP.C clear).
 */
void vtd_struct_flush(struct vtd_unit *unit, void *p, size_t len)
{
	if (!(unit->ecap & VTD_ECAP_C))
		clflush_cache_range(p, len);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_struct_flush);

/**
 * vtd_ctx_tables_alloc() - allocate an empty root table
 * @unit: the unit
 *
 * Return: 0 or -ENOMEM.
 */
int vtd_ctx_tables_alloc(struct vtd_unit *unit)
{
	unit->root = (u64 *)get_zeroed_page(GFP_KERNEL);
	if (!unit->root)
		return -ENOMEM;
	vtd_struct_flush(unit, unit->root, PAGE_SIZE);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_ctx_tables_alloc);

/**
 * vtd_ctx_tables_free() - free the root and context tables
 * @unit: a unit whose translation is off
 */
void vtd_ctx_tables_free(struct vtd_unit *unit)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(unit->ctx); i++) {
		free_page((unsigned long)unit->ctx[i]);
		unit->ctx[i] = NULL;
	}
	free_page((unsigned long)unit->root);
	unit->root = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_ctx_tables_free);

/**
 * vtd_ctx_entry() - the context entry of a source-id, if its table exists
 * @unit: the unit
 * @bus: bus number
 * @devfn: device and function
 *
 * Return: the four quadwords of the entry, or NULL.
 */
u64 *vtd_ctx_entry(struct vtd_unit *unit, u8 bus, u8 devfn)
{
	u64 *table = READ_ONCE(unit->ctx[bus * 2 + (devfn >> 7)]);

	return table ? table + (devfn & 0x7f) * 4 : NULL;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_ctx_entry);

static u64 *vtd_ctx_entry_alloc(struct vtd_unit *unit, u8 bus, u8 devfn)
{
	unsigned int idx = bus * 2 + (devfn >> 7);
	u64 *table, *spare;

	table = vtd_ctx_entry(unit, bus, devfn);
	if (table)
		return table;

	spare = (u64 *)get_zeroed_page(GFP_KERNEL);
	if (!spare)
		return NULL;
	vtd_struct_flush(unit, spare, PAGE_SIZE);

	spin_lock(&unit->ctx_lock);
	if (!unit->ctx[idx]) {
		WRITE_ONCE(unit->ctx[idx], spare);
		WRITE_ONCE(unit->root[idx], virt_to_phys(spare) | VTD_ROOT_P);
		vtd_struct_flush(unit, &unit->root[idx], sizeof(u64));
		spare = NULL;
	}
	spin_unlock(&unit->ctx_lock);
	free_page((unsigned long)spare);
	return vtd_ctx_entry(unit, bus, devfn);
}

/**
 * vtd_ctx_pasid_dir_alloc() - allocate a device's PASID directory
 * @vdev: the device, with @max_pasids set
 *
 * The directory covers @vdev->max_pasids PASIDs and is at least as large
 * as the smallest the context entry can describe (128 entries).
 *
 * Return: 0 or -ENOMEM.
 */
int vtd_ctx_pasid_dir_alloc(struct vtd_dev *vdev)
{
	unsigned int n = DIV_ROUND_UP(vdev->max_pasids, 1U << VTD_PASID_TABLE_SHIFT);

	n = roundup_pow_of_two(max_t(unsigned int, n, VTD_PDIR_MIN_ENTRIES));
	vdev->pasid_dir = (u64 *)__get_free_pages(GFP_KERNEL | __GFP_ZERO,
						  get_order(n * sizeof(u64)));
	if (!vdev->pasid_dir)
		return -ENOMEM;
	vdev->dir_entries = n;
	vtd_struct_flush(vdev->unit, vdev->pasid_dir, n * sizeof(u64));
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_ctx_pasid_dir_alloc);

/**
 * vtd_ctx_pasid_dir_free() - free a device's PASID directory and tables
 * @vdev: a device no context entry points at any more
 */
void vtd_ctx_pasid_dir_free(struct vtd_dev *vdev)
{
	unsigned int i;

	if (!vdev->pasid_dir)
		return;
	for (i = 0; i < vdev->dir_entries; i++)
		if (vdev->pasid_dir[i] & VTD_PDIR_P)
			free_page((unsigned long)phys_to_virt(vdev->pasid_dir[i] &
							      VTD_TABLE_ADDR));
	free_pages((unsigned long)vdev->pasid_dir,
		   get_order(vdev->dir_entries * sizeof(u64)));
	vdev->pasid_dir = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_ctx_pasid_dir_free);

/**
 * vtd_pasid_entry() - the PASID table entry of one PASID of a device
 * @vdev: the device
 * @pasid: the PASID
 * @alloc: allocate the PASID table if it does not exist yet
 *
 * Context: may sleep if @alloc.
 * Return: the entry, or NULL (PASID beyond the directory, no table and
 * !@alloc, or no memory).
 */
struct vtd_pasid_entry *vtd_pasid_entry(struct vtd_dev *vdev, u32 pasid,
					bool alloc)
{
	unsigned int idx = pasid >> VTD_PASID_TABLE_SHIFT;
	struct vtd_pasid_entry *table;
	u64 de, old;

	if (idx >= vdev->dir_entries)
		return NULL;
	de = READ_ONCE(vdev->pasid_dir[idx]);
	if (!(de & VTD_PDIR_P)) {
		if (!alloc)
			return NULL;
		table = (void *)get_zeroed_page(GFP_KERNEL);
		if (!table)
			return NULL;
		vtd_struct_flush(vdev->unit, table, PAGE_SIZE);
		old = cmpxchg64(&vdev->pasid_dir[idx], de,
				virt_to_phys(table) | VTD_PDIR_P);
		if (old != de) {
			free_page((unsigned long)table);
			de = old;
		} else {
			de = virt_to_phys(table) | VTD_PDIR_P;
			vtd_struct_flush(vdev->unit, &vdev->pasid_dir[idx], sizeof(u64));
		}
	}
	table = phys_to_virt(de & VTD_TABLE_ADDR);
	return &table[pasid & GENMASK(VTD_PASID_TABLE_SHIFT - 1, 0)];
}
EXPORT_SYMBOL_IF_KUNIT(vtd_pasid_entry);

/**
 * vtd_ctx_install() - point a source-id's context entry at a device's
 *		       PASID directory
 * @vdev: the device
 * @alias: source-id the device's DMA carries (its own or an alias)
 * @b: batch that gets the context-cache invalidation
 *
 * The entry is written while not present, then made present.  An entry
 * already present for the same directory is left alone.
 *
 * Return: 0, -ENOMEM, or -EBUSY if @alias belongs to another directory.
 */
int vtd_ctx_install(struct vtd_dev *vdev, u16 alias, struct vtd_qi_batch *b)
{
	struct vtd_unit *unit = vdev->unit;
	unsigned int pdts = ilog2(vdev->dir_entries) - 7;
	u64 *ce, qw0;

	ce = vtd_ctx_entry_alloc(unit, PCI_BUS_NUM(alias), alias & 0xff);
	if (!ce)
		return -ENOMEM;

	qw0 = (virt_to_phys(vdev->pasid_dir) & VTD_TABLE_ADDR) |
	      FIELD_PREP(VTD_CTX_PDTS, pdts) | VTD_CTX_P;
	if (vdev->max_pasids > 1)
		qw0 |= VTD_CTX_PASIDE;

	spin_lock(&unit->ctx_lock);
	if (ce[0] & VTD_CTX_P) {
		bool same = (ce[0] & VTD_TABLE_ADDR) ==
			    (qw0 & VTD_TABLE_ADDR);

		spin_unlock(&unit->ctx_lock);
		return same ? 0 : -EBUSY;
	}
	ce[1] = FIELD_PREP(VTD_CTX_RID_PASID, 0);
	ce[2] = 0;
	ce[3] = 0;
	/* Everything else is in place before the entry becomes present. */
	dma_wmb();
	WRITE_ONCE(ce[0], qw0);
	vtd_struct_flush(unit, ce, 4 * sizeof(u64));
	spin_unlock(&unit->ctx_lock);

	/* The unit may cache non-present entries (caching mode). */
	vtd_qi_add_cc_device(b, 0, alias);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_ctx_install);

/**
 * vtd_ctx_remove() - clear a source-id's context entry
 * @vdev: the device the entry belongs to
 * @alias: the source-id
 * @b: batch that gets the invalidations
 */
void vtd_ctx_remove(struct vtd_dev *vdev, u16 alias, struct vtd_qi_batch *b)
{
	struct vtd_unit *unit = vdev->unit;
	u64 *ce = vtd_ctx_entry(unit, PCI_BUS_NUM(alias), alias & 0xff);

	if (!ce)
		return;
	spin_lock(&unit->ctx_lock);
	if ((ce[0] & VTD_TABLE_ADDR) != virt_to_phys(vdev->pasid_dir)) {
		spin_unlock(&unit->ctx_lock);
		return;
	}
	WRITE_ONCE(ce[0], 0);
	vtd_struct_flush(unit, ce, sizeof(u64));
	spin_unlock(&unit->ctx_lock);
	vtd_qi_add_cc_device(b, 0, alias);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_ctx_remove);
