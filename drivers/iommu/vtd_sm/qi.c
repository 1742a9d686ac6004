// SPDX-License-Identifier: GPL-2.0
/*
 * Queued invalidation with 256-bit descriptors.
 *
 * Every change to a translation structure is followed by one batch: the
 * descriptors the change needs, then a single invalidation wait descriptor
 * whose status write tells software the hardware is done with all of them.
 * A batch that outgrows its buffer is never pushed in pieces (another
 * submitter could then be blamed for, or swallow, an error of the first
 * piece): it collapses into the global form of each kind of invalidation
 * it holds (context cache, PASID cache, IOTLB), which the specification
 * allows in place of any finer one, and goes to the ring whole.
 * Device-TLB invalidations have no global form: they stay as they are,
 * after the global ones.  Only a batch that is full of them even so goes
 * out in parts, each with its own wait, in order (vtd_qi_batch_add()).
 *
 * Errors the unit reports while a batch is pending are handled here:
 * an invalidation queue error (IQE, a descriptor the unit refused) is
 * logged, the offending descriptor is replaced by a no-op and the queue is
 * restarted (the tail written again: QEMU fetches only then); time-out
 * (ITE) and completion (ICE) errors of device-TLB invalidations are logged
 * and cleared.  The batch then fails.
 */
#define pr_fmt(fmt) "vtd_sm: " fmt

#include <linux/bitops.h>
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/gfp.h>
#include <kunit/visibility.h>

#include "qi.h"
#include "regs.h"

/* Status data the wait descriptor writes, and what a slot holds before. */
#define VTD_QI_BUSY		0
#define VTD_QI_DONE		1

#define VTD_QI_DESC_SHIFT	5	/* 32 bytes per descriptor */
#define VTD_PAGE_SHIFT_QI	12	/* invalidation addresses are in 4 KiB pages */
#define VTD_QI_DEFAULT_TIMEOUT_US	(2 * USEC_PER_SEC)

static u64 vtd_qi_type_bits(enum vtd_qi_type type)
{
	return FIELD_PREP(VTD_QI_TYPE_LO, type & 0xf) |
	       FIELD_PREP(VTD_QI_TYPE_HI, type >> 4);
}

/**
 * vtd_qi_init() - set up an invalidation queue in memory
 * @qi: the queue
 * @order: the ring is 2^@order pages (the QS field of IQA_REG)
 * @io: register access
 * @io_priv: argument of @io
 * @name: for messages
 *
 * The unit is not touched; program vtd_qi_iqa() into IQA_REG and enable
 * the queue afterwards.
 *
 * Return: 0 or -ENOMEM.
 */
int vtd_qi_init(struct vtd_qi *qi, unsigned int order, const struct vtd_qi_io *io,
		void *io_priv, const char *name)
{
	memset(qi, 0, sizeof(*qi));
	spin_lock_init(&qi->lock);
	qi->size = (PAGE_SIZE << order) >> VTD_QI_DESC_SHIFT;
	qi->ring = (void *)__get_free_pages(GFP_KERNEL | __GFP_ZERO, order);
	if (!qi->ring)
		return -ENOMEM;
	/* One more: the word the no-op of vtd_qi_check_errors() writes. */
	qi->status = kcalloc(qi->size + 1, sizeof(*qi->status), GFP_KERNEL);
	if (!qi->status) {
		free_pages((unsigned long)qi->ring, order);
		qi->ring = NULL;
		return -ENOMEM;
	}
	qi->timeout_us = VTD_QI_DEFAULT_TIMEOUT_US;
	qi->io = io;
	qi->io_priv = io_priv;
	qi->name = name;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_qi_init);

/**
 * vtd_qi_destroy() - free the memory of a queue the unit no longer uses
 * @qi: the queue
 */
void vtd_qi_destroy(struct vtd_qi *qi)
{
	if (!qi->ring)
		return;
	free_pages((unsigned long)qi->ring,
		   get_order(qi->size << VTD_QI_DESC_SHIFT));
	kfree(qi->status);
	qi->ring = NULL;
	qi->status = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_qi_destroy);

