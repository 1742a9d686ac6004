// SPDX-License-Identifier: GPL-2.0
/*
 * Independent software walker for VT-d scalable-mode translation.
 *
 * Resolves (source-id, PASID, address, access) through the root table,
 * the scalable-mode context entry, the PASID directory and PASID table
 * entries and the first- and second-level paging structures, the way the
 * Intel VT-d specification describes remapping hardware doing it.  Every
 * field is decoded here from the specification; nothing is shared with
 * the code that writes the structures.
 *
 * The walker only reads.  It sets no accessed or dirty bit and keeps no
 * cache, so it sees exactly what is in memory at the time of the call.
 */
#include <linux/bitfield.h>
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "walk.h"

/* Root entry, 128 bits: word 0 for devfn 0-127, word 1 for 128-255. */
#define VW_RE_P			BIT_ULL(0)
#define VW_RE_RSVD		GENMASK_ULL(11, 1)
#define VW_RE_CTP		GENMASK_ULL(63, 12)

/* Scalable-mode context entry, 256 bits (four words). */
#define VW_CE_WORDS		4
#define VW_CE0_P		BIT_ULL(0)
#define VW_CE0_PASIDE		BIT_ULL(3)
#define VW_CE0_RSVD		GENMASK_ULL(8, 5)
#define VW_CE0_PDTS		GENMASK_ULL(11, 9)
#define VW_CE0_PDIRPTR		GENMASK_ULL(63, 12)
#define VW_CE1_RID_PASID	GENMASK_ULL(19, 0)
#define VW_CE1_RID_PRIV		BIT_ULL(20)
#define VW_CE1_RSVD		GENMASK_ULL(63, 21)

/* PASID directory entry, 64 bits, indexed by PASID[19:6]. */
#define VW_PDE_P		BIT_ULL(0)
#define VW_PDE_PTBLPTR		GENMASK_ULL(63, 12)

/* PASID table entry, 512 bits (eight words), indexed by PASID[5:0]. */
#define VW_PE_WORDS		8
#define VW_PE0_P		BIT_ULL(0)
#define VW_PE0_AW		GENMASK_ULL(4, 2)
#define VW_PE0_PGTT		GENMASK_ULL(8, 6)
#define VW_PE0_SLPTPTR		GENMASK_ULL(63, 12)
#define VW_PE1_DID		GENMASK_ULL(15, 0)
#define VW_PE2_SRE		BIT_ULL(0)
#define VW_PE2_FLPM		GENMASK_ULL(3, 2)
#define VW_PE2_WPE		BIT_ULL(4)
#define VW_PE2_FLPTR		GENMASK_ULL(63, 12)

/* Second-level paging entry. */
#define VW_SL_R			BIT_ULL(0)
#define VW_SL_W			BIT_ULL(1)
#define VW_SL_PS		BIT_ULL(7)
#define VW_SL_ADDR		GENMASK_ULL(51, 12)

/* First-level (IA-32e) paging entry. */
#define VW_FL_P			BIT_ULL(0)
#define VW_FL_RW		BIT_ULL(1)
#define VW_FL_US		BIT_ULL(2)
#define VW_FL_PS		BIT_ULL(7)
#define VW_FL_ADDR		GENMASK_ULL(51, 12)

#define VW_LEVEL_BITS		9
#define VW_PAGE_SHIFT		12
#define VW_DEFAULT_HAW		52

struct vw {
	vtd_walk_read_t read;
	void *priv;
	u64 hmask;	/* address bits at or above the host address width */
};

/* Output of one second-level walk. */
struct vw_sl {
	u64 phys;
	u64 size;
	unsigned int level;
	unsigned int perm;
};

static unsigned int vw_shift(unsigned int level)
{
	return VW_PAGE_SHIFT + VW_LEVEL_BITS * (level - 1);
}

static unsigned int vw_index(u64 addr, unsigned int level)
{
	return (addr >> vw_shift(level)) & (BIT(VW_LEVEL_BITS) - 1);
}

