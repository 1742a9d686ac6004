/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VT-d scalable-mode PASID table entry: encoding and the gap-free writer.
 *
 * This is the only place in vtd_sm that writes PASID table entries.  See
 * Documentation/driver-api/vtd_sm-pasid-entry.rst.
 */
#ifndef _VTD_SM_PASID_ENTRY_H
#define _VTD_SM_PASID_ENTRY_H

#include <linux/bits.h>
#include <linux/bitfield.h>
#include <linux/compiler.h>
#include <linux/types.h>

/*
 * Field layout of the 512-bit scalable-mode PASID table entry, per 64-bit
 * word (VT-d specification, "Scalable-Mode PASID Table Entry").  Bits not
 * named here are reserved and always written as zero.  Bit 5 (SLEE), bit 129
 * (ERE), bits 133-134 (NXE/SMEP) existed in early 3.x revisions and are
 * reserved in later ones; this driver never sets them.
 */

/* Word 0: bits 63:0 */
#define VTD_PE0_P		BIT_ULL(0)		/* Present */
#define VTD_PE0_FPD		BIT_ULL(1)		/* Fault Processing Disable */
#define VTD_PE0_AW		GENMASK_ULL(4, 2)	/* SL address width */
#define VTD_PE0_PGTT		GENMASK_ULL(8, 6)	/* translation type */
#define VTD_PE0_SLADE		BIT_ULL(9)		/* SL access/dirty enable */
#define VTD_PE0_SLPTPTR		GENMASK_ULL(63, 12)	/* SL table pointer */

/* Word 1: bits 127:64 */
#define VTD_PE1_DID		GENMASK_ULL(15, 0)	/* Domain ID */
#define VTD_PE1_PWSNP		BIT_ULL(23)		/* Page-walk snoop */
#define VTD_PE1_PGSNP		BIT_ULL(24)		/* Page snoop */
#define VTD_PE1_CD		BIT_ULL(25)		/* Cache disable */
#define VTD_PE1_EMTE		BIT_ULL(26)		/* Ext. memory type enable */
#define VTD_PE1_EMT		GENMASK_ULL(29, 27)	/* Ext. memory type */
#define VTD_PE1_PWT		BIT_ULL(30)		/* FL root write-through */
#define VTD_PE1_PCD		BIT_ULL(31)		/* FL root cache disable */
#define VTD_PE1_PAT		GENMASK_ULL(63, 32)	/* Page attribute table */

/* Word 2: bits 191:128 */
#define VTD_PE2_SRE		BIT_ULL(0)		/* Supervisor requests */
#define VTD_PE2_FLPM		GENMASK_ULL(3, 2)	/* FL paging mode */
#define VTD_PE2_WPE		BIT_ULL(4)		/* Write protect enable */
#define VTD_PE2_EAFE		BIT_ULL(7)		/* Extended A flag enable */
#define VTD_PE2_FLPTR		GENMASK_ULL(63, 12)	/* FL table pointer */

/* Words 3 to 7 (bits 511:192) are reserved. */

/* PGTT values */
#define VTD_PGTT_FL		1
#define VTD_PGTT_SL		2
#define VTD_PGTT_NESTED		3
#define VTD_PGTT_PT		4

/* AW values: second-level paging with 3, 4 or 5 levels */
#define VTD_AW_39BIT		1
#define VTD_AW_48BIT		2
#define VTD_AW_57BIT		3

/* FLPM values: first-level paging with 4 or 5 levels */
#define VTD_FLPM_4LEVEL		0
#define VTD_FLPM_5LEVEL		1

#define VTD_PASID_ENTRY_QWORDS	8
/* Hardware fetches the entry in 128-bit pieces: two words at a time. */
#define VTD_PASID_PIECE_QWORDS	2
#define VTD_PASID_ENTRY_PIECES	(VTD_PASID_ENTRY_QWORDS / VTD_PASID_PIECE_QWORDS)

/**
 * struct vtd_pasid_entry - one 512-bit scalable-mode PASID table entry
 * @val: the eight 64-bit words, @val[0] holding bits 63:0.
 *
 * VT-d is an x86 (little-endian) architecture and the 128-bit stores of the
 * writer need CMPXCHG16B, so the driver is x86-64 only: words are kept in
 * CPU order, which is the order the hardware reads.  The entry is aligned to
 * its size, as in a PASID table, so each 128-bit piece is 16-byte aligned.
 */
struct vtd_pasid_entry {
	u64 val[VTD_PASID_ENTRY_QWORDS];
} __aligned(64);

