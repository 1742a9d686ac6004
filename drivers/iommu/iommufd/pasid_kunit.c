// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the PASID layer's rules: iommufd_attach_check() against
 * every situation the rules name, with the errno mainline returns.
 */
#include <kunit/test.h>
#include <linux/iommu.h>
#include <linux/module.h>

#include "iommufd_private.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/**
 * struct pasid_rule_case - one situation and the expected answer
 * @desc: what the case checks
 * @rule: the input
 * @expect: what iommufd_attach_check() must return
 */
struct pasid_rule_case {
	const char *desc;
	struct iommufd_attach_rule rule;
	int expect;
};

#define P(_pasid, _max) .pasid = (_pasid), .max_pasids = (_max)

static const struct pasid_rule_case pasid_rule_cases[] = {
	/* PASID range */
	{ "PASID 2^20 on a 20-bit device",
	  { P(1U << 20, 1U << 20), .new_compat = true }, -EINVAL },
	{ "PASID 2^20 - 1 on a 20-bit device",
	  { P((1U << 20) - 1, 1U << 20), .new_compat = true }, 0 },
	{ "PASID at the device's width",
	  { P(8, 8), .new_compat = true }, -EINVAL },
	{ "last PASID of the device's width",
	  { P(7, 8), .new_compat = true }, 0 },
	{ "PASID 2^20 on a device without a width",
	  { P(1U << 20, 0), .new_compat = true }, -EINVAL },
	{ "PASID on a device without a width",
	  { P(5, 0), .new_compat = true }, 0 },
	{ "PASID on a device of width 1",
	  { P(5, 1), .new_compat = true }, 0 },
	{ "range before busy",
	  { P(8, 8), .attached = true, .new_compat = true }, -EINVAL },
	{ "range before replace of the same HWPT",
	  { P(9, 8), .replace = true, .attached = true, .same = true,
	    .new_compat = true }, -EINVAL },

	/* attach and replace */
	{ "attach on an attached PASID",
	  { P(3, 8), .attached = true, .new_compat = true }, -EBUSY },
	{ "attach on an attached PASID, HWPT not compatible",
	  { P(3, 8), .attached = true }, -EBUSY },
	{ "attach on an attached RID",
	  { P(IOMMU_NO_PASID, 8), .attached = true }, -EBUSY },
	{ "attach the same HWPT again",
	  { P(3, 8), .attached = true, .same = true, .new_compat = true },
	  -EBUSY },
	{ "replace on a free PASID",
	  { P(3, 8), .replace = true, .new_compat = true }, -EINVAL },
	{ "replace on a free RID",
	  { P(IOMMU_NO_PASID, 8), .replace = true, .new_compat = true },
	  -EINVAL },
	{ "replace with the HWPT attached",
	  { P(3, 8), .replace = true, .attached = true, .same = true,
	    .new_compat = true }, IOMMUFD_ATTACH_NOP },
	{ "replace of the RID with the HWPT attached, PASIDs attached",
	  { P(IOMMU_NO_PASID, 8), .replace = true, .attached = true,
	    .same = true, .pasids_attached = true }, IOMMUFD_ATTACH_NOP },
	{ "replace of a PASID",
	  { P(3, 8), .replace = true, .attached = true, .new_compat = true,
	    .pasids_attached = true }, 0 },

	/* PASID compatibility on a PASID */
	{ "PASID attach of a HWPT without IOMMU_HWPT_ALLOC_PASID",
	  { P(3, 8) }, -EINVAL },
	{ "PASID replace with a HWPT without IOMMU_HWPT_ALLOC_PASID",
	  { P(3, 8), .replace = true, .attached = true,
	    .pasids_attached = true }, -EINVAL },
	{ "PASID attach while the RID holds an incompatible HWPT",
	  { P(3, 8), .new_compat = true, .rid_incompat = true }, -EINVAL },
	{ "PASID replace while the RID holds an incompatible HWPT",
	  { P(3, 8), .replace = true, .attached = true, .new_compat = true,
	    .rid_incompat = true, .pasids_attached = true }, -EINVAL },
	{ "PASID attach, RID detached",
	  { P(3, 8), .new_compat = true }, 0 },
	{ "PASID attach next to other PASIDs",
	  { P(3, 8), .new_compat = true, .pasids_attached = true }, 0 },

	/* PASID compatibility on the RID */
	{ "RID attach of an incompatible HWPT, no PASID attached",
	  { P(IOMMU_NO_PASID, 8) }, 0 },
	{ "RID attach of an incompatible HWPT, a PASID attached",
	  { P(IOMMU_NO_PASID, 8), .pasids_attached = true }, -EINVAL },
	{ "RID attach of a compatible HWPT, a PASID attached",
	  { P(IOMMU_NO_PASID, 8), .new_compat = true,
	    .pasids_attached = true }, 0 },
	{ "RID replace to an incompatible HWPT, a PASID attached",
	  { P(IOMMU_NO_PASID, 8), .replace = true, .attached = true,
	    .pasids_attached = true }, -EINVAL },
	{ "RID replace to a compatible HWPT, a PASID attached",
	  { P(IOMMU_NO_PASID, 8), .replace = true, .attached = true,
	    .new_compat = true, .pasids_attached = true }, 0 },
	{ "RID replace from incompatible to incompatible, no PASID",
	  { P(IOMMU_NO_PASID, 8), .replace = true, .attached = true,
	    .rid_incompat = true }, 0 },
	{ "RID of a device without PASIDs",
	  { P(IOMMU_NO_PASID, 0) }, 0 },
	/* IOMMU groups with several devices */
	{ "attach of the HWPT another device of the group attached",
	  { P(3, 8), .same = true, .new_compat = true }, 0 },
	{ "attach of another HWPT than the group's",
	  { P(3, 8), .group_other = true, .new_compat = true }, -EINVAL },
	{ "RID attach of another HWPT than the group's",
	  { P(IOMMU_NO_PASID, 8), .group_other = true }, -EINVAL },
	{ "attach on a PASID the device itself attached, group's HWPT",
	  { P(3, 8), .attached = true, .same = true, .new_compat = true },
	  -EBUSY },
};

