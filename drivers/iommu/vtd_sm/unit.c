// SPDX-License-Identifier: GPL-2.0
/*
 * Bring-up and shut-down of a remapping unit's hardware state: queued
 * invalidation, the scalable-mode root table, the global invalidations
 * the specification asks for after a new root table, and translation.
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

	if (reg == VTD_REG_FSTS)
		return readl(unit->regs + reg);
	return readq(unit->regs + reg);
}

static void vtd_mmio_write(void *priv, unsigned int reg, u64 val)
{
	struct vtd_unit *unit = priv;

	if (reg == VTD_REG_FSTS)
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
	ret = readl_poll_timeout(unit->regs + VTD_REG_GSTS, sts,
				 !!(sts & cmd) == on, 1, VTD_GSTS_TIMEOUT_US);
	if (ret)
		pr_err("%s: command %#x did not complete (gsts %#x)\n",
		       unit->name, cmd, sts);
	return ret;
}

static void vtd_disable_qi(struct vtd_unit *unit)
{
	u64 head, tail = readq(unit->regs + VTD_REG_IQT);

	/* Let the unit drain what it has, then stop fetching. */
	readq_poll_timeout(unit->regs + VTD_REG_IQH, head, head == tail,
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
	struct vtd_qi_batch b;
	int ret;

	ret = vtd_ctx_tables_alloc(unit);
	if (ret)
		return ret;
	ret = vtd_qi_init(&unit->qi, 0, &vtd_mmio_io, unit, unit->name);
	if (ret)
		goto err_tables;

	/* Stale queue errors would be blamed on our first batch. */
	writel(VTD_FSTS_QI_ERRORS | VTD_FSTS_PFO, unit->regs + VTD_REG_FSTS);
	writeq(0, unit->regs + VTD_REG_IQT);
	writeq(vtd_qi_iqa(&unit->qi), unit->regs + VTD_REG_IQA);
	ret = vtd_gcmd(unit, VTD_GCMD_QIE, true, false);
	if (ret)
		goto err_qi;

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

	vtd_unit_vcmd_register(unit);

	pr_info("%s at %pa: scalable mode, cap %#llx ecap %#llx%s%s%s\n",
		unit->name, &unit->reg_phys, unit->cap, unit->ecap,
		unit->ecap & VTD_ECAP_FLTS ? ", first level" : "",
		unit->ecap & VTD_ECAP_SLTS ? ", second level" : "",
		unit->ecap & VTD_ECAP_NEST ? ", nested" : "");
	return 0;

err_qie:
	vtd_disable_qi(unit);
	writeq(0, unit->regs + VTD_REG_RTADDR);
err_qi:
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
	vtd_unit_vcmd_unregister(unit);
	vtd_unit_disable_translation(unit);
	vtd_disable_qi(unit);
	writeq(0, unit->regs + VTD_REG_RTADDR);
	vtd_qi_destroy(&unit->qi);
	vtd_ctx_tables_free(unit);
}