/**
 * vtd_walk_read_phys() - default reader of translation structures
 * @priv: unused.
 * @pa: physical address of the first word.
 * @buf: where to store the words.
 * @nr: number of 64-bit words; the range must not cross a page.
 *
 * Reads RAM through the kernel's direct map, each 64-bit word with
 * READ_ONCE() so that a concurrently updated entry is never read in
 * smaller pieces.  Addresses that are not RAM are refused rather than
 * mapped.
 *
 * Return: 0, -EINVAL for a misaligned or page-crossing range, -EFAULT for
 * an address that is not RAM.
 */
int vtd_walk_read_phys(void *priv, phys_addr_t pa, u64 *buf, unsigned int nr)
{
	unsigned long pfn = PHYS_PFN(pa);
	const u64 *p;
	unsigned int i;

	if (!nr || !IS_ALIGNED(pa, sizeof(u64)) ||
	    offset_in_page(pa) + nr * sizeof(u64) > PAGE_SIZE)
		return -EINVAL;
	if (!pfn_valid(pfn) || !page_is_ram(pfn))
		return -EFAULT;

	p = phys_to_virt(pa);
	for (i = 0; i < nr; i++)
		buf[i] = READ_ONCE(p[i]);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_walk_read_phys);

static int vw_read(const struct vw *w, u64 pa, u64 *buf, unsigned int nr)
{
	return w->read(w->priv, pa, buf, nr);
}

/*
 * Second-level walk of @in from the table at @sltp with @levels levels.
 * R and W accumulate as the AND over every level; a request is checked
 * against the entry of each level as it is fetched.
 */
static enum vtd_walk_fault vw_sl_walk(const struct vw *w, u64 sltp,
				      unsigned int levels, u64 in,
				      unsigned int access, struct vw_sl *out)
{
	unsigned int level, perm = VTD_WALK_PERM_READ | VTD_WALK_PERM_WRITE;
	u64 table = sltp, e = 0, size;

	out->level = levels;
	if (in >> vw_shift(levels + 1))
		return VTD_WALK_ADDR_WIDTH;

	for (level = levels; ; level--) {
		out->level = level;
		if (vw_read(w, table + vw_index(in, level) * sizeof(u64), &e, 1))
			return VTD_WALK_SL_ACCESS;
		if (!(e & (VW_SL_R | VW_SL_W)))
			return VTD_WALK_SL_NP;
		if (e & VW_SL_ADDR & w->hmask)
			return VTD_WALK_SL_RSVD;
		if ((e & VW_SL_PS) && level > 3)
			return VTD_WALK_SL_RSVD;
		if (!(e & VW_SL_R)) {
			perm &= ~VTD_WALK_PERM_READ;
			if (access & VTD_WALK_READ)
				return VTD_WALK_SL_READ;
		}
		if (!(e & VW_SL_W)) {
			perm &= ~VTD_WALK_PERM_WRITE;
			if (access & VTD_WALK_WRITE)
				return VTD_WALK_SL_WRITE;
		}
		if (level == 1 || (e & VW_SL_PS))
			break;
		table = e & VW_SL_ADDR;
	}

	size = BIT_ULL(vw_shift(level));
	/* The address of a large page must be aligned to its size. */
	if (e & VW_SL_ADDR & (size - 1))
		return VTD_WALK_SL_RSVD;
	out->phys = (e & VW_SL_ADDR) | (in & (size - 1));
	out->size = size;
	out->perm = perm;
	return VTD_WALK_OK;
}

static unsigned int vw_sl_levels(u64 pe0)
{
	switch (FIELD_GET(VW_PE0_AW, pe0)) {
	case 1:
		return 3;
	case 2:
		return 4;
	case 3:
		return 5;
	default:
		return 0;
	}
}

/*
 * Second-level translation of a guest-physical address on behalf of a
 * nested walk: records what failed in @res as the inner fault.
 */
static enum vtd_walk_fault vw_nested_sl(const struct vw *w, u64 sltp,
					unsigned int levels, u64 gpa,
					unsigned int access, struct vw_sl *out,
					struct vtd_walk_result *res)
{
	enum vtd_walk_fault f = vw_sl_walk(w, sltp, levels, gpa, access, out);