/**
 * vtd_qi_iqa() - value for IQA_REG: ring address, 256-bit descriptors, size
 * @qi: the queue
 *
 * Return: the register value.
 */
u64 vtd_qi_iqa(struct vtd_qi *qi)
{
	return (virt_to_phys(qi->ring) & VTD_IQA_ADDR) | VTD_IQA_DW |
	       FIELD_PREP(VTD_IQA_QS, get_order(qi->size << VTD_QI_DESC_SHIFT));
}
EXPORT_SYMBOL_IF_KUNIT(vtd_qi_iqa);

/**
 * vtd_qi_reset() - start the ring over at slot 0
 * @qi: a queue the unit does not fetch from (QIE clear: IQH reads 0)
 *
 * For a unit whose registers were lost (suspend to RAM) or turned off:
 * program IQT_REG with 0 and vtd_qi_iqa() into IQA_REG before enabling
 * the queue again.  Nothing may be pending.
 */
void vtd_qi_reset(struct vtd_qi *qi)
{
	unsigned long flags;

	spin_lock_irqsave(&qi->lock, flags);
	qi->tail = 0;
	qi->drained = false;
	spin_unlock_irqrestore(&qi->lock, flags);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_qi_reset);

static unsigned int vtd_qi_head(struct vtd_qi *qi)
{
	return (qi->io->read(qi->io_priv, VTD_REG_IQH) >> VTD_QI_DESC_SHIFT) &
	       (qi->size - 1);
}

/*
 * Look at the fault status for queue errors and recover from them.
 * Returns 0 or the error the pending batch must report.
 */
static int vtd_qi_check_errors(struct vtd_qi *qi)
{
	u32 fsts = qi->io->read(qi->io_priv, VTD_REG_FSTS);
	int ret = 0;

	if (!(fsts & VTD_FSTS_QI_ERRORS))
		return 0;

	if (fsts & VTD_FSTS_IQE) {
		unsigned int head = vtd_qi_head(qi);
		struct vtd_qi_desc *bad = &qi->ring[head];

		pr_err_ratelimited("%s: invalidation queue error at slot %u: %016llx %016llx %016llx %016llx\n",
				   qi->name, head, bad->qw[0], bad->qw[1],
				   bad->qw[2], bad->qw[3]);
		/*
		 * A wait descriptor whose status write goes to a word no one
		 * waits on is a no-op every unit takes (QEMU refuses one with
		 * neither SW nor IF).
		 */
		bad->qw[0] = vtd_qi_type_bits(VTD_QI_WAIT) | VTD_QI_WAIT_SW;
		bad->qw[1] = virt_to_phys(&qi->status[qi->size]) & VTD_QI_WAIT_ADDR;
		bad->qw[2] = 0;
		bad->qw[3] = 0;
		atomic64_inc(&qi->stats.iqe);
		qi->io->write(qi->io_priv, VTD_REG_FSTS, VTD_FSTS_IQE);
		/* Fetching goes on from the no-op; QEMU waits for a tail write. */
		qi->io->write(qi->io_priv, VTD_REG_IQT,
			      (u64)qi->tail << VTD_QI_DESC_SHIFT);
		ret = -EIO;
	}
	if (fsts & VTD_FSTS_ITE) {
		/* The unit dropped the pending waits: the batch is lost. */
		pr_err_ratelimited("%s: invalidation time-out error\n", qi->name);
		atomic64_inc(&qi->stats.ite);
		qi->io->write(qi->io_priv, VTD_REG_FSTS, VTD_FSTS_ITE);
		ret = -ETIMEDOUT;
	}
	if (fsts & VTD_FSTS_ICE) {
		pr_err_ratelimited("%s: invalidation completion error\n", qi->name);
		atomic64_inc(&qi->stats.ice);
		qi->io->write(qi->io_priv, VTD_REG_FSTS, VTD_FSTS_ICE);
		if (!ret)
			ret = -EIO;
	}
	return ret;
}

/*
 * Wait until the ring has room for @n more descriptors.  A ring the unit
 * drained (see &vtd_qi.drained) has all its slots but one free: no need to
 * read IQH then.
 */
