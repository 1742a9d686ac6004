// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the context-entry updates behind the debug knobs
 * (rid_pasid, pasid_bits): the fields written in every context entry of a
 * device's directory, the invalidations and that they form one batch,
 * PASID directory growth past the 128 entries a QEMU run never leaves,
 * and the refusals.  Field positions are written out from the VT-d
 * specification, not taken from the driver.
 *
 * A second suite (vtd_sm_pt_reclaim) uses the same fake unit for the
 * PASID table shrinker: which tables it frees, the directory entries it
 * clears, its invalidation batch, and what it leaves alone.
 *
 * A fake unit consumes the invalidation queue and logs each descriptor.
 */
#include <kunit/test.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/completion.h>
#include <linux/io.h>
#include <linux/kthread.h>
#include <linux/rcupdate.h>

#include "pasid_entry.h"
#include "regs.h"
#include "vtd.h"
#include "walk.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define CE0_P		BIT_ULL(0)
#define CE0_PASIDE	BIT_ULL(3)
#define CE0_PDTS	GENMASK_ULL(11, 9)
#define CE0_DIR		GENMASK_ULL(63, 12)
#define CE1_RID_PASID	GENMASK_ULL(19, 0)
#define PDE_PTR		GENMASK_ULL(63, 12)

#define FAKE_LOG	32

struct knob_fake {
	struct vtd_unit unit;
	u64 iqh;
	u64 iqt;
	struct vtd_qi_desc log[FAKE_LOG];
	unsigned int nr;
	bool drop_waits;	/* never complete a wait: batches time out */
};

static void knob_fake_run(struct knob_fake *f)
{
	struct vtd_qi *qi = &f->unit.qi;

	while (f->iqh != f->iqt) {
		struct vtd_qi_desc *d = &qi->ring[f->iqh >> 5];

		if (vtd_qi_desc_type(d) == VTD_QI_WAIT &&
		    (d->qw[0] & VTD_QI_WAIT_SW) && !f->drop_waits)
			WRITE_ONCE(*(u32 *)phys_to_virt(d->qw[1] & VTD_QI_WAIT_ADDR),
				   FIELD_GET(VTD_QI_WAIT_DATA, d->qw[0]));
		if (f->nr < FAKE_LOG)
			f->log[f->nr++] = *d;
		f->iqh = (u64)(((f->iqh >> 5) + 1) & (qi->size - 1)) << 5;
	}
}

static u64 knob_fake_read(void *priv, unsigned int reg)
{
	struct knob_fake *f = priv;

	knob_fake_run(f);
	return reg == VTD_REG_IQH ? f->iqh : reg == VTD_REG_IQT ? f->iqt : 0;
}

static void knob_fake_write(void *priv, unsigned int reg, u64 val)
{
	struct knob_fake *f = priv;

	if (reg == VTD_REG_IQT)
		f->iqt = val;
	knob_fake_run(f);
}

static const struct vtd_qi_io knob_fake_io = {
	.read = knob_fake_read,
	.write = knob_fake_write,
};

static void knob_unit_exit(void *data)
{
	struct knob_fake *f = data;

	vtd_ctx_tables_free(&f->unit);
	vtd_qi_destroy(&f->unit.qi);
	xa_destroy(&f->unit.devices);
	mutex_destroy(&f->unit.pt_lock);
}

static struct knob_fake *knob_fake_new(struct kunit *test)
{
	struct knob_fake *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->unit.ecap = VTD_ECAP_C;
	spin_lock_init(&f->unit.ctx_lock);
	xa_init(&f->unit.ctx_users);
	xa_init(&f->unit.devices);
	mutex_init(&f->unit.pt_lock);
	KUNIT_ASSERT_EQ(test, vtd_qi_init(&f->unit.qi, 0, &knob_fake_io, f,
					  "knob"), 0);
	f->unit.qi.timeout_us = 250 * USEC_PER_MSEC;
	KUNIT_ASSERT_EQ(test, vtd_ctx_tables_alloc(&f->unit), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, knob_unit_exit, f), 0);
	return f;
}

static void knob_dev_exit(void *data)
{
	struct vtd_dev *vdev = data;

	vtd_ctx_pasid_dir_free(vdev);
	mutex_destroy(&vdev->pasid_lock);
}

/* A device at @sid with @max_pasids, its context entry present. */
static struct vtd_dev *knob_dev(struct kunit *test, struct knob_fake *f,
				u16 sid, u32 max_pasids)
{
	struct vtd_dev *vdev = kunit_kzalloc(test, sizeof(*vdev), GFP_KERNEL);
	struct vtd_qi_batch b;

	KUNIT_ASSERT_NOT_NULL(test, vdev);
	vdev->unit = &f->unit;
	vdev->bus = sid >> 8;
	vdev->devfn = sid & 0xff;
	vdev->sid = sid;
	vdev->max_pasids = max_pasids;
	mutex_init(&vdev->pasid_lock);
	KUNIT_ASSERT_EQ(test, vtd_ctx_pasid_dir_alloc(vdev), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, knob_dev_exit, vdev), 0);
	vtd_qi_batch_begin(&b, &f->unit.qi);
	KUNIT_ASSERT_EQ(test, vtd_ctx_install(vdev, sid, &b), 0);
	KUNIT_ASSERT_EQ(test, vtd_qi_submit(&b), 0);
	f->nr = 0;
	return vdev;
}

static unsigned int knob_count(struct knob_fake *f, unsigned int type)
{
	unsigned int i, n = 0;

	for (i = 0; i < f->nr; i++)
		n += vtd_qi_desc_type(&f->log[i]) == type;
	return n;
}

/* One batch: the log ends with its only wait descriptor. */
static void knob_expect_one_batch(struct kunit *test, struct knob_fake *f)
{
	KUNIT_ASSERT_GT(test, f->nr, 0);
	KUNIT_EXPECT_EQ(test, knob_count(f, VTD_QI_WAIT), 1);
	KUNIT_EXPECT_EQ(test, vtd_qi_desc_type(&f->log[f->nr - 1]), VTD_QI_WAIT);
}