	if (f != VTD_WALK_OK) {
		res->sl_fault = f;
		res->sl_level = out->level;
		res->fault_addr = gpa;
	}
	return f;
}

/*
 * First-level walk.  With @nested set, FLPTR and every table address in a
 * first-level entry are guest-physical and translated through the second
 * level (@sltp, @sl_levels) before the table is read; the output stays
 * guest-physical and is left in @res->phys for the caller to translate.
 */
static enum vtd_walk_fault vw_fl_walk(const struct vw *w, const u64 *pe,
				      bool nested, u64 sltp,
				      unsigned int sl_levels, u64 in,
				      unsigned int access,
				      struct vtd_walk_result *res)
{
	bool priv = access & VTD_WALK_PRIV, wpe = pe[2] & VW_PE2_WPE;
	unsigned int levels, level, bits;
	bool user_ok = true, write_ok = true;
	u64 table = pe[2] & VW_PE2_FLPTR;
	u64 e = 0, size;
	struct vw_sl sl;

	switch (FIELD_GET(VW_PE2_FLPM, pe[2])) {
	case 0:
		levels = 4;
		break;
	case 1:
		levels = 5;
		break;
	default:
		return VTD_WALK_PASID_FLPM;
	}

	/* Canonical: every bit above the width copies the top one. */
	bits = vw_shift(levels + 1);
	if ((u64)(sign_extend64(in, bits - 1)) != in)
		return VTD_WALK_FL_NONCANON;

	res->levels = levels;
	for (level = levels; ; level--) {
		u64 pa = table;

		res->level = level;
		if (nested) {
			if (vw_nested_sl(w, sltp, sl_levels, table,
					 VTD_WALK_READ, &sl, res))
				return VTD_WALK_NESTED_TABLE;
			pa = sl.phys;
		}
		if (vw_read(w, pa + vw_index(in, level) * sizeof(u64), &e, 1))
			return VTD_WALK_FL_ACCESS;
		if (!(e & VW_FL_P))
			return VTD_WALK_FL_NP;
		if (!nested && (e & VW_FL_ADDR & w->hmask))
			return VTD_WALK_FL_RSVD;
		if ((e & VW_FL_PS) && level > 3)
			return VTD_WALK_FL_RSVD;
		if (!(e & VW_FL_US)) {
			user_ok = false;
			if (!priv)
				return VTD_WALK_FL_USER;
		}
		if (!(e & VW_FL_RW)) {
			write_ok = false;
			/* Supervisor writes ignore R/W unless WPE is set. */
			if ((access & VTD_WALK_WRITE) && (!priv || wpe))
				return VTD_WALK_FL_WRITE;
		}
		if (level == 1 || (e & VW_FL_PS))
			break;
		table = e & VW_FL_ADDR;
	}

	size = BIT_ULL(vw_shift(level));
	/* In a large-page entry bit 12 is PAT; the bits up to the size are reserved. */
	if (level > 1 && (e & VW_FL_ADDR & (size - 1) & ~BIT_ULL(VW_PAGE_SHIFT)))
		return VTD_WALK_FL_RSVD;
	res->phys = (e & VW_FL_ADDR & ~(size - 1)) | (in & (size - 1));
	res->page_size = size;
	res->perm = VTD_WALK_PERM_READ;
	if (write_ok || (priv && !wpe))
		res->perm |= VTD_WALK_PERM_WRITE;
	if (user_ok)
		res->perm |= VTD_WALK_PERM_USER;
	return VTD_WALK_OK;
}

static enum vtd_walk_fault vw_translate(const struct vw *w, const u64 *pe,
					u64 addr, unsigned int access,
					struct vtd_walk_result *res)
{
	u64 sltp = pe[0] & VW_PE0_SLPTPTR;
	unsigned int levels = vw_sl_levels(pe[0]);
	enum vtd_walk_fault f;
	struct vw_sl sl;

