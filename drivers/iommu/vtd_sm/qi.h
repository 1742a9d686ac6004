/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Queued invalidation: the one place where invalidation descriptors are
 * built and handed to a remapping unit.
 */
#ifndef _VTD_SM_QI_H
#define _VTD_SM_QI_H

#include <linux/atomic.h>
#include <linux/bitfield.h>
#include <linux/bits.h>
#include <linux/spinlock.h>
#include <linux/types.h>

/**
 * struct vtd_qi_desc - one 256-bit invalidation descriptor
 * @qw: the four quadwords, in the order the hardware fetches them
 */
struct vtd_qi_desc {
	u64 qw[4];
};

/**
 * struct vtd_qi_io - register access of a queued-invalidation interface
 * @read: read a register (VTD_REG_IQH, VTD_REG_FSTS, ...)
 * @write: write a register (VTD_REG_IQT, VTD_REG_FSTS, ...)
 *
 * The unit's MMIO window in the driver; a fake unit in the KUnit test.
 */
struct vtd_qi_io {
	u64 (*read)(void *priv, unsigned int reg);
	void (*write)(void *priv, unsigned int reg, u64 val);
};

/**
 * struct vtd_qi_stats - what a queue has done
 * @descs: descriptors written to the ring, wait descriptors included
 * @devtlb: device-TLB invalidation descriptors among @descs (both kinds)
 * @batches: batches submitted (one wait descriptor each)
 * @iqe: invalidation queue errors (bad descriptor) recovered
 * @ite: invalidation time-out errors recovered
 * @ice: invalidation completion errors recovered
 * @timeouts: batches whose wait descriptor did not complete in time
 */
struct vtd_qi_stats {
	atomic64_t descs;
	atomic64_t devtlb;
	atomic64_t batches;
	atomic64_t iqe;
	atomic64_t ite;
	atomic64_t ice;
	atomic64_t timeouts;
};

/**
 * struct vtd_qi - an invalidation queue
 * @lock: serializes the ring; submitters spin on it with interrupts off
 * @ring: the descriptors, @size of them
 * @status: wait-descriptor status words, one per ring slot
 * @size: number of descriptors in the ring (a power of two)
 * @tail: next slot software writes
 * @drained: the last batch completed without error: the unit fetched
 *	     every descriptor up to @tail (IQH == @tail)
 * @timeout_us: how long a batch may take before it is declared lost
 * @io: register access
 * @io_priv: argument of @io
 * @name: for messages
 * @stats: counters
 */
struct vtd_qi {
	spinlock_t lock;	/* ring, tail, status */
	struct vtd_qi_desc *ring;
	u32 *status;
	unsigned int size;
	unsigned int tail;
	bool drained;
	unsigned int timeout_us;
	const struct vtd_qi_io *io;
	void *io_priv;
	const char *name;
	struct vtd_qi_stats stats;
};

/* Descriptors a batch holds before it collapses to global invalidations. */
#define VTD_QI_BATCH_MAX	16

/**
 * struct vtd_qi_batch - invalidations of one operation
 * @qi: the queue the batch goes to
 * @desc: descriptors not yet in the ring
 * @n: number of valid entries in @desc
 * @collapsed: kinds of invalidation @desc holds in global form after the
 *	       batch overflowed
 * @err: error found while building the batch (or of a part of it that
 *	 had to go out early, see vtd_qi_batch_add()), reported by
 *	 vtd_qi_submit()
 */
struct vtd_qi_batch {
	struct vtd_qi *qi;
	struct vtd_qi_desc desc[VTD_QI_BATCH_MAX];
	unsigned int n;
	unsigned int collapsed;
	int err;
};

/* Invalidation granularities. */
enum vtd_qi_cc_gran {
	VTD_QI_CC_GLOBAL = 1,
	VTD_QI_CC_DOMAIN = 2,
	VTD_QI_CC_DEVICE = 3,
};

int vtd_qi_init(struct vtd_qi *qi, unsigned int order, const struct vtd_qi_io *io,
		void *io_priv, const char *name);
void vtd_qi_destroy(struct vtd_qi *qi);
u64 vtd_qi_iqa(struct vtd_qi *qi);
void vtd_qi_reset(struct vtd_qi *qi);

void vtd_qi_batch_begin(struct vtd_qi_batch *b, struct vtd_qi *qi);
void vtd_qi_batch_add(struct vtd_qi_batch *b, const struct vtd_qi_desc *d);
int vtd_qi_submit(struct vtd_qi_batch *b);
int vtd_qi_submit_raw(struct vtd_qi *qi, const struct vtd_qi_desc *d,
		      unsigned int n, u64 wait_flags);

/* Response codes of a page group response */
#define VTD_PGRP_RC_SUCCESS	0x0
#define VTD_PGRP_RC_INVALID	0x1
#define VTD_PGRP_RC_FAILURE	0xf

