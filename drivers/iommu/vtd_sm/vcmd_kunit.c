// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the VT-d virtual command PASID allocator.
 *
 * A fake register file stands in for a virtual remapping unit.  Behind it a
 * fake host owns a small PASID pool and executes each command when VCMD_REG
 * is written; the response becomes visible at once, after a number of
 * reads of VCRSP_REG, or not at all while the unit is hung.
 */
#include <kunit/test.h>
#include <linux/bitfield.h>
#include <linux/bitmap.h>

#include "regs.h"
#include "vcmd.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define FAKE_POOL_BASE		0x200
#define FAKE_POOL_SIZE		4
#define FAKE_TIMEOUT_US		2000

struct fake_host {
	DECLARE_BITMAP(used, FAKE_POOL_SIZE);
	unsigned int nr_bad_free;
};

struct fake_unit {
	struct vtd_vcmd vcmd;
	struct fake_host *host;
	u64 vcrsp;		/* what VCRSP_REG reads as */
	u64 pending;		/* the response once the command completes */
	unsigned int delay;	/* reads of VCRSP_REG that still see IP */
	unsigned int polls_left;
	bool hung;		/* the command never completes */
	unsigned int nr_cmds;
	unsigned int nr_busy_writes;
	u64 last_cmd;
};

/*
 * The fake host decodes and answers with the VT-d 3.3 layout written out as
 * literal numbers, not with the driver's macros, so that a layout mistake
 * in vcmd.h cannot be shared by the test: command in bits 7:0, operand and
 * result from bit 16, status code in bits 7:1 (16: no/invalid PASID).
 */
#define FAKE_RSP_NO_PASID	(16ULL << 1)

static u64 fake_host_exec(struct fake_host *host, u64 cmd)
{
	u64 operand = cmd >> 16;
	unsigned int bit;

	switch (cmd & 0xff) {
	case 1:		/* allocate PASID */
		bit = find_first_zero_bit(host->used, FAKE_POOL_SIZE);
		if (bit >= FAKE_POOL_SIZE)
			return FAKE_RSP_NO_PASID;
		set_bit(bit, host->used);
		return (u64)(FAKE_POOL_BASE + bit) << 16;
	case 2:		/* free PASID */
		if (operand < FAKE_POOL_BASE ||
		    operand >= FAKE_POOL_BASE + FAKE_POOL_SIZE ||
		    !test_and_clear_bit(operand - FAKE_POOL_BASE, host->used)) {
			host->nr_bad_free++;
			return FAKE_RSP_NO_PASID;
		}
		return 0;
	default:
		return 3ULL << 1;
	}
}

static u64 fake_read64(struct vtd_vcmd *vcmd, unsigned int off)
{
	struct fake_unit *u = container_of(vcmd, struct fake_unit, vcmd);

	switch (off) {
	case 0xe30:		/* VCCAP_REG */
		return VTD_VCCAP_PAS;
	case 0xe10:		/* VCRSP_REG */
		if ((u->vcrsp & VTD_VCRSP_IP) && !u->hung) {
			if (u->polls_left)
				u->polls_left--;
			else
				u->vcrsp = u->pending;
		}
		return u->vcrsp;
	default:
		return 0;
	}
}

static void fake_write64(struct vtd_vcmd *vcmd, unsigned int off, u64 val)
{
	struct fake_unit *u = container_of(vcmd, struct fake_unit, vcmd);

	if (off != 0xe00)	/* VCMD_REG */
		return;
	if (u->vcrsp & VTD_VCRSP_IP) {
		/* The interface takes one command at a time. */
		u->nr_busy_writes++;
		return;
	}
	u->nr_cmds++;
	u->last_cmd = val;
	u->pending = fake_host_exec(u->host, val);
	u->polls_left = u->delay;
	if (u->hung || u->delay)
		u->vcrsp = VTD_VCRSP_IP;
	else
		u->vcrsp = u->pending;
}

static const struct vtd_vcmd_reg_ops fake_ops = {
	.read64 = fake_read64,
	.write64 = fake_write64,
};

static struct fake_host *fake_host_new(struct kunit *test)
{
	struct fake_host *host = kunit_kzalloc(test, sizeof(*host), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, host);
	return host;
}

/*
 * Tests that expect a command to complete use the default timeout, which
 * is never reached; only tests of the timeout path use a short one.
 */