static bool knob_cc_for(struct knob_fake *f, u16 sid)
{
	unsigned int i;

	for (i = 0; i < f->nr; i++)
		if (vtd_qi_desc_type(&f->log[i]) == VTD_QI_CC &&
		    FIELD_GET(VTD_QI_GRAN, f->log[i].qw[0]) == VTD_QI_CC_DEVICE &&
		    FIELD_GET(VTD_QI_SID, f->log[i].qw[0]) == sid)
			return true;
	return false;
}

static void knob_test_rid_pasid(struct kunit *test)
{
	struct knob_fake *f = knob_fake_new(test);
	struct vtd_dev *vdev = knob_dev(test, f, 0x0108, 8);
	struct vtd_dev *other = knob_dev(test, f, 0x0110, 8);
	struct vtd_qi_batch b;
	u64 *ce, *alias, *oce, qw0;

	/* An alias of the device shares its directory. */
	vtd_qi_batch_begin(&b, &f->unit.qi);
	KUNIT_ASSERT_EQ(test, vtd_ctx_install(vdev, 0x0200, &b), 0);
	KUNIT_ASSERT_EQ(test, vtd_qi_submit(&b), 0);
	f->nr = 0;
	ce = vtd_ctx_entry(&f->unit, 1, 0x08);
	alias = vtd_ctx_entry(&f->unit, 2, 0x00);
	oce = vtd_ctx_entry(&f->unit, 1, 0x10);
	qw0 = ce[0];

	KUNIT_EXPECT_EQ(test, vtd_ctx_set_rid_pasid(vdev, 5), 0);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CE1_RID_PASID, ce[1]), 5);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CE1_RID_PASID, alias[1]), 5);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CE1_RID_PASID, oce[1]), 0);
	KUNIT_EXPECT_EQ(test, ce[0], qw0);
	KUNIT_EXPECT_EQ(test, vtd_ctx_rid_pasid(vdev), 5);
	KUNIT_EXPECT_EQ(test, vtd_ctx_rid_pasid(other), 0);

	/* Both source-ids' context entries, then PASID cache and IOTLB. */
	knob_expect_one_batch(test, f);
	KUNIT_EXPECT_TRUE(test, knob_cc_for(f, 0x0108));
	KUNIT_EXPECT_TRUE(test, knob_cc_for(f, 0x0200));
	KUNIT_EXPECT_FALSE(test, knob_cc_for(f, 0x0110));
	KUNIT_EXPECT_EQ(test, knob_count(f, VTD_QI_CC), 2);
	KUNIT_EXPECT_EQ(test, knob_count(f, VTD_QI_PC), 1);
	KUNIT_EXPECT_EQ(test, knob_count(f, VTD_QI_IOTLB), 1);
	KUNIT_ASSERT_EQ(test, f->nr, 5);
	KUNIT_EXPECT_EQ(test, vtd_qi_desc_type(&f->log[2]), VTD_QI_PC);
	KUNIT_EXPECT_EQ(test, vtd_qi_desc_type(&f->log[3]), VTD_QI_IOTLB);

	/* Only PASIDs the device has; nothing written or queued otherwise. */
	f->nr = 0;
	KUNIT_EXPECT_EQ(test, vtd_ctx_set_rid_pasid(vdev, 8), -ERANGE);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CE1_RID_PASID, ce[1]), 5);
	KUNIT_EXPECT_EQ(test, f->nr, 0);

	KUNIT_EXPECT_EQ(test, vtd_ctx_set_rid_pasid(vdev, 0), 0);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CE1_RID_PASID, ce[1]), 0);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CE1_RID_PASID, alias[1]), 0);
}

static void knob_test_grow(struct kunit *test)
{
	struct knob_fake *f = knob_fake_new(test);
	struct vtd_dev *vdev = knob_dev(test, f, 0x0300, 1);
	struct vtd_pasid_entry *pe0;
	u64 *ce = vtd_ctx_entry(&f->unit, 3, 0x00);
	u64 table0;

	KUNIT_EXPECT_FALSE(test, ce[0] & CE0_PASIDE);
	KUNIT_EXPECT_EQ(test, vdev->dir_entries, 128);
	pe0 = vtd_pasid_entry(vdev, 0, true);
	KUNIT_ASSERT_NOT_NULL(test, pe0);
	table0 = vdev->pasid_dir[0];

	/* 8192 PASIDs still fit in 128 entries: PASIDE only. */
	KUNIT_EXPECT_EQ(test, vtd_ctx_set_max_pasids(vdev, 8192), 0);
	KUNIT_EXPECT_EQ(test, vdev->dir_entries, 128);
	KUNIT_EXPECT_EQ(test, vdev->max_pasids, 8192);
	KUNIT_EXPECT_TRUE(test, ce[0] & CE0_PASIDE);
	KUNIT_EXPECT_EQ(test, ce[0] & CE0_DIR, (u64)virt_to_phys(vdev->pasid_dir));
	KUNIT_EXPECT_EQ(test, FIELD_GET(CE0_PDTS, ce[0]), 0);
	knob_expect_one_batch(test, f);
	KUNIT_EXPECT_TRUE(test, knob_cc_for(f, 0x0300));

	/* 2^20: 16384 entries, the PASID tables carried over. */
	f->nr = 0;
	KUNIT_EXPECT_EQ(test, vtd_ctx_set_max_pasids(vdev, 1U << 20), 0);
	KUNIT_EXPECT_EQ(test, vdev->dir_entries, 16384);
	KUNIT_EXPECT_EQ(test, ce[0] & CE0_DIR, (u64)virt_to_phys(vdev->pasid_dir));
	KUNIT_EXPECT_EQ(test, FIELD_GET(CE0_PDTS, ce[0]), 7);
	KUNIT_EXPECT_TRUE(test, ce[0] & CE0_P);
	KUNIT_EXPECT_TRUE(test, ce[0] & CE0_PASIDE);
	KUNIT_EXPECT_EQ(test, vdev->pasid_dir[0], table0);
	KUNIT_EXPECT_PTR_EQ(test, vtd_pasid_entry(vdev, 0, false), pe0);
	KUNIT_EXPECT_NOT_NULL(test, vtd_pasid_entry(vdev, (1U << 20) - 1, true));
	knob_expect_one_batch(test, f);

	/* Back to the RID only: PASIDE off, the directory kept. */
	KUNIT_EXPECT_EQ(test, vtd_ctx_set_max_pasids(vdev, 1), 0);
	KUNIT_EXPECT_FALSE(test, ce[0] & CE0_PASIDE);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CE0_PDTS, ce[0]), 7);
	KUNIT_EXPECT_EQ(test, vdev->dir_entries, 16384);
	KUNIT_EXPECT_EQ(test, vdev->max_pasids, 1);

	KUNIT_EXPECT_EQ(test, vtd_ctx_set_max_pasids(vdev, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, vtd_ctx_set_max_pasids(vdev, (1U << 20) + 1), -EINVAL);
}

