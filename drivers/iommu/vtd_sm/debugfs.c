// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/vtd_sm/<unit>/: the unit's registers and counters
 * ("counters"), a decoded dump of the root, context and PASID entries
 * of every device behind it ("tables") and its last fault record
 * ("last_fault").
 *
 * /sys/kernel/debug/vtd_sm/translate: the independent walker's answer
 * for a request (see Documentation/driver-api/vtd_sm-debug.rst), and
 * /sys/kernel/debug/vtd_sm/<device>/: the debug knobs of debug.c.
 */
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/io.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/seq_file.h>
#include <linux/string_choices.h>
#include <linux/uaccess.h>

#include "pasid_entry.h"
#include "regs.h"
#include "vtd.h"
#include "vtd_sm_debug.h"
#include "walk.h"

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
	seq_printf(m, "qi_devtlb: %lld\n", atomic64_read(&qs->devtlb));
	seq_printf(m, "qi_batches: %lld\n", atomic64_read(&qs->batches));
	seq_printf(m, "qi_iqe: %lld\n", atomic64_read(&qs->iqe));
	seq_printf(m, "qi_ite: %lld\n", atomic64_read(&qs->ite));
	seq_printf(m, "qi_ice: %lld\n", atomic64_read(&qs->ice));
	seq_printf(m, "qi_timeouts: %lld\n", atomic64_read(&qs->timeouts));
	seq_printf(m, "quarantined: %d\n", atomic_read(&unit->quarantined));
	seq_printf(m, "ats_devices: %d\n", atomic_read(&unit->ats_devices));
	/* How the entry writer made its updates (see vtd_sm-pasid-entry.rst). */
	seq_printf(m, "pasid_updates_hitless: %lld\n",
		   atomic64_read(&unit->pasid_updates[VTD_PASID_UPDATE_HITLESS]));
	seq_printf(m, "pasid_updates_hitless_seq: %lld\n",
		   atomic64_read(&unit->pasid_updates[VTD_PASID_UPDATE_HITLESS_SEQ]));
	seq_printf(m, "pasid_updates_teardown: %lld\n",
		   atomic64_read(&unit->pasid_updates[VTD_PASID_UPDATE_TEARDOWN]));
	/* PASID tables held, those without a present entry, those given back. */
	seq_printf(m, "pasid_tables: %ld\n", atomic_long_read(&unit->pt_live));
	seq_printf(m, "pasid_tables_empty: %ld\n",
		   atomic_long_read(&unit->pt_empty));
	seq_printf(m, "pasid_tables_reclaimed: %lld\n",
		   atomic64_read(&unit->pt_reclaimed));
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

static int vtd_last_fault_show(struct seq_file *m, void *unused)
{
	struct vtd_unit *unit = m->private;
	struct vtd_sm_fault_info fi;

	vtd_fault_sync(unit);
	vtd_debug_fault_info(unit, &fi);
	if (!fi.valid) {
		seq_printf(m, "none faults %llu overflows %llu\n", fi.count,
			   fi.overflows);
		return 0;
	}
	seq_printf(m, "sid %02x:%02x.%u", PCI_BUS_NUM(fi.sid),
		   PCI_SLOT(fi.sid & 0xff), PCI_FUNC(fi.sid & 0xff));
	if (fi.pasid_present)
		seq_printf(m, " pasid %u", fi.pasid);
	else
		seq_puts(m, " pasid none");
	seq_printf(m, " addr %#llx %s reason %#04x faults %llu overflows %llu\n",
		   fi.addr, str_write_read(fi.write), fi.reason, fi.count,
		   fi.overflows);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vtd_last_fault);

/*
 * translate: a write names a request, a read returns the walker's answer
 * for the last one written.
 */
#define VTD_TRANSLATE_IN	128
#define VTD_TRANSLATE_OUT	256

static DEFINE_MUTEX(vtd_translate_lock);
static char vtd_translate_out[VTD_TRANSLATE_OUT] = "none\n";