	switch (res->pgtt) {
	case VTD_WALK_PGTT_PT:
		if (addr & w->hmask)
			return VTD_WALK_ADDR_WIDTH;
		res->phys = addr;
		res->page_size = BIT_ULL(VW_PAGE_SHIFT);
		res->perm = VTD_WALK_PERM_READ | VTD_WALK_PERM_WRITE;
		return VTD_WALK_OK;

	case VTD_WALK_PGTT_SL:
		if (!levels)
			return VTD_WALK_PASID_AW;
		f = vw_sl_walk(w, sltp, levels, addr, access, &sl);
		res->levels = levels;
		res->level = sl.level;
		if (f)
			return f;
		res->phys = sl.phys;
		res->page_size = sl.size;
		res->perm = sl.perm;
		return VTD_WALK_OK;

	case VTD_WALK_PGTT_FL:
		if ((access & VTD_WALK_PRIV) && !(pe[2] & VW_PE2_SRE))
			return VTD_WALK_PASID_SRE;
		return vw_fl_walk(w, pe, false, 0, 0, addr, access, res);

	case VTD_WALK_PGTT_NESTED:
		if (!levels)
			return VTD_WALK_PASID_AW;
		if ((access & VTD_WALK_PRIV) && !(pe[2] & VW_PE2_SRE))
			return VTD_WALK_PASID_SRE;
		f = vw_fl_walk(w, pe, true, sltp, levels, addr, access, res);
		if (f)
			return f;
		if (vw_nested_sl(w, sltp, levels, res->phys,
				 access & (VTD_WALK_READ | VTD_WALK_WRITE),
				 &sl, res))
			return VTD_WALK_NESTED_OUTPUT;
		res->phys = sl.phys;
		res->page_size = min(res->page_size, sl.size);
		res->perm &= sl.perm | VTD_WALK_PERM_USER;
		return VTD_WALK_OK;

	default:
		return VTD_WALK_PASID_PGTT;
	}
}

static enum vtd_walk_fault vw_walk(const struct vw *w, phys_addr_t root,
				   u16 sid, u32 pasid, u64 addr,
				   unsigned int access,
				   struct vtd_walk_result *res)
{
	unsigned int bus = sid >> 8, devfn = sid & 0xff;
	u64 re[2], ce[VW_CE_WORDS], pde, pe[VW_PE_WORDS], ctp;
	u64 pdir;

	if (vw_read(w, root + bus * sizeof(re), re, ARRAY_SIZE(re)))
		return VTD_WALK_ROOT_ACCESS;
	ctp = re[devfn >= 128];
	if (!(ctp & VW_RE_P))
		return VTD_WALK_ROOT_NP;
	if ((ctp & VW_RE_RSVD) || (ctp & VW_RE_CTP & w->hmask))
		return VTD_WALK_ROOT_RSVD;

	ctp &= VW_RE_CTP;
	if (vw_read(w, ctp + (devfn & 0x7f) * sizeof(ce), ce, ARRAY_SIZE(ce)))
		return VTD_WALK_CTX_ACCESS;
	if (!(ce[0] & VW_CE0_P))
		return VTD_WALK_CTX_NP;
	if ((ce[0] & VW_CE0_RSVD) || (ce[0] & VW_CE0_PDIRPTR & w->hmask) ||
	    (ce[1] & VW_CE1_RSVD))
		return VTD_WALK_CTX_RSVD;

	if (pasid == VTD_WALK_NO_PASID) {
		/* Requests without PASID use RID_PASID and its privilege. */
		pasid = FIELD_GET(VW_CE1_RID_PASID, ce[1]);
		res->pasid = pasid;
		access &= ~VTD_WALK_PRIV;
		if (ce[1] & VW_CE1_RID_PRIV)
			access |= VTD_WALK_PRIV;
	} else if (!(ce[0] & VW_CE0_PASIDE)) {
		return VTD_WALK_CTX_PASIDE;
	}

	/* The directory holds 2^(PDTS + 7) entries of 64 PASIDs each. */
	if ((pasid >> 6) >> (FIELD_GET(VW_CE0_PDTS, ce[0]) + 7))
		return VTD_WALK_PASID_RANGE;

	pdir = ce[0] & VW_CE0_PDIRPTR;
	if (vw_read(w, pdir + (pasid >> 6) * sizeof(pde), &pde, 1))
		return VTD_WALK_PDIR_ACCESS;
	if (!(pde & VW_PDE_P))
		return VTD_WALK_PDIR_NP;