static void knob_test_busy(struct kunit *test)
{
	struct knob_fake *f = knob_fake_new(test);
	struct vtd_dev *vdev = knob_dev(test, f, 0x0400, 8);
	struct vtd_pasid_entry *pe;

	/* PASID 0 in use is fine; any other PASID blocks the change. */
	pe = vtd_pasid_entry(vdev, 0, true);
	KUNIT_ASSERT_NOT_NULL(test, pe);
	WRITE_ONCE(pe->val[0], BIT_ULL(0));
	KUNIT_EXPECT_EQ(test, vtd_ctx_set_max_pasids(vdev, 16), 0);

	pe = vtd_pasid_entry(vdev, 70, true);
	KUNIT_ASSERT_NOT_NULL(test, pe);
	WRITE_ONCE(pe->val[0], BIT_ULL(0));
	f->nr = 0;
	KUNIT_EXPECT_EQ(test, vtd_ctx_set_max_pasids(vdev, 2), -EBUSY);
	KUNIT_EXPECT_EQ(test, vdev->max_pasids, 16);
	KUNIT_EXPECT_EQ(test, f->nr, 0);
	WRITE_ONCE(pe->val[0], 0);

	/* RID_PASID must stay below the new count. */
	KUNIT_EXPECT_EQ(test, vtd_ctx_set_rid_pasid(vdev, 9), 0);
	KUNIT_EXPECT_EQ(test, vtd_ctx_set_max_pasids(vdev, 8), -EBUSY);
	KUNIT_EXPECT_EQ(test, vtd_ctx_set_max_pasids(vdev, 10), 0);
	KUNIT_EXPECT_EQ(test, vtd_ctx_set_rid_pasid(vdev, 0), 0);
	KUNIT_EXPECT_EQ(test, vtd_ctx_set_max_pasids(vdev, 1), 0);
}

/*
 * A directory the unit may still walk after a failed flush is not freed
 * (on KASAN kernels, reading it below would report a use-after-free).
 */
static void knob_test_grow_flush_fails(struct kunit *test)
{
	struct knob_fake *f = knob_fake_new(test);
	struct vtd_dev *vdev = knob_dev(test, f, 0x0500, 1);
	u64 *ce = vtd_ctx_entry(&f->unit, 5, 0x00);
	u64 *old_dir = vdev->pasid_dir;
	u64 table0;

	KUNIT_ASSERT_NOT_NULL(test, vtd_pasid_entry(vdev, 0, true));
	table0 = old_dir[0];
	KUNIT_ASSERT_NE(test, table0, 0);

	f->drop_waits = true;
	f->unit.qi.timeout_us = 20 * USEC_PER_MSEC;
	KUNIT_EXPECT_EQ(test, vtd_ctx_set_max_pasids(vdev, 1U << 20), -EIO);
	f->drop_waits = false;

	/* The change was made: the entry points at the new directory... */
	KUNIT_EXPECT_EQ(test, vdev->dir_entries, 16384);
	KUNIT_EXPECT_EQ(test, ce[0] & CE0_DIR, (u64)virt_to_phys(vdev->pasid_dir));
	KUNIT_EXPECT_EQ(test, vdev->pasid_dir[0], table0);
	/* ...and the old one, perhaps still cached, is intact. */
	KUNIT_EXPECT_EQ(test, READ_ONCE(old_dir[0]), table0);
}

/*
 * The pasid_bits knob (and a device's release) free a PASID directory
 * while the walker behind debugfs "translate" may be reading it through a
 * context entry it read just before.  Two threads on two CPUs: one walks
 * the device's requests with a reader that waits before each read, the
 * other grows the directory (the old one is freed) and then releases and
 * probes the device again (its directory freed, a fresh one installed).
 * The frees wait for an RCU grace period and the walk is an RCU reader;
 * without that, KASAN reports the walker's read of a freed directory.
 */
struct knob_race {
	struct knob_fake *f;
	struct vtd_dev *vdev;
	u32 pasid;	/* what the walker asks for */
	atomic_t walks;
	atomic_t cycles;
	int err;
};

/* Between two levels of the walk; a busy wait: the walk must not sleep. */
#define KNOB_RACE_READ_DELAY_US	50

static int knob_race_read(void *priv, phys_addr_t pa, u64 *buf,
			  unsigned int nr)
{
	udelay(KNOB_RACE_READ_DELAY_US);
	return vtd_walk_read_phys(priv, pa, buf, nr);
}

static int knob_race_walker(void *data)
{
	struct knob_race *r = data;
	struct vtd_walk_ctx ctx = {
		.root = virt_to_phys(r->f->unit.root),
		.read = knob_race_read,
	};
	struct vtd_walk_result res;

	while (!kthread_should_stop()) {
		vtd_walk(&ctx, r->vdev->sid, r->pasid, 0,
			 VTD_WALK_READ, &res);
		atomic_inc(&r->walks);
		cond_resched();
	}
	return 0;
}

