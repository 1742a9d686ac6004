// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the queued-invalidation batches against a fake unit.
 *
 * The fake implements IQH/IQT/FSTS: writing IQT makes it consume the
 * ring up to the new tail, performing the status writes of wait
 * descriptors; it can be told to stall, to refuse a descriptor type
 * (invalidation queue error) or to drop waits with a time-out error.
 */
#include <kunit/test.h>
#include <linux/io.h>
#include <linux/ktime.h>

#include "qi.h"
#include "regs.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

struct fake_unit {
	struct vtd_qi qi;
	u64 iqh;
	u64 iqt;
	u32 fsts;
	bool stalled;
	unsigned int refuse_type;
	unsigned int refuse_left;
	bool ite_on_wait;
	bool qemu;
	unsigned int seen[8];
	unsigned int noop_waits;
	unsigned int order[16];
	unsigned int nr_order;
	unsigned int iqh_reads;
	unsigned int fsts_reads;
};

static void fake_run(struct fake_unit *f)
{
	struct vtd_qi *qi = &f->qi;

	while (!f->stalled && !(f->fsts & (VTD_FSTS_IQE | VTD_FSTS_ITE)) &&
	       f->iqh != f->iqt) {
		unsigned int idx = f->iqh >> 5;
		struct vtd_qi_desc *d = &qi->ring[idx];
		unsigned int type = vtd_qi_desc_type(d);

		if (type == f->refuse_type && f->refuse_left) {
			f->refuse_left--;
			f->fsts |= VTD_FSTS_IQE;
			return;
		}
		/* QEMU (7.2, 10.0) refuses a wait with neither SW nor IF. */
		if (f->qemu && type == VTD_QI_WAIT &&
		    !(d->qw[0] & (VTD_QI_WAIT_SW | VTD_QI_WAIT_IF))) {
			f->fsts |= VTD_FSTS_IQE;
			return;
		}
		if (type == VTD_QI_WAIT && (d->qw[0] & VTD_QI_WAIT_SW) &&
		    phys_to_virt(d->qw[1] & VTD_QI_WAIT_ADDR) ==
		    (void *)&qi->status[qi->size]) {
			/* The driver's no-op: a status write nobody waits on. */
			f->noop_waits++;
		} else if (type == VTD_QI_WAIT && f->ite_on_wait) {
			/* Abort the wait: no status write. */
			f->fsts |= VTD_FSTS_ITE;
		} else if (type == VTD_QI_WAIT && (d->qw[0] & VTD_QI_WAIT_SW)) {
			u32 *status = phys_to_virt(d->qw[1] & VTD_QI_WAIT_ADDR);

			WRITE_ONCE(*status, FIELD_GET(VTD_QI_WAIT_DATA, d->qw[0]));
		} else if (type == VTD_QI_WAIT) {
			f->noop_waits++;
		}
		if (type < ARRAY_SIZE(f->seen))
			f->seen[type]++;
		if (f->nr_order < ARRAY_SIZE(f->order))
			f->order[f->nr_order++] = type;
		f->iqh = (u64)((idx + 1) & (qi->size - 1)) << 5;
	}
}

static u64 fake_read(void *priv, unsigned int reg)
{
	struct fake_unit *f = priv;

	switch (reg) {
	case VTD_REG_IQH:
		/* Like a real unit, the fake moves on while software polls. */
		f->iqh_reads++;
		fake_run(f);
		return f->iqh;
	case VTD_REG_IQT:
		return f->iqt;
	case VTD_REG_FSTS:
		f->fsts_reads++;
		return f->fsts;
	}
	return 0;
}

static void fake_write(void *priv, unsigned int reg, u64 val)
{
	struct fake_unit *f = priv;

	switch (reg) {
	case VTD_REG_IQT:
		f->iqt = val;
		break;
	case VTD_REG_FSTS:
		f->fsts &= ~(u32)val;
		/* QEMU fetches again only when the tail is written. */
		if (f->qemu)
			return;
		break;
	}
	fake_run(f);
}

static const struct vtd_qi_io fake_io = {
	.read = fake_read,
	.write = fake_write,
};

static void fake_exit(void *data)
{
	vtd_qi_destroy(data);
}

