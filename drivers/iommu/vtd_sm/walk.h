/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Independent software walker for VT-d scalable-mode translation.
 *
 * Written from the Intel VT-d specification (chapters 3 and 9) and kept
 * apart from the code that programs the structures: it shares no header
 * with it and decodes every field itself, so that an encoding mistake on
 * either side shows up as a disagreement.
 */
#ifndef _VTD_SM_WALK_H
#define _VTD_SM_WALK_H

#include <linux/types.h>

/* Access types of a request (the @access argument of vtd_walk()). */
#define VTD_WALK_READ		BIT(0)	/* read (or the read half of an atomic) */
#define VTD_WALK_WRITE		BIT(1)	/* write */
#define VTD_WALK_PRIV		BIT(2)	/* supervisor request (PR=1) */
#define VTD_WALK_ACCESS_MASK	(VTD_WALK_READ | VTD_WALK_WRITE | VTD_WALK_PRIV)

/* Permissions in &struct vtd_walk_result.perm. */
#define VTD_WALK_PERM_READ	BIT(0)
#define VTD_WALK_PERM_WRITE	BIT(1)
#define VTD_WALK_PERM_USER	BIT(2)	/* first level: U/S set at every level */

/* @pasid value of vtd_walk() for a request without PASID. */
#define VTD_WALK_NO_PASID	U32_MAX

/* PASID granular translation types (PASID entry PGTT field). */
#define VTD_WALK_PGTT_FL	1
#define VTD_WALK_PGTT_SL	2
#define VTD_WALK_PGTT_NESTED	3
#define VTD_WALK_PGTT_PT	4

/**
 * enum vtd_walk_fault - outcome of a walk
 * @VTD_WALK_OK: translated.
 * @VTD_WALK_ROOT_ACCESS: the root entry could not be read.
 * @VTD_WALK_ROOT_NP: the present bit (LP or UP) for the devfn is clear.
 * @VTD_WALK_ROOT_RSVD: a reserved field of the root entry is set.
 * @VTD_WALK_CTX_ACCESS: the context entry could not be read.
 * @VTD_WALK_CTX_NP: the context entry is not present.
 * @VTD_WALK_CTX_RSVD: a reserved field of the context entry is set.
 * @VTD_WALK_CTX_PASIDE: request with PASID while PASIDE is clear.
 * @VTD_WALK_PASID_RANGE: the PASID is beyond the directory size (PDTS).
 * @VTD_WALK_PDIR_ACCESS: the PASID directory entry could not be read.
 * @VTD_WALK_PDIR_NP: the PASID directory entry is not present.
 * @VTD_WALK_PASID_ACCESS: the PASID table entry could not be read.
 * @VTD_WALK_PASID_NP: the PASID table entry is not present (blocked).
 * @VTD_WALK_PASID_PGTT: the PGTT field holds a reserved value.
 * @VTD_WALK_PASID_AW: the AW field holds a reserved value.
 * @VTD_WALK_PASID_FLPM: the FLPM field holds a reserved value.
 * @VTD_WALK_PASID_SRE: supervisor request while SRE is clear.
 * @VTD_WALK_ADDR_WIDTH: the input address is beyond the address width.
 * @VTD_WALK_SL_ACCESS: a second-level entry could not be read.
 * @VTD_WALK_SL_NP: a second-level entry has R and W clear.
 * @VTD_WALK_SL_RSVD: a reserved field of a second-level entry is set.
 * @VTD_WALK_SL_READ: read request, R clear at some second level.
 * @VTD_WALK_SL_WRITE: write request, W clear at some second level.
 * @VTD_WALK_FL_ACCESS: a first-level entry could not be read.
 * @VTD_WALK_FL_NONCANON: the input address is not canonical.
 * @VTD_WALK_FL_NP: a first-level entry is not present.
 * @VTD_WALK_FL_RSVD: a reserved field of a first-level entry is set.
 * @VTD_WALK_FL_USER: user request, U/S clear at some first level.
 * @VTD_WALK_FL_WRITE: write request denied by first-level R/W (and WPE).
 * @VTD_WALK_NESTED_TABLE: nested: the second level could not translate
 *	the guest-physical address of a first-level table; the level of
 *	that table is in @level, the second-level fault in @sl_fault.
 * @VTD_WALK_NESTED_OUTPUT: nested: the second level could not translate
 *	the guest-physical output of the first level.
 * @VTD_WALK_FAULT_MAX: number of values.
 */