static struct fake_unit *fake_unit_new(struct kunit *test,
				       struct fake_host *host,
				       unsigned long timeout_us)
{
	struct fake_unit *u = kunit_kzalloc(test, sizeof(*u), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, u);
	u->host = host;
	vtd_vcmd_init(&u->vcmd, &fake_ops, NULL, timeout_us);
	return u;
}

static bool in_pool(ioasid_t id)
{
	return id >= FAKE_POOL_BASE && id < FAKE_POOL_BASE + FAKE_POOL_SIZE;
}

static void vcmd_test_supported(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, vtd_vcmd_supported(VTD_ECAP_VCS, VTD_VCCAP_PAS));
	KUNIT_EXPECT_FALSE(test, vtd_vcmd_supported(0, VTD_VCCAP_PAS));
	KUNIT_EXPECT_FALSE(test, vtd_vcmd_supported(VTD_ECAP_VCS, 0));
	KUNIT_EXPECT_FALSE(test, vtd_vcmd_supported(~VTD_ECAP_VCS, ~0ULL));
	KUNIT_EXPECT_FALSE(test, vtd_vcmd_supported(~0ULL, ~VTD_VCCAP_PAS));
}

static void vcmd_test_alloc_free(struct kunit *test)
{
	struct fake_host *host = fake_host_new(test);
	struct fake_unit *u = fake_unit_new(test, host, 0);
	ioasid_t ids[FAKE_POOL_SIZE], extra = INVALID_IOASID;
	unsigned int i, j, nr;

	for (i = 0; i < FAKE_POOL_SIZE; i++) {
		KUNIT_ASSERT_EQ(test, vtd_vcmd_alloc_pasid(&u->vcmd, &ids[i]), 0);
		KUNIT_EXPECT_TRUE(test, in_pool(ids[i]));
		KUNIT_EXPECT_EQ(test, FIELD_GET(VTD_VCMD_CMD, u->last_cmd),
				VTD_VCMD_ALLOC_PASID);
		for (j = 0; j < i; j++)
			KUNIT_EXPECT_NE(test, ids[i], ids[j]);
	}
	KUNIT_EXPECT_TRUE(test, bitmap_full(host->used, FAKE_POOL_SIZE));

	/* Exhausted: no PASID is invented. */
	KUNIT_EXPECT_EQ(test, vtd_vcmd_alloc_pasid(&u->vcmd, &extra), -ENOSPC);
	KUNIT_EXPECT_EQ(test, extra, INVALID_IOASID);

	for (i = 0; i < FAKE_POOL_SIZE; i++) {
		KUNIT_EXPECT_EQ(test, vtd_vcmd_free_pasid(&u->vcmd, ids[i]), 0);
		KUNIT_EXPECT_EQ(test, u->last_cmd, 2 | (u64)ids[i] << 16);
	}
	KUNIT_EXPECT_TRUE(test, bitmap_empty(host->used, FAKE_POOL_SIZE));

	/* A PASID the host does not hold is refused. */
	KUNIT_EXPECT_EQ(test, vtd_vcmd_free_pasid(&u->vcmd, ids[0]), -EINVAL);
	KUNIT_EXPECT_EQ(test, host->nr_bad_free, 1);
	/* One that cannot be encoded never reaches the host. */
	nr = u->nr_cmds;
	KUNIT_EXPECT_EQ(test, vtd_vcmd_free_pasid(&u->vcmd, 1U << 20), -EINVAL);
	KUNIT_EXPECT_EQ(test, u->nr_cmds, nr);
	KUNIT_EXPECT_EQ(test, u->nr_busy_writes, 0);

	vtd_vcmd_destroy(&u->vcmd);
}

static void vcmd_test_delayed(struct kunit *test)
{
	struct fake_host *host = fake_host_new(test);
	struct fake_unit *u = fake_unit_new(test, host, 0);
	ioasid_t id;

	u->delay = 5;
	KUNIT_ASSERT_EQ(test, vtd_vcmd_alloc_pasid(&u->vcmd, &id), 0);
	KUNIT_EXPECT_TRUE(test, in_pool(id));
	/* The driver kept polling until the fake reported completion. */
	KUNIT_EXPECT_EQ(test, u->polls_left, 0);
	KUNIT_EXPECT_FALSE(test, u->vcrsp & VTD_VCRSP_IP);
	KUNIT_EXPECT_EQ(test, vtd_vcmd_free_pasid(&u->vcmd, id), 0);
	KUNIT_EXPECT_TRUE(test, bitmap_empty(host->used, FAKE_POOL_SIZE));
	KUNIT_EXPECT_EQ(test, u->nr_busy_writes, 0);
	vtd_vcmd_destroy(&u->vcmd);
}

