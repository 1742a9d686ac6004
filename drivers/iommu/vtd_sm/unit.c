// SPDX-License-Identifier: GPL-2.0
/*
 * Bring-up and shut-down of a remapping unit's hardware state: queued
 * invalidation, the scalable-mode root table, the global invalidations
 * the specification asks for after a new root table, and translation;
 * and the same state programmed again after the machine slept.
 *
 * The register accesses that wait for the unit poll without sleeping:
 * suspend, resume and shutdown run them with interrupts off.
 */
#define pr_fmt(fmt) "vtd_sm: " fmt

#include <linux/io.h>
#include <linux/iopoll.h>

#include "regs.h"
#include "vtd.h"

#define VTD_GSTS_TIMEOUT_US	(1 * USEC_PER_SEC)

static u64 vtd_mmio_read(void *priv, unsigned int reg)
{
	struct vtd_unit *unit = priv;

	if (reg == VTD_REG_FSTS || reg == VTD_REG_PRS || reg == VTD_REG_PECTL)
		return readl(unit->regs + reg);
	return readq(unit->regs + reg);
}

static void vtd_mmio_write(void *priv, unsigned int reg, u64 val)
{
	struct vtd_unit *unit = priv;

	if (reg == VTD_REG_FSTS || reg == VTD_REG_PRS || reg == VTD_REG_PECTL)
		writel(val, unit->regs + reg);
	else
		writeq(val, unit->regs + reg);
}

static const struct vtd_qi_io vtd_mmio_io = {
	.read = vtd_mmio_read,
	.write = vtd_mmio_write,
};

/*
 * Issue a global command and wait for its status.  @cmd is a persistent
 * command (TE, QIE) when @oneshot is false, set or cleared by @on.
 */
static int vtd_gcmd(struct vtd_unit *unit, u32 cmd, bool on, bool oneshot)
{
	u32 sts, val;
	int ret;

	if (oneshot) {
		val = unit->gcmd | cmd;
	} else {
		if (on)
			unit->gcmd |= cmd;
		else
			unit->gcmd &= ~cmd;
		val = unit->gcmd;
	}
	writel(val, unit->regs + VTD_REG_GCMD);
	ret = readl_poll_timeout_atomic(unit->regs + VTD_REG_GSTS, sts,
					!!(sts & cmd) == on, 1,
					VTD_GSTS_TIMEOUT_US);
	if (ret)
		pr_err("%s: command %#x did not complete (gsts %#x)\n",
		       unit->name, cmd, sts);
	return ret;
}

static void vtd_disable_qi(struct vtd_unit *unit)
{
	u64 head, tail = readq(unit->regs + VTD_REG_IQT);

	/* Let the unit drain what it has, then stop fetching. */
	readq_poll_timeout_atomic(unit->regs + VTD_REG_IQH, head, head == tail,
				  1, VTD_GSTS_TIMEOUT_US);
	vtd_gcmd(unit, VTD_GCMD_QIE, false, false);
}

/*
 * A unit that offers PASID allocation through virtual commands (a guest's
 * vIOMMU) hands PASIDs out on behalf of its host: route ioasid through it.
 * Not fatal when refused (-EAGAIN once PASIDs were handed out): the default
 * allocator then stays in use, as on a unit without the capability.
 */
static void vtd_unit_vcmd_register(struct vtd_unit *unit)
{
	u64 vccap = 0;
	int ret;

	if (unit->ecap & VTD_ECAP_VCS)
		vccap = readq(unit->regs + VTD_REG_VCCAP);
	if (!vtd_vcmd_supported(unit->ecap, vccap))
		return;
	vtd_vcmd_init(&unit->vcmd, NULL, unit->regs, 0);
	ret = vtd_vcmd_register(&unit->vcmd);
	if (ret) {
		pr_warn("%s: PASID allocation through virtual commands not used: %d\n",
			unit->name, ret);
		vtd_vcmd_destroy(&unit->vcmd);
		return;
	}
	unit->vcmd_registered = true;
}