static void pasid_rule_desc(const struct pasid_rule_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(pasid_rule, pasid_rule_cases, pasid_rule_desc);

static void pasid_rule_test(struct kunit *test)
{
	const struct pasid_rule_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, iommufd_attach_check(&c->rule), c->expect);
}

/*
 * A PASID replace across a group: iommufd_pasid_switch_dev() runs for each
 * device under the group mutex.  Fake devices and domains stand in for the
 * group's; the driver's set_dev_pasid() fails for @switch_fail_dev.
 */
static struct device *switch_fail_dev;
/* the domain whose set_dev_pasid() fails for @switch_fail_dev; NULL: any */
static struct iommu_domain *switch_fail_domain;
/* set_dev_pasid() calls per device of the env, and the domain last set */
static unsigned int switch_calls[2];
static struct iommu_domain *switch_set[2];

static int switch_set_dev_pasid(struct iommu_domain *domain,
				struct device *dev, ioasid_t pasid,
				struct iommu_domain *old);

static const struct iommu_domain_ops switch_ops = {
	.set_dev_pasid = switch_set_dev_pasid,
};

struct switch_env {
	struct dev_iommu di;
	struct device dev[2];
	struct iommu_domain from, to;
	struct iommu_attach_handle handle;
	struct iommufd_pasid_switch sw;
};

static struct switch_env *switch_env;

/*
 * Like a driver that leaves a PASID blocked when an update fails (vtd_sm
 * after a failed invalidation): the device then has no domain there.
 */
static int switch_set_dev_pasid(struct iommu_domain *domain,
				struct device *dev, ioasid_t pasid,
				struct iommu_domain *old)
{
	int i = dev == &switch_env->dev[1];

	switch_calls[i]++;
	if (dev == switch_fail_dev &&
	    (!switch_fail_domain || domain == switch_fail_domain)) {
		switch_set[i] = NULL;
		return -EIO;
	}
	switch_set[i] = domain;
	return 0;
}