static int vtd_qi_wait_space(struct vtd_qi *qi, unsigned int n, ktime_t *deadline)
{
	int ret = 0, err;

	if (qi->drained && n <= qi->size - 1)
		return 0;
	for (;;) {
		unsigned int used = (qi->tail - vtd_qi_head(qi)) & (qi->size - 1);

		if (qi->size - 1 - used >= n)
			return ret;
		err = vtd_qi_check_errors(qi);
		if (err && !ret)
			ret = err;
		if (!*deadline)
			*deadline = ktime_add_us(ktime_get(), qi->timeout_us);
		else if (ktime_after(ktime_get(), *deadline))
			return -ETIMEDOUT;
		udelay(1);
	}
}

/* Copy descriptors into the ring and move the tail.  Lock held. */
static int vtd_qi_push(struct vtd_qi *qi, const struct vtd_qi_desc *d,
		       unsigned int n, bool wait, u64 wait_flags,
		       unsigned int *wait_slot, ktime_t *deadline)
{
	unsigned int devtlb = 0;
	int ret, i;

	ret = vtd_qi_wait_space(qi, n + wait, deadline);
	if (ret == -ETIMEDOUT)
		return ret;
	qi->drained = false;

	for (i = 0; i < n; i++) {
		unsigned int type = vtd_qi_desc_type(&d[i]);

		if (type == VTD_QI_DEVTLB || type == VTD_QI_PDEVTLB)
			devtlb++;
		qi->ring[qi->tail] = d[i];
		qi->tail = (qi->tail + 1) & (qi->size - 1);
	}
	if (wait) {
		struct vtd_qi_desc *w = &qi->ring[qi->tail];

		*wait_slot = qi->tail;
		WRITE_ONCE(qi->status[qi->tail], VTD_QI_BUSY);
		w->qw[0] = vtd_qi_type_bits(VTD_QI_WAIT) | VTD_QI_WAIT_SW |
			   VTD_QI_WAIT_FN | wait_flags |
			   FIELD_PREP(VTD_QI_WAIT_DATA, VTD_QI_DONE);
		w->qw[1] = virt_to_phys(&qi->status[qi->tail]) & VTD_QI_WAIT_ADDR;
		w->qw[2] = 0;
		w->qw[3] = 0;
		qi->tail = (qi->tail + 1) & (qi->size - 1);
	}
	atomic64_add(n + wait, &qi->stats.descs);
	if (devtlb)
		atomic64_add(devtlb, &qi->stats.devtlb);
	/* The ring must be visible before the unit sees the new tail. */
	wmb();
	qi->io->write(qi->io_priv, VTD_REG_IQT,
		      (u64)qi->tail << VTD_QI_DESC_SHIFT);
	return ret;
}

/**
 * vtd_qi_batch_begin() - start the invalidations of one operation
 * @b: the batch, usually on the stack
 * @qi: the queue it goes to
 */
void vtd_qi_batch_begin(struct vtd_qi_batch *b, struct vtd_qi *qi)
{
	b->qi = qi;
	b->n = 0;
	b->collapsed = 0;
	b->err = 0;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_qi_batch_begin);

static int __vtd_qi_submit(struct vtd_qi *qi, const struct vtd_qi_desc *d,
			   unsigned int n, u64 wait_flags);

/*
 * Kinds of invalidation a full batch collapses into one global descriptor
 * each, in the order the specification asks for: context cache, then
 * PASID cache, then IOTLB.  A global IOTLB invalidation also covers every
 * PASID-based IOTLB entry.  Device-TLB invalidations (both types) have no
 * global form and follow the others.
 */
#define VTD_QI_KIND_CC		BIT(0)
#define VTD_QI_KIND_PC		BIT(1)
#define VTD_QI_KIND_IOTLB	BIT(2)
#define VTD_QI_KIND_DEVTLB	BIT(3)

static unsigned int vtd_qi_desc_kind(const struct vtd_qi_desc *d)
{
	switch (vtd_qi_desc_type(d)) {
	case VTD_QI_CC:
		return VTD_QI_KIND_CC;
	case VTD_QI_PC:
		return VTD_QI_KIND_PC;
	case VTD_QI_IOTLB:
	case VTD_QI_PIOTLB:
		return VTD_QI_KIND_IOTLB;
	case VTD_QI_DEVTLB:
	case VTD_QI_PDEVTLB:
		return VTD_QI_KIND_DEVTLB;
	}
	return 0;
}

