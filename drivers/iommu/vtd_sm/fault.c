// SPDX-License-Identifier: GPL-2.0
/*
 * Fault reporting from the primary fault recording registers.
 *
 * The fault event interrupt needs an interrupt the DMAR code of the core
 * kernel allocates (dmar_alloc_hwirq() is not exported to modules), so
 * the registers are polled from a delayed work instead; the interrupt
 * stays masked.  Each record is decoded, counted and reported with a
 * rate limit, then released to the unit.
 */
#define pr_fmt(fmt) "vtd_sm: " fmt

#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/pci.h>
#include <linux/string_choices.h>

#include "regs.h"
#include "vtd.h"

#define VTD_FAULT_POLL_MS	100

static const char *vtd_fault_type(u64 hi)
{
	if (hi & VTD_FRCD_HI_T2)
		return "page request";
	return str_read_write(hi & VTD_FRCD_HI_T1);
}

static void vtd_fault_report(struct vtd_unit *unit, u64 lo, u64 hi)
{
	u16 sid = FIELD_GET(VTD_FRCD_HI_SID, hi);

	spin_lock(&unit->faults.last_lock);
	unit->faults.last_lo = lo;
	unit->faults.last_hi = hi;
	atomic64_inc(&unit->faults.records);
	spin_unlock(&unit->faults.last_lock);
	if (hi & VTD_FRCD_HI_PP)
		pr_err_ratelimited("%s: DMA %s fault from %04x:%02x:%02x.%u pasid %#llx addr %#llx reason %#llx\n",
				   unit->name, vtd_fault_type(hi), unit->segment,
				   PCI_BUS_NUM(sid), PCI_SLOT(sid & 0xff),
				   PCI_FUNC(sid & 0xff),
				   FIELD_GET(VTD_FRCD_HI_PV, hi),
				   lo & VTD_FRCD_LO_FI,
				   FIELD_GET(VTD_FRCD_HI_FR, hi));
	else
		pr_err_ratelimited("%s: DMA %s fault from %04x:%02x:%02x.%u addr %#llx reason %#llx\n",
				   unit->name, vtd_fault_type(hi), unit->segment,
				   PCI_BUS_NUM(sid), PCI_SLOT(sid & 0xff),
				   PCI_FUNC(sid & 0xff),
				   lo & VTD_FRCD_LO_FI,
				   FIELD_GET(VTD_FRCD_HI_FR, hi));
}

static void vtd_fault_poll(struct vtd_unit *unit)
{
	unsigned int base = vtd_cap_fault_reg_offset(unit->cap);
	unsigned int n = vtd_cap_num_fault_regs(unit->cap);
	u32 fsts = readl(unit->regs + VTD_REG_FSTS);
	unsigned int i, idx;

	if (fsts & VTD_FSTS_PPF) {
		idx = FIELD_GET(VTD_FSTS_FRI, fsts);
		for (i = 0; i < n; i++, idx = (idx + 1) % n) {
			void __iomem *rec = unit->regs + base + idx * 16;
			u64 hi = readq(rec + 8);
			u64 lo;

			if (!(hi & VTD_FRCD_HI_F))
				continue;
			lo = readq(rec);
			/* F is write-one-to-clear, in the record's top dword. */
			writel(upper_32_bits(VTD_FRCD_HI_F), rec + 12);
			vtd_fault_report(unit, lo, hi);
		}
	}
	if (fsts & VTD_FSTS_PFO) {
		atomic64_inc(&unit->faults.overflows);
		pr_err_ratelimited("%s: fault records overflowed, some were lost\n",
				   unit->name);
		writel(VTD_FSTS_PFO, unit->regs + VTD_REG_FSTS);
	}
}

static void vtd_fault_work(struct work_struct *work)
{
	struct vtd_unit *unit = container_of(to_delayed_work(work),
					     struct vtd_unit, fault_work);

	vtd_fault_poll(unit);
	schedule_delayed_work(&unit->fault_work,
			      msecs_to_jiffies(VTD_FAULT_POLL_MS));
}

/**
 * vtd_fault_start() - start reporting a unit's faults
 * @unit: an enabled unit
 */
void vtd_fault_start(struct vtd_unit *unit)
{
	/* Polled: keep the fault event interrupt masked. */
	writel(VTD_FECTL_IM, unit->regs + VTD_REG_FECTL);
	spin_lock_init(&unit->faults.last_lock);
	INIT_DELAYED_WORK(&unit->fault_work, vtd_fault_work);
	vtd_fault_poll(unit);
	schedule_delayed_work(&unit->fault_work,
			      msecs_to_jiffies(VTD_FAULT_POLL_MS));
}

/**
 * vtd_fault_stop() - stop reporting, after a last look at the records
 * @unit: the unit
 */
void vtd_fault_stop(struct vtd_unit *unit)
{
	cancel_delayed_work_sync(&unit->fault_work);
	vtd_fault_poll(unit);
}

/**
 * vtd_fault_sync() - read the fault recording registers now
 * @unit: a unit whose fault reporting is started
 *
 * Runs the poll at once instead of at its next period and waits for it,
 * so that a fault the unit has recorded is counted when this returns.
 *
 * Context: process, may sleep.
 */
void vtd_fault_sync(struct vtd_unit *unit)
{
	/* Queues the pending poll immediately; the poll then re-arms itself. */
	flush_delayed_work(&unit->fault_work);
}

/**
 * vtd_fault_last() - the last fault record read from a unit
 * @unit: the unit
 * @lo: low 64 bits of the record
 * @hi: high 64 bits (F set in a valid record)
 *
 * Return: true if a record was read since the unit was enabled.
 */
bool vtd_fault_last(struct vtd_unit *unit, u64 *lo, u64 *hi)
{
	spin_lock(&unit->faults.last_lock);
	*lo = unit->faults.last_lo;
	*hi = unit->faults.last_hi;
	spin_unlock(&unit->faults.last_lock);
	return *hi & VTD_FRCD_HI_F;
}
