// SPDX-License-Identifier: GPL-2.0
/*
 * VT-d scalable-mode PASID table entry: encoders for every PGTT, the bits
 * each translation type uses, and the writer that moves a live entry to a
 * new configuration: without a window of invalid translation when the bits
 * the hardware uses change in one 128-bit piece, else through not present
 * (a teardown), and it says which (enum vtd_pasid_update).
 *
 * The hardware reads an entry in 128-bit pieces, each piece atomically, but
 * it may read the pieces of one entry at different times and may keep a
 * cached copy until the PASID cache is invalidated.  A store that changes
 * the bits the hardware uses must therefore change them all in one piece,
 * with one 16-byte store, and the other pieces must already (or still) hold
 * what both the old and the new configuration need.
 */
#include <linux/bitops.h>
#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/atomic.h>
#include <asm/cpufeature.h>
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
	/*
	 * The specification ignores AW for first-level translation; QEMU's
	 * unit takes its input-address width from AW for every PGTT (and
	 * calls any address at or above 2^30 non-canonical when AW is 0).
	 * The width the first-level paging mode translates is what AW says.
	 */
	pe->val[0] |= FIELD_PREP(VTD_PE0_AW, cfg->fl.levels == 5 ?
				 VTD_AW_57BIT : VTD_AW_48BIT);
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
		/* AW: see vtd_pasid_encode_fl() */
		used->val[0] |= VTD_PE0_AW;
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

/*
 * The writer.
 *
 * A "unit" is what one store writes atomically: a 128-bit piece (two words)
 * with CMPXCHG16B, else one word.  Given the live entry (cur) and the target,
 * with U(cur) and U(target) the bits each one uses:
 *
 * 1. prep = cur with every bit cur ignores set to the target's value.  The
 *    hardware cannot tell prep from cur.
 * 2. The critical units are those in which prep and target still differ in
 *    bits the target uses.
 *    - None: only ignored bits differ; write them.
 *    - One: write prep outside that unit (fenced, if the target will use any
 *      of those bits), switch with one store of the unit, then (fenced, if
 *      cur used them) tidy the bits the target ignores.  Hitless.
 *    - More: clear P with one store, fence, write everything but P, fence,
 *      set P.  Not hitless: DMA is blocked in between.
 *
 * A present entry that becomes not present is taken down in the order of
 * the VT-d specification (6.5.3.3): one store clears P (and sets FPD as the
 * target has it), leaving the DID and the table pointers in place; the
 * fence then invalidates the PASID cache and what was cached through the
 * entry; only then is the rest of the entry cleared.
 *
 * A fence that fails stops the writer: the entry is left not present (P is
 * cleared with one store if it is set) and the error is in writer->err.
 */

struct vtd_pasid_plan {
	struct vtd_pasid_entry cur_used;
	struct vtd_pasid_entry target_used;
	struct vtd_pasid_entry prep;
	enum vtd_pasid_update kind;
	unsigned int unit;	/* words per atomic store: 1 or 2 */
	int critical;		/* unit index, or -1 */
	bool sync_after_prep;
	bool sync_before_tidy;
	bool take_down;		/* present to not present: P first */
};

static void vtd_pasid_make_plan(struct vtd_pasid_plan *plan,
				const struct vtd_pasid_entry *cur,
				const struct vtd_pasid_entry *target,
				bool atomic128)
{
	const u64 *cu = plan->cur_used.val, *tu = plan->target_used.val;
	unsigned int i, unit = atomic128 ? VTD_PASID_PIECE_QWORDS : 1;
	u64 *prep = plan->prep.val;
	unsigned long crit_mask = 0;

	vtd_pasid_entry_used(cur, &plan->cur_used);
	vtd_pasid_entry_used(target, &plan->target_used);
	plan->unit = unit;
	plan->critical = -1;
	plan->sync_after_prep = false;
	plan->sync_before_tidy = false;
	plan->take_down = false;

	for (i = 0; i < VTD_PASID_ENTRY_QWORDS; i++) {
		prep[i] = (cur->val[i] & cu[i]) | (target->val[i] & ~cu[i]);
		if ((prep[i] ^ target->val[i]) & tu[i])
			crit_mask |= BIT(i / unit);
	}

	if (!memcmp(cur, target, sizeof(*cur))) {
		plan->kind = VTD_PASID_UPDATE_NONE;
		return;
	}
	if ((cur->val[0] & VTD_PE0_P) && !(target->val[0] & VTD_PE0_P)) {
		/* prep: the current entry with P clear and the target's FPD. */
		plan->prep = *cur;
		prep[0] = (cur->val[0] & ~(VTD_PE0_P | VTD_PE0_FPD)) |
			  (target->val[0] & VTD_PE0_FPD);
		plan->kind = VTD_PASID_UPDATE_HITLESS;
		plan->critical = 0;
		plan->take_down = true;
		plan->sync_before_tidy = memcmp(prep, target, sizeof(*target));
		return;
	}
	if (!crit_mask) {
		/* Only bits that both configurations ignore differ. */
		plan->kind = VTD_PASID_UPDATE_HITLESS;
		return;
	}
	if (hweight_long(crit_mask) > 1) {
		plan->kind = VTD_PASID_UPDATE_TEARDOWN;
		return;
	}

	plan->critical = __ffs(crit_mask);
	for (i = 0; i < VTD_PASID_ENTRY_QWORDS; i++) {
		if (i / unit == plan->critical)
			continue;
		/* prep is written first; the target will read these bits. */
		if ((prep[i] ^ cur->val[i]) & tu[i])
			plan->sync_after_prep = true;
		/* tidy comes after the switch; the old config read these. */
		if ((prep[i] ^ target->val[i]) & cu[i])
			plan->sync_before_tidy = true;
	}
	plan->kind = plan->sync_after_prep ? VTD_PASID_UPDATE_HITLESS_SEQ :
					     VTD_PASID_UPDATE_HITLESS;
}