static void vtd_unit_vcmd_unregister(struct vtd_unit *unit)
{
	if (!unit->vcmd_registered)
		return;
	vtd_vcmd_unregister(&unit->vcmd);
	vtd_vcmd_destroy(&unit->vcmd);
	unit->vcmd_registered = false;
}

/*
 * Program a unit whose translation and queued invalidation are off: the
 * queue from slot 0, the root table, then the global invalidations of the
 * context cache, the PASID cache and the IOTLB, in that order.  Leaves
 * queued invalidation off again on failure.
 */
static int vtd_unit_hw_start(struct vtd_unit *unit)
{
	struct vtd_qi_batch b;
	int ret;

	/* Stale queue errors would be blamed on our first batch. */
	writel(VTD_FSTS_QI_ERRORS | VTD_FSTS_PFO, unit->regs + VTD_REG_FSTS);
	vtd_qi_reset(&unit->qi);
	writeq(0, unit->regs + VTD_REG_IQT);
	writeq(vtd_qi_iqa(&unit->qi), unit->regs + VTD_REG_IQA);
	ret = vtd_gcmd(unit, VTD_GCMD_QIE, true, false);
	if (ret)
		return ret;

	writeq(virt_to_phys(unit->root) |
	       FIELD_PREP(VTD_RTADDR_TTM, VTD_RTADDR_TTM_SM),
	       unit->regs + VTD_REG_RTADDR);
	ret = vtd_gcmd(unit, VTD_GCMD_SRTP, true, true);
	if (ret)
		goto err_qie;

	vtd_qi_batch_begin(&b, &unit->qi);
	vtd_qi_add_cc_global(&b);
	vtd_qi_add_pc_global(&b);
	vtd_qi_add_iotlb_global(&b);
	ret = vtd_qi_submit(&b);
	if (ret)
		goto err_qie;
	vtd_prq_hw_start(unit);
	return 0;

err_qie:
	vtd_disable_qi(unit);
	writeq(0, unit->regs + VTD_REG_RTADDR);
	return ret;
}

/*
 * Turn translation and queued invalidation off as the unit's status
 * says they are, whatever this driver last asked for: after a reset both
 * are off already.
 */
static void vtd_unit_hw_stop(struct vtd_unit *unit)
{
	u32 sts = readl(unit->regs + VTD_REG_GSTS);

	vtd_prq_hw_stop(unit);
	if (sts & VTD_GSTS_TES)
		vtd_gcmd(unit, VTD_GCMD_TE, false, false);
	if (sts & VTD_GSTS_QIES)
		vtd_disable_qi(unit);
	unit->gcmd = 0;
}

/**
 * vtd_unit_enable() - take a unit into scalable mode with translation off
 * @unit: a unit vtd_dmar_probe() accepted
 *
 * Enables queued invalidation with 256-bit descriptors, installs an empty
 * scalable-mode root table and invalidates the context cache, the PASID
 * cache and the IOTLB globally, in that order.  Translation stays off
 * until vtd_unit_enable_translation().
 *
 * Return: 0 or a negative errno, with the unit left as found.
 */
int vtd_unit_enable(struct vtd_unit *unit)
{
	int ret;

	ret = vtd_ctx_tables_alloc(unit);
	if (ret)
		return ret;
	ret = vtd_qi_init(&unit->qi, 0, &vtd_mmio_io, unit, unit->name);
	if (ret)
		goto err_tables;
	/* Without a page request queue the unit works, only without IOPF. */
	if ((unit->ecap & VTD_ECAP_PRS) && vtd_prq_init(unit, VTD_PRQ_ORDER))
		pr_warn("%s: no page request queue: out of memory\n", unit->name);

	ret = vtd_unit_hw_start(unit);
	if (ret)
		goto err_qi;

	vtd_unit_vcmd_register(unit);

	pr_info("%s at %pa: scalable mode, cap %#llx ecap %#llx%s%s%s%s\n",
		unit->name, &unit->reg_phys, unit->cap, unit->ecap,
		unit->ecap & VTD_ECAP_FLTS ? ", first level" : "",
		unit->ecap & VTD_ECAP_SLTS ? ", second level" : "",
		unit->ecap & VTD_ECAP_NEST ? ", nested" : "",
		unit->prq.ring ? ", page requests" : "");
	unit->enabled = true;
	return 0;

err_qi:
	vtd_prq_destroy(unit);
	vtd_qi_destroy(&unit->qi);
err_tables:
	vtd_ctx_tables_free(unit);
	return ret;
}