void vtd_qi_encode_pgrp_resp(struct vtd_qi_desc *d, u16 sid, bool pasid_valid,
			     u32 pasid, unsigned int rc, u16 prgi, bool last,
			     const u64 *priv);

void vtd_qi_add_cc_global(struct vtd_qi_batch *b);
void vtd_qi_add_cc_device(struct vtd_qi_batch *b, u16 did, u16 sid);
void vtd_qi_add_pc_global(struct vtd_qi_batch *b);
void vtd_qi_add_pc_pasid(struct vtd_qi_batch *b, u16 did, u32 pasid);
void vtd_qi_add_iotlb_global(struct vtd_qi_batch *b);
void vtd_qi_add_iotlb_domain(struct vtd_qi_batch *b, u16 did);
void vtd_qi_add_iotlb_range(struct vtd_qi_batch *b, u16 did, u64 addr,
			    unsigned int order, bool leaf);
void vtd_qi_add_piotlb_pasid(struct vtd_qi_batch *b, u16 did, u32 pasid);
void vtd_qi_add_piotlb_range(struct vtd_qi_batch *b, u16 did, u32 pasid,
			     u64 addr, unsigned int order, bool leaf);

/* Order of a device-TLB invalidation of the whole address space. */
#define VTD_QI_DEVTLB_ALL	(64 - 12)

void vtd_qi_add_devtlb(struct vtd_qi_batch *b, u16 sid, u16 pfsid, u8 qdep,
		       u64 addr, unsigned int order);
void vtd_qi_add_pdevtlb(struct vtd_qi_batch *b, u16 sid, u16 pfsid, u8 qdep,
			u32 pasid, u64 addr, unsigned int order);

/* Descriptor encoding, shared with the fake unit of the KUnit test. */
#define VTD_QI_TYPE_LO		GENMASK_ULL(3, 0)
#define VTD_QI_TYPE_HI		GENMASK_ULL(11, 9)
#define VTD_QI_GRAN		GENMASK_ULL(5, 4)
#define VTD_QI_DID		GENMASK_ULL(31, 16)
#define VTD_QI_SID		GENMASK_ULL(47, 32)
#define VTD_QI_PASID		GENMASK_ULL(51, 32)
#define VTD_QI_IOTLB_DR		BIT_ULL(7)
#define VTD_QI_IOTLB_DW		BIT_ULL(6)
#define VTD_QI_ADDR		GENMASK_ULL(63, 12)
#define VTD_QI_IH		BIT_ULL(6)
#define VTD_QI_AM		GENMASK_ULL(5, 0)
/* Device-TLB invalidate (type 3) */
#define VTD_QI_DEVTLB_PFSID_LO	GENMASK_ULL(15, 12)
#define VTD_QI_DEVTLB_MIP	GENMASK_ULL(20, 16)
#define VTD_QI_DEVTLB_SID	GENMASK_ULL(47, 32)
#define VTD_QI_DEVTLB_PFSID_HI	GENMASK_ULL(63, 52)
#define VTD_QI_DEVTLB_S		BIT_ULL(0)
/* PASID-based device-TLB invalidate (type 8); PFSID as in type 3 */
#define VTD_QI_PDEVTLB_MIP	GENMASK_ULL(8, 4)
#define VTD_QI_PDEVTLB_SID	GENMASK_ULL(31, 16)
#define VTD_QI_PDEVTLB_G	BIT_ULL(0)
#define VTD_QI_PDEVTLB_S	BIT_ULL(11)
#define VTD_QI_WAIT_IF		BIT_ULL(4)
#define VTD_QI_WAIT_SW		BIT_ULL(5)
#define VTD_QI_WAIT_FN		BIT_ULL(6)
#define VTD_QI_WAIT_PD		BIT_ULL(7)
#define VTD_QI_WAIT_DATA	GENMASK_ULL(63, 32)
#define VTD_QI_WAIT_ADDR	GENMASK_ULL(63, 2)

enum vtd_qi_type {
	VTD_QI_CC = 1,
	VTD_QI_IOTLB = 2,
	VTD_QI_DEVTLB = 3,
	VTD_QI_IEC = 4,
	VTD_QI_WAIT = 5,
	VTD_QI_PIOTLB = 6,
	VTD_QI_PC = 7,
	VTD_QI_PDEVTLB = 8,
	VTD_QI_PGRP_RESP = 9,
};

static inline unsigned int vtd_qi_desc_type(const struct vtd_qi_desc *d)
{
	return FIELD_GET(VTD_QI_TYPE_LO, d->qw[0]) |
	       FIELD_GET(VTD_QI_TYPE_HI, d->qw[0]) << 4;
}

#endif /* _VTD_SM_QI_H */