static struct fake_unit *fake_new(struct kunit *test)
{
	struct fake_unit *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	KUNIT_ASSERT_EQ(test, vtd_qi_init(&f->qi, 0, &fake_io, f, "fake"), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, fake_exit, &f->qi), 0);
	/* 4 KiB of 256-bit descriptors. */
	KUNIT_ASSERT_EQ(test, f->qi.size, 128);
	/* Long enough for a busy emulated CPU, short for the stall tests. */
	f->qi.timeout_us = 250 * USEC_PER_MSEC;
	return f;
}

static void qi_test_iqa(struct kunit *test)
{
	struct fake_unit *f = fake_new(test);
	u64 iqa = vtd_qi_iqa(&f->qi);

	KUNIT_EXPECT_TRUE(test, iqa & VTD_IQA_DW);
	KUNIT_EXPECT_EQ(test, FIELD_GET(VTD_IQA_QS, iqa), 0);
	KUNIT_EXPECT_EQ(test, iqa & VTD_IQA_ADDR, (u64)virt_to_phys(f->qi.ring));
}

static void qi_test_one_batch(struct kunit *test)
{
	struct fake_unit *f = fake_new(test);
	struct vtd_qi_batch b;
	struct vtd_qi_desc *w;

	vtd_qi_batch_begin(&b, &f->qi);
	vtd_qi_add_cc_global(&b);
	vtd_qi_add_pc_global(&b);
	vtd_qi_add_iotlb_global(&b);
	/* Nothing reaches the unit before submit. */
	KUNIT_EXPECT_EQ(test, f->iqt, 0);
	KUNIT_EXPECT_EQ(test, vtd_qi_submit(&b), 0);

	KUNIT_ASSERT_EQ(test, f->nr_order, 4);
	KUNIT_EXPECT_EQ(test, f->order[0], VTD_QI_CC);
	KUNIT_EXPECT_EQ(test, f->order[1], VTD_QI_PC);
	KUNIT_EXPECT_EQ(test, f->order[2], VTD_QI_IOTLB);
	KUNIT_EXPECT_EQ(test, f->order[3], VTD_QI_WAIT);
	w = &f->qi.ring[3];
	KUNIT_EXPECT_TRUE(test, w->qw[0] & VTD_QI_WAIT_SW);
	KUNIT_EXPECT_TRUE(test, w->qw[0] & VTD_QI_WAIT_FN);
	KUNIT_EXPECT_EQ(test, f->iqt, 4 << 5);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->qi.stats.batches), 1);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->qi.stats.descs), 4);
	/* Global context-cache invalidation: granularity 1. */
	KUNIT_EXPECT_EQ(test, FIELD_GET(VTD_QI_GRAN, f->qi.ring[0].qw[0]), 1);
	KUNIT_EXPECT_EQ(test, FIELD_GET(VTD_QI_GRAN, f->qi.ring[1].qw[0]), 3);
}