static int vtd_translate_parse(char *buf, u32 *seg, u16 *sid, u32 *pasid,
			       u64 *addr, unsigned int *access)
{
	unsigned int dom = 0, bus, slot, fn;
	char *bdf, *p, *a, *acc;
	int n;

	bdf = strsep(&buf, " \t\n");
	p = strsep(&buf, " \t\n");
	a = strsep(&buf, " \t\n");
	acc = strsep(&buf, " \t\n");
	if (!bdf || !p || !a || (buf && strim(buf)[0]))
		return -EINVAL;

	if (sscanf(bdf, "%x:%x:%x.%x%n", &dom, &bus, &slot, &fn, &n) != 4 ||
	    bdf[n]) {
		dom = 0;
		if (sscanf(bdf, "%x:%x.%x%n", &bus, &slot, &fn, &n) != 3 ||
		    bdf[n])
			return -EINVAL;
	}
	if (dom > 0xffff || bus > 0xff || slot > 0x1f || fn > 7)
		return -EINVAL;
	*seg = dom;
	*sid = PCI_DEVID(bus, PCI_DEVFN(slot, fn));

	if (!strcmp(p, "-"))
		*pasid = VTD_WALK_NO_PASID;
	else if (kstrtou32(p, 0, pasid) || *pasid >= BIT(20))
		return -EINVAL;

	if (kstrtou64(a, 16, addr))
		return -EINVAL;

	if (!acc || !*acc || !strcmp(acc, "r"))
		*access = VTD_WALK_READ;
	else if (!strcmp(acc, "w"))
		*access = VTD_WALK_WRITE;
	else
		return -EINVAL;
	return 0;
}

static struct vtd_unit *vtd_translate_unit(u32 seg, u16 sid)
{
	struct vtd_unit *unit = NULL;
	struct pci_dev *pdev;

	pdev = pci_get_domain_bus_and_slot(seg, PCI_BUS_NUM(sid), sid & 0xff);
	if (pdev)
		unit = vtd_unit_for_pci(pdev);
	pci_dev_put(pdev);
	return unit;
}

static ssize_t vtd_translate_write(struct file *file, const char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	struct vtd_walk_result res;
	char buf[VTD_TRANSLATE_IN];
	struct vtd_unit *unit;
	unsigned int access;
	u32 seg, pasid;
	u64 addr;
	u16 sid;
	int ret, n;

	if (!count || count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	ret = vtd_translate_parse(strim(buf), &seg, &sid, &pasid, &addr, &access);
	if (ret)
		return ret;
	unit = vtd_translate_unit(seg, sid);
	if (!unit || !unit->pdev)
		return -ENODEV;

	/* The unit's tables stay while its platform device stays bound. */
	device_lock(&unit->pdev->dev);
	if (!unit->iommu_registered) {
		device_unlock(&unit->pdev->dev);
		return -ENODEV;
	}
	ret = vtd_debug_walk(unit, sid, pasid, addr, access, &res);
	device_unlock(&unit->pdev->dev);
	if (ret && ret != -EFAULT)
		return ret;

	mutex_lock(&vtd_translate_lock);
	n = vtd_walk_format(&res, vtd_translate_out, sizeof(vtd_translate_out));
	/* The walk's depth goes at the end of the line. */
	if (n && vtd_translate_out[n - 1] == '\n')
		n--;
	scnprintf(vtd_translate_out + n, sizeof(vtd_translate_out) - n,
		  " levels %u\n", res.levels);
	mutex_unlock(&vtd_translate_lock);
	return count;
}

static ssize_t vtd_translate_read(struct file *file, char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	char out[VTD_TRANSLATE_OUT];

	mutex_lock(&vtd_translate_lock);
	strscpy(out, vtd_translate_out);
	mutex_unlock(&vtd_translate_lock);
	return simple_read_from_buffer(ubuf, count, ppos, out, strlen(out));
}

static const struct file_operations vtd_translate_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = vtd_translate_read,
	.write = vtd_translate_write,
	.llseek = default_llseek,
};

/**
 * vtd_debugfs_init() - create /sys/kernel/debug/vtd_sm
 */
void vtd_debugfs_init(void)
{
	vtd_debugfs_root = debugfs_create_dir("vtd_sm", NULL);
	debugfs_create_file("translate", 0600, vtd_debugfs_root, NULL,
			    &vtd_translate_fops);
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
	debugfs_create_file("last_fault", 0400, unit->debugfs, unit,
			    &vtd_last_fault_fops);
	vtd_debug_add_unit(unit, vtd_debugfs_root);
}

/**
 * vtd_debugfs_remove_unit() - remove a unit's directory
 * @unit: the unit
 */
void vtd_debugfs_remove_unit(struct vtd_unit *unit)
{
	vtd_debug_remove_unit(unit);
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