enum vtd_walk_fault {
	VTD_WALK_OK,
	VTD_WALK_ROOT_ACCESS,
	VTD_WALK_ROOT_NP,
	VTD_WALK_ROOT_RSVD,
	VTD_WALK_CTX_ACCESS,
	VTD_WALK_CTX_NP,
	VTD_WALK_CTX_RSVD,
	VTD_WALK_CTX_PASIDE,
	VTD_WALK_PASID_RANGE,
	VTD_WALK_PDIR_ACCESS,
	VTD_WALK_PDIR_NP,
	VTD_WALK_PASID_ACCESS,
	VTD_WALK_PASID_NP,
	VTD_WALK_PASID_PGTT,
	VTD_WALK_PASID_AW,
	VTD_WALK_PASID_FLPM,
	VTD_WALK_PASID_SRE,
	VTD_WALK_ADDR_WIDTH,
	VTD_WALK_SL_ACCESS,
	VTD_WALK_SL_NP,
	VTD_WALK_SL_RSVD,
	VTD_WALK_SL_READ,
	VTD_WALK_SL_WRITE,
	VTD_WALK_FL_ACCESS,
	VTD_WALK_FL_NONCANON,
	VTD_WALK_FL_NP,
	VTD_WALK_FL_RSVD,
	VTD_WALK_FL_USER,
	VTD_WALK_FL_WRITE,
	VTD_WALK_NESTED_TABLE,
	VTD_WALK_NESTED_OUTPUT,
	VTD_WALK_FAULT_MAX,
};

/**
 * typedef vtd_walk_read_t - read translation structures
 * @priv: &struct vtd_walk_ctx.priv.
 * @pa: physical address, aligned to @nr * 8 (at most 64).
 * @buf: where to store the 64-bit words read.
 * @nr: number of 64-bit words (1, 2, 4 or 8).
 *
 * Return: 0, or a negative errno when the memory cannot be read (the walk
 * then ends with the ``*_ACCESS`` fault of that step).
 */
typedef int (*vtd_walk_read_t)(void *priv, phys_addr_t pa, u64 *buf,
			       unsigned int nr);

/**
 * struct vtd_walk_ctx - what the walker needs of a remapping unit
 * @root: physical address of the root table (RTADDR_REG without flags).
 * @haw: host address width in bits (the ACPI DMAR table's HAW + 1);
 *	pass-through input and the addresses in entries are checked against
 *	it.  0 means 52.
 * @read: reader of physical memory; NULL means vtd_walk_read_phys().
 * @priv: passed to @read.
 */
struct vtd_walk_ctx {
	phys_addr_t root;
	unsigned int haw;
	vtd_walk_read_t read;
	void *priv;
};

/**
 * struct vtd_walk_result - result of vtd_walk()
 * @fault: %VTD_WALK_OK or the reason the walk stopped.
 * @sid: source-id of the request (bus << 8 | devfn).
 * @addr: input address of the request.
 * @level: paging level (1 = 4 KiB entry) of the leaf on success; of the
 *	entry that faulted for the ``SL_*``/``FL_*`` faults; of the first-level
 *	table that could not be reached for %VTD_WALK_NESTED_TABLE.
 * @levels: number of paging levels of the structure @level belongs to
 *	(first level for first-level and nested walks, else second level).
 * @sl_fault: for the ``NESTED_*`` faults, the second-level fault.
 * @sl_level: for the ``NESTED_*`` faults, the level of @sl_fault.
 * @fault_addr: for the ``NESTED_*`` faults, the guest-physical address the
 *	second level failed to translate.
 * @pasid: the PASID whose entry was used (RID_PASID for requests without
 *	PASID); %VTD_WALK_NO_PASID while it is not known yet.
 * @did: domain id of that PASID entry.
 * @pgtt: its PASID granular translation type (``VTD_WALK_PGTT_*``).
 * @phys: output physical address (valid when @fault is %VTD_WALK_OK).
 * @page_size: size of the naturally aligned range around the input that
 *	translates contiguously with the same permissions.
 * @perm: ``VTD_WALK_PERM_*`` granted to requests of the same privilege.
 */
struct vtd_walk_result {
	enum vtd_walk_fault fault;
	u16 sid;
	u64 addr;
	unsigned int level;
	unsigned int levels;
	enum vtd_walk_fault sl_fault;
	unsigned int sl_level;
	u64 fault_addr;
	u32 pasid;
	u16 did;
	u8 pgtt;
	phys_addr_t phys;
	u64 page_size;
	unsigned int perm;
};

int vtd_walk_read_phys(void *priv, phys_addr_t pa, u64 *buf, unsigned int nr);
int vtd_walk(const struct vtd_walk_ctx *ctx, u16 sid, u32 pasid, u64 addr,
	     unsigned int access, struct vtd_walk_result *res);
const char *vtd_walk_fault_str(enum vtd_walk_fault fault);
u8 vtd_walk_fault_reason(const struct vtd_walk_result *res);
int vtd_walk_format(const struct vtd_walk_result *res, char *buf, size_t len);

#endif /* _VTD_SM_WALK_H */