static void vtd_pasid_stored(struct vtd_pasid_writer *writer, unsigned int qw,
			     unsigned int nr)
{
	if (writer->ops->stored)
		writer->ops->stored(writer, qw, nr);
}

/* Write with 64-bit stores every word of @pe that differs from @val. */
static void vtd_pasid_store_words(struct vtd_pasid_writer *writer,
				  struct vtd_pasid_entry *pe, const u64 *val,
				  unsigned int unit, int skip)
{
	unsigned int i;

	for (i = 0; i < VTD_PASID_ENTRY_QWORDS; i++) {
		if (i / unit == skip || READ_ONCE(pe->val[i]) == val[i])
			continue;
		WRITE_ONCE(pe->val[i], val[i]);
		vtd_pasid_stored(writer, i, 1);
	}
}

/* Store one unit so that the hardware sees all of it or none of it. */
static void vtd_pasid_store_unit(struct vtd_pasid_writer *writer,
				 struct vtd_pasid_entry *pe, unsigned int unit,
				 unsigned int idx, const u64 *val)
{
	unsigned int w = idx * unit;
	u128 *p, old, new;

	if (unit == 1) {
		WRITE_ONCE(pe->val[w], val[w]);
		vtd_pasid_stored(writer, w, 1);
		return;
	}

	/*
	 * CMPXCHG16B is used for its atomic 16-byte store.  The hardware never
	 * writes PASID entries and writers are serialized, so the compare can
	 * only fail if the two halves read here were torn by a racing writer.
	 */
	p = (u128 *)&pe->val[w];
	old = ((u128)READ_ONCE(pe->val[w + 1]) << 64) | READ_ONCE(pe->val[w]);
	new = ((u128)val[w + 1] << 64) | val[w];
	while (!try_cmpxchg128(p, &old, new))
		WARN_ON_ONCE(1);
	vtd_pasid_stored(writer, w, VTD_PASID_PIECE_QWORDS);
}

static void vtd_pasid_block(struct vtd_pasid_writer *writer,
			    struct vtd_pasid_entry *pe, unsigned int unit)
{
	u64 val[VTD_PASID_ENTRY_QWORDS];
	unsigned int i;

	for (i = 0; i < VTD_PASID_ENTRY_QWORDS; i++)
		val[i] = READ_ONCE(pe->val[i]);
	if (!(val[0] & VTD_PE0_P))
		return;
	val[0] &= ~VTD_PE0_P;
	vtd_pasid_store_unit(writer, pe, unit, 0, val);
}

/* Fence; on failure leave the entry not present.  Returns true if done. */
static bool vtd_pasid_sync(struct vtd_pasid_writer *writer,
			   struct vtd_pasid_entry *pe, unsigned int unit)
{
	int ret = writer->ops->sync(writer);

	if (!ret)
		return true;
	writer->err = ret;
	vtd_pasid_block(writer, pe, unit);
	return false;
}

/**
 * __vtd_pasid_write_entry() - vtd_pasid_write_entry() with the store width
 * @writer: callbacks
 * @pe: the live entry
 * @target: the entry to install
 * @atomic128: 16-byte stores are available
 *
 * Return: what kind of update was made.
 */
