// SPDX-License-Identifier: GPL-2.0
/*
 * VT-d virtual command interface (VCMD): PASIDs allocated by the host.
 *
 * A virtual remapping unit that reports ECAP.VCS and VCCAP.PAS lets its
 * guest allocate and release PASIDs by writing a command to VCMD_REG and
 * polling VCRSP_REG until the in-progress bit clears.  The host decides
 * the number, so every guest PASID is one the host knows about.  This file
 * drives that interface and plugs it into the IOASID allocator.
 */
#define pr_fmt(fmt) "vtd_sm: vcmd: " fmt

#include <kunit/visibility.h>
#include <linux/bitfield.h>
#include <linux/io.h>
#include <linux/iopoll.h>
#include <linux/lockdep.h>
#include <linux/printk.h>

#include "regs.h"
#include "vcmd.h"

/* Upper bound of the sleep between two reads of VCRSP_REG. */
#define VTD_VCMD_POLL_US	10

/* The widest PASID the interface can name. */
#define VTD_VCMD_PASID_MAX	((ioasid_t)FIELD_MAX(VTD_VCRSP_PASID))

static u64 vtd_vcmd_mmio_read64(struct vtd_vcmd *vcmd, unsigned int off)
{
	return readq(vcmd->base + off);
}

static void vtd_vcmd_mmio_write64(struct vtd_vcmd *vcmd, unsigned int off,
				  u64 val)
{
	writeq(val, vcmd->base + off);
}

static const struct vtd_vcmd_reg_ops vtd_vcmd_mmio_ops = {
	.read64 = vtd_vcmd_mmio_read64,
	.write64 = vtd_vcmd_mmio_write64,
};

/**
 * vtd_vcmd_supported() - whether a unit offers PASID allocation commands
 * @ecap: the unit's extended capability register
 * @vccap: its virtual command capability register (read only if ECAP.VCS)
 *
 * Return: true if the unit implements the virtual command registers and
 * accepts the allocate and free PASID commands.
 */
bool vtd_vcmd_supported(u64 ecap, u64 vccap)
{
	return (ecap & VTD_ECAP_VCS) && (vccap & VTD_VCCAP_PAS);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_vcmd_supported);

/**
 * vtd_vcmd_init() - prepare the virtual command interface of a unit
 * @vcmd: the object to initialize
 * @ops: register accessors, or %NULL for MMIO access through @base
 * @base: the unit's register window
 * @timeout_us: bound on the wait for one command (0 selects
 *	%VTD_VCMD_DEFAULT_TIMEOUT_US)
 *
 * Release with vtd_vcmd_destroy().
 */
void vtd_vcmd_init(struct vtd_vcmd *vcmd, const struct vtd_vcmd_reg_ops *ops,
		   void __iomem *base, unsigned long timeout_us)
{
	vcmd->ops = ops ?: &vtd_vcmd_mmio_ops;
	vcmd->base = base;
	vcmd->timeout_us = timeout_us ?: VTD_VCMD_DEFAULT_TIMEOUT_US;
	vcmd->stale_alloc = false;
	mutex_init(&vcmd->lock);
	vcmd->allocator = (struct ioasid_allocator_ops){ };
}
EXPORT_SYMBOL_IF_KUNIT(vtd_vcmd_init);

/**
 * vtd_vcmd_destroy() - release what vtd_vcmd_init() set up
 * @vcmd: an object that is not registered
 */
void vtd_vcmd_destroy(struct vtd_vcmd *vcmd)
{
	mutex_destroy(&vcmd->lock);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_vcmd_destroy);

/* Wait until no command is in progress; @rsp receives the last response. */
static int vtd_vcmd_wait(struct vtd_vcmd *vcmd, u64 *rsp)
{
	u64 val;
	int ret;

	ret = read_poll_timeout(vcmd->ops->read64, val, !(val & VTD_VCRSP_IP),
				VTD_VCMD_POLL_US, vcmd->timeout_us, false,
				vcmd, VTD_REG_VCRSP);
	*rsp = val;
	return ret;
}

static int vtd_vcmd_submit(struct vtd_vcmd *vcmd, u8 cmd, u64 operand,
			   u64 *rsp)
{
	int ret;

	vcmd->ops->write64(vcmd, VTD_REG_VCMD,
			   FIELD_PREP(VTD_VCMD_CMD, cmd) |
			   FIELD_PREP(VTD_VCMD_OPERAND, operand));
	ret = vtd_vcmd_wait(vcmd, rsp);
	if (ret) {
		pr_warn_ratelimited("command %u not completed within %lu us\n",
				    cmd, vcmd->timeout_us);
		/* A late success would leak a host PASID: remember it. */
		if (cmd == VTD_VCMD_ALLOC_PASID)
			vcmd->stale_alloc = true;
	}
	return ret;
}

/*
 * Make sure the interface is idle before a new command.  If an earlier
 * allocation timed out and has completed since, hand its PASID back.
 */
static int vtd_vcmd_prepare(struct vtd_vcmd *vcmd)
{
	u64 rsp;
	int ret;

	ret = vtd_vcmd_wait(vcmd, &rsp);
	if (ret) {
		pr_warn_ratelimited("interface still busy after %lu us\n",
				    vcmd->timeout_us);
		return ret;
	}
	if (!vcmd->stale_alloc)
		return 0;

	vcmd->stale_alloc = false;
	if (FIELD_GET(VTD_VCRSP_SC, rsp) != VTD_VCRSP_SC_SUCCESS)
		return 0;
	/* The result of the release does not matter: nobody holds the ID. */
	return vtd_vcmd_submit(vcmd, VTD_VCMD_FREE_PASID,
			       FIELD_GET(VTD_VCRSP_RSLT, rsp), &rsp);
}