static void vcmd_test_timeout(struct kunit *test)
{
	struct fake_host *host = fake_host_new(test);
	struct fake_unit *u = fake_unit_new(test, host, FAKE_TIMEOUT_US);
	ioasid_t id = INVALID_IOASID, id2;
	unsigned int nr;

	u->hung = true;
	KUNIT_EXPECT_EQ(test, vtd_vcmd_alloc_pasid(&u->vcmd, &id), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, id, INVALID_IOASID);
	KUNIT_EXPECT_FALSE(test, mutex_is_locked(&u->vcmd.lock));
	/* The host did allocate one. */
	KUNIT_EXPECT_EQ(test, bitmap_weight(host->used, FAKE_POOL_SIZE), 1);

	/* While the unit is busy no new command is written. */
	nr = u->nr_cmds;
	KUNIT_EXPECT_EQ(test, vtd_vcmd_alloc_pasid(&u->vcmd, &id), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, vtd_vcmd_free_pasid(&u->vcmd, FAKE_POOL_BASE),
			-ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, u->nr_cmds, nr);
	KUNIT_EXPECT_EQ(test, u->nr_busy_writes, 0);
	KUNIT_EXPECT_FALSE(test, mutex_is_locked(&u->vcmd.lock));

	/*
	 * Once the host recovers, the next command works and the PASID of the
	 * timed-out allocation goes back to the host first.
	 */
	u->hung = false;
	KUNIT_ASSERT_EQ(test, vtd_vcmd_alloc_pasid(&u->vcmd, &id), 0);
	KUNIT_EXPECT_TRUE(test, in_pool(id));
	KUNIT_EXPECT_EQ(test, u->nr_cmds, nr + 2);
	KUNIT_EXPECT_EQ(test, bitmap_weight(host->used, FAKE_POOL_SIZE), 1);
	KUNIT_EXPECT_EQ(test, host->nr_bad_free, 0);

	/* A release that times out is not retried on its own. */
	u->hung = true;
	KUNIT_EXPECT_EQ(test, vtd_vcmd_free_pasid(&u->vcmd, id), -ETIMEDOUT);
	u->hung = false;
	nr = u->nr_cmds;
	KUNIT_ASSERT_EQ(test, vtd_vcmd_alloc_pasid(&u->vcmd, &id2), 0);
	KUNIT_EXPECT_EQ(test, u->nr_cmds, nr + 1);
	KUNIT_EXPECT_EQ(test, vtd_vcmd_free_pasid(&u->vcmd, id2), 0);
	KUNIT_EXPECT_TRUE(test, bitmap_empty(host->used, FAKE_POOL_SIZE));
	KUNIT_EXPECT_EQ(test, u->nr_busy_writes, 0);
	vtd_vcmd_destroy(&u->vcmd);
}

/* Register @u, or skip when other users hold IDs of the default allocator. */
static void register_or_skip(struct kunit *test, struct fake_unit *u)
{
	int ret;

	ioasid_flush_frees();
	ret = vtd_vcmd_register(&u->vcmd);
	if (ret == -EAGAIN) {
		vtd_vcmd_destroy(&u->vcmd);
		kunit_skip(test, "other users hold %lu IDs",
			   ioasid_nr_allocated());
	}
	KUNIT_ASSERT_EQ(test, ret, 0);
}

