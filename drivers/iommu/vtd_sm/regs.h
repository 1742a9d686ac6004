/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VT-d remapping unit registers: offsets and the fields of the capability
 * registers this driver depends on (Intel VT-d specification, chapter 11).
 */
#ifndef _VTD_SM_REGS_H
#define _VTD_SM_REGS_H

#include <linux/bits.h>
#include <linux/bitfield.h>
#include <linux/types.h>

#define VTD_REG_VER		0x00
#define VTD_REG_CAP		0x08
#define VTD_REG_ECAP		0x10
#define VTD_REG_GCMD		0x18
#define VTD_REG_GSTS		0x1c
#define VTD_REG_RTADDR		0x20

/* CAP_REG */
#define VTD_CAP_ND		GENMASK_ULL(2, 0)
#define VTD_CAP_SAGAW		GENMASK_ULL(12, 8)
#define VTD_CAP_MGAW		GENMASK_ULL(21, 16)
#define VTD_CAP_FRO		GENMASK_ULL(33, 24)
#define VTD_CAP_SLLPS		GENMASK_ULL(37, 34)
#define VTD_CAP_NFR		GENMASK_ULL(47, 40)
#define VTD_CAP_FL1GP		BIT_ULL(56)
#define VTD_CAP_FL5LP		BIT_ULL(60)

/* ECAP_REG */
#define VTD_ECAP_QI		BIT_ULL(1)
#define VTD_ECAP_PT		BIT_ULL(6)
#define VTD_ECAP_SC		BIT_ULL(7)
#define VTD_ECAP_IRO		GENMASK_ULL(17, 8)
#define VTD_ECAP_NEST		BIT_ULL(26)
#define VTD_ECAP_SRS		BIT_ULL(31)
#define VTD_ECAP_EAFS		BIT_ULL(34)
#define VTD_ECAP_PSS		GENMASK_ULL(39, 35)
#define VTD_ECAP_PASID		BIT_ULL(40)
#define VTD_ECAP_SMTS		BIT_ULL(43)
#define VTD_ECAP_VCS		BIT_ULL(44)
#define VTD_ECAP_SLTS		BIT_ULL(46)
#define VTD_ECAP_FLTS		BIT_ULL(47)

/* Maximum guest address width in bits. */
static inline unsigned int vtd_cap_mgaw(u64 cap)
{
	return FIELD_GET(VTD_CAP_MGAW, cap) + 1;
}

/* Number of PASID bits the unit supports; 0 without PASID support. */
static inline unsigned int vtd_ecap_pasid_bits(u64 ecap)
{
	if (!(ecap & VTD_ECAP_PASID))
		return 0;
	return FIELD_GET(VTD_ECAP_PSS, ecap) + 1;
}

/*
 * Deepest second-level table the unit walks, in levels (3, 4 or 5), from
 * the supported adjusted guest address widths; 0 if none is usable.
 */
static inline unsigned int vtd_cap_sl_max_levels(u64 cap)
{
	unsigned long sagaw = FIELD_GET(VTD_CAP_SAGAW, cap);
	unsigned int level;

	/* SAGAW bit n means an (n + 2)-level table; bits 1..3 are defined. */
	for (level = 5; level >= 3; level--)
		if (sagaw & BIT(level - 2))
			return level;
	return 0;
}

/* Fault recording registers: offset of the first one, and how many. */
static inline unsigned int vtd_cap_fault_reg_offset(u64 cap)
{
	return FIELD_GET(VTD_CAP_FRO, cap) * 16;
}

static inline unsigned int vtd_cap_num_fault_regs(u64 cap)
{
	return FIELD_GET(VTD_CAP_NFR, cap) + 1;
}

#endif /* _VTD_SM_REGS_H */