/*
 * Replace the context-cache, PASID-cache and IOTLB descriptors of @b, and
 * a new descriptor of the kinds in @kinds, by one global descriptor per
 * kind; the device-TLB descriptors keep their order behind them.  Return
 * false, with @b untouched, if that would leave no free slot.
 */
static bool vtd_qi_batch_collapse(struct vtd_qi_batch *b, unsigned int kinds)
{
	unsigned int i, ndev = 0, nglob;

	for (i = 0; i < b->n; i++) {
		unsigned int kind = vtd_qi_desc_kind(&b->desc[i]);

		if (kind == VTD_QI_KIND_DEVTLB)
			ndev++;
		else
			kinds |= kind;
	}
	nglob = hweight32(kinds);
	if (ndev + nglob >= VTD_QI_BATCH_MAX)
		return false;
	ndev = 0;
	for (i = 0; i < b->n; i++)
		if (vtd_qi_desc_kind(&b->desc[i]) == VTD_QI_KIND_DEVTLB)
			b->desc[ndev++] = b->desc[i];
	memmove(&b->desc[nglob], &b->desc[0], ndev * sizeof(b->desc[0]));
	b->n = 0;
	b->collapsed = 0;
	if (kinds & VTD_QI_KIND_CC)
		vtd_qi_add_cc_global(b);
	if (kinds & VTD_QI_KIND_PC)
		vtd_qi_add_pc_global(b);
	if (kinds & VTD_QI_KIND_IOTLB)
		vtd_qi_add_iotlb_global(b);
	b->n = nglob + ndev;
	b->collapsed = kinds;
	return true;
}

/*
 * The batch is full of device-TLB invalidations, which no global one can
 * replace: what it holds goes out now, with its wait, and the batch goes
 * on empty.  Everything before reaches the unit before everything after,
 * so each IOTLB invalidation still precedes the device-TLB ones it covers.
 */
static void vtd_qi_batch_spill(struct vtd_qi_batch *b)
{
	int ret = __vtd_qi_submit(b->qi, b->desc, b->n, 0);

	if (ret && !b->err)
		b->err = ret;
	b->n = 0;
	b->collapsed = 0;
}

/**
 * vtd_qi_batch_add() - append a descriptor to a batch
 * @b: the batch
 * @d: the descriptor
 *
 * Nothing reaches the ring before vtd_qi_submit().  Once the batch is
 * full, it holds one global invalidation per kind instead (see above):
 * descriptors of a kind already covered are dropped, a new kind adds its
 * global form; device-TLB descriptors are kept after them.  Should the
 * device-TLB descriptors alone fill the batch, it is submitted as it is
 * and starts over (the one case of more than one wait per batch; an
 * error of that part is reported by vtd_qi_submit()).  Only context-
 * cache, PASID-cache, IOTLB and device-TLB descriptors may be added.
 */
void vtd_qi_batch_add(struct vtd_qi_batch *b, const struct vtd_qi_desc *d)
{
	unsigned int kind = vtd_qi_desc_kind(d);

	if (WARN_ON_ONCE(!kind)) {
		b->err = -EINVAL;
		return;
	}
	if (b->collapsed & kind)
		return;
	/* A collapsed batch stays in canonical order: collapse again. */
	if (kind != VTD_QI_KIND_DEVTLB &&
	    (b->collapsed || b->n == VTD_QI_BATCH_MAX)) {
		if (vtd_qi_batch_collapse(b, kind))
			return;
		vtd_qi_batch_spill(b);
	} else if (b->n == VTD_QI_BATCH_MAX && !vtd_qi_batch_collapse(b, 0)) {
		vtd_qi_batch_spill(b);
	}
	b->desc[b->n++] = *d;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_qi_batch_add);