VISIBLE_IF_KUNIT enum vtd_pasid_update
__vtd_pasid_write_entry(struct vtd_pasid_writer *writer,
			struct vtd_pasid_entry *pe,
			const struct vtd_pasid_entry *target, bool atomic128)
{
	struct vtd_pasid_entry cur, tmp;
	struct vtd_pasid_plan plan;
	unsigned int i;

	writer->err = 0;
	for (i = 0; i < VTD_PASID_ENTRY_QWORDS; i++)
		cur.val[i] = READ_ONCE(pe->val[i]);
	vtd_pasid_make_plan(&plan, &cur, target, atomic128);

	switch (plan.kind) {
	case VTD_PASID_UPDATE_NONE:
		break;
	case VTD_PASID_UPDATE_HITLESS:
	case VTD_PASID_UPDATE_HITLESS_SEQ:
		if (plan.critical < 0) {
			vtd_pasid_store_words(writer, pe, target->val, 1, -1);
			break;
		}
		if (plan.take_down) {
			/* Clear P only; the rest once the unit forgot it. */
			vtd_pasid_store_unit(writer, pe, plan.unit, 0,
					     plan.prep.val);
			if (plan.sync_before_tidy &&
			    vtd_pasid_sync(writer, pe, plan.unit))
				vtd_pasid_store_words(writer, pe, target->val,
						      1, -1);
			break;
		}
		vtd_pasid_store_words(writer, pe, plan.prep.val, plan.unit,
				      plan.critical);
		if (plan.sync_after_prep && !vtd_pasid_sync(writer, pe, plan.unit))
			break;
		vtd_pasid_store_unit(writer, pe, plan.unit, plan.critical,
				     target->val);
		if (plan.sync_before_tidy && !vtd_pasid_sync(writer, pe, plan.unit))
			break;
		vtd_pasid_store_words(writer, pe, target->val, 1, -1);
		break;
	case VTD_PASID_UPDATE_TEARDOWN:
		/* Block: clear P, keep the rest of the unit as it is. */
		tmp = cur;
		tmp.val[0] &= ~VTD_PE0_P;
		vtd_pasid_store_unit(writer, pe, plan.unit, 0, tmp.val);
		if (!vtd_pasid_sync(writer, pe, plan.unit))
			break;
		/* Everything but P, ignored while not present. */
		tmp = *target;
		tmp.val[0] &= ~VTD_PE0_P;
		vtd_pasid_store_words(writer, pe, tmp.val, 1, -1);
		if (!vtd_pasid_sync(writer, pe, plan.unit))
			break;
		vtd_pasid_store_unit(writer, pe, plan.unit, 0, target->val);
		break;
	}
	return plan.kind;
}
EXPORT_SYMBOL_IF_KUNIT(__vtd_pasid_write_entry);

/**
 * vtd_pasid_update_kind() - how vtd_pasid_write_entry() would update an entry
 * @cur: the current entry (a snapshot)
 * @target: the entry to install
 *
 * Return: the kind of update; lets a caller know in advance whether a
 * replace is hitless or goes through a blocked state.
 */
enum vtd_pasid_update vtd_pasid_update_kind(const struct vtd_pasid_entry *cur,
					    const struct vtd_pasid_entry *target)
{
	struct vtd_pasid_plan plan;

	vtd_pasid_make_plan(&plan, cur, target, system_has_cmpxchg128());
	return plan.kind;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_pasid_update_kind);

/**
 * vtd_pasid_write_entry() - move a live PASID entry to a target configuration
 * @writer: callbacks; @writer->ops->sync fences the hardware between steps
 * @pe: the live entry in the PASID table
 * @target: the entry to install, built by a vtd_pasid_encode_*() function
 *
 * Never copies the entry wholesale.  Changes the bits the hardware uses with
 * a single 16-byte store when they all lie in one 128-bit piece, writing
 * first the bits the current configuration ignores and tidying afterwards
 * the bits the target ignores; otherwise makes the entry not-present first.
 * A present entry that becomes not present loses only P in the first store
 * (see &struct vtd_pasid_writer_ops for what the fence after it does).
 * @writer->ops->sync is called only between steps that need it; if it
 * fails, the writer stops and leaves the entry not present, with the error
 * in @writer->err.  The caller then invalidates what the unit may still
 * hold: the PASID cache for the DID the entry had (and the new DID when it
 * changes), and the IOTLB entries of the old DID (see
 * Documentation/driver-api/vtd_sm-pasid-entry.rst for the exact batch).
 * The caller serializes writers of @pe.
 *
 * Context: any; does not sleep unless @writer->ops->sync does.
 * Return: the kind of update that was made (enum vtd_pasid_update); the
 * kind planned, also when @writer->err says the writer stopped early.
 */
enum vtd_pasid_update vtd_pasid_write_entry(struct vtd_pasid_writer *writer,
					    struct vtd_pasid_entry *pe,
					    const struct vtd_pasid_entry *target)
{
	return __vtd_pasid_write_entry(writer, pe, target,
				       system_has_cmpxchg128());
}
EXPORT_SYMBOL_IF_KUNIT(vtd_pasid_write_entry);

/**
 * vtd_pasid_clear_present() - make a live entry not present
 * @writer: callbacks (only @writer->ops->stored is used)
 * @pe: the live entry
 *
 * One store clears P; every other bit stays, so that the DID and tables
 * the entry named are still there to be invalidated.  Nothing happens if
 * the entry is not present.  The caller flushes afterwards.
 */
void vtd_pasid_clear_present(struct vtd_pasid_writer *writer,
			     struct vtd_pasid_entry *pe)
{
	vtd_pasid_block(writer, pe, system_has_cmpxchg128() ?
			VTD_PASID_PIECE_QWORDS : 1);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_pasid_clear_present);