static struct switch_env *switch_env_new(struct kunit *test)
{
	struct switch_env *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, e);
	e->di.max_pasids = 8;
	e->dev[0].iommu = &e->di;
	e->dev[1].iommu = &e->di;
	e->from.ops = &switch_ops;
	e->to.ops = &switch_ops;
	e->handle.domain = &e->from;
	e->sw = (struct iommufd_pasid_switch){
		.to = &e->to, .from = &e->from, .pasid = 5,
		.handle = &e->handle,
	};
	switch_fail_dev = NULL;
	switch_fail_domain = NULL;
	memset(switch_calls, 0, sizeof(switch_calls));
	memset(switch_set, 0, sizeof(switch_set));
	switch_env = e;
	return e;
}

/*
 * The core's handle names the new domain as soon as a device of the group
 * translates with it, within the pass under the group mutex, not after.
 */
static void pasid_switch_moves_handle(struct kunit *test)
{
	struct switch_env *e = switch_env_new(test);

	KUNIT_EXPECT_EQ(test, iommufd_pasid_switch_dev(&e->dev[0], &e->sw), 0);
	KUNIT_EXPECT_PTR_EQ(test, e->handle.domain, &e->to);
	KUNIT_EXPECT_EQ(test, iommufd_pasid_switch_dev(&e->dev[1], &e->sw), 0);
	KUNIT_EXPECT_PTR_EQ(test, e->handle.domain, &e->to);
}

/* A device without PASIDs is skipped and does not move the handle. */
static void pasid_switch_skips_pasidless(struct kunit *test)
{
	struct switch_env *e = switch_env_new(test);

	e->di.max_pasids = 0;
	KUNIT_EXPECT_EQ(test, iommufd_pasid_switch_dev(&e->dev[0], &e->sw), 0);
	KUNIT_EXPECT_PTR_EQ(test, e->handle.domain, &e->from);
}

/* A failed switch is undone, handle included, up to the failed device. */
static void pasid_switch_undo_restores_handle(struct kunit *test)
{
	struct switch_env *e = switch_env_new(test);

	switch_fail_dev = &e->dev[1];
	KUNIT_EXPECT_EQ(test, iommufd_pasid_switch_dev(&e->dev[0], &e->sw), 0);
	KUNIT_EXPECT_EQ(test, iommufd_pasid_switch_dev(&e->dev[1], &e->sw),
			-EIO);
	KUNIT_EXPECT_PTR_EQ(test, e->sw.failed, &e->dev[1]);
	/* the undo pass, as iommufd_pasid_hw_replace() runs it */
	switch_fail_dev = NULL;
	e->sw.to = &e->from;
	e->sw.from = &e->to;
	e->sw.undo = true;
	KUNIT_EXPECT_EQ(test, iommufd_pasid_switch_dev(&e->dev[0], &e->sw), 0);
	KUNIT_EXPECT_PTR_EQ(test, e->handle.domain, &e->from);
	/* the failed device is set back too, and ends the walk */
	KUNIT_EXPECT_GT(test, iommufd_pasid_switch_dev(&e->dev[1], &e->sw), 0);
	KUNIT_EXPECT_PTR_EQ(test, e->handle.domain, &e->from);
	KUNIT_EXPECT_PTR_EQ(test, switch_set[0], &e->from);
	KUNIT_EXPECT_PTR_EQ(test, switch_set[1], &e->from);
	KUNIT_EXPECT_FALSE(test, e->sw.undo_failed);
}

/*
 * The forward switch fails on the second device, which the driver leaves
 * blocked, and setting the old domain back fails on it too (an IOMMU can
 * fail an invalidation).  That is no WARN but a result for the caller,
 * which then detaches the PASID from the group; the first device is set
 * back all the same.
 */
static void pasid_switch_back_fails(struct kunit *test)
{
	struct switch_env *e = switch_env_new(test);

	switch_fail_dev = &e->dev[1];
	KUNIT_EXPECT_EQ(test, iommufd_pasid_switch_dev(&e->dev[0], &e->sw), 0);
	KUNIT_EXPECT_EQ(test, iommufd_pasid_switch_dev(&e->dev[1], &e->sw),
			-EIO);
	KUNIT_EXPECT_FALSE(test, e->sw.undo_failed);

	e->sw.to = &e->from;
	e->sw.from = &e->to;
	e->sw.undo = true;
	KUNIT_EXPECT_EQ(test, iommufd_pasid_switch_dev(&e->dev[0], &e->sw), 0);
	KUNIT_EXPECT_FALSE(test, e->sw.undo_failed);
	KUNIT_EXPECT_GT(test, iommufd_pasid_switch_dev(&e->dev[1], &e->sw), 0);
	KUNIT_EXPECT_TRUE(test, e->sw.undo_failed);
	KUNIT_EXPECT_EQ(test, switch_calls[0], 2U);
	KUNIT_EXPECT_EQ(test, switch_calls[1], 2U);
	KUNIT_EXPECT_PTR_EQ(test, switch_set[0], &e->from);
	KUNIT_EXPECT_NULL(test, switch_set[1]);
}