/*
 * Push @n descriptors and a wait descriptor, and wait for the wait.
 *
 * The clock is read only once the unit makes software wait (QEMU's unit,
 * for one, completes a batch before its IQT write returns).  A wait
 * descriptor fences everything before it: once its status write is seen,
 * the unit fetched and completed every descriptor of the ring, so the
 * fault status need not be read (an invalidation queue error stops the
 * fetching before the wait, a time-out error aborts it without the status
 * write), and the ring is empty for the next push.
 */
static int __vtd_qi_submit(struct vtd_qi *qi, const struct vtd_qi_desc *d,
			   unsigned int n, u64 wait_flags)
{
	ktime_t deadline = 0;
	unsigned long flags;
	unsigned int slot;
	int ret, err;

	spin_lock_irqsave(&qi->lock, flags);
	ret = vtd_qi_push(qi, d, n, true, wait_flags, &slot, &deadline);
	if (ret == -ETIMEDOUT)
		goto out;

	while (READ_ONCE(qi->status[slot]) != VTD_QI_DONE) {
		err = vtd_qi_check_errors(qi);
		if (err && !ret)
			ret = err;
		if (err == -ETIMEDOUT)
			break;
		if (!deadline) {
			deadline = ktime_add_us(ktime_get(), qi->timeout_us);
		} else if (ktime_after(ktime_get(), deadline)) {
			ret = -ETIMEDOUT;
			break;
		}
		udelay(1);
	}
	if (!ret && READ_ONCE(qi->status[slot]) == VTD_QI_DONE) {
		qi->drained = true;
	} else {
		/* An error raised by the last descriptor may come late. */
		err = vtd_qi_check_errors(qi);
		if (err && !ret)
			ret = err;
	}
out:
	atomic64_inc(&qi->stats.batches);
	if (ret == -ETIMEDOUT)
		atomic64_inc(&qi->stats.timeouts);
	spin_unlock_irqrestore(&qi->lock, flags);
	if (ret == -ETIMEDOUT)
		pr_err_ratelimited("%s: invalidation wait timed out\n", qi->name);
	return ret;
}

/**
 * vtd_qi_submit() - write a batch and its wait descriptor, wait for it
 * @b: the batch; empty afterwards
 *
 * Context: any; spins with interrupts off while the unit works.
 * Return: 0 once the unit completed every descriptor of the batch;
 * -EIO if it refused one (the rest were processed), -ETIMEDOUT if the
 * wait did not complete in time.
 */
int vtd_qi_submit(struct vtd_qi_batch *b)
{
	unsigned int n = b->n;
	int ret;

	b->n = 0;
	b->collapsed = 0;
	ret = __vtd_qi_submit(b->qi, b->desc, n, 0);
	return b->err ?: ret;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_qi_submit);

/**
 * vtd_qi_submit_raw() - write descriptors that are no invalidation
 *			 (page group responses) and a wait descriptor
 * @qi: the queue
 * @d: the descriptors, written in order
 * @n: how many (0: only the wait)
 * @wait_flags: more flags of the wait descriptor (%VTD_QI_WAIT_PD)
 *
 * Unlike a batch these are never collapsed: each reaches the ring as
 * given.  The wait descriptor is fenced, as the one of a batch.
 *
 * Context: any; spins with interrupts off while the unit works.
 * Return: as vtd_qi_submit().
 */
int vtd_qi_submit_raw(struct vtd_qi *qi, const struct vtd_qi_desc *d,
		      unsigned int n, u64 wait_flags)
{
	return __vtd_qi_submit(qi, d, n, wait_flags);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_qi_submit_raw);

/* Page group response descriptor, word 0 (type in bits 3:0) */
#define VTD_PGRP_PASID_P	BIT_ULL(4)
#define VTD_PGRP_PDP		BIT_ULL(5)
#define VTD_PGRP_RC		GENMASK_ULL(15, 12)
#define VTD_PGRP_RID		GENMASK_ULL(31, 16)
#define VTD_PGRP_PASID		GENMASK_ULL(51, 32)
/* word 1 */
#define VTD_PGRP_LPIG		BIT_ULL(2)
#define VTD_PGRP_PRGI		GENMASK_ULL(11, 3)

