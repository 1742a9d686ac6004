// SPDX-License-Identifier: GPL-2.0
/*
 * VT-d scalable-mode PASID table entry: encoders for every PGTT, the bits
 * each translation type uses, and the writer that moves a live entry to a
 * new configuration without a window of invalid translation.
 *
 * The hardware reads an entry in 128-bit pieces, each piece atomically, but
 * it may read the pieces of one entry at different times and may keep a
 * cached copy until the PASID cache is invalidated.  A store that changes
 * the bits the hardware uses must therefore change them all in one piece,
 * with one 16-byte store, and the other pieces must already (or still) hold
 * what both the old and the new configuration need.
 */
#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <asm/cmpxchg.h>
#include <kunit/visibility.h>

#include "pasid_entry.h"

static int vtd_pasid_sl_aw(const struct vtd_pasid_sl_cfg *sl, u64 *aw)
{
	if (sl->levels < 3 || sl->levels > 5)
		return -EINVAL;
	*aw = FIELD_PREP(VTD_PE0_AW, sl->levels - 2);
	return 0;
}

static u64 vtd_pasid_word0(const struct vtd_pasid_cfg *cfg, unsigned int pgtt)
{
	return VTD_PE0_P | (cfg->fpd ? VTD_PE0_FPD : 0) |
	       FIELD_PREP(VTD_PE0_PGTT, pgtt);
}

static u64 vtd_pasid_word1(const struct vtd_pasid_cfg *cfg, bool walks)
{
	u64 v = FIELD_PREP(VTD_PE1_DID, cfg->did);

	if (cfg->pgsnp)
		v |= VTD_PE1_PGSNP;
	if (walks && cfg->pwsnp)
		v |= VTD_PE1_PWSNP;
	return v;
}

static int vtd_pasid_fill_sl(struct vtd_pasid_entry *pe,
			     const struct vtd_pasid_cfg *cfg)
{
	const struct vtd_pasid_sl_cfg *sl = &cfg->sl;
	u64 aw;

	if (vtd_pasid_sl_aw(sl, &aw) || (sl->pgd & ~VTD_PE0_SLPTPTR))
		return -EINVAL;
	pe->val[0] |= aw | sl->pgd;
	if (sl->dirty_tracking)
		pe->val[0] |= VTD_PE0_SLADE;
	return 0;
}

static int vtd_pasid_fill_fl(struct vtd_pasid_entry *pe,
			     const struct vtd_pasid_cfg *cfg)
{
	const struct vtd_pasid_fl_cfg *fl = &cfg->fl;
	u64 w1 = 0, w2 = fl->pgd;

	if ((fl->levels != 4 && fl->levels != 5) ||
	    (fl->pgd & ~VTD_PE2_FLPTR) || fl->emt > FIELD_MAX(VTD_PE1_EMT))
		return -EINVAL;

	w2 |= FIELD_PREP(VTD_PE2_FLPM, fl->levels == 5 ? VTD_FLPM_5LEVEL :
							 VTD_FLPM_4LEVEL);
	if (fl->sre)
		w2 |= VTD_PE2_SRE;
	if (fl->wpe)
		w2 |= VTD_PE2_WPE;
	if (fl->eafe)
		w2 |= VTD_PE2_EAFE;

	if (fl->cd)
		w1 |= VTD_PE1_CD;
	if (fl->emte)
		w1 |= VTD_PE1_EMTE;
	if (fl->pwt)
		w1 |= VTD_PE1_PWT;
	if (fl->pcd)
		w1 |= VTD_PE1_PCD;
	w1 |= FIELD_PREP(VTD_PE1_EMT, fl->emt) |
	      FIELD_PREP(VTD_PE1_PAT, fl->pat);

	pe->val[1] |= w1;
	pe->val[2] |= w2;
	return 0;
}

/**
 * vtd_pasid_encode_blocked() - build a not-present (blocking) entry
 * @pe: entry to fill (a target, not a live entry)
 * @fpd: set FPD, so that DMA on the PASID is blocked without fault reports
 *
 * Only P (clear) and FPD are used by hardware in a not-present entry.
 */
void vtd_pasid_encode_blocked(struct vtd_pasid_entry *pe, bool fpd)
{
	memset(pe, 0, sizeof(*pe));
	if (fpd)
		pe->val[0] = VTD_PE0_FPD;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_pasid_encode_blocked);

/**
 * vtd_pasid_encode_pt() - build a pass-through entry (PGTT 100b)
 * @pe: entry to fill
 * @cfg: uses @cfg->did, @cfg->fpd, @cfg->pgsnp and @cfg->sl.levels (for AW,
 *	which hardware ignores for pass-through but which is kept valid)
 *
 * Return: 0, or -EINVAL if @cfg->sl.levels is not 3, 4 or 5.
 */
int vtd_pasid_encode_pt(struct vtd_pasid_entry *pe,
			const struct vtd_pasid_cfg *cfg)
{
	u64 aw;

	memset(pe, 0, sizeof(*pe));
	if (vtd_pasid_sl_aw(&cfg->sl, &aw))
		return -EINVAL;
	pe->val[0] = vtd_pasid_word0(cfg, VTD_PGTT_PT) | aw;
	pe->val[1] = vtd_pasid_word1(cfg, false);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_pasid_encode_pt);