static void qi_test_full_batch_collapses(struct kunit *test)
{
	struct fake_unit *f = fake_new(test);
	unsigned int i;
	struct vtd_qi_batch b;

	/* Exactly full: every descriptor goes out as given. */
	vtd_qi_batch_begin(&b, &f->qi);
	for (i = 0; i < VTD_QI_BATCH_MAX; i++)
		vtd_qi_add_iotlb_domain(&b, i + 2);
	KUNIT_EXPECT_EQ(test, vtd_qi_submit(&b), 0);
	KUNIT_EXPECT_EQ(test, f->seen[VTD_QI_IOTLB], VTD_QI_BATCH_MAX);
	for (i = 0; i < VTD_QI_BATCH_MAX; i++) {
		KUNIT_EXPECT_EQ(test, FIELD_GET(VTD_QI_GRAN, f->qi.ring[i].qw[0]), 2);
		KUNIT_EXPECT_EQ(test, FIELD_GET(VTD_QI_DID, f->qi.ring[i].qw[0]), i + 2);
	}

	/*
	 * One more: a single global IOTLB invalidation replaces them, and
	 * nothing reached the ring before submit.
	 */
	memset(f->seen, 0, sizeof(f->seen));
	f->nr_order = 0;
	vtd_qi_batch_begin(&b, &f->qi);
	vtd_qi_add_pc_pasid(&b, 3, 7);
	for (i = 0; i < 2 * VTD_QI_BATCH_MAX; i++)
		vtd_qi_add_piotlb_pasid(&b, i + 2, 7);
	KUNIT_EXPECT_EQ(test, f->iqt, (u64)(VTD_QI_BATCH_MAX + 1) << 5);
	vtd_qi_add_cc_device(&b, 0, 0x20);
	KUNIT_EXPECT_EQ(test, vtd_qi_submit(&b), 0);
	/* Canonical order: context cache, PASID cache, IOTLB, then the wait. */
	KUNIT_ASSERT_EQ(test, f->nr_order, 4);
	KUNIT_EXPECT_EQ(test, f->order[0], VTD_QI_CC);
	KUNIT_EXPECT_EQ(test, f->order[1], VTD_QI_PC);
	KUNIT_EXPECT_EQ(test, f->order[2], VTD_QI_IOTLB);
	KUNIT_EXPECT_EQ(test, f->order[3], VTD_QI_WAIT);
	i = VTD_QI_BATCH_MAX + 1;
	KUNIT_EXPECT_EQ(test, FIELD_GET(VTD_QI_GRAN, f->qi.ring[i].qw[0]), 1);
	KUNIT_EXPECT_EQ(test, FIELD_GET(VTD_QI_GRAN, f->qi.ring[i + 1].qw[0]), 3);
	KUNIT_EXPECT_EQ(test, FIELD_GET(VTD_QI_GRAN, f->qi.ring[i + 2].qw[0]), 1);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->qi.stats.batches), 2);
}

static void qi_test_collapse_under_other_submitter(struct kunit *test)
{
	struct fake_unit *f = fake_new(test);
	/* Two batches are too big for one stack frame. */
	struct vtd_qi_batch *a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	struct vtd_qi_batch *b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	/*
	 * A refused descriptor in an overflowing batch is reported to that
	 * batch only: nothing of it is in the ring while another submits.
	 */
	f->refuse_type = VTD_QI_IOTLB;
	f->refuse_left = 1;
	vtd_qi_batch_begin(a, &f->qi);
	for (i = 0; i <= VTD_QI_BATCH_MAX; i++)
		vtd_qi_add_iotlb_domain(a, i + 2);
	vtd_qi_batch_begin(b, &f->qi);
	vtd_qi_add_pc_global(b);
	KUNIT_EXPECT_EQ(test, vtd_qi_submit(b), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->qi.stats.iqe), 0);
	KUNIT_EXPECT_EQ(test, vtd_qi_submit(a), -EIO);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->qi.stats.iqe), 1);
}

static void qi_test_ring_wrap(struct kunit *test)
{
	struct fake_unit *f = fake_new(test);
	unsigned int i, j, batches = 100, per = 5;
	struct vtd_qi_batch b;

	for (i = 0; i < batches; i++) {
		vtd_qi_batch_begin(&b, &f->qi);
		for (j = 0; j < per; j++)
			vtd_qi_add_pc_pasid(&b, i, j);
		KUNIT_ASSERT_EQ(test, vtd_qi_submit(&b), 0);
	}
	KUNIT_EXPECT_EQ(test, f->seen[VTD_QI_PC], batches * per);
	KUNIT_EXPECT_EQ(test, f->seen[VTD_QI_WAIT], batches);
	KUNIT_EXPECT_EQ(test, f->qi.tail, (batches * (per + 1)) % f->qi.size);
	KUNIT_EXPECT_EQ(test, f->iqt >> 5, f->qi.tail);
	KUNIT_EXPECT_EQ(test, f->iqh, f->iqt);
}

static void qi_test_timeout(struct kunit *test)
{
	struct fake_unit *f = fake_new(test);
	struct vtd_qi_batch b;

	f->stalled = true;
	vtd_qi_batch_begin(&b, &f->qi);
	vtd_qi_add_iotlb_global(&b);
	KUNIT_EXPECT_EQ(test, vtd_qi_submit(&b), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->qi.stats.timeouts), 1);

	/* A unit that comes back processes the lost batch and the next. */
	f->stalled = false;
	vtd_qi_batch_begin(&b, &f->qi);
	vtd_qi_add_iotlb_global(&b);
	KUNIT_EXPECT_EQ(test, vtd_qi_submit(&b), 0);
	KUNIT_EXPECT_EQ(test, f->seen[VTD_QI_IOTLB], 2);
	KUNIT_EXPECT_EQ(test, f->seen[VTD_QI_WAIT], 2);
}

