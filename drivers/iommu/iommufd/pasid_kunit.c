// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the PASID layer's rules: iommufd_attach_check() against
 * every situation the rules name, with the errno mainline returns.
 */
#include <kunit/device.h>
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

/* A domain whose set_dev_pasid() fails on chosen devices. */
struct sw_domain {
	struct iommu_domain domain;
	struct iommu_domain_ops ops;
	struct device *dev[2];
	bool fail[2];
	unsigned int calls[2];
};

static int sw_set_dev_pasid(struct iommu_domain *domain, struct device *dev,
			    ioasid_t pasid, struct iommu_domain *old)
{
	struct sw_domain *d = container_of(domain, struct sw_domain, domain);
	int i = dev == d->dev[1];

	d->calls[i]++;
	return d->fail[i] ? -ETIMEDOUT : 0;
}

static struct sw_domain *sw_domain(struct kunit *test, struct device **dev)
{
	struct sw_domain *d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, d);
	d->ops.set_dev_pasid = sw_set_dev_pasid;
	d->domain.ops = &d->ops;
	d->dev[0] = dev[0];
	d->dev[1] = dev[1];
	return d;
}

/*
 * A PASID replace over a group of two: the second device fails the switch,
 * and the first then fails the switch back (an IOMMU can fail an
 * invalidation).  That is noted for the caller, which detaches the PASID,
 * without a WARN; the device that failed is switched back too.
 */
static void pasid_switch_back_fails(struct kunit *test)
{
	struct dev_iommu *di = kunit_kzalloc(test, sizeof(*di), GFP_KERNEL);
	struct device *dev[2];
	struct sw_domain *old, *new;
	struct iommufd_pasid_switch sw = { .pasid = 5 };
	int i;

	KUNIT_ASSERT_NOT_NULL(test, di);
	di->max_pasids = 8;
	for (i = 0; i < 2; i++) {
		dev[i] = kunit_device_register(test, i ? "pasid_sw1" : "pasid_sw0");
		KUNIT_ASSERT_FALSE(test, IS_ERR(dev[i]));
		dev[i]->iommu = di;
	}
	old = sw_domain(test, dev);
	new = sw_domain(test, dev);
	new->fail[1] = true;
	old->fail[0] = true;

	/* Forward, in group order: the second device fails. */
	sw.to = &new->domain;
	sw.from = &old->domain;
	KUNIT_EXPECT_EQ(test, iommufd_pasid_switch_dev(dev[0], &sw), 0);
	KUNIT_EXPECT_EQ(test, iommufd_pasid_switch_dev(dev[1], &sw), -ETIMEDOUT);
	KUNIT_EXPECT_PTR_EQ(test, sw.failed, dev[1]);
	KUNIT_EXPECT_FALSE(test, sw.undo_failed);

	/* Back: the first device fails, the pass goes on to the second. */
	sw.to = &old->domain;
	sw.from = &new->domain;
	sw.undo = true;
	KUNIT_EXPECT_EQ(test, iommufd_pasid_switch_dev(dev[0], &sw), 0);
	KUNIT_EXPECT_TRUE(test, sw.undo_failed);
	/* ...which ends the pass (non-zero stops the group walk). */
	KUNIT_EXPECT_NE(test, iommufd_pasid_switch_dev(dev[1], &sw), 0);
	KUNIT_EXPECT_EQ(test, old->calls[0], 1U);
	KUNIT_EXPECT_EQ(test, old->calls[1], 1U);
	KUNIT_EXPECT_EQ(test, new->calls[0], 1U);
	KUNIT_EXPECT_EQ(test, new->calls[1], 1U);

	/* A switch back that works leaves nothing to do for the caller. */
	sw.undo_failed = false;
	old->fail[0] = false;
	KUNIT_EXPECT_EQ(test, iommufd_pasid_switch_dev(dev[0], &sw), 0);
	KUNIT_EXPECT_FALSE(test, sw.undo_failed);

	for (i = 0; i < 2; i++)
		dev[i]->iommu = NULL;
}

static struct kunit_case iommufd_pasid_rule_cases[] = {
	KUNIT_CASE_PARAM(pasid_rule_test, pasid_rule_gen_params),
	KUNIT_CASE(pasid_switch_back_fails),
	{}
};

static struct kunit_suite iommufd_pasid_rule_suite = {
	.name = "iommufd_pasid_rules",
	.test_cases = iommufd_pasid_rule_cases,
};

kunit_test_suite(iommufd_pasid_rule_suite);

MODULE_DESCRIPTION("KUnit tests of the iommufd PASID layer's rules");
MODULE_LICENSE("GPL");