/* Only the switch back of the first device fails: still noted. */
static void pasid_switch_back_fails_first(struct kunit *test)
{
	struct switch_env *e = switch_env_new(test);

	switch_fail_dev = &e->dev[1];
	switch_fail_domain = &e->to;
	KUNIT_EXPECT_EQ(test, iommufd_pasid_switch_dev(&e->dev[0], &e->sw), 0);
	KUNIT_EXPECT_EQ(test, iommufd_pasid_switch_dev(&e->dev[1], &e->sw),
			-EIO);
	switch_fail_dev = &e->dev[0];
	switch_fail_domain = &e->from;
	e->sw.to = &e->from;
	e->sw.from = &e->to;
	e->sw.undo = true;
	KUNIT_EXPECT_EQ(test, iommufd_pasid_switch_dev(&e->dev[0], &e->sw), 0);
	KUNIT_EXPECT_TRUE(test, e->sw.undo_failed);
	KUNIT_EXPECT_GT(test, iommufd_pasid_switch_dev(&e->dev[1], &e->sw), 0);
	KUNIT_EXPECT_PTR_EQ(test, switch_set[1], &e->from);
}

static struct iommufd_device *devs_dev(struct kunit *test, u32 id)
{
	struct iommufd_device *idev = kunit_kzalloc(test, sizeof(*idev),
						    GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, idev);
	idev->obj.id = id;
	return idev;
}

/* How many devices a walk of @devs visits, and whether it saw @idev. */
static unsigned int devs_walk(struct iommufd_pasid_devs *devs,
			      struct iommufd_device *idev, bool *seen)
{
	struct iommufd_device *each;
	unsigned int n = 0;
	unsigned long pos;

	*seen = false;
	for (pos = 0; (each = iommufd_pasid_devs_next(devs, &pos)); pos++) {
		n++;
		*seen |= each == idev;
	}
	return n;
}

/* One device per PASID, the common case, allocates nothing. */
static void pasid_devs_one_inline(struct kunit *test)
{
	struct iommufd_device *a = devs_dev(test, 7), *b = devs_dev(test, 3);
	struct iommufd_pasid_devs devs = {};
	bool seen;

	KUNIT_EXPECT_TRUE(test, iommufd_pasid_devs_empty(&devs));
	KUNIT_EXPECT_EQ(test, devs_walk(&devs, a, &seen), 0U);
	KUNIT_ASSERT_EQ(test, iommufd_pasid_devs_add(&devs, a), 0);
	KUNIT_EXPECT_NULL(test, devs.more);
	KUNIT_EXPECT_TRUE(test, iommufd_pasid_devs_has(&devs, a));
	KUNIT_EXPECT_FALSE(test, iommufd_pasid_devs_has(&devs, b));
	KUNIT_EXPECT_FALSE(test, iommufd_pasid_devs_empty(&devs));
	KUNIT_EXPECT_EQ(test, devs_walk(&devs, a, &seen), 1U);
	KUNIT_EXPECT_TRUE(test, seen);
	KUNIT_EXPECT_EQ(test, iommufd_pasid_devs_add(&devs, a), -EBUSY);
	KUNIT_EXPECT_NULL(test, devs.more);
	iommufd_pasid_devs_del(&devs, a);
	KUNIT_EXPECT_TRUE(test, iommufd_pasid_devs_empty(&devs));
	KUNIT_EXPECT_FALSE(test, iommufd_pasid_devs_has(&devs, a));
	iommufd_pasid_devs_destroy(&devs);
}

/*
 * Several devices of a group at one PASID: each is found, walked once and
 * deleted alone, whichever of them went inline.
 */