static void qi_test_ring_full(struct kunit *test)
{
	struct fake_unit *f = fake_new(test);
	struct vtd_qi_batch b;
	unsigned int i, j;

	/*
	 * A stalled unit: eight full batches (8 x 17 descriptors with their
	 * waits) do not fit a ring of 128; the seven that fit are written,
	 * the eighth is dropped, never written over descriptors the unit has
	 * not fetched.
	 */
	BUILD_BUG_ON(7 * (VTD_QI_BATCH_MAX + 1) > 127 ||
		     8 * (VTD_QI_BATCH_MAX + 1) <= 127);
	f->stalled = true;
	for (i = 0; i < 8; i++) {
		vtd_qi_batch_begin(&b, &f->qi);
		for (j = 0; j < VTD_QI_BATCH_MAX; j++)
			vtd_qi_add_iotlb_domain(&b, j + 2);
		KUNIT_EXPECT_EQ(test, vtd_qi_submit(&b), -ETIMEDOUT);
	}
	KUNIT_EXPECT_EQ(test, f->iqh, 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->qi.stats.descs),
			7 * (VTD_QI_BATCH_MAX + 1));
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->qi.stats.timeouts), 8);

	f->stalled = false;
	vtd_qi_batch_begin(&b, &f->qi);
	vtd_qi_add_cc_global(&b);
	KUNIT_EXPECT_EQ(test, vtd_qi_submit(&b), 0);
	KUNIT_EXPECT_EQ(test, f->iqh, f->iqt);
}

static void qi_test_iqe_recovery(struct kunit *test)
{
	struct fake_unit *f = fake_new(test);
	struct vtd_qi_batch b;

	f->refuse_type = VTD_QI_IOTLB;
	f->refuse_left = 1;
	vtd_qi_batch_begin(&b, &f->qi);
	vtd_qi_add_cc_global(&b);
	vtd_qi_add_iotlb_global(&b);
	vtd_qi_add_pc_global(&b);
	KUNIT_EXPECT_EQ(test, vtd_qi_submit(&b), -EIO);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->qi.stats.iqe), 1);
	KUNIT_EXPECT_EQ(test, f->fsts & VTD_FSTS_IQE, 0);
	/* The refused descriptor became a no-op; the rest went through. */
	KUNIT_EXPECT_EQ(test, f->noop_waits, 1);
	KUNIT_EXPECT_EQ(test, f->seen[VTD_QI_IOTLB], 0);
	KUNIT_EXPECT_EQ(test, f->seen[VTD_QI_PC], 1);
	KUNIT_EXPECT_EQ(test, f->iqh, f->iqt);

	vtd_qi_batch_begin(&b, &f->qi);
	vtd_qi_add_iotlb_global(&b);
	KUNIT_EXPECT_EQ(test, vtd_qi_submit(&b), 0);
	KUNIT_EXPECT_EQ(test, f->seen[VTD_QI_IOTLB], 1);
}

/*
 * An invalidation queue error on a unit that behaves as QEMU's: it takes
 * no wait descriptor without SW or IF, and fetches again only on a tail
 * write.  The batch fails at once (not after its time-out), and the queue
 * goes on: the next batch completes.
 */
