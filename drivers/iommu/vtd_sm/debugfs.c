// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/vtd_sm/<unit>/: the unit's registers and counters
 * ("counters") and a decoded dump of the root, context and PASID entries
 * of every device behind it ("tables").
 */
#include <linux/debugfs.h>
#include <linux/io.h>
#include <linux/pci.h>
#include <linux/seq_file.h>

#include "pasid_entry.h"
#include "regs.h"
#include "vtd.h"

static struct dentry *vtd_debugfs_root;

static int vtd_counters_show(struct seq_file *m, void *unused)
{
	struct vtd_unit *unit = m->private;
	struct vtd_qi_stats *qs = &unit->qi.stats;

	seq_printf(m, "cap: %#llx\necap: %#llx\n", unit->cap, unit->ecap);
	seq_printf(m, "gsts: %#x\nfsts: %#x\n",
		   readl(unit->regs + VTD_REG_GSTS),
		   readl(unit->regs + VTD_REG_FSTS));
	seq_printf(m, "qi_descriptors: %lld\n", atomic64_read(&qs->descs));
	seq_printf(m, "qi_batches: %lld\n", atomic64_read(&qs->batches));
	seq_printf(m, "qi_iqe: %lld\n", atomic64_read(&qs->iqe));
	seq_printf(m, "qi_ite: %lld\n", atomic64_read(&qs->ite));
	seq_printf(m, "qi_ice: %lld\n", atomic64_read(&qs->ice));
	seq_printf(m, "qi_timeouts: %lld\n", atomic64_read(&qs->timeouts));
	seq_printf(m, "faults: %lld\n", atomic64_read(&unit->faults.records));
	seq_printf(m, "fault_overflows: %lld\n",
		   atomic64_read(&unit->faults.overflows));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vtd_counters);

static const char * const vtd_pgtt_names[] = {
	[VTD_PGTT_FL] = "first-level",
	[VTD_PGTT_SL] = "second-level",
	[VTD_PGTT_NESTED] = "nested",
	[VTD_PGTT_PT] = "pass-through",
};

static void vtd_show_pasid_entry(struct seq_file *m, u32 pasid,
				 const struct vtd_pasid_entry *pe)
{
	unsigned int pgtt = FIELD_GET(VTD_PE0_PGTT, pe->val[0]);

	seq_printf(m, "    pasid %u: %016llx %016llx %016llx %016llx\n", pasid,
		   pe->val[0], pe->val[1], pe->val[2], pe->val[3]);
	seq_printf(m, "      P=%d FPD=%d PGTT=%u(%s) DID=%llu AW=%llu SLPTPTR=%#llx FLPTR=%#llx FLPM=%llu SRE=%d\n",
		   !!(pe->val[0] & VTD_PE0_P), !!(pe->val[0] & VTD_PE0_FPD),
		   pgtt, pgtt < ARRAY_SIZE(vtd_pgtt_names) && vtd_pgtt_names[pgtt] ?
		   vtd_pgtt_names[pgtt] : "reserved",
		   FIELD_GET(VTD_PE1_DID, pe->val[1]),
		   FIELD_GET(VTD_PE0_AW, pe->val[0]),
		   pe->val[0] & VTD_PE0_SLPTPTR, pe->val[2] & VTD_PE2_FLPTR,
		   FIELD_GET(VTD_PE2_FLPM, pe->val[2]),
		   !!(pe->val[2] & VTD_PE2_SRE));
}

static void vtd_show_dev(struct seq_file *m, struct vtd_dev *vdev)
{
	struct vtd_unit *unit = vdev->unit;
	u64 *ce = vtd_ctx_entry(unit, vdev->bus, vdev->devfn);
	unsigned int half = vdev->devfn >> 7;
	struct vtd_pasid_entry pe;
	u32 pasid;

	seq_printf(m, "%s %02x:%02x.%u sid %#06x max_pasids %u domain %s\n",
		   dev_name(vdev->dev), vdev->bus, PCI_SLOT(vdev->devfn),
		   PCI_FUNC(vdev->devfn), vdev->sid, vdev->max_pasids,
		   vdev->domain ? (vtd_dev_is_identity(vdev) ? "identity" :
				   "other") : "none");
	seq_printf(m, "  root[%u].%s: %016llx\n", vdev->bus,
		   half ? "upper" : "lower", unit->root[vdev->bus * 2 + half]);
	if (!ce) {
		seq_puts(m, "  context: no table\n");
		return;
	}
	seq_printf(m, "  context: %016llx %016llx %016llx %016llx\n",
		   ce[0], ce[1], ce[2], ce[3]);
	seq_printf(m, "    P=%d FPD=%d DTE=%d PASIDE=%d PDTS=%llu PASIDDIRPTR=%#llx RID_PASID=%llu\n",
		   !!(ce[0] & BIT(0)), !!(ce[0] & BIT(1)), !!(ce[0] & BIT(2)),
		   !!(ce[0] & BIT(3)), (ce[0] >> 9) & 7,
		   ce[0] & GENMASK_ULL(63, 12), ce[1] & GENMASK_ULL(19, 0));
	for (pasid = 0; pasid < vdev->max_pasids; pasid++) {
		vtd_dev_pasid_entry_snapshot(vdev, pasid, &pe);
		if (pe.val[0] || pe.val[1] || pe.val[2])
			vtd_show_pasid_entry(m, pasid, &pe);
	}
}

static int vtd_tables_show(struct seq_file *m, void *unused)
{
	struct vtd_unit *unit = m->private;
	struct vtd_dev *vdev;
	unsigned long sid;

	seq_printf(m, "%s root table %#llx\n", unit->name,
		   (u64)virt_to_phys(unit->root));
	/* The lock keeps release_device() from freeing what is shown. */
	xa_lock(&unit->devices);
	xa_for_each(&unit->devices, sid, vdev)
		vtd_show_dev(m, vdev);
	xa_unlock(&unit->devices);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vtd_tables);

/**
 * vtd_debugfs_init() - create /sys/kernel/debug/vtd_sm
 */
void vtd_debugfs_init(void)
{
	vtd_debugfs_root = debugfs_create_dir("vtd_sm", NULL);
}

/**
 * vtd_debugfs_add_unit() - add a unit's directory
 * @unit: an enabled unit
 */
void vtd_debugfs_add_unit(struct vtd_unit *unit)
{
	unit->debugfs = debugfs_create_dir(unit->name, vtd_debugfs_root);
	debugfs_create_file("counters", 0400, unit->debugfs, unit,
			    &vtd_counters_fops);
	debugfs_create_file("tables", 0400, unit->debugfs, unit,
			    &vtd_tables_fops);
}

/**
 * vtd_debugfs_remove_unit() - remove a unit's directory
 * @unit: the unit
 */
void vtd_debugfs_remove_unit(struct vtd_unit *unit)
{
	debugfs_remove_recursive(unit->debugfs);
	unit->debugfs = NULL;
}

/**
 * vtd_debugfs_exit() - remove /sys/kernel/debug/vtd_sm
 */
void vtd_debugfs_exit(void)
{
	debugfs_remove_recursive(vtd_debugfs_root);
	vtd_debugfs_root = NULL;
}