/**
 * struct vtd_pasid_sl_cfg - second-level (stage 2) part of a configuration
 * @pgd: physical address of the second-level root table (4 KiB aligned).
 * @levels: number of second-level paging levels: 3, 4 or 5.
 * @dirty_tracking: set SLADE (access/dirty flags in second-level entries).
 */
struct vtd_pasid_sl_cfg {
	u64 pgd;
	u8 levels;
	bool dirty_tracking;
};

/**
 * struct vtd_pasid_fl_cfg - first-level (stage 1) part of a configuration
 * @pgd: address of the first-level root table (4 KiB aligned); a guest
 *	physical address when nested.
 * @levels: number of first-level paging levels: 4 or 5.
 * @sre: allow requests with supervisor privilege (SRE).
 * @wpe: write-protect supervisor requests to read-only pages (WPE).
 * @eafe: extended accessed flag (EAFE).
 * @cd: cache disable (CD); memory-type fields need ECAP.MTS.
 * @emte: use @emt as extended memory type (EMTE).
 * @emt: extended memory type, 0 to 7 (EMT).
 * @pwt: write-through for the first-level root table access (PWT).
 * @pcd: cache disable for the first-level root table access (PCD).
 * @pat: page attribute table, as IA32_PAT (PAT).
 */
struct vtd_pasid_fl_cfg {
	u64 pgd;
	u8 levels;
	bool sre;
	bool wpe;
	bool eafe;
	bool cd;
	bool emte;
	u8 emt;
	bool pwt;
	bool pcd;
	u32 pat;
};

/**
 * struct vtd_pasid_cfg - what a PASID translates through
 * @did: domain ID tagging the IOTLB and PASID-cache entries.
 * @fpd: disable fault recording and reporting for this PASID (FPD).
 * @pwsnp: snoop hardware page walks (PWSNP; set when ECAP.SMPWC).
 * @pgsnp: force snoop on every access through this entry (PGSNP).
 * @sl: second-level table; used by SL-only, nested (and @sl.levels by
 *	pass-through, for AW).
 * @fl: first-level table; used by FL-only and nested.
 *
 * Encoders read only the members their translation type uses.
 */
struct vtd_pasid_cfg {
	u16 did;
	bool fpd;
	bool pwsnp;
	bool pgsnp;
	struct vtd_pasid_sl_cfg sl;
	struct vtd_pasid_fl_cfg fl;
};

void vtd_pasid_encode_blocked(struct vtd_pasid_entry *pe, bool fpd);
int vtd_pasid_encode_pt(struct vtd_pasid_entry *pe,
			const struct vtd_pasid_cfg *cfg);
int vtd_pasid_encode_sl(struct vtd_pasid_entry *pe,
			const struct vtd_pasid_cfg *cfg);
int vtd_pasid_encode_fl(struct vtd_pasid_entry *pe,
			const struct vtd_pasid_cfg *cfg);
int vtd_pasid_encode_nested(struct vtd_pasid_entry *pe,
			    const struct vtd_pasid_cfg *cfg);

void vtd_pasid_entry_used(const struct vtd_pasid_entry *pe,
			  struct vtd_pasid_entry *used);

/**
 * vtd_pasid_entry_present() - is the entry present
 * @pe: entry (a snapshot, or a live entry read once)
 *
 * Return: true if the P bit is set.
 */
static inline bool vtd_pasid_entry_present(const struct vtd_pasid_entry *pe)
{
	return READ_ONCE(pe->val[0]) & VTD_PE0_P;
}

/**
 * vtd_pasid_entry_pgtt() - translation type of a present entry
 * @pe: entry
 *
 * Return: the PGTT field (VTD_PGTT_*), 0 if the entry is not present.
 */
static inline unsigned int vtd_pasid_entry_pgtt(const struct vtd_pasid_entry *pe)
{
	u64 v = READ_ONCE(pe->val[0]);

	return (v & VTD_PE0_P) ? FIELD_GET(VTD_PE0_PGTT, v) : 0;
}

/**
 * vtd_pasid_entry_did() - domain ID of an entry
 * @pe: entry
 *
 * Return: the DID field; meaningful only if the entry is present.
 */
static inline u16 vtd_pasid_entry_did(const struct vtd_pasid_entry *pe)
{
	return FIELD_GET(VTD_PE1_DID, READ_ONCE(pe->val[1]));
}

/**
 * vtd_pasid_entry_sl_root() - second-level table pointer of an entry
 * @pe: entry
 *
 * Return: the SLPTPTR field (an address); meaningful for present
 * second-level and nested entries only.
 */
static inline u64 vtd_pasid_entry_sl_root(const struct vtd_pasid_entry *pe)
{
	return READ_ONCE(pe->val[0]) & VTD_PE0_SLPTPTR;
}