static void qi_test_iqe_recovery_qemu(struct kunit *test)
{
	struct fake_unit *f = fake_new(test);
	struct vtd_qi_batch b;
	ktime_t start;

	f->qemu = true;
	f->refuse_type = VTD_QI_PDEVTLB;
	f->refuse_left = 1;
	vtd_qi_batch_begin(&b, &f->qi);
	vtd_qi_add_iotlb_global(&b);
	vtd_qi_add_pdevtlb(&b, 0x18, 0, 0, 1, 0, VTD_QI_DEVTLB_ALL);
	vtd_qi_add_pc_global(&b);
	start = ktime_get();
	KUNIT_EXPECT_EQ(test, vtd_qi_submit(&b), -EIO);
	KUNIT_EXPECT_LT(test, ktime_us_delta(ktime_get(), start),
			(s64)f->qi.timeout_us);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->qi.stats.iqe), 1);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->qi.stats.timeouts), 0);
	KUNIT_EXPECT_EQ(test, f->noop_waits, 1);
	KUNIT_EXPECT_EQ(test, f->seen[VTD_QI_PC], 1);
	KUNIT_EXPECT_EQ(test, f->iqh, f->iqt);

	vtd_qi_batch_begin(&b, &f->qi);
	vtd_qi_add_iotlb_global(&b);
	KUNIT_EXPECT_EQ(test, vtd_qi_submit(&b), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->qi.stats.iqe), 1);
	KUNIT_EXPECT_EQ(test, f->seen[VTD_QI_IOTLB], 2);
	KUNIT_EXPECT_EQ(test, f->iqh, f->iqt);
}

static void qi_test_ite(struct kunit *test)
{
	struct fake_unit *f = fake_new(test);
	struct vtd_qi_batch b;
	ktime_t start;

	/* A time-out error ends the wait at once, not at the timeout. */
	f->qi.timeout_us = 10 * USEC_PER_SEC;
	f->ite_on_wait = true;
	vtd_qi_batch_begin(&b, &f->qi);
	vtd_qi_add_iotlb_global(&b);
	start = ktime_get();
	KUNIT_EXPECT_EQ(test, vtd_qi_submit(&b), -ETIMEDOUT);
	KUNIT_EXPECT_LT(test, ktime_ms_delta(ktime_get(), start), 1000);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->qi.stats.ite), 1);
	KUNIT_EXPECT_EQ(test, f->fsts & VTD_FSTS_ITE, 0);

	f->ite_on_wait = false;
	vtd_qi_batch_begin(&b, &f->qi);
	vtd_qi_add_iotlb_global(&b);
	KUNIT_EXPECT_EQ(test, vtd_qi_submit(&b), 0);
}

/*
 * A batch the unit completed drained the ring: the next one reads neither
 * IQH nor FSTS, as long as its wait completes at once.  After a batch that
 * did not complete, IQH is read again before the ring is written.
 */
static void qi_test_drained_no_reads(struct kunit *test)
{
	struct fake_unit *f = fake_new(test);
	struct vtd_qi_batch b;
	unsigned int i;

	vtd_qi_batch_begin(&b, &f->qi);
	vtd_qi_add_iotlb_global(&b);
	KUNIT_ASSERT_EQ(test, vtd_qi_submit(&b), 0);
	f->iqh_reads = 0;
	f->fsts_reads = 0;
	for (i = 0; i < 3 * f->qi.size; i++) {
		vtd_qi_batch_begin(&b, &f->qi);
		vtd_qi_add_iotlb_domain(&b, 2);
		KUNIT_ASSERT_EQ(test, vtd_qi_submit(&b), 0);
	}
	KUNIT_EXPECT_EQ(test, f->iqh_reads, 0);
	KUNIT_EXPECT_EQ(test, f->fsts_reads, 0);
	KUNIT_EXPECT_EQ(test, f->iqh, f->iqt);

	f->stalled = true;
	vtd_qi_batch_begin(&b, &f->qi);
	vtd_qi_add_iotlb_global(&b);
	KUNIT_EXPECT_EQ(test, vtd_qi_submit(&b), -ETIMEDOUT);
	KUNIT_EXPECT_GT(test, f->fsts_reads, 0);
	f->stalled = false;
	f->iqh_reads = 0;
	vtd_qi_batch_begin(&b, &f->qi);
	vtd_qi_add_iotlb_global(&b);
	KUNIT_EXPECT_EQ(test, vtd_qi_submit(&b), 0);
	KUNIT_EXPECT_GT(test, f->iqh_reads, 0);
	KUNIT_EXPECT_EQ(test, f->seen[VTD_QI_IOTLB], 3 * f->qi.size + 3);
	KUNIT_EXPECT_EQ(test, f->iqh, f->iqt);
}