static int knob_race_cycle(struct knob_race *r)
{
	struct vtd_dev *vdev = r->vdev;
	struct vtd_qi_batch b;
	int ret;

	/* pasid_bits 14: 256 directory entries, the 128-entry one freed. */
	ret = vtd_ctx_set_max_pasids(vdev, 1U << 14);
	if (ret)
		return ret;
	/* Release, as vtd_release_device() does, and probe again. */
	vtd_qi_batch_begin(&b, &r->f->unit.qi);
	vtd_ctx_remove(vdev, vdev->sid, &b);
	ret = vtd_qi_submit(&b);
	if (ret)
		return ret;
	vtd_ctx_pasid_dir_free(vdev);
	vdev->max_pasids = 1;
	ret = vtd_ctx_pasid_dir_alloc(vdev);
	if (ret)
		return ret;
	vtd_qi_batch_begin(&b, &r->f->unit.qi);
	ret = vtd_ctx_install(vdev, vdev->sid, &b);
	return ret ?: vtd_qi_submit(&b);
}

static int knob_race_knob(void *data)
{
	struct knob_race *r = data;

	while (!kthread_should_stop()) {
		if (!r->err) {
			r->err = knob_race_cycle(r);
			atomic_inc(&r->cycles);
		}
		cond_resched();
	}
	return 0;
}

static struct task_struct *knob_race_thread(struct kunit *test,
					    int (*fn)(void *),
					    struct knob_race *r,
					    unsigned int cpu)
{
	struct task_struct *t = kthread_create(fn, r, "knob_race/%u", cpu);

	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	kthread_bind(t, cpu);
	wake_up_process(t);
	return t;
}

/* Two online CPUs for the threads of a race, or the test is skipped. */
static void knob_race_cpus(struct kunit *test, unsigned int *cpu0,
			   unsigned int *cpu1)
{
	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	*cpu0 = cpumask_first(cpu_online_mask);
	*cpu1 = cpumask_next(*cpu0, cpu_online_mask);
}

static void knob_test_walk_vs_free(struct kunit *test)
{
	struct knob_race r = {};
	struct task_struct *walker, *knob;
	unsigned int cpu0, cpu1;

	knob_race_cpus(test, &cpu0, &cpu1);
	r.f = knob_fake_new(test);
	r.vdev = knob_dev(test, r.f, 0x0600, 1);
	r.pasid = VTD_WALK_NO_PASID;

	walker = knob_race_thread(test, knob_race_walker, &r, cpu0);
	knob = knob_race_thread(test, knob_race_knob, &r, cpu1);
	msleep(2000);
	kthread_stop(knob);
	kthread_stop(walker);

	kunit_info(test, "%d walks, %d grow+release cycles\n",
		   atomic_read(&r.walks), atomic_read(&r.cycles));
	KUNIT_EXPECT_EQ(test, r.err, 0);
	KUNIT_EXPECT_GT(test, atomic_read(&r.walks), 10);
	KUNIT_EXPECT_GT(test, atomic_read(&r.cycles), 2);
}

static struct kunit_case knob_test_cases[] = {
	KUNIT_CASE(knob_test_rid_pasid),
	KUNIT_CASE(knob_test_grow),
	KUNIT_CASE(knob_test_busy),
	KUNIT_CASE(knob_test_grow_flush_fails),
	KUNIT_CASE_SLOW(knob_test_walk_vs_free),
	{}
};

static struct kunit_suite knob_test_suite = {
	.name = "vtd_sm_knobs",
	.test_cases = knob_test_cases,
};

/* ---- PASID table reclaim (the unit's shrinker) ---- */

#define PDE_P		BIT_ULL(0)
#define PE0_P		BIT_ULL(0)
#define PE0_FPD		BIT_ULL(1)
/* Invalidation descriptors: type in bits 3:0, granularity in bits 5:4. */
#define QI_TYPE		GENMASK_ULL(3, 0)
#define QI_GRAN		GENMASK_ULL(5, 4)
#define QI_TYPE_PC	7
#define QI_TYPE_WAIT	5
#define PC_GRAN_GLOBAL	3
#define QI_TYPE_CC	1
#define CC_GRAN_DEVICE	3
#define QI_SID		GENMASK_ULL(47, 32)

static void pt_dev_unlist(void *data)
{
	struct vtd_dev *vdev = data;

	xa_erase(&vdev->unit->devices, vdev->sid);
}

/* A device of the fake unit, in its devices XArray as probe puts it. */
static struct vtd_dev *pt_dev(struct kunit *test, struct knob_fake *f,
			      u16 sid, u32 max_pasids)
{
	struct vtd_dev *vdev = knob_dev(test, f, sid, max_pasids);

	KUNIT_ASSERT_EQ(test, xa_err(xa_store(&f->unit.devices, sid, vdev,
					      GFP_KERNEL)), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, pt_dev_unlist,
							vdev), 0);
	return vdev;
}

/* Through the entry writer: pass-through with @did, or blocked (did 0). */
static int pt_set(struct vtd_dev *vdev, u32 pasid, u16 did)
{
	struct vtd_pasid_cfg cfg = { .did = did, .sl.levels = 4 };
	struct vtd_pasid_entry pe;
	bool dirty;

	if (did)
		vtd_pasid_encode_pt(&pe, &cfg);
	else
		vtd_pasid_encode_blocked(&pe, false);
	return __vtd_dev_set_pasid_entry(vdev, pasid, &pe, &dirty);
}

static void pt_attach(struct kunit *test, struct vtd_dev *vdev, u32 from,
		      u32 to)
{
	u32 p;

	for (p = from; p <= to; p++)
		KUNIT_ASSERT_EQ(test, pt_set(vdev, p, 1), 0);
}

static void pt_detach(struct kunit *test, struct vtd_dev *vdev, u32 from,
		      u32 to)
{
	u32 p;

	for (p = from; p <= to; p++)
		KUNIT_ASSERT_EQ(test, pt_set(vdev, p, 0), 0);
}