	if (vw_read(w, (pde & VW_PDE_PTBLPTR) + (pasid & 0x3f) * sizeof(pe),
		    pe, ARRAY_SIZE(pe)))
		return VTD_WALK_PASID_ACCESS;
	if (!(pe[0] & VW_PE0_P))
		return VTD_WALK_PASID_NP;

	res->did = FIELD_GET(VW_PE1_DID, pe[1]);
	res->pgtt = FIELD_GET(VW_PE0_PGTT, pe[0]);
	return vw_translate(w, pe, addr, access, res);
}

/**
 * vtd_walk() - translate one request as VT-d scalable-mode hardware would
 * @ctx: the remapping unit: root table address, address width, reader.
 * @sid: source-id of the request: bus number << 8 | devfn.
 * @pasid: PASID of a request with PASID, or %VTD_WALK_NO_PASID for a
 *	request without, which uses the context entry's RID_PASID (and
 *	RID_PRIV instead of %VTD_WALK_PRIV).
 * @addr: input address (IOVA, or guest-virtual/IOVA for first level).
 * @access: ``VTD_WALK_READ``, ``VTD_WALK_WRITE`` and ``VTD_WALK_PRIV``.
 *	With neither READ nor WRITE no permission is checked and
 *	@res->perm tells what would be granted.
 * @res: filled with the translation or the fault.
 *
 * Reads the root entry, the scalable-mode context entry, the PASID
 * directory and PASID table entries and then the paging structures the
 * PASID entry selects (first level, second level, nested or
 * pass-through).  Nothing is cached and nothing is written.
 *
 * The walk runs in an RCU read-side critical section: vtd_sm frees a PASID
 * directory and its PASID tables only after a grace period (context.c),
 * so a directory a context entry named when it was read stays readable
 * until the walk ends.  Paging structures are the caller's to keep.
 *
 * Context: any; @ctx->read must not sleep.
 * Return: 0 when translated, -EFAULT when the walk ended in a fault
 * (described in @res), -EINVAL for bad arguments.
 */
int vtd_walk(const struct vtd_walk_ctx *ctx, u16 sid, u32 pasid, u64 addr,
	     unsigned int access, struct vtd_walk_result *res)
{
	unsigned int haw;
	struct vw w;

	if (!ctx || !res || (access & ~VTD_WALK_ACCESS_MASK) ||
	    (pasid != VTD_WALK_NO_PASID && pasid >= BIT(20)))
		return -EINVAL;
	haw = ctx->haw ? ctx->haw : VW_DEFAULT_HAW;
	if (haw > 64)
		return -EINVAL;

	w.read = ctx->read ? ctx->read : vtd_walk_read_phys;
	w.priv = ctx->priv;
	w.hmask = haw == 64 ? 0 : ~0ULL << haw;

	memset(res, 0, sizeof(*res));
	res->sid = sid;
	res->addr = addr;
	res->pasid = pasid;
	rcu_read_lock();
	res->fault = vw_walk(&w, ctx->root, sid, pasid, addr, access, res);
	rcu_read_unlock();
	return res->fault == VTD_WALK_OK ? 0 : -EFAULT;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_walk);