static void pasid_devs_several(struct kunit *test)
{
	struct iommufd_device *a = devs_dev(test, 7), *b = devs_dev(test, 3);
	struct iommufd_device *c = devs_dev(test, 12), *b2 = devs_dev(test, 3);
	struct iommufd_pasid_devs devs = {};
	struct iommufd_device *each;
	unsigned int n = 0;
	unsigned long pos;
	bool seen;

	KUNIT_ASSERT_EQ(test, iommufd_pasid_devs_add(&devs, a), 0);
	KUNIT_ASSERT_EQ(test, iommufd_pasid_devs_add(&devs, b), 0);
	KUNIT_ASSERT_EQ(test, iommufd_pasid_devs_add(&devs, c), 0);
	KUNIT_EXPECT_NOT_NULL(test, devs.more);
	KUNIT_EXPECT_EQ(test, iommufd_pasid_devs_add(&devs, b), -EBUSY);
	/* Another device with b's ID is not b. */
	KUNIT_EXPECT_EQ(test, iommufd_pasid_devs_add(&devs, b2), -EBUSY);
	KUNIT_EXPECT_FALSE(test, iommufd_pasid_devs_has(&devs, b2));
	KUNIT_EXPECT_EQ(test, devs_walk(&devs, c, &seen), 3U);
	KUNIT_EXPECT_TRUE(test, seen);

	/* The inline one goes; the others stay. */
	iommufd_pasid_devs_del(&devs, a);
	KUNIT_EXPECT_FALSE(test, iommufd_pasid_devs_has(&devs, a));
	KUNIT_EXPECT_TRUE(test, iommufd_pasid_devs_has(&devs, b));
	KUNIT_EXPECT_TRUE(test, iommufd_pasid_devs_has(&devs, c));
	KUNIT_EXPECT_FALSE(test, iommufd_pasid_devs_empty(&devs));
	KUNIT_EXPECT_EQ(test, devs_walk(&devs, a, &seen), 2U);
	KUNIT_EXPECT_FALSE(test, seen);
	/* ...and one in the array. */
	iommufd_pasid_devs_del(&devs, c);
	KUNIT_EXPECT_EQ(test, devs_walk(&devs, b, &seen), 1U);
	KUNIT_EXPECT_TRUE(test, seen);
	/* A device coming back takes the free inline slot. */
	KUNIT_ASSERT_EQ(test, iommufd_pasid_devs_add(&devs, a), 0);
	KUNIT_EXPECT_PTR_EQ(test, devs.one, a);
	KUNIT_ASSERT_EQ(test, iommufd_pasid_devs_add(&devs, c), 0);
	KUNIT_EXPECT_EQ(test, devs_walk(&devs, c, &seen), 3U);

	/* Deleting during the walk visits and removes each once. */
	for (pos = 0; (each = iommufd_pasid_devs_next(&devs, &pos)); pos++) {
		iommufd_pasid_devs_del(&devs, each);
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, 3U);
	KUNIT_EXPECT_TRUE(test, iommufd_pasid_devs_empty(&devs));
	iommufd_pasid_devs_destroy(&devs);
	KUNIT_EXPECT_NULL(test, devs.more);
}

static struct kunit_case iommufd_pasid_rule_cases[] = {
	KUNIT_CASE_PARAM(pasid_rule_test, pasid_rule_gen_params),
	KUNIT_CASE(pasid_switch_moves_handle),
	KUNIT_CASE(pasid_switch_skips_pasidless),
	KUNIT_CASE(pasid_switch_undo_restores_handle),
	KUNIT_CASE(pasid_switch_back_fails),
	KUNIT_CASE(pasid_switch_back_fails_first),
	KUNIT_CASE(pasid_devs_one_inline),
	KUNIT_CASE(pasid_devs_several),
	{}
};

static struct kunit_suite iommufd_pasid_rule_suite = {
	.name = "iommufd_pasid_rules",
	.test_cases = iommufd_pasid_rule_cases,
};

kunit_test_suite(iommufd_pasid_rule_suite);

MODULE_DESCRIPTION("KUnit tests of the iommufd PASID layer's rules");
MODULE_LICENSE("GPL");