/**
 * vtd_qi_encode_pgrp_resp() - a page group response descriptor
 * @d: where to encode it (every word is written)
 * @sid: requester id of the device that asked
 * @pasid_valid: the request carried @pasid
 * @pasid: its PASID
 * @rc: response code, %VTD_PGRP_RC_SUCCESS and the like
 * @prgi: page request group index
 * @last: the response is for the last request of the group (LPIG)
 * @priv: the request's two words of private data, returned with it; NULL
 *	when it had none
 *
 * For vtd_qi_submit_raw(): a response is no invalidation and never
 * collapses into one.
 */
void vtd_qi_encode_pgrp_resp(struct vtd_qi_desc *d, u16 sid, bool pasid_valid,
			     u32 pasid, unsigned int rc, u16 prgi, bool last,
			     const u64 *priv)
{
	memset(d, 0, sizeof(*d));
	d->qw[0] = vtd_qi_type_bits(VTD_QI_PGRP_RESP) |
		   FIELD_PREP(VTD_PGRP_RC, rc) | FIELD_PREP(VTD_PGRP_RID, sid);
	if (pasid_valid)
		d->qw[0] |= VTD_PGRP_PASID_P | FIELD_PREP(VTD_PGRP_PASID, pasid);
	if (priv) {
		d->qw[0] |= VTD_PGRP_PDP;
		d->qw[2] = priv[0];
		d->qw[3] = priv[1];
	}
	d->qw[1] = FIELD_PREP(VTD_PGRP_PRGI, prgi) | (last ? VTD_PGRP_LPIG : 0);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_qi_encode_pgrp_resp);

static void vtd_qi_add(struct vtd_qi_batch *b, enum vtd_qi_type type,
		       u64 qw0, u64 qw1)
{
	struct vtd_qi_desc d = {
		.qw = { vtd_qi_type_bits(type) | qw0, qw1, 0, 0 },
	};

	vtd_qi_batch_add(b, &d);
}

/**
 * vtd_qi_add_cc_global() - invalidate the whole context cache
 * @b: the batch
 */
void vtd_qi_add_cc_global(struct vtd_qi_batch *b)
{
	vtd_qi_add(b, VTD_QI_CC, FIELD_PREP(VTD_QI_GRAN, VTD_QI_CC_GLOBAL), 0);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_qi_add_cc_global);

/**
 * vtd_qi_add_cc_device() - invalidate the context cache of one source-id
 * @b: the batch
 * @did: domain id the entry was cached with (0 for a non-present entry)
 * @sid: source-id (bus << 8 | devfn)
 */
void vtd_qi_add_cc_device(struct vtd_qi_batch *b, u16 did, u16 sid)
{
	vtd_qi_add(b, VTD_QI_CC, FIELD_PREP(VTD_QI_GRAN, VTD_QI_CC_DEVICE) |
		   FIELD_PREP(VTD_QI_DID, did) | FIELD_PREP(VTD_QI_SID, sid), 0);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_qi_add_cc_device);

/* PASID-cache granularities */
#define VTD_QI_PC_DOMAIN	0
#define VTD_QI_PC_PASID		1
#define VTD_QI_PC_GLOBAL	3

/**
 * vtd_qi_add_pc_global() - invalidate the whole PASID cache
 * @b: the batch
 */
void vtd_qi_add_pc_global(struct vtd_qi_batch *b)
{
	vtd_qi_add(b, VTD_QI_PC, FIELD_PREP(VTD_QI_GRAN, VTD_QI_PC_GLOBAL), 0);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_qi_add_pc_global);

/**
 * vtd_qi_add_pc_pasid() - invalidate the PASID-cache entry of one PASID
 * @b: the batch
 * @did: domain id of the entry
 * @pasid: the PASID
 */
void vtd_qi_add_pc_pasid(struct vtd_qi_batch *b, u16 did, u32 pasid)
{
	vtd_qi_add(b, VTD_QI_PC, FIELD_PREP(VTD_QI_GRAN, VTD_QI_PC_PASID) |
		   FIELD_PREP(VTD_QI_DID, did) | FIELD_PREP(VTD_QI_PASID, pasid), 0);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_qi_add_pc_pasid);