static const char * const vw_fault_names[VTD_WALK_FAULT_MAX] = {
	[VTD_WALK_OK]		= "ok",
	[VTD_WALK_ROOT_ACCESS]	= "root entry access error",
	[VTD_WALK_ROOT_NP]	= "root entry not present",
	[VTD_WALK_ROOT_RSVD]	= "root entry reserved bit set",
	[VTD_WALK_CTX_ACCESS]	= "context entry access error",
	[VTD_WALK_CTX_NP]	= "context entry not present",
	[VTD_WALK_CTX_RSVD]	= "context entry reserved bit set",
	[VTD_WALK_CTX_PASIDE]	= "PASID request with PASIDE clear",
	[VTD_WALK_PASID_RANGE]	= "PASID beyond PASID directory size",
	[VTD_WALK_PDIR_ACCESS]	= "PASID directory entry access error",
	[VTD_WALK_PDIR_NP]	= "PASID directory entry not present",
	[VTD_WALK_PASID_ACCESS]	= "PASID entry access error",
	[VTD_WALK_PASID_NP]	= "PASID entry not present",
	[VTD_WALK_PASID_PGTT]	= "PASID entry PGTT reserved",
	[VTD_WALK_PASID_AW]	= "PASID entry AW reserved",
	[VTD_WALK_PASID_FLPM]	= "PASID entry FLPM reserved",
	[VTD_WALK_PASID_SRE]	= "supervisor request with SRE clear",
	[VTD_WALK_ADDR_WIDTH]	= "address beyond width",
	[VTD_WALK_SL_ACCESS]	= "second-level entry access error",
	[VTD_WALK_SL_NP]	= "second-level entry not present",
	[VTD_WALK_SL_RSVD]	= "second-level entry reserved bit set",
	[VTD_WALK_SL_READ]	= "second-level read denied",
	[VTD_WALK_SL_WRITE]	= "second-level write denied",
	[VTD_WALK_FL_ACCESS]	= "first-level entry access error",
	[VTD_WALK_FL_NONCANON]	= "first-level address not canonical",
	[VTD_WALK_FL_NP]	= "first-level entry not present",
	[VTD_WALK_FL_RSVD]	= "first-level entry reserved bit set",
	[VTD_WALK_FL_USER]	= "first-level user access denied",
	[VTD_WALK_FL_WRITE]	= "first-level write denied",
	[VTD_WALK_NESTED_TABLE]	= "nested second-level fault on first-level table",
	[VTD_WALK_NESTED_OUTPUT] = "nested second-level fault on first-level output",
};

/**
 * vtd_walk_fault_str() - name of a walk outcome
 * @fault: a value of &enum vtd_walk_fault.
 *
 * Return: a constant string; "unknown" for values out of range.
 */
const char *vtd_walk_fault_str(enum vtd_walk_fault fault)
{
	if ((unsigned int)fault >= VTD_WALK_FAULT_MAX || !vw_fault_names[fault])
		return "unknown";
	return vw_fault_names[fault];
}
EXPORT_SYMBOL_IF_KUNIT(vtd_walk_fault_str);

/* Scalable-mode fault reason codes of the VT-d specification. */
static const u8 vw_fault_reasons[VTD_WALK_FAULT_MAX] = {
	[VTD_WALK_ROOT_ACCESS]	= 0x38,
	[VTD_WALK_ROOT_NP]	= 0x39,
	[VTD_WALK_ROOT_RSVD]	= 0x3a,
	[VTD_WALK_CTX_ACCESS]	= 0x40,
	[VTD_WALK_CTX_NP]	= 0x41,
	[VTD_WALK_CTX_RSVD]	= 0x42,
	[VTD_WALK_CTX_PASIDE]	= 0x45,
	[VTD_WALK_PASID_RANGE]	= 0x46,
	[VTD_WALK_PDIR_ACCESS]	= 0x50,
	[VTD_WALK_PDIR_NP]	= 0x51,
	[VTD_WALK_PASID_ACCESS]	= 0x58,
	[VTD_WALK_PASID_NP]	= 0x59,
	[VTD_WALK_PASID_PGTT]	= 0x5b,
	[VTD_WALK_PASID_AW]	= 0x5b,
	[VTD_WALK_PASID_FLPM]	= 0x5b,
	[VTD_WALK_PASID_SRE]	= 0x5d,
	[VTD_WALK_ADDR_WIDTH]	= 0x83,
	[VTD_WALK_SL_ACCESS]	= 0x78,
	[VTD_WALK_SL_NP]	= 0x79,
	[VTD_WALK_SL_RSVD]	= 0x7a,
	[VTD_WALK_SL_READ]	= 0x86,
	[VTD_WALK_SL_WRITE]	= 0x85,
	[VTD_WALK_FL_ACCESS]	= 0x70,
	[VTD_WALK_FL_NONCANON]	= 0x80,
	[VTD_WALK_FL_NP]	= 0x71,
	[VTD_WALK_FL_RSVD]	= 0x72,
	[VTD_WALK_FL_USER]	= 0x81,
	[VTD_WALK_FL_WRITE]	= 0x85,
};