static void qi_test_encoding(struct kunit *test)
{
	struct fake_unit *f = fake_new(test);
	struct vtd_qi_desc *d = &f->qi.ring[0];
	struct vtd_qi_batch b;

	vtd_qi_batch_begin(&b, &f->qi);
	vtd_qi_add_piotlb_range(&b, 0x1234, 0xabcde, 0x7654321000ULL, 3, true);
	KUNIT_EXPECT_EQ(test, vtd_qi_submit(&b), 0);
	KUNIT_EXPECT_EQ(test, vtd_qi_desc_type(d), VTD_QI_PIOTLB);
	KUNIT_EXPECT_EQ(test, FIELD_GET(VTD_QI_GRAN, d->qw[0]), 3);
	KUNIT_EXPECT_EQ(test, FIELD_GET(VTD_QI_DID, d->qw[0]), 0x1234);
	KUNIT_EXPECT_EQ(test, FIELD_GET(VTD_QI_PASID, d->qw[0]), 0xabcde);
	KUNIT_EXPECT_EQ(test, d->qw[1] & VTD_QI_ADDR, 0x7654321000ULL);
	KUNIT_EXPECT_EQ(test, FIELD_GET(VTD_QI_AM, d->qw[1]), 3);
	KUNIT_EXPECT_TRUE(test, d->qw[1] & VTD_QI_IH);
	KUNIT_EXPECT_EQ(test, d->qw[2] | d->qw[3], 0);

	vtd_qi_batch_begin(&b, &f->qi);
	vtd_qi_add_cc_device(&b, 7, 0x0108);
	KUNIT_EXPECT_EQ(test, vtd_qi_submit(&b), 0);
	d = &f->qi.ring[2];
	KUNIT_EXPECT_EQ(test, vtd_qi_desc_type(d), VTD_QI_CC);
	KUNIT_EXPECT_EQ(test, FIELD_GET(VTD_QI_GRAN, d->qw[0]), 3);
	KUNIT_EXPECT_EQ(test, FIELD_GET(VTD_QI_SID, d->qw[0]), 0x0108);
	KUNIT_EXPECT_EQ(test, FIELD_GET(VTD_QI_DID, d->qw[0]), 7);

	/*
	 * Page-selective-within-domain IOTLB invalidation, with the positions
	 * of the specification written out: type 2 (3:0), G 11b (5:4), DW (6),
	 * DR (7), DID (31:16); ADDR (63:12), IH (6), AM (5:0).
	 */
	vtd_qi_batch_begin(&b, &f->qi);
	vtd_qi_add_iotlb_range(&b, 0x4321, 0x7654320000ULL, 4, true);
	vtd_qi_add_iotlb_range(&b, 5, 0x1000, 0, false);
	KUNIT_EXPECT_EQ(test, vtd_qi_submit(&b), 0);
	d = &f->qi.ring[4];
	KUNIT_EXPECT_EQ(test, d->qw[0], 0x43210000ULL | 0xc0 | 0x30 | 0x2);
	KUNIT_EXPECT_EQ(test, d->qw[1], 0x7654320000ULL | 0x40 | 4);
	KUNIT_EXPECT_EQ(test, d->qw[2] | d->qw[3], 0);
	d = &f->qi.ring[5];
	KUNIT_EXPECT_EQ(test, d->qw[0], 0x50000ULL | 0xc0 | 0x30 | 0x2);
	KUNIT_EXPECT_EQ(test, d->qw[1], 0x1000ULL);
}

/*
 * Device-TLB invalidations, with the positions of the specification
 * written out.  Type 3: type (3:0), PFSID[3:0] (15:12), MIP (20:16), SID
 * (47:32), PFSID[15:4] (63:52); S (0), ADDR (63:12).  Type 8: type (3:0),
 * MIP (8:4), PFSID[3:0] (15:12), SID (31:16), PASID (51:32), PFSID[15:4]
 * (63:52); G (0), S (11), ADDR (63:12).  With S set, the lowest clear
 * address bit gives the size: bit 12 for 8 KiB, ..., bit 63 for all.
 */