static void vcmd_test_ioasid(struct kunit *test)
{
	struct fake_host *host = fake_host_new(test);
	struct fake_unit *u = fake_unit_new(test, host, 0);
	ioasid_t ids[FAKE_POOL_SIZE], id;
	struct ioasid_set *set;
	unsigned int i, nr;

	register_or_skip(test, u);
	set = ioasid_set_alloc(test, 2 * FAKE_POOL_SIZE);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, set);

	for (i = 0; i < FAKE_POOL_SIZE; i++) {
		ids[i] = ioasid_alloc(set, 1, (1U << 20) - 1, NULL);
		KUNIT_EXPECT_TRUE(test, in_pool(ids[i]));
	}
	KUNIT_EXPECT_TRUE(test, bitmap_full(host->used, FAKE_POOL_SIZE));
	/* The host is out of PASIDs, so ioasid_alloc() fails. */
	KUNIT_EXPECT_EQ(test, ioasid_alloc(set, 1, (1U << 20) - 1, NULL),
			INVALID_IOASID);

	/* The last put sends the ID back to the host. */
	KUNIT_EXPECT_EQ(test, ioasid_put(set, ids[0]), 1);
	ioasid_flush_frees();
	KUNIT_EXPECT_FALSE(test, test_bit(ids[0] - FAKE_POOL_BASE, host->used));

	/* A host PASID outside the caller's range is returned at once. */
	KUNIT_EXPECT_EQ(test, ioasid_alloc(set, 1, FAKE_POOL_BASE - 1, NULL),
			INVALID_IOASID);
	KUNIT_EXPECT_EQ(test, bitmap_weight(host->used, FAKE_POOL_SIZE),
			FAKE_POOL_SIZE - 1);

	ioasid_set_free(set);
	ioasid_flush_frees();
	KUNIT_EXPECT_TRUE(test, bitmap_empty(host->used, FAKE_POOL_SIZE));
	KUNIT_EXPECT_EQ(test, host->nr_bad_free, 0);

	/* Back on the default allocator: the fake sees no more commands. */
	KUNIT_EXPECT_EQ(test, vtd_vcmd_unregister(&u->vcmd), 0);
	nr = u->nr_cmds;
	set = ioasid_set_alloc(test, 1);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, set);
	id = ioasid_alloc(set, FAKE_POOL_BASE, FAKE_POOL_BASE, NULL);
	KUNIT_EXPECT_EQ(test, id, FAKE_POOL_BASE);
	KUNIT_EXPECT_EQ(test, u->nr_cmds, nr);
	ioasid_set_free(set);
	ioasid_flush_frees();
	KUNIT_EXPECT_EQ(test, u->nr_cmds, nr);
	vtd_vcmd_destroy(&u->vcmd);
}

static void vcmd_test_ioasid_group(struct kunit *test)
{
	struct fake_host *host = fake_host_new(test);
	struct fake_unit *a = fake_unit_new(test, host, 0);
	struct fake_unit *b = fake_unit_new(test, host, 0);
	ioasid_t x, y;
	struct ioasid_set *set;
	unsigned int nr_a, nr_b;

	register_or_skip(test, a);
	/* A second unit of the same guest joins the group. */
	KUNIT_ASSERT_EQ(test, vtd_vcmd_register(&b->vcmd), 0);

	set = ioasid_set_alloc(test, FAKE_POOL_SIZE);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, set);
	x = ioasid_alloc(set, 1, (1U << 20) - 1, NULL);
	KUNIT_EXPECT_TRUE(test, in_pool(x));
	KUNIT_EXPECT_EQ(test, a->nr_cmds + b->nr_cmds, 1);

	/* The group carries on through the remaining unit. */
	KUNIT_EXPECT_EQ(test, vtd_vcmd_unregister(&a->vcmd), 0);
	nr_a = a->nr_cmds;
	nr_b = b->nr_cmds;
	y = ioasid_alloc(set, 1, (1U << 20) - 1, NULL);
	KUNIT_EXPECT_TRUE(test, in_pool(y));
	KUNIT_EXPECT_NE(test, x, y);
	KUNIT_EXPECT_EQ(test, a->nr_cmds, nr_a);
	KUNIT_EXPECT_EQ(test, b->nr_cmds, nr_b + 1);

	ioasid_set_free(set);
	ioasid_flush_frees();
	KUNIT_EXPECT_TRUE(test, bitmap_empty(host->used, FAKE_POOL_SIZE));
	KUNIT_EXPECT_EQ(test, a->nr_cmds, nr_a);
	KUNIT_EXPECT_EQ(test, vtd_vcmd_unregister(&b->vcmd), 0);
	KUNIT_EXPECT_EQ(test, vtd_vcmd_unregister(&b->vcmd), -ENOENT);
	vtd_vcmd_destroy(&a->vcmd);
	vtd_vcmd_destroy(&b->vcmd);
}

static struct kunit_case vcmd_test_cases[] = {
	KUNIT_CASE(vcmd_test_supported),
	KUNIT_CASE(vcmd_test_alloc_free),
	KUNIT_CASE(vcmd_test_delayed),
	KUNIT_CASE(vcmd_test_timeout),
	KUNIT_CASE(vcmd_test_ioasid),
	KUNIT_CASE(vcmd_test_ioasid_group),
	{}
};

static struct kunit_suite vcmd_test_suite = {
	.name = "vtd_sm_vcmd",
	.test_cases = vcmd_test_cases,
};

kunit_test_suite(vcmd_test_suite);

MODULE_DESCRIPTION("KUnit tests for the vtd_sm virtual command PASID allocator");
MODULE_LICENSE("GPL");