/**
 * vtd_pasid_target_set_slade() - set or clear SLADE in a target entry
 * @pe: a target (a copy the writer will install, never a live entry)
 * @on: the value of SLADE
 *
 * For an entry that walks a second-level table (PGTT second level or
 * nested) whose table tracks dirty pages or stops doing so: the one bit
 * of the encoding that changes then (vtd_pasid_encode_sl() and
 * vtd_pasid_encode_nested() set it from &vtd_pasid_sl_cfg.dirty_tracking).
 */
static inline void vtd_pasid_target_set_slade(struct vtd_pasid_entry *pe,
					      bool on)
{
	if (on)
		pe->val[0] |= VTD_PE0_SLADE;
	else
		pe->val[0] &= ~VTD_PE0_SLADE;
}

/**
 * enum vtd_pasid_update - how an entry goes from its current value to a target
 * @VTD_PASID_UPDATE_NONE: nothing to write.
 * @VTD_PASID_UPDATE_HITLESS: hitless; the used bits change in one 128-bit
 *	store, with no preparatory step (bits the target leaves unused may be
 *	tidied after it).  A present entry becoming not present is of this
 *	kind: the store clears P (and sets FPD as the target has it) and
 *	nothing else; the other bits are cleared after a sync.
 * @VTD_PASID_UPDATE_HITLESS_SEQ: hitless ordered sequence; bits the current
 *	configuration ignores are written first, fenced, then one 128-bit store
 *	switches the configuration.
 * @VTD_PASID_UPDATE_TEARDOWN: the used bits change in more than one 128-bit
 *	piece: the entry is made not-present first, so DMA on the PASID is
 *	blocked (and faults unless FPD) until the target is installed.
 *
 * Every state the hardware can fetch during a hitless update translates
 * either as the current or as the target configuration.
 */
enum vtd_pasid_update {
	VTD_PASID_UPDATE_NONE,
	VTD_PASID_UPDATE_HITLESS,
	VTD_PASID_UPDATE_HITLESS_SEQ,
	VTD_PASID_UPDATE_TEARDOWN,
};

struct vtd_pasid_writer;

/**
 * struct vtd_pasid_writer_ops - callbacks of the entry writer
 * @sync: make the stores so far visible to the hardware and wait until it
 *	can no longer use anything older: write back the entry's cache line if
 *	the unit does not snoop it, then invalidate the PASID cache for the
 *	entry (PASID-selective, with the DID(s) it held) and wait for the
 *	invalidation to complete.  When the entry has just become not present
 *	(its P bit cleared, every other bit still the old entry's), also
 *	invalidate what was cached through the old entry: IOTLB, and device
 *	TLB where one is enabled (VT-d specification 6.5.3.3).  Called only
 *	between steps of a sequence; never after the last store (the caller's
 *	final flush covers that).  Returns 0, or a negative errno if the
 *	invalidation did not complete: the writer then stops, with the entry
 *	not present.
 * @stored: optional; told after every store to the entry, with the index of
 *	the first word written and the number of words written at once (1 or
 *	2).  For tests and tracing.
 */
struct vtd_pasid_writer_ops {
	int (*sync)(struct vtd_pasid_writer *writer);
	void (*stored)(struct vtd_pasid_writer *writer, unsigned int qw,
		       unsigned int nr);
};

/**
 * struct vtd_pasid_writer - context of one entry update
 * @ops: the callbacks.
 * @err: set by the writer: 0, or the error of the @ops->sync call that
 *	failed.  The writer stopped there and left the entry not present
 *	(P clear); the caller must treat the old and the new configuration as
 *	possibly still cached.
 *
 * Embed it in the caller's own structure (container_of() in the callbacks).
 * The caller serializes writers of the same entry.
 */
struct vtd_pasid_writer {
	const struct vtd_pasid_writer_ops *ops;
	int err;
};

enum vtd_pasid_update vtd_pasid_update_kind(const struct vtd_pasid_entry *cur,
					    const struct vtd_pasid_entry *target);
enum vtd_pasid_update vtd_pasid_write_entry(struct vtd_pasid_writer *writer,
					    struct vtd_pasid_entry *pe,
					    const struct vtd_pasid_entry *target);
void vtd_pasid_clear_present(struct vtd_pasid_writer *writer,
			     struct vtd_pasid_entry *pe);

#if IS_ENABLED(CONFIG_KUNIT)
enum vtd_pasid_update
__vtd_pasid_write_entry(struct vtd_pasid_writer *writer,
			struct vtd_pasid_entry *pe,
			const struct vtd_pasid_entry *target, bool atomic128);
#endif

#endif /* _VTD_SM_PASID_ENTRY_H */
