// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the context-entry updates behind the debug knobs
 * (rid_pasid, pasid_bits): the fields written in every context entry of a
 * device's directory, the invalidations and that they form one batch,
 * PASID directory growth past the 128 entries a QEMU run never leaves,
 * and the refusals.  Field positions are written out from the VT-d
 * specification, not taken from the driver.
 *
 * A fake unit consumes the invalidation queue and logs each descriptor.
 */
#include <kunit/test.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/kthread.h>

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
}

static struct knob_fake *knob_fake_new(struct kunit *test)
{
	struct knob_fake *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->unit.ecap = VTD_ECAP_C;
	spin_lock_init(&f->unit.ctx_lock);
	xa_init(&f->unit.ctx_users);
	xa_init(&f->unit.devices);
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
		vtd_walk(&ctx, r->vdev->sid, VTD_WALK_NO_PASID, 0,
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

static void knob_test_walk_vs_free(struct kunit *test)
{
	struct knob_race r = {};
	struct task_struct *walker, *knob;
	unsigned int cpu0, cpu1;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	cpu0 = cpumask_first(cpu_online_mask);
	cpu1 = cpumask_next(cpu0, cpu_online_mask);
	r.f = knob_fake_new(test);
	r.vdev = knob_dev(test, r.f, 0x0600, 1);

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

kunit_test_suite(knob_test_suite);

MODULE_DESCRIPTION("KUnit tests of the context-entry updates of vtd_sm's debug knobs");
MODULE_LICENSE("GPL");