static int vtd_vcmd_exec(struct vtd_vcmd *vcmd, u8 cmd, u64 operand, u64 *rsp)
{
	int ret;

	mutex_lock(&vcmd->lock);
	ret = vtd_vcmd_prepare(vcmd);
	if (!ret)
		ret = vtd_vcmd_submit(vcmd, cmd, operand, rsp);
	mutex_unlock(&vcmd->lock);
	return ret;
}

/**
 * vtd_vcmd_alloc_pasid() - ask the host for a PASID
 * @vcmd: the unit's virtual command interface
 * @pasid: receives the PASID on success
 *
 * May sleep.
 *
 * Return: 0 on success, -ENOSPC if the host has no PASID left, -ETIMEDOUT
 * if the command did not complete in time, -EIO on a malformed response.
 */
int vtd_vcmd_alloc_pasid(struct vtd_vcmd *vcmd, ioasid_t *pasid)
{
	u64 rsp, result;
	int ret;

	ret = vtd_vcmd_exec(vcmd, VTD_VCMD_ALLOC_PASID, 0, &rsp);
	if (ret)
		return ret;

	switch (FIELD_GET(VTD_VCRSP_SC, rsp)) {
	case VTD_VCRSP_SC_SUCCESS:
		result = FIELD_GET(VTD_VCRSP_RSLT, rsp);
		if (!result || result > VTD_VCMD_PASID_MAX) {
			pr_warn_ratelimited("host returned PASID %#llx\n",
					    result);
			return -EIO;
		}
		*pasid = result;
		return 0;
	case VTD_VCRSP_SC_NO_PASID:
		return -ENOSPC;
	default:
		pr_warn_ratelimited("allocation failed with status %llu\n",
				    FIELD_GET(VTD_VCRSP_SC, rsp));
		return -EIO;
	}
}
EXPORT_SYMBOL_IF_KUNIT(vtd_vcmd_alloc_pasid);

/**
 * vtd_vcmd_free_pasid() - return a PASID to the host
 * @vcmd: the unit's virtual command interface
 * @pasid: a PASID the host handed out
 *
 * May sleep.
 *
 * Return: 0 on success, -EINVAL if the host does not know @pasid (or it
 * cannot be named), -ETIMEDOUT if the command did not complete in time,
 * -EIO on an unknown status.
 */
int vtd_vcmd_free_pasid(struct vtd_vcmd *vcmd, ioasid_t pasid)
{
	u64 rsp;
	int ret;

	if (pasid > VTD_VCMD_PASID_MAX)
		return -EINVAL;

	ret = vtd_vcmd_exec(vcmd, VTD_VCMD_FREE_PASID, pasid, &rsp);
	if (ret)
		return ret;

	switch (FIELD_GET(VTD_VCRSP_SC, rsp)) {
	case VTD_VCRSP_SC_SUCCESS:
		return 0;
	case VTD_VCRSP_SC_INVALID_PASID:
		return -EINVAL;
	default:
		return -EIO;
	}
}
EXPORT_SYMBOL_IF_KUNIT(vtd_vcmd_free_pasid);

/*
 * The IOASID callbacks.  Every unit registers these same two functions, so
 * the units of one guest form a single group sharing the host's ID space.
 */
static ioasid_t vtd_vcmd_ioasid_alloc(ioasid_t min, ioasid_t max, void *pdata)
{
	struct vtd_vcmd *vcmd = pdata;
	ioasid_t pasid;

	if (vtd_vcmd_alloc_pasid(vcmd, &pasid))
		return INVALID_IOASID;
	if (pasid < min || pasid > max) {
		/* The host picks the number; give back what does not fit. */
		pr_debug("host PASID %u outside [%u, %u]\n", pasid, min, max);
		vtd_vcmd_free_pasid(vcmd, pasid);
		return INVALID_IOASID;
	}
	return pasid;
}

static void vtd_vcmd_ioasid_free(ioasid_t id, void *pdata)
{
	struct vtd_vcmd *vcmd = pdata;
	int ret;

	ret = vtd_vcmd_free_pasid(vcmd, id);
	if (ret == -EINVAL || ret == -EIO)
		pr_warn_ratelimited("host refused to release PASID %u (%d)\n",
				    id, ret);
}

/**
 * vtd_vcmd_register() - allocate PASIDs through this unit from now on
 * @vcmd: an initialized interface of a unit with vtd_vcmd_supported()
 *
 * Registers @vcmd as a custom IOASID allocator.  The units of one guest all
 * join the same group and share one ID space, the host's.
 *
 * Return: 0 on success, or the error of ioasid_register_allocator()
 * (-EAGAIN while IDs of the default allocator are still allocated).
 */
int vtd_vcmd_register(struct vtd_vcmd *vcmd)
{
	vcmd->allocator.alloc = vtd_vcmd_ioasid_alloc;
	vcmd->allocator.free = vtd_vcmd_ioasid_free;
	vcmd->allocator.pdata = vcmd;
	return ioasid_register_allocator(&vcmd->allocator);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_vcmd_register);

/**
 * vtd_vcmd_unregister() - stop allocating PASIDs through this unit
 * @vcmd: an interface registered with vtd_vcmd_register()
 *
 * Once this returns, @vcmd is no longer used by the IOASID allocator.
 *
 * Return: the result of ioasid_unregister_allocator(): 0 while other units
 * carry on, otherwise the number of IDs left without an allocator, or
 * -ENOENT if @vcmd was not registered.
 */
int vtd_vcmd_unregister(struct vtd_vcmd *vcmd)
{
	return ioasid_unregister_allocator(&vcmd->allocator);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_vcmd_unregister);