static bool pt_present(struct vtd_dev *vdev, u32 pasid)
{
	struct vtd_pasid_entry pe;

	mutex_lock(&vdev->pasid_lock);
	vtd_dev_pasid_entry_snapshot(vdev, pasid, &pe);
	mutex_unlock(&vdev->pasid_lock);
	return pe.val[0] & PE0_P;
}

/*
 * The log holds exactly the batch that forgets @vdev's directory entries:
 * the device-selective context-cache invalidation of its source-id (the
 * fake has no alias), one global PASID-cache invalidation, the wait.
 * (No assertion: callers may hold a lock the test must drop.)
 */
static void pt_expect_reclaim_batch(struct kunit *test, struct knob_fake *f,
				    struct vtd_dev *vdev)
{
	KUNIT_EXPECT_EQ(test, f->nr, 3);
	if (f->nr != 3)
		return;
	KUNIT_EXPECT_EQ(test, FIELD_GET(QI_TYPE, f->log[0].qw[0]), QI_TYPE_CC);
	KUNIT_EXPECT_EQ(test, FIELD_GET(QI_GRAN, f->log[0].qw[0]), CC_GRAN_DEVICE);
	KUNIT_EXPECT_EQ(test, FIELD_GET(QI_SID, f->log[0].qw[0]), vdev->sid);
	KUNIT_EXPECT_EQ(test, FIELD_GET(QI_TYPE, f->log[1].qw[0]), QI_TYPE_PC);
	KUNIT_EXPECT_EQ(test, FIELD_GET(QI_GRAN, f->log[1].qw[0]), PC_GRAN_GLOBAL);
	/* Everything else of a global one is reserved. */
	KUNIT_EXPECT_EQ(test, f->log[1].qw[0] & ~(QI_TYPE | QI_GRAN), 0);
	KUNIT_EXPECT_EQ(test, f->log[1].qw[1], 0);
	KUNIT_EXPECT_EQ(test, FIELD_GET(QI_TYPE, f->log[2].qw[0]), QI_TYPE_WAIT);
}

/*
 * PASIDs over three tables (0: the RID's, 1 and 2); all of table 2's
 * detached: it alone is offered and freed, its directory entry cleared,
 * with one batch of one global PASID-cache invalidation; tables 0 and 1
 * and their entries stay.
 */
static void pt_test_frees_empty_table(struct kunit *test)
{
	struct knob_fake *f = knob_fake_new(test);
	struct vtd_dev *vdev = pt_dev(test, f, 0x0700, 1U << 10);
	u64 dir0, dir1;

	pt_attach(test, vdev, 0, 0);
	pt_attach(test, vdev, 64, 70);
	pt_attach(test, vdev, 128, 130);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&f->unit.pt_live), 3);
	KUNIT_EXPECT_EQ(test, vtd_ctx_pt_count(&f->unit), 0);
	pt_detach(test, vdev, 128, 130);
	KUNIT_EXPECT_EQ(test, vtd_ctx_pt_count(&f->unit), 1);
	dir0 = vdev->pasid_dir[0];
	dir1 = vdev->pasid_dir[1];
	KUNIT_ASSERT_TRUE(test, vdev->pasid_dir[2] & PDE_P);

	f->nr = 0;
	KUNIT_EXPECT_EQ(test, vtd_ctx_pt_scan(&f->unit, 128), 1);
	KUNIT_EXPECT_EQ(test, vdev->pasid_dir[2], 0);
	KUNIT_EXPECT_EQ(test, vdev->pasid_dir[0], dir0);
	KUNIT_EXPECT_EQ(test, vdev->pasid_dir[1], dir1);
	pt_expect_reclaim_batch(test, f, vdev);
	KUNIT_EXPECT_TRUE(test, pt_present(vdev, 0));
	KUNIT_EXPECT_TRUE(test, pt_present(vdev, 64));
	KUNIT_EXPECT_TRUE(test, pt_present(vdev, 70));
	KUNIT_EXPECT_FALSE(test, pt_present(vdev, 128));
	KUNIT_EXPECT_EQ(test, vtd_ctx_pt_count(&f->unit), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&f->unit.pt_live), 2);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->unit.pt_reclaimed), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->unit.quarantined), 0);

	/* Nothing left to free: no batch at all. */
	f->nr = 0;
	KUNIT_EXPECT_EQ(test, vtd_ctx_pt_scan(&f->unit, 128), 0);
	KUNIT_EXPECT_EQ(test, f->nr, 0);
	/* The RCU callback frees the page (KASAN checks the rest). */
	rcu_barrier();

	/* Table 0 is never offered, even with the RID's entry not present. */
	pt_detach(test, vdev, 0, 0);
	KUNIT_EXPECT_EQ(test, vtd_ctx_pt_count(&f->unit), 0);
	KUNIT_EXPECT_EQ(test, vtd_ctx_pt_scan(&f->unit, 128), 0);
	KUNIT_EXPECT_EQ(test, vdev->pasid_dir[0], dir0);
}

/*
 * The table of @first (emptied through the writers, so offered) keeps an
 * entry, @pasid's, whose word 0 is set to @qw0 behind the writers' back:
 * a scan reads it, frees nothing, queues nothing, and no longer offers it.
 */
static void pt_expect_kept(struct kunit *test, struct knob_fake *f,
			   struct vtd_dev *vdev, u32 first, u32 pasid, u64 qw0)
{
	unsigned int idx = first / VTD_PASID_TABLE_ENTRIES;
	struct vtd_pasid_entry *pe;
	u64 de;