/* IOTLB granularities */
#define VTD_QI_IOTLB_GLOBAL	1
#define VTD_QI_IOTLB_DOMAIN	2
#define VTD_QI_IOTLB_PAGE	3

/**
 * vtd_qi_add_iotlb_global() - invalidate every IOTLB entry
 * @b: the batch
 */
void vtd_qi_add_iotlb_global(struct vtd_qi_batch *b)
{
	vtd_qi_add(b, VTD_QI_IOTLB, FIELD_PREP(VTD_QI_GRAN, VTD_QI_IOTLB_GLOBAL) |
		   VTD_QI_IOTLB_DR | VTD_QI_IOTLB_DW, 0);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_qi_add_iotlb_global);

/**
 * vtd_qi_add_iotlb_domain() - invalidate the IOTLB entries of a domain id
 * @b: the batch
 * @did: the domain id
 */
void vtd_qi_add_iotlb_domain(struct vtd_qi_batch *b, u16 did)
{
	vtd_qi_add(b, VTD_QI_IOTLB, FIELD_PREP(VTD_QI_GRAN, VTD_QI_IOTLB_DOMAIN) |
		   VTD_QI_IOTLB_DR | VTD_QI_IOTLB_DW | FIELD_PREP(VTD_QI_DID, did), 0);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_qi_add_iotlb_domain);

/**
 * vtd_qi_add_iotlb_range() - invalidate an aligned range of a domain id
 * @b: the batch
 * @did: the domain id
 * @addr: start, aligned to 4 KiB << @order
 * @order: the range is 2^@order pages (at most CAP.MAMV)
 * @leaf: only leaf entries changed (the paging-structure caches may stay)
 *
 * Page-selective-within-domain IOTLB invalidation: second-level
 * translations, which are tagged with the domain id alone.
 */
void vtd_qi_add_iotlb_range(struct vtd_qi_batch *b, u16 did, u64 addr,
			    unsigned int order, bool leaf)
{
	vtd_qi_add(b, VTD_QI_IOTLB, FIELD_PREP(VTD_QI_GRAN, VTD_QI_IOTLB_PAGE) |
		   VTD_QI_IOTLB_DR | VTD_QI_IOTLB_DW | FIELD_PREP(VTD_QI_DID, did),
		   (addr & VTD_QI_ADDR) | (leaf ? VTD_QI_IH : 0) |
		   FIELD_PREP(VTD_QI_AM, order));
}
EXPORT_SYMBOL_IF_KUNIT(vtd_qi_add_iotlb_range);

/* PASID-based IOTLB granularities */
#define VTD_QI_PIOTLB_PASID	2
#define VTD_QI_PIOTLB_PAGE	3

/**
 * vtd_qi_add_piotlb_pasid() - invalidate the IOTLB entries of one PASID
 * @b: the batch
 * @did: domain id of the PASID entry
 * @pasid: the PASID
 */
void vtd_qi_add_piotlb_pasid(struct vtd_qi_batch *b, u16 did, u32 pasid)
{
	vtd_qi_add(b, VTD_QI_PIOTLB, FIELD_PREP(VTD_QI_GRAN, VTD_QI_PIOTLB_PASID) |
		   FIELD_PREP(VTD_QI_DID, did) | FIELD_PREP(VTD_QI_PASID, pasid), 0);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_qi_add_piotlb_pasid);

/**
 * vtd_qi_add_piotlb_range() - invalidate an aligned range of one PASID
 * @b: the batch
 * @did: domain id of the PASID entry
 * @pasid: the PASID
 * @addr: start, aligned to 4 KiB << @order
 * @order: the range is 2^@order pages
 * @leaf: only leaf entries changed (the paging-structure caches may stay)
 */
void vtd_qi_add_piotlb_range(struct vtd_qi_batch *b, u16 did, u32 pasid,
			     u64 addr, unsigned int order, bool leaf)
{
	vtd_qi_add(b, VTD_QI_PIOTLB, FIELD_PREP(VTD_QI_GRAN, VTD_QI_PIOTLB_PAGE) |
		   FIELD_PREP(VTD_QI_DID, did) | FIELD_PREP(VTD_QI_PASID, pasid),
		   (addr & VTD_QI_ADDR) | (leaf ? VTD_QI_IH : 0) |
		   FIELD_PREP(VTD_QI_AM, order));
}
EXPORT_SYMBOL_IF_KUNIT(vtd_qi_add_piotlb_range);