static void qi_test_devtlb_encoding(struct kunit *test)
{
	struct fake_unit *f = fake_new(test);
	struct vtd_qi_desc *d = f->qi.ring;
	struct vtd_qi_batch b;

	vtd_qi_batch_begin(&b, &f->qi);
	/* One page; a queue depth of 32 is encoded as 0. */
	vtd_qi_add_devtlb(&b, 0x1234, 0xabcd, 32, 0x5000, 0);
	/* 8 KiB at 24 KiB. */
	vtd_qi_add_devtlb(&b, 0x0018, 0, 5, 0x6000, 1);
	/* 64 KiB at 64 KiB, given an address inside the block. */
	vtd_qi_add_devtlb(&b, 0x0018, 0, 5, 0x13000, 4);
	/* Everything. */
	vtd_qi_add_devtlb(&b, 0x0018, 0, 5, 0, VTD_QI_DEVTLB_ALL);
	vtd_qi_add_pdevtlb(&b, 0x1234, 0xabcd, 17, 0xfedcb, 0x7654321000ULL, 0);
	vtd_qi_add_pdevtlb(&b, 0x0018, 0, 31, 3, 0x200000, 9);
	vtd_qi_add_pdevtlb(&b, 0x0018, 0, 31, 3, 0, VTD_QI_DEVTLB_ALL);
	KUNIT_EXPECT_EQ(test, vtd_qi_submit(&b), 0);

	KUNIT_EXPECT_EQ(test, d[0].qw[0], 0xabc0123400000003ULL | 0xd000);
	KUNIT_EXPECT_EQ(test, d[0].qw[1], 0x5000ULL);
	KUNIT_EXPECT_EQ(test, d[1].qw[0], 0x0000001800050003ULL);
	KUNIT_EXPECT_EQ(test, d[1].qw[1], 0x6000ULL | 1);
	KUNIT_EXPECT_EQ(test, d[2].qw[0], 0x0000001800050003ULL);
	KUNIT_EXPECT_EQ(test, d[2].qw[1], 0x17000ULL | 1);
	KUNIT_EXPECT_EQ(test, d[3].qw[1], 0x7ffffffffffff000ULL | 1);
	KUNIT_EXPECT_EQ(test, d[4].qw[0],
			0xabcULL << 52 | 0xfedcbULL << 32 | 0x1234ULL << 16 |
			0xd000 | 17 << 4 | 8);
	KUNIT_EXPECT_EQ(test, d[4].qw[1], 0x7654321000ULL);
	KUNIT_EXPECT_EQ(test, d[5].qw[0],
			3ULL << 32 | 0x0018ULL << 16 | 31 << 4 | 8);
	KUNIT_EXPECT_EQ(test, d[5].qw[1], 0x2ff000ULL | BIT(11));
	KUNIT_EXPECT_EQ(test, d[6].qw[1], 0x7ffffffffffff000ULL | BIT(11));
	KUNIT_EXPECT_EQ(test, d[0].qw[2] | d[0].qw[3] | d[4].qw[2] | d[4].qw[3], 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->qi.stats.devtlb), 7);
}

/*
 * Device-TLB invalidations have no global form: a full batch collapses
 * its IOTLB invalidations and keeps them, in order, after the global
 * ones; one full of them alone goes out in parts, in order, each part
 * with its wait.
 */