	pt_attach(test, vdev, first, first);
	pt_detach(test, vdev, first, first);
	KUNIT_EXPECT_EQ(test, vtd_ctx_pt_count(&f->unit), 1);
	de = vdev->pasid_dir[idx];
	pe = vtd_pasid_entry(vdev, pasid, false);
	KUNIT_ASSERT_NOT_NULL(test, pe);
	WRITE_ONCE(pe->val[0], qw0);
	f->nr = 0;
	KUNIT_EXPECT_EQ(test, vtd_ctx_pt_scan(&f->unit, 128), 0);
	KUNIT_EXPECT_EQ(test, vdev->pasid_dir[idx], de);
	KUNIT_EXPECT_EQ(test, f->nr, 0);
	KUNIT_EXPECT_EQ(test, vtd_ctx_pt_count(&f->unit), 0);
	WRITE_ONCE(pe->val[0], 0);
}

/* A table with one present entry is never freed. */
static void pt_test_keeps_used_table(struct kunit *test)
{
	struct knob_fake *f = knob_fake_new(test);
	struct vtd_dev *vdev = pt_dev(test, f, 0x0800, 1U << 10);
	u64 dir1;

	pt_attach(test, vdev, 64, 127);
	pt_detach(test, vdev, 64, 126);
	KUNIT_EXPECT_EQ(test, vtd_ctx_pt_count(&f->unit), 0);
	dir1 = vdev->pasid_dir[1];
	f->nr = 0;
	KUNIT_EXPECT_EQ(test, vtd_ctx_pt_scan(&f->unit, 128), 0);
	KUNIT_EXPECT_EQ(test, vdev->pasid_dir[1], dir1);
	KUNIT_EXPECT_TRUE(test, pt_present(vdev, 127));
	KUNIT_EXPECT_EQ(test, f->nr, 0);

	/*
	 * An entry made present behind the writers' back (so not counted):
	 * the shrinker reads the table before it frees it, and keeps it,
	 * and counts it from then on.
	 */
	pt_expect_kept(test, f, vdev, 128, 191, PE0_P);
	/*
	 * A not-present entry with FPD (faults not reported) is in use too:
	 * without its table the PASID would fault, reported, at the
	 * directory entry.
	 */
	pt_expect_kept(test, f, vdev, 192, 200, PE0_FPD);
}

/* Attaching again where a table was freed gets a fresh table. */
static void pt_test_reattach(struct kunit *test)
{
	struct knob_fake *f = knob_fake_new(test);
	struct vtd_dev *vdev = pt_dev(test, f, 0x0900, 1U << 10);

	pt_attach(test, vdev, 64, 64);
	pt_detach(test, vdev, 64, 64);
	KUNIT_ASSERT_EQ(test, vtd_ctx_pt_scan(&f->unit, 128), 1);
	KUNIT_EXPECT_EQ(test, vdev->pasid_dir[1], 0);
	/*
	 * The old table is gone for good before the new one comes: an
	 * attach that wrote to it would be a use-after-free for KASAN.
	 */
	rcu_barrier();

	KUNIT_EXPECT_NULL(test, vtd_pasid_entry(vdev, 65, false));
	pt_attach(test, vdev, 65, 66);
	KUNIT_EXPECT_TRUE(test, vdev->pasid_dir[1] & PDE_P);
	KUNIT_EXPECT_TRUE(test, pt_present(vdev, 65));
	KUNIT_EXPECT_TRUE(test, pt_present(vdev, 66));
	KUNIT_EXPECT_FALSE(test, pt_present(vdev, 64));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&f->unit.pt_live), 1);
	KUNIT_EXPECT_EQ(test, vtd_ctx_pt_count(&f->unit), 0);

	/* And it goes again once empty. */
	pt_detach(test, vdev, 65, 66);
	KUNIT_EXPECT_EQ(test, vtd_ctx_pt_count(&f->unit), 1);
	KUNIT_EXPECT_EQ(test, vtd_ctx_pt_scan(&f->unit, 128), 1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&f->unit.pt_live), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->unit.pt_reclaimed), 2);
}

struct pt_scan_job {
	struct vtd_unit *unit;
	unsigned long freed;
	struct completion done;
};

static int pt_scan_thread(void *data)
{
	struct pt_scan_job *j = data;

	j->freed = vtd_ctx_pt_scan(j->unit, 128);
	complete(&j->done);
	return 0;
}

/* A scan on another thread; fails the test if it has to wait for @lock. */
static unsigned long pt_scan_elsewhere(struct kunit *test, struct knob_fake *f,
				       struct mutex *lock)
{
	struct pt_scan_job j = { .unit = &f->unit };
	struct task_struct *t;

	init_completion(&j.done);
	t = kthread_run(pt_scan_thread, &j, "pt_scan");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	if (!wait_for_completion_timeout(&j.done, 2 * HZ)) {
		KUNIT_FAIL(test, "the scan waits for a lock the test holds");
		mutex_unlock(lock);
		wait_for_completion(&j.done);
		mutex_lock(lock);
	}
	return j.freed;
}

/*
 * Reclaim may run in an allocation made under a device's pasid_lock: the
 * scan leaves a locked device alone at once (and frees another's).
 */
