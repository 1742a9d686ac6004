/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VT-d virtual command interface: a paravirtual PASID allocator through
 * which a guest asks its host for PASIDs.
 *
 * See Documentation/driver-api/vtd_sm-vcmd.rst.
 */
#ifndef _VTD_SM_VCMD_H
#define _VTD_SM_VCMD_H

#include <linux/bits.h>
#include <linux/ioasid.h>
#include <linux/mutex.h>
#include <linux/time64.h>
#include <linux/types.h>

/*
 * Register offsets in the remapping unit's register window, as VT-d 3.3
 * placed them (earlier drafts had VCCAP first, at 0xe00).
 */
#define VTD_REG_VCMD		0xe00
#define VTD_REG_VCRSP		0xe10
#define VTD_REG_VCCAP		0xe30

/* VCCAP_REG: the unit accepts the allocate/free PASID commands. */
#define VTD_VCCAP_PAS		BIT_ULL(0)

/* VCMD_REG: command code and operand. */
#define VTD_VCMD_CMD		GENMASK_ULL(7, 0)
#define VTD_VCMD_OPERAND	GENMASK_ULL(63, 16)
#define VTD_VCMD_ALLOC_PASID	1
#define VTD_VCMD_FREE_PASID	2

/* VCRSP_REG: in progress, status code and result. */
#define VTD_VCRSP_IP		BIT_ULL(0)
#define VTD_VCRSP_SC		GENMASK_ULL(7, 1)
#define VTD_VCRSP_RSLT		GENMASK_ULL(63, 16)
#define VTD_VCRSP_SC_SUCCESS	0
/* One code means "no PASID available" to ALLOC, "invalid PASID" to FREE. */
#define VTD_VCRSP_SC_NO_PASID	16
#define VTD_VCRSP_SC_INVALID_PASID	16
/* A PASID is 20 bits wide; the result field is wider. */
#define VTD_VCRSP_PASID		GENMASK_ULL(35, 16)

/* Default bound on the wait for a command to complete. */
#define VTD_VCMD_DEFAULT_TIMEOUT_US	(1000 * USEC_PER_MSEC)

struct vtd_vcmd;

/**
 * struct vtd_vcmd_reg_ops - access to a unit's virtual command registers
 * @read64: read the 64-bit register at byte offset @off
 * @write64: write @val to the 64-bit register at byte offset @off
 *
 * Both may be called with the unit's command mutex held and may sleep.
 * %NULL ops in vtd_vcmd_init() select MMIO access through the unit's
 * register window.
 */
struct vtd_vcmd_reg_ops {
	u64 (*read64)(struct vtd_vcmd *vcmd, unsigned int off);
	void (*write64)(struct vtd_vcmd *vcmd, unsigned int off, u64 val);
};

/**
 * struct vtd_vcmd - the virtual command interface of one remapping unit
 * @ops: register accessors
 * @base: the unit's register window (used by the default accessors)
 * @timeout_us: how long to wait for a command to complete
 * @lock: serializes commands; the interface runs one at a time
 * @stale_alloc: an allocation timed out and may still complete; its PASID
 *	is returned to the host before the next command
 * @allocator: ops registered with the IOASID allocator
 */
struct vtd_vcmd {
	const struct vtd_vcmd_reg_ops *ops;
	void __iomem *base;
	unsigned long timeout_us;
	struct mutex lock;	/* one command at a time */
	bool stale_alloc;
	struct ioasid_allocator_ops allocator;
};

bool vtd_vcmd_supported(u64 ecap, u64 vccap);
void vtd_vcmd_init(struct vtd_vcmd *vcmd, const struct vtd_vcmd_reg_ops *ops,
		   void __iomem *base, unsigned long timeout_us);
void vtd_vcmd_destroy(struct vtd_vcmd *vcmd);
int vtd_vcmd_alloc_pasid(struct vtd_vcmd *vcmd, ioasid_t *pasid);
int vtd_vcmd_free_pasid(struct vtd_vcmd *vcmd, ioasid_t pasid);
int vtd_vcmd_register(struct vtd_vcmd *vcmd);
int vtd_vcmd_unregister(struct vtd_vcmd *vcmd);

#endif /* _VTD_SM_VCMD_H */
