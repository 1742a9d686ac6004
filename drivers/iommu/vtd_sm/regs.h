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
#define VTD_REG_CCMD		0x28
#define VTD_REG_FSTS		0x34
#define VTD_REG_FECTL		0x38
#define VTD_REG_IQH		0x80
#define VTD_REG_IQT		0x88
#define VTD_REG_IQA		0x90
#define VTD_REG_ICS		0x9c
#define VTD_REG_IECTL		0xa0
#define VTD_REG_PQH		0xc0
#define VTD_REG_PQT		0xc8
#define VTD_REG_PQA		0xd0
#define VTD_REG_PRS		0xdc
#define VTD_REG_PECTL		0xe0

/* Size of the register window this driver maps (fault records beyond). */
#define VTD_REG_MIN_SIZE	0x1000

/* GCMD_REG commands and the matching GSTS_REG status bits. */
#define VTD_GCMD_TE		BIT(31)
#define VTD_GCMD_SRTP		BIT(30)
#define VTD_GCMD_SFL		BIT(29)
#define VTD_GCMD_EAFL		BIT(28)
#define VTD_GCMD_WBF		BIT(27)
#define VTD_GCMD_QIE		BIT(26)
#define VTD_GCMD_IRE		BIT(25)
#define VTD_GCMD_SIRTP		BIT(24)
#define VTD_GCMD_CFI		BIT(23)
/* One-shot commands: never written back from GSTS. */
#define VTD_GCMD_ONESHOT	(VTD_GCMD_SRTP | VTD_GCMD_SFL | VTD_GCMD_WBF | \
				 VTD_GCMD_SIRTP)

#define VTD_GSTS_TES		BIT(31)
#define VTD_GSTS_RTPS		BIT(30)
#define VTD_GSTS_QIES		BIT(26)
#define VTD_GSTS_IRES		BIT(25)

/* RTADDR_REG: translation table mode. */
#define VTD_RTADDR_TTM		GENMASK_ULL(11, 10)
#define VTD_RTADDR_TTM_SM	1

/* FSTS_REG */
#define VTD_FSTS_PFO		BIT(0)
#define VTD_FSTS_PPF		BIT(1)
#define VTD_FSTS_IQE		BIT(4)
#define VTD_FSTS_ICE		BIT(5)
#define VTD_FSTS_ITE		BIT(6)
#define VTD_FSTS_FRI		GENMASK(15, 8)
#define VTD_FSTS_QI_ERRORS	(VTD_FSTS_IQE | VTD_FSTS_ICE | VTD_FSTS_ITE)

/* FECTL_REG */
#define VTD_FECTL_IM		BIT(31)

/* IQA_REG */
#define VTD_IQA_ADDR		GENMASK_ULL(63, 12)
#define VTD_IQA_DW		BIT_ULL(11)
#define VTD_IQA_QS		GENMASK_ULL(2, 0)

/* PQH_REG and PQT_REG: byte offset of a 256-bit descriptor in the queue. */
#define VTD_PQ_OFFSET		GENMASK_ULL(18, 5)

/* PQA_REG: queue address and size (2^PQS pages). */
#define VTD_PQA_ADDR		GENMASK_ULL(63, 12)
#define VTD_PQA_PQS		GENMASK_ULL(2, 0)

/* PRS_REG (both write-one-to-clear) */
#define VTD_PRS_PPR		BIT(0)
#define VTD_PRS_PRO		BIT(1)

/* PECTL_REG */
#define VTD_PECTL_IM		BIT(31)

/* Fault recording register, as two 64-bit halves. */
#define VTD_FRCD_LO_FI		GENMASK_ULL(63, 12)
#define VTD_FRCD_HI_SID		GENMASK_ULL(15, 0)
#define VTD_FRCD_HI_T2		BIT_ULL(28)
#define VTD_FRCD_HI_PRIV	BIT_ULL(29)
#define VTD_FRCD_HI_EXE		BIT_ULL(30)
#define VTD_FRCD_HI_PP		BIT_ULL(31)
#define VTD_FRCD_HI_FR		GENMASK_ULL(39, 32)
#define VTD_FRCD_HI_PV		GENMASK_ULL(59, 40)
#define VTD_FRCD_HI_AT		GENMASK_ULL(61, 60)
#define VTD_FRCD_HI_T1		BIT_ULL(62)
#define VTD_FRCD_HI_F		BIT_ULL(63)

/* CAP_REG */
#define VTD_CAP_ND		GENMASK_ULL(2, 0)
#define VTD_CAP_CM		BIT_ULL(7)
#define VTD_CAP_SAGAW		GENMASK_ULL(12, 8)
#define VTD_CAP_MGAW		GENMASK_ULL(21, 16)
#define VTD_CAP_FRO		GENMASK_ULL(33, 24)
#define VTD_CAP_SLLPS		GENMASK_ULL(37, 34)
#define VTD_CAP_PSI		BIT_ULL(39)
#define VTD_CAP_NFR		GENMASK_ULL(47, 40)
#define VTD_CAP_MAMV		GENMASK_ULL(53, 48)
#define VTD_CAP_FL1GP		BIT_ULL(56)
#define VTD_CAP_FL5LP		BIT_ULL(60)

/* ECAP_REG */
#define VTD_ECAP_C		BIT_ULL(0)
#define VTD_ECAP_QI		BIT_ULL(1)
#define VTD_ECAP_DT		BIT_ULL(2)
#define VTD_ECAP_PT		BIT_ULL(6)
#define VTD_ECAP_SC		BIT_ULL(7)
#define VTD_ECAP_IRO		GENMASK_ULL(17, 8)
#define VTD_ECAP_NEST		BIT_ULL(26)
#define VTD_ECAP_PRS		BIT_ULL(29)
#define VTD_ECAP_ERS		BIT_ULL(30)
#define VTD_ECAP_SRS		BIT_ULL(31)
#define VTD_ECAP_EAFS		BIT_ULL(34)
#define VTD_ECAP_PSS		GENMASK_ULL(39, 35)
#define VTD_ECAP_PASID		BIT_ULL(40)
#define VTD_ECAP_DIT		BIT_ULL(41)
#define VTD_ECAP_PDS		BIT_ULL(42)
#define VTD_ECAP_SMTS		BIT_ULL(43)
#define VTD_ECAP_VCS		BIT_ULL(44)
#define VTD_ECAP_SSADS		BIT_ULL(45)	/* second-stage A/D flags */
#define VTD_ECAP_SLTS		BIT_ULL(46)
#define VTD_ECAP_FLTS		BIT_ULL(47)
#define VTD_ECAP_SMPWC		BIT_ULL(48)

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

/*
 * Can the unit track dirty pages of second-level tables: it translates
 * second level, sets the accessed/dirty flags of its entries when SLADE
 * is set (ECAP.SSADS), and snoops its walks (ECAP.SMPWC), so that its
 * flag updates and the CPU's atomic clears see the same memory.
 */
static inline bool vtd_ecap_dirty_tracking(u64 ecap)
{
	const u64 need = VTD_ECAP_SLTS | VTD_ECAP_SSADS | VTD_ECAP_SMPWC;

	return (ecap & need) == need;
}

/* Number of domain ids the unit supports. */
static inline unsigned int vtd_cap_ndoms(u64 cap)
{
	return 1U << (4 + 2 * FIELD_GET(VTD_CAP_ND, cap));
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