static void pt_test_skips_locked(struct kunit *test)
{
	struct knob_fake *f = knob_fake_new(test);
	struct vtd_dev *busy = pt_dev(test, f, 0x0a00, 1U << 10);
	struct vtd_dev *idle = pt_dev(test, f, 0x0a08, 1U << 10);
	u64 dir1;

	pt_attach(test, busy, 64, 64);
	pt_detach(test, busy, 64, 64);
	pt_attach(test, idle, 64, 64);
	pt_detach(test, idle, 64, 64);
	KUNIT_EXPECT_EQ(test, vtd_ctx_pt_count(&f->unit), 2);
	dir1 = busy->pasid_dir[1];

	mutex_lock(&busy->pasid_lock);
	f->nr = 0;
	KUNIT_EXPECT_EQ(test, pt_scan_elsewhere(test, f, &busy->pasid_lock), 1);
	KUNIT_EXPECT_EQ(test, busy->pasid_dir[1], dir1);
	KUNIT_EXPECT_EQ(test, idle->pasid_dir[1], 0);
	pt_expect_reclaim_batch(test, f, idle);
	KUNIT_EXPECT_EQ(test, vtd_ctx_pt_count(&f->unit), 1);

	/* Nothing else to take: nothing freed, nothing queued. */
	f->nr = 0;
	KUNIT_EXPECT_EQ(test, pt_scan_elsewhere(test, f, &busy->pasid_lock), 0);
	KUNIT_EXPECT_EQ(test, busy->pasid_dir[1], dir1);
	KUNIT_EXPECT_EQ(test, f->nr, 0);
	mutex_unlock(&busy->pasid_lock);

	/* While another scan of the unit runs, a second one returns at once. */
	mutex_lock(&f->unit.pt_lock);
	KUNIT_EXPECT_EQ(test, pt_scan_elsewhere(test, f, &f->unit.pt_lock), 0);
	KUNIT_EXPECT_EQ(test, busy->pasid_dir[1], dir1);
	mutex_unlock(&f->unit.pt_lock);

	KUNIT_EXPECT_EQ(test, vtd_ctx_pt_scan(&f->unit, 128), 1);
	KUNIT_EXPECT_EQ(test, busy->pasid_dir[1], 0);
}

/*
 * The batch fails (its wait never completes): the unit may still hold the
 * directory entry, so the table is not freed (KASAN would report the read
 * below after the grace period otherwise) and counts as quarantined.
 */
static void pt_test_batch_fails(struct kunit *test)
{
	struct knob_fake *f = knob_fake_new(test);
	struct vtd_dev *vdev = pt_dev(test, f, 0x0b00, 1U << 10);
	struct vtd_dev *next = pt_dev(test, f, 0x0b08, 1U << 10);
	struct vtd_pasid_entry *table;
	u64 next_dir1;

	pt_attach(test, vdev, 64, 64);
	pt_detach(test, vdev, 64, 64);
	pt_attach(test, next, 64, 64);
	pt_detach(test, next, 64, 64);
	next_dir1 = next->pasid_dir[1];
	mutex_lock(&vdev->pasid_lock);
	table = vtd_pasid_entry(vdev, 64, false);
	mutex_unlock(&vdev->pasid_lock);
	KUNIT_ASSERT_NOT_NULL(test, table);

	f->drop_waits = true;
	f->unit.qi.timeout_us = 20 * USEC_PER_MSEC;
	f->nr = 0;
	KUNIT_EXPECT_EQ(test, vtd_ctx_pt_scan(&f->unit, 128), 0);
	f->drop_waits = false;
	/* One batch: the pass stopped at the first failure. */
	pt_expect_reclaim_batch(test, f, vdev);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->unit.quarantined), 1);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->unit.pt_reclaimed), 0);
	/* No longer the device's, nor offered again. */
	KUNIT_EXPECT_EQ(test, vdev->pasid_dir[1], 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&f->unit.pt_live), 1);
	/* The next device's table stays, and nothing more is offered. */
	KUNIT_EXPECT_EQ(test, next->pasid_dir[1], next_dir1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&f->unit.pt_empty), 1);
	KUNIT_EXPECT_EQ(test, vtd_ctx_pt_count(&f->unit), 0);
	f->nr = 0;
	KUNIT_EXPECT_EQ(test, vtd_ctx_pt_scan(&f->unit, 128), 0);
	KUNIT_EXPECT_EQ(test, f->nr, 0);
	KUNIT_EXPECT_EQ(test, next->pasid_dir[1], next_dir1);
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, READ_ONCE(table->val[0]), 0);
}

/*
 * Failed entry updates leave the entry not present (vtd_pe_fail()): its
 * table's count follows, whether the entry was present (a replace) or
 * not (an attach).
 */
static void pt_test_failed_update(struct kunit *test)
{
	struct knob_fake *f = knob_fake_new(test);
	struct vtd_dev *vdev = pt_dev(test, f, 0x0c00, 1U << 10);

	/* Caching mode: an attach sends a batch, which can fail. */
	f->unit.cap |= VTD_CAP_CM;
	pt_attach(test, vdev, 64, 64);
	KUNIT_EXPECT_EQ(test, vtd_ctx_pt_count(&f->unit), 0);

	f->drop_waits = true;
	f->unit.qi.timeout_us = 20 * USEC_PER_MSEC;
	/* Replace did 1 by did 2: the final batch fails. */
	KUNIT_EXPECT_LT(test, pt_set(vdev, 64, 2), 0);
	/* Attach into a table of its own: its batch fails. */
	KUNIT_EXPECT_LT(test, pt_set(vdev, 200, 1), 0);
	f->drop_waits = false;
	f->unit.qi.timeout_us = 250 * USEC_PER_MSEC;

	KUNIT_EXPECT_FALSE(test, pt_present(vdev, 64));
	KUNIT_EXPECT_FALSE(test, pt_present(vdev, 200));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&f->unit.pt_live), 2);
	KUNIT_EXPECT_EQ(test, vtd_ctx_pt_count(&f->unit), 2);

	/* Attached again, the entry counts again. */
	pt_attach(test, vdev, 64, 64);
	KUNIT_EXPECT_EQ(test, vtd_ctx_pt_count(&f->unit), 1);
	pt_detach(test, vdev, 64, 64);
	KUNIT_EXPECT_EQ(test, vtd_ctx_pt_scan(&f->unit, 128), 2);
	KUNIT_EXPECT_EQ(test, vdev->pasid_dir[1], 0);
	KUNIT_EXPECT_EQ(test, vdev->pasid_dir[3], 0);
	KUNIT_EXPECT_EQ(test, vtd_ctx_pt_count(&f->unit), 0);
}

/*
 * The walker behind debugfs "translate" reads PASID tables through the
 * context and directory entries as an RCU reader.  One CPU walks PASID 64
 * of a device with a reader that waits before each read; the other
 * attaches and detaches PASID 64, sleeps (the walker finds the table),
 * has the shrinker free the table and sleeps again (the walker reads what
 * it found), for two seconds.  The table goes after a grace period; freed
 * at once, KASAN reports the walker's read of it.  The sleeps matter
 * under TCG, whose virtual CPUs take turns on one host thread.
 */