/**
 * vtd_walk_fault_reason() - VT-d fault reason code of a walk result
 * @res: result of vtd_walk().
 *
 * Maps the outcome to the scalable-mode fault reason (FR) a remapping unit
 * would record.  A nested table fault is reported as the read of a
 * first-level entry failing in nested translation (FLPTR itself, any other
 * table, or a table address beyond the second-level width); a nested
 * output fault as the second-level fault behind it.
 *
 * Return: the fault reason, or 0 on success.
 */
u8 vtd_walk_fault_reason(const struct vtd_walk_result *res)
{
	const struct vtd_walk_result inner = { .fault = res->sl_fault };

	switch (res->fault) {
	case VTD_WALK_NESTED_TABLE:
		if (res->sl_fault == VTD_WALK_ADDR_WIDTH)
			return 0x74;
		return res->level == res->levels ? 0x75 : 0x76;
	case VTD_WALK_NESTED_OUTPUT:
		return vtd_walk_fault_reason(&inner);
	default:
		if ((unsigned int)res->fault >= VTD_WALK_FAULT_MAX)
			return 0;
		return vw_fault_reasons[res->fault];
	}
}
EXPORT_SYMBOL_IF_KUNIT(vtd_walk_fault_reason);

static const char *vw_pgtt_name(u8 pgtt)
{
	switch (pgtt) {
	case VTD_WALK_PGTT_FL:
		return "fl";
	case VTD_WALK_PGTT_SL:
		return "sl";
	case VTD_WALK_PGTT_NESTED:
		return "nested";
	case VTD_WALK_PGTT_PT:
		return "pt";
	default:
		return "-";
	}
}

/**
 * vtd_walk_format() - render a walk result as one line of text
 * @res: result of vtd_walk().
 * @buf: output buffer.
 * @len: size of @buf.
 *
 * The line starts with "ok" or "fault", names the source-id, PASID and
 * input address, and either the output address, page size, level and
 * permissions or the fault with its VT-d reason code; it ends with a
 * newline.  Fields are "key value" pairs for easy parsing.
 *
 * Return: the number of characters written, not counting the NUL.
 */
int vtd_walk_format(const struct vtd_walk_result *res, char *buf, size_t len)
{
	int n;

	n = scnprintf(buf, len, "%s sid %02x:%02x.%x",
		      res->fault == VTD_WALK_OK ? "ok" : "fault",
		      res->sid >> 8, (res->sid >> 3) & 0x1f, res->sid & 7);
	if (res->pasid == VTD_WALK_NO_PASID)
		n += scnprintf(buf + n, len - n, " pasid none");
	else
		n += scnprintf(buf + n, len - n, " pasid %u", res->pasid);
	n += scnprintf(buf + n, len - n, " addr %#llx", res->addr);

	if (res->fault == VTD_WALK_OK) {
		n += scnprintf(buf + n, len - n,
			       " pgtt %s did %u phys %#llx size %#llx level %u perm %c%c%c\n",
			       vw_pgtt_name(res->pgtt), res->did,
			       (u64)res->phys, res->page_size, res->level,
			       res->perm & VTD_WALK_PERM_READ ? 'r' : '-',
			       res->perm & VTD_WALK_PERM_WRITE ? 'w' : '-',
			       res->perm & VTD_WALK_PERM_USER ? 'u' : 's');
		return n;
	}

	n += scnprintf(buf + n, len - n, " reason %#04x level %u: %s",
		       vtd_walk_fault_reason(res), res->level,
		       vtd_walk_fault_str(res->fault));
	if (res->fault == VTD_WALK_NESTED_TABLE ||
	    res->fault == VTD_WALK_NESTED_OUTPUT)
		n += scnprintf(buf + n, len - n, " (gpa %#llx sl level %u: %s)",
			       res->fault_addr, res->sl_level,
			       vtd_walk_fault_str(res->sl_fault));
	n += scnprintf(buf + n, len - n, "\n");
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_walk_format);