/**
 * vtd_pasid_encode_sl() - build a second-level-only entry (PGTT 010b)
 * @pe: entry to fill
 * @cfg: uses @cfg->did, @cfg->fpd, @cfg->pwsnp, @cfg->pgsnp and @cfg->sl
 *
 * Return: 0, or -EINVAL (bad level count, unaligned table).  On error @pe
 * is left zeroed (not present).
 */
int vtd_pasid_encode_sl(struct vtd_pasid_entry *pe,
			const struct vtd_pasid_cfg *cfg)
{
	memset(pe, 0, sizeof(*pe));
	pe->val[0] = vtd_pasid_word0(cfg, VTD_PGTT_SL);
	pe->val[1] = vtd_pasid_word1(cfg, true);
	if (vtd_pasid_fill_sl(pe, cfg)) {
		memset(pe, 0, sizeof(*pe));
		return -EINVAL;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_pasid_encode_sl);

/**
 * vtd_pasid_encode_fl() - build a first-level-only entry (PGTT 001b)
 * @pe: entry to fill
 * @cfg: uses @cfg->did, @cfg->fpd, @cfg->pwsnp, @cfg->pgsnp and @cfg->fl
 *
 * Return: 0, or -EINVAL (bad level count, unaligned table, EMT out of
 * range).  On error @pe is left zeroed (not present).
 */
int vtd_pasid_encode_fl(struct vtd_pasid_entry *pe,
			const struct vtd_pasid_cfg *cfg)
{
	memset(pe, 0, sizeof(*pe));
	pe->val[0] = vtd_pasid_word0(cfg, VTD_PGTT_FL);
	pe->val[1] = vtd_pasid_word1(cfg, true);
	if (vtd_pasid_fill_fl(pe, cfg)) {
		memset(pe, 0, sizeof(*pe));
		return -EINVAL;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_pasid_encode_fl);

/**
 * vtd_pasid_encode_nested() - build a nested entry (PGTT 011b)
 * @pe: entry to fill
 * @cfg: uses @cfg->did, @cfg->fpd, @cfg->pwsnp, @cfg->pgsnp, @cfg->fl (the
 *	guest's first level, @cfg->fl.pgd a guest physical address) and
 *	@cfg->sl (the host's second level)
 *
 * Return: 0, or -EINVAL.  On error @pe is left zeroed (not present).
 */
int vtd_pasid_encode_nested(struct vtd_pasid_entry *pe,
			    const struct vtd_pasid_cfg *cfg)
{
	memset(pe, 0, sizeof(*pe));
	pe->val[0] = vtd_pasid_word0(cfg, VTD_PGTT_NESTED);
	pe->val[1] = vtd_pasid_word1(cfg, true);
	if (vtd_pasid_fill_sl(pe, cfg) || vtd_pasid_fill_fl(pe, cfg)) {
		memset(pe, 0, sizeof(*pe));
		return -EINVAL;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_pasid_encode_nested);

#define VTD_PE0_USED_SL	(VTD_PE0_AW | VTD_PE0_SLADE | VTD_PE0_SLPTPTR)
#define VTD_PE1_USED_FL	(VTD_PE1_PWSNP | VTD_PE1_CD | VTD_PE1_EMTE | \
			 VTD_PE1_EMT | VTD_PE1_PWT | VTD_PE1_PCD | VTD_PE1_PAT)
#define VTD_PE2_USED_FL	(VTD_PE2_SRE | VTD_PE2_FLPM | VTD_PE2_WPE | \
			 VTD_PE2_EAFE | VTD_PE2_FLPTR)

/**
 * vtd_pasid_entry_used() - the bits hardware uses in an entry
 * @pe: entry (only word 0 is read: P and PGTT decide)
 * @used: set to the mask of the bits the hardware reads for this entry's
 *	translation type; every other bit is ignored
 *
 * A not-present entry uses P and FPD.  A present entry with a PGTT value
 * this driver does not know is treated as using every bit.
 */
void vtd_pasid_entry_used(const struct vtd_pasid_entry *pe,
			  struct vtd_pasid_entry *used)
{
	u64 w0 = READ_ONCE(pe->val[0]);

	memset(used, 0, sizeof(*used));
	used->val[0] = VTD_PE0_P | VTD_PE0_FPD;
	if (!(w0 & VTD_PE0_P))
		return;

	used->val[0] |= VTD_PE0_PGTT;
	used->val[1] |= VTD_PE1_DID | VTD_PE1_PGSNP;
	switch (FIELD_GET(VTD_PE0_PGTT, w0)) {
	case VTD_PGTT_PT:
		used->val[0] |= VTD_PE0_AW;
		break;
	case VTD_PGTT_SL:
		used->val[0] |= VTD_PE0_USED_SL;
		used->val[1] |= VTD_PE1_PWSNP;
		break;
	case VTD_PGTT_FL:
		used->val[1] |= VTD_PE1_USED_FL;
		used->val[2] |= VTD_PE2_USED_FL;
		break;
	case VTD_PGTT_NESTED:
		used->val[0] |= VTD_PE0_USED_SL;
		used->val[1] |= VTD_PE1_USED_FL;
		used->val[2] |= VTD_PE2_USED_FL;
		break;
	default:
		memset(used, 0xff, sizeof(*used));
		break;
	}
}
EXPORT_SYMBOL_IF_KUNIT(vtd_pasid_entry_used);