/**
 * vtd_unit_enable_translation() - turn DMA remapping on
 * @unit: an enabled unit whose devices all have a context entry
 *
 * Return: 0 or -ETIMEDOUT.
 */
int vtd_unit_enable_translation(struct vtd_unit *unit)
{
	return vtd_gcmd(unit, VTD_GCMD_TE, true, false);
}

/**
 * vtd_unit_disable_translation() - turn DMA remapping off
 * @unit: an enabled unit
 */
void vtd_unit_disable_translation(struct vtd_unit *unit)
{
	if (unit->gcmd & VTD_GCMD_TE)
		vtd_gcmd(unit, VTD_GCMD_TE, false, false);
}

/**
 * vtd_unit_disable() - turn translation and queued invalidation off and
 *			free the unit's tables
 * @unit: an enabled unit
 *
 * Devices keep doing DMA: with translation off it is untranslated, which
 * is what the identity entries gave them.
 */
void vtd_unit_disable(struct vtd_unit *unit)
{
	unit->enabled = false;
	vtd_unit_vcmd_unregister(unit);
	/* Answers what is left, through the queue still on. */
	vtd_prq_destroy(unit);
	vtd_unit_disable_translation(unit);
	vtd_disable_qi(unit);
	writeq(0, unit->regs + VTD_REG_RTADDR);
	vtd_qi_destroy(&unit->qi);
	vtd_ctx_tables_free(unit);
}

/**
 * vtd_unit_suspend() - stop an enabled unit before the machine sleeps
 * @unit: the unit
 *
 * Every device is suspended: translation goes off, then queued
 * invalidation once the unit has drained the queue.  What was on is
 * remembered for vtd_unit_resume().
 *
 * Context: syscore suspend, one CPU, interrupts off.
 */
void vtd_unit_suspend(struct vtd_unit *unit)
{
	if (!unit->enabled)
		return;
	unit->suspended_gcmd = unit->gcmd;
	vtd_unit_hw_stop(unit);
}

/**
 * vtd_unit_resume() - program an enabled unit again after sleep
 * @unit: the unit
 *
 * The unit may have lost every register (suspend to RAM) or kept them (a
 * suspend that failed later on): either way it is stopped, then gets its
 * queue, root table, global invalidations, masked fault event interrupt
 * (faults are polled) and, if it translated before, translation back,
 * before any device resumes.  The tables in memory are unchanged.
 *
 * Context: syscore resume, one CPU, interrupts off.
 * Return: 0, or a negative errno with translation off.
 */
int vtd_unit_resume(struct vtd_unit *unit)
{
	int ret;

	if (!unit->enabled)
		return 0;
	vtd_unit_hw_stop(unit);
	writel(VTD_FECTL_IM, unit->regs + VTD_REG_FECTL);
	ret = vtd_unit_hw_start(unit);
	if (!ret && (unit->suspended_gcmd & VTD_GCMD_TE))
		ret = vtd_unit_enable_translation(unit);
	return ret;
}

/**
 * vtd_unit_shutdown() - leave the unit off for the next kernel or firmware
 * @unit: the unit
 *
 * Runs after every device was shut down (a kexec also took bus mastering
 * from every PCI device): translation goes off, then queued invalidation
 * once the queue is drained, and the root table pointer is cleared, so
 * that a kernel started by kexec finds the unit as firmware left it and
 * never walks tables in memory it reuses.
 *
 * Context: syscore shutdown, interrupts off.
 */
void vtd_unit_shutdown(struct vtd_unit *unit)
{
	unsigned long flags;

	if (!unit->enabled)
		return;
	/* A batch in flight on another CPU finishes first. */
	spin_lock_irqsave(&unit->qi.lock, flags);
	vtd_unit_hw_stop(unit);
	writeq(0, unit->regs + VTD_REG_RTADDR);
	spin_unlock_irqrestore(&unit->qi.lock, flags);
}