static int pt_race_cycle(void *data)
{
	struct knob_race *r = data;

	while (!kthread_should_stop()) {
		if (!r->err) {
			r->err = pt_set(r->vdev, 64, 1) ?: pt_set(r->vdev, 64, 0);
			usleep_range(KNOB_RACE_READ_DELAY_US,
				     2 * KNOB_RACE_READ_DELAY_US);
			if (!r->err && vtd_ctx_pt_scan(&r->f->unit, 128) != 1)
				r->err = -EAGAIN;
			atomic_inc(&r->cycles);
		}
		usleep_range(KNOB_RACE_READ_DELAY_US,
			     2 * KNOB_RACE_READ_DELAY_US);
	}
	return 0;
}

static void pt_test_walk_vs_reclaim(struct kunit *test)
{
	struct knob_race r = {};
	struct task_struct *walker, *cycler;
	unsigned int cpu0, cpu1;

	knob_race_cpus(test, &cpu0, &cpu1);
	r.f = knob_fake_new(test);
	r.vdev = pt_dev(test, r.f, 0x0d00, 1U << 10);
	r.pasid = 64;

	walker = knob_race_thread(test, knob_race_walker, &r, cpu0);
	cycler = knob_race_thread(test, pt_race_cycle, &r, cpu1);
	msleep(2000);
	kthread_stop(cycler);
	kthread_stop(walker);

	kunit_info(test, "%d walks, %d attach+detach+reclaim cycles\n",
		   atomic_read(&r.walks), atomic_read(&r.cycles));
	KUNIT_EXPECT_EQ(test, r.err, 0);
	KUNIT_EXPECT_GT(test, atomic_read(&r.walks), 10);
	KUNIT_EXPECT_GT(test, atomic_read(&r.cycles), 2);
	KUNIT_EXPECT_EQ(test, atomic64_read(&r.f->unit.pt_reclaimed),
			atomic_read(&r.cycles));
}

/*
 * Blocking a PASID whose table was given back changes nothing in memory
 * (no table reads as not present): it takes no new table.
 */
static void pt_test_blocked_needs_no_table(struct kunit *test)
{
	struct knob_fake *f = knob_fake_new(test);
	struct vtd_dev *vdev = pt_dev(test, f, 0x0e00, 1U << 10);

	pt_attach(test, vdev, 64, 64);
	pt_detach(test, vdev, 64, 64);
	KUNIT_ASSERT_EQ(test, vtd_ctx_pt_scan(&f->unit, 128), 1);
	KUNIT_ASSERT_EQ(test, atomic_long_read(&f->unit.pt_live), 0);
	f->nr = 0;
	KUNIT_EXPECT_EQ(test, pt_set(vdev, 65, 0), 0);
	KUNIT_EXPECT_EQ(test, vdev->pasid_dir[1], 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&f->unit.pt_live), 0);
	KUNIT_EXPECT_EQ(test, vtd_ctx_pt_count(&f->unit), 0);
	KUNIT_EXPECT_EQ(test, f->nr, 0);
	/* A present target still gets its table. */
	KUNIT_EXPECT_EQ(test, pt_set(vdev, 65, 1), 0);
	KUNIT_EXPECT_TRUE(test, pt_present(vdev, 65));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&f->unit.pt_live), 1);
}

/*
 * The tables of a device whose old PASID directory was kept after a
 * failed flush are never freed: they are not offered either.
 */
static void pt_test_keep_not_offered(struct kunit *test)
{
	struct knob_fake *f = knob_fake_new(test);
	struct vtd_dev *vdev = pt_dev(test, f, 0x0f00, 1U << 10);

	pt_attach(test, vdev, 64, 64);
	pt_detach(test, vdev, 64, 64);
	KUNIT_ASSERT_EQ(test, vtd_ctx_pt_count(&f->unit), 1);
	f->drop_waits = true;
	f->unit.qi.timeout_us = 20 * USEC_PER_MSEC;
	KUNIT_ASSERT_EQ(test, vtd_ctx_set_max_pasids(vdev, 1U << 14), -EIO);
	f->drop_waits = false;
	KUNIT_ASSERT_TRUE(test, vdev->pt_keep);
	KUNIT_EXPECT_EQ(test, vtd_ctx_pt_count(&f->unit), 0);
	KUNIT_EXPECT_EQ(test, vtd_ctx_pt_scan(&f->unit, 128), 0);
	/* Tables of the device emptied later are not offered either. */
	pt_attach(test, vdev, 128, 128);
	KUNIT_EXPECT_EQ(test, vtd_ctx_pt_count(&f->unit), 0);
	pt_detach(test, vdev, 128, 128);
	KUNIT_EXPECT_EQ(test, vtd_ctx_pt_count(&f->unit), 0);
	KUNIT_EXPECT_GE(test, atomic_long_read(&f->unit.pt_empty), 0);
}

static struct kunit_case pt_test_cases[] = {
	KUNIT_CASE(pt_test_frees_empty_table),
	KUNIT_CASE(pt_test_keeps_used_table),
	KUNIT_CASE(pt_test_reattach),
	KUNIT_CASE(pt_test_skips_locked),
	KUNIT_CASE(pt_test_batch_fails),
	KUNIT_CASE(pt_test_failed_update),
	KUNIT_CASE_SLOW(pt_test_walk_vs_reclaim),
	KUNIT_CASE(pt_test_blocked_needs_no_table),
	KUNIT_CASE(pt_test_keep_not_offered),
	{}
};

static struct kunit_suite pt_test_suite = {
	.name = "vtd_sm_pt_reclaim",
	.test_cases = pt_test_cases,
};

kunit_test_suites(&knob_test_suite, &pt_test_suite);

MODULE_DESCRIPTION("KUnit tests of the context-entry updates of vtd_sm's debug knobs");
MODULE_LICENSE("GPL");