/*
 * Address and size of a device-TLB invalidation: with S clear, the page
 * at @addr; with S set, the lowest clear bit of the address field tells
 * the size (bit 12 clear: 8 KiB, bit 12 set and 13 clear: 16 KiB, ...).
 */
static u64 vtd_qi_devtlb_addr(u64 addr, unsigned int order, u64 s_bit)
{
	if (order > VTD_QI_DEVTLB_ALL)
		order = VTD_QI_DEVTLB_ALL;
	addr &= VTD_QI_ADDR;
	if (!order)
		return addr;
	addr &= ~(BIT_ULL(VTD_PAGE_SHIFT_QI + order) - 1);
	return addr | ((BIT_ULL(VTD_PAGE_SHIFT_QI + order - 1) - 1) & VTD_QI_ADDR) |
	       s_bit;
}

static u64 vtd_qi_pfsid(u16 pfsid)
{
	return FIELD_PREP(VTD_QI_DEVTLB_PFSID_LO, pfsid & 0xf) |
	       FIELD_PREP(VTD_QI_DEVTLB_PFSID_HI, pfsid >> 4);
}

/**
 * vtd_qi_add_devtlb() - invalidate a device's TLB for requests without PASID
 * @b: the batch
 * @sid: the device's source-id
 * @pfsid: source-id of its physical function when the unit has ECAP.DIT,
 *	   else 0 (the field is reserved then)
 * @qdep: invalidate queue depth of the device's ATS capability (1-32)
 * @addr: start, aligned to 4 KiB << @order
 * @order: the range is 2^@order pages; %VTD_QI_DEVTLB_ALL for everything
 *
 * Device-TLB invalidate descriptor (type 3).  Queue it after the IOTLB
 * invalidation of the same translations, in the same batch.
 */
void vtd_qi_add_devtlb(struct vtd_qi_batch *b, u16 sid, u16 pfsid, u8 qdep,
		       u64 addr, unsigned int order)
{
	struct vtd_qi_desc d = {
		.qw = {
			vtd_qi_type_bits(VTD_QI_DEVTLB) | vtd_qi_pfsid(pfsid) |
			FIELD_PREP(VTD_QI_DEVTLB_MIP, qdep & 0x1f) |
			FIELD_PREP(VTD_QI_DEVTLB_SID, sid),
			vtd_qi_devtlb_addr(addr, order, VTD_QI_DEVTLB_S),
		},
	};

	vtd_qi_batch_add(b, &d);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_qi_add_devtlb);

/**
 * vtd_qi_add_pdevtlb() - invalidate a device's TLB for one PASID
 * @b: the batch
 * @sid: the device's source-id
 * @pfsid: as for vtd_qi_add_devtlb()
 * @qdep: as for vtd_qi_add_devtlb()
 * @pasid: the PASID
 * @addr: start, aligned to 4 KiB << @order
 * @order: the range is 2^@order pages; %VTD_QI_DEVTLB_ALL for everything
 *
 * PASID-based device-TLB invalidate descriptor (type 8), G clear: the
 * translations of requests with @pasid only.
 */
void vtd_qi_add_pdevtlb(struct vtd_qi_batch *b, u16 sid, u16 pfsid, u8 qdep,
			u32 pasid, u64 addr, unsigned int order)
{
	struct vtd_qi_desc d = {
		.qw = {
			vtd_qi_type_bits(VTD_QI_PDEVTLB) | vtd_qi_pfsid(pfsid) |
			FIELD_PREP(VTD_QI_PDEVTLB_MIP, qdep & 0x1f) |
			FIELD_PREP(VTD_QI_PDEVTLB_SID, sid) |
			FIELD_PREP(VTD_QI_PASID, pasid),
			vtd_qi_devtlb_addr(addr, order, VTD_QI_PDEVTLB_S),
		},
	};

	vtd_qi_batch_add(b, &d);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_qi_add_pdevtlb);