static void qi_test_collapse_keeps_devtlb(struct kunit *test)
{
	struct fake_unit *f = fake_new(test);
	struct vtd_qi_batch b;
	unsigned int i;

	vtd_qi_batch_begin(&b, &f->qi);
	for (i = 0; i < VTD_QI_BATCH_MAX - 2; i++)
		vtd_qi_add_piotlb_pasid(&b, 2, i + 1);
	vtd_qi_add_pdevtlb(&b, 0x18, 0, 0, 1, 0, VTD_QI_DEVTLB_ALL);
	vtd_qi_add_pdevtlb(&b, 0x18, 0, 0, 2, 0, VTD_QI_DEVTLB_ALL);
	/* Full: this one collapses the IOTLB invalidations. */
	vtd_qi_add_devtlb(&b, 0x18, 0, 0, 0, VTD_QI_DEVTLB_ALL);
	vtd_qi_add_piotlb_pasid(&b, 2, 40);
	vtd_qi_add_pdevtlb(&b, 0x18, 0, 0, 40, 0, VTD_QI_DEVTLB_ALL);
	KUNIT_EXPECT_EQ(test, f->iqt, 0);
	KUNIT_EXPECT_EQ(test, vtd_qi_submit(&b), 0);
	KUNIT_ASSERT_EQ(test, f->nr_order, 6);
	KUNIT_EXPECT_EQ(test, f->order[0], VTD_QI_IOTLB);
	KUNIT_EXPECT_EQ(test, FIELD_GET(VTD_QI_GRAN, f->qi.ring[0].qw[0]), 1);
	KUNIT_EXPECT_EQ(test, f->order[1], 8);
	KUNIT_EXPECT_EQ(test, FIELD_GET(VTD_QI_PASID, f->qi.ring[1].qw[0]), 1);
	KUNIT_EXPECT_EQ(test, f->order[2], 8);
	KUNIT_EXPECT_EQ(test, FIELD_GET(VTD_QI_PASID, f->qi.ring[2].qw[0]), 2);
	KUNIT_EXPECT_EQ(test, f->order[3], VTD_QI_DEVTLB);
	KUNIT_EXPECT_EQ(test, f->order[4], 8);
	KUNIT_EXPECT_EQ(test, FIELD_GET(VTD_QI_PASID, f->qi.ring[4].qw[0]), 40);
	KUNIT_EXPECT_EQ(test, f->order[5], VTD_QI_WAIT);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->qi.stats.batches), 1);

	/* An IOTLB invalidation, then more device TLBs than a batch holds. */
	f->nr_order = 0;
	vtd_qi_batch_begin(&b, &f->qi);
	vtd_qi_add_iotlb_domain(&b, 2);
	for (i = 0; i < VTD_QI_BATCH_MAX + 3; i++)
		vtd_qi_add_pdevtlb(&b, 0x18, 0, 0, i + 1, 0, 0);
	KUNIT_EXPECT_EQ(test, vtd_qi_submit(&b), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->qi.stats.batches), 3);
	KUNIT_ASSERT_EQ(test, f->nr_order, 16);
	KUNIT_EXPECT_EQ(test, f->order[0], VTD_QI_IOTLB);
	for (i = 1; i < VTD_QI_BATCH_MAX; i++)
		KUNIT_EXPECT_EQ(test, f->order[i], 8);
	/* Every one reached the ring, in order, once. */
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->qi.stats.devtlb),
			4 + VTD_QI_BATCH_MAX + 3);
	for (i = 0; i < VTD_QI_BATCH_MAX + 3; i++) {
		unsigned int slot = 6 + 1 + i + (i >= VTD_QI_BATCH_MAX - 1);

		KUNIT_EXPECT_EQ(test, vtd_qi_desc_type(&f->qi.ring[slot]), 8);
		KUNIT_EXPECT_EQ(test,
				FIELD_GET(VTD_QI_PASID, f->qi.ring[slot].qw[0]),
				i + 1);
	}
}

static struct kunit_case qi_test_cases[] = {
	KUNIT_CASE(qi_test_iqa),
	KUNIT_CASE(qi_test_one_batch),
	KUNIT_CASE(qi_test_full_batch_collapses),
	KUNIT_CASE(qi_test_collapse_under_other_submitter),
	KUNIT_CASE(qi_test_ring_wrap),
	KUNIT_CASE(qi_test_timeout),
	KUNIT_CASE(qi_test_ring_full),
	KUNIT_CASE(qi_test_iqe_recovery),
	KUNIT_CASE(qi_test_iqe_recovery_qemu),
	KUNIT_CASE(qi_test_ite),
	KUNIT_CASE(qi_test_drained_no_reads),
	KUNIT_CASE(qi_test_encoding),
	KUNIT_CASE(qi_test_devtlb_encoding),
	KUNIT_CASE(qi_test_collapse_keeps_devtlb),
	{}
};

static struct kunit_suite qi_test_suite = {
	.name = "vtd_sm_qi",
	.test_cases = qi_test_cases,
};

kunit_test_suite(qi_test_suite);

MODULE_DESCRIPTION("KUnit tests of vtd_sm queued invalidation");
MODULE_LICENSE("GPL");
