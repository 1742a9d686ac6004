// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the root, context and PASID directory/table management:
 * directory sizing, lazily allocated PASID tables, and the context
 * entries as the specification lays them out (checked with the field
 * positions written out here, not with the driver's own macros).
 */
#include <kunit/test.h>
#include <linux/io.h>
#include <linux/pci.h>

#include "pasid_entry.h"
#include "regs.h"
#include "vtd.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/* Scalable-mode context entry, per the VT-d specification. */
#define CE0_P		BIT_ULL(0)
#define CE0_DTE		BIT_ULL(2)
#define CE0_PASIDE	BIT_ULL(3)
#define CE0_PDTS	GENMASK_ULL(11, 9)
#define CE0_DIR		GENMASK_ULL(63, 12)
#define CE1_RID_PASID	GENMASK_ULL(19, 0)

static void ctx_unit_exit(void *data)
{
	vtd_ctx_tables_free(data);
}

static struct vtd_unit *ctx_unit(struct kunit *test)
{
	struct vtd_unit *unit = kunit_kzalloc(test, sizeof(*unit), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, unit);
	/* A coherent unit: no cache flushes needed. */
	unit->ecap = VTD_ECAP_C;
	spin_lock_init(&unit->ctx_lock);
	xa_init(&unit->ctx_users);
	KUNIT_ASSERT_EQ(test, vtd_ctx_tables_alloc(unit), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, ctx_unit_exit, unit), 0);
	return unit;
}

static void ctx_dev_exit(void *data)
{
	struct vtd_dev *vdev = data;

	vtd_ctx_pasid_dir_free(vdev);
	mutex_destroy(&vdev->pasid_lock);
}

static struct vtd_dev *ctx_dev(struct kunit *test, struct vtd_unit *unit,
			       u32 max_pasids)
{
	struct vtd_dev *vdev = kunit_kzalloc(test, sizeof(*vdev), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, vdev);
	vdev->unit = unit;
	vdev->max_pasids = max_pasids;
	mutex_init(&vdev->pasid_lock);
	KUNIT_ASSERT_EQ(test, vtd_ctx_pasid_dir_alloc(vdev), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, ctx_dev_exit, vdev), 0);
	return vdev;
}

/*
 * An empty batch for a queue that is never submitted to.  Both live on the
 * heap: with lockdep the two together make too big a stack frame.
 */
static struct vtd_qi_batch *ctx_batch(struct kunit *test)
{
	struct vtd_qi *dummy = kunit_kzalloc(test, sizeof(*dummy), GFP_KERNEL);
	struct vtd_qi_batch *batch = kunit_kzalloc(test, sizeof(*batch), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, dummy);
	KUNIT_ASSERT_NOT_NULL(test, batch);
	vtd_qi_batch_begin(batch, dummy);
	return batch;
}

static void ctx_test_dir_size(struct kunit *test)
{
	struct vtd_unit *unit = ctx_unit(test);

	/* At least 128 entries: the smallest PDTS can describe. */
	KUNIT_EXPECT_EQ(test, ctx_dev(test, unit, 1)->dir_entries, 128);
	KUNIT_EXPECT_EQ(test, ctx_dev(test, unit, 100 * 64)->dir_entries, 128);
	KUNIT_EXPECT_EQ(test, ctx_dev(test, unit, 200 * 64)->dir_entries, 256);
	KUNIT_EXPECT_EQ(test, ctx_dev(test, unit, 1U << 20)->dir_entries, 16384);
}

static void ctx_test_lazy_tables(struct kunit *test)
{
	struct vtd_unit *unit = ctx_unit(test);
	struct vtd_dev *vdev = ctx_dev(test, unit, 1U << 10);
	struct vtd_pasid_entry *pe0, *pe63, *pe64;
	unsigned int i;

	/* No table until one is asked for. */
	KUNIT_EXPECT_NULL(test, vtd_pasid_entry(vdev, 5, false));
	KUNIT_EXPECT_EQ(test, vdev->pasid_dir[0], 0);

	pe0 = vtd_pasid_entry(vdev, 0, true);
	KUNIT_ASSERT_NOT_NULL(test, pe0);
	KUNIT_EXPECT_TRUE(test, vdev->pasid_dir[0] & BIT_ULL(0));
	KUNIT_EXPECT_EQ(test, vdev->pasid_dir[0] & GENMASK_ULL(63, 12),
			(u64)virt_to_phys(pe0));
	for (i = 0; i < VTD_PASID_ENTRY_QWORDS; i++)
		KUNIT_EXPECT_EQ(test, pe0->val[i], 0);

	/* PASIDs 0-63 share the table; 64 needs the next one. */
	pe63 = vtd_pasid_entry(vdev, 63, false);
	KUNIT_EXPECT_PTR_EQ(test, pe63, pe0 + 63);
	KUNIT_EXPECT_PTR_EQ(test, vtd_pasid_entry(vdev, 0, true), pe0);
	KUNIT_EXPECT_NULL(test, vtd_pasid_entry(vdev, 64, false));
	pe64 = vtd_pasid_entry(vdev, 64, true);
	KUNIT_ASSERT_NOT_NULL(test, pe64);
	KUNIT_EXPECT_EQ(test, vdev->pasid_dir[1] & GENMASK_ULL(63, 12),
			(u64)virt_to_phys(pe64));
	KUNIT_EXPECT_EQ(test, (unsigned long)pe64 & ~PAGE_MASK, 0);

	/* Beyond the directory there is nothing to allocate. */
	KUNIT_EXPECT_NULL(test, vtd_pasid_entry(vdev, 128 * 64, true));
}

static void ctx_test_install(struct kunit *test)
{
	struct vtd_unit *unit = ctx_unit(test);
	struct vtd_dev *a = ctx_dev(test, unit, 1);
	struct vtd_dev *b = ctx_dev(test, unit, 1U << 20);
	struct vtd_qi_batch *batch = ctx_batch(test);
	u64 *ce;

	KUNIT_EXPECT_NULL(test, vtd_ctx_entry(unit, 1, 0x08));
	KUNIT_ASSERT_EQ(test, vtd_ctx_install(a, 0x0108, batch), 0);
	ce = vtd_ctx_entry(unit, 1, 0x08);
	KUNIT_ASSERT_NOT_NULL(test, ce);

	/* Root entry 1, lower half, points at the context table. */
	KUNIT_EXPECT_TRUE(test, unit->root[2] & BIT_ULL(0));
	KUNIT_EXPECT_EQ(test, unit->root[2] & GENMASK_ULL(63, 12),
			(u64)virt_to_phys(ce - 8 * 4));
	KUNIT_EXPECT_EQ(test, unit->root[3], 0);

	KUNIT_EXPECT_TRUE(test, ce[0] & CE0_P);
	KUNIT_EXPECT_FALSE(test, ce[0] & CE0_PASIDE);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CE0_PDTS, ce[0]), 0);
	KUNIT_EXPECT_EQ(test, ce[0] & CE0_DIR, (u64)virt_to_phys(a->pasid_dir));
	KUNIT_EXPECT_EQ(test, FIELD_GET(CE1_RID_PASID, ce[1]), 0);
	KUNIT_EXPECT_EQ(test, ce[2] | ce[3], 0);

	/* The context-cache invalidation for the source-id was queued. */
	KUNIT_ASSERT_EQ(test, batch->n, 1);
	KUNIT_EXPECT_EQ(test, vtd_qi_desc_type(&batch->desc[0]), VTD_QI_CC);
	KUNIT_EXPECT_EQ(test, FIELD_GET(VTD_QI_SID, batch->desc[0].qw[0]), 0x0108);

	/* Same directory again, or another one's: the entry stays. */
	KUNIT_EXPECT_EQ(test, vtd_ctx_install(a, 0x0108, batch), 0);
	KUNIT_EXPECT_EQ(test, vtd_ctx_install(b, 0x0108, batch), 0);
	KUNIT_EXPECT_EQ(test, ce[0] & CE0_DIR, (u64)virt_to_phys(a->pasid_dir));
	KUNIT_EXPECT_EQ(test, batch->n, 1);

	/* devfn 0x88 lives in the upper half; PASIDE and PDTS for 2^20. */
	KUNIT_ASSERT_EQ(test, vtd_ctx_install(b, 0x0188, batch), 0);
	ce = vtd_ctx_entry(unit, 1, 0x88);
	KUNIT_ASSERT_NOT_NULL(test, ce);
	KUNIT_EXPECT_TRUE(test, unit->root[3] & BIT_ULL(0));
	KUNIT_EXPECT_TRUE(test, ce[0] & CE0_PASIDE);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CE0_PDTS, ce[0]), 7);

	/* Removal only by the owner of the entry. */
	vtd_ctx_remove(a, 0x0188, batch);
	KUNIT_EXPECT_TRUE(test, ce[0] & CE0_P);
	vtd_ctx_remove(b, 0x0188, batch);
	KUNIT_EXPECT_FALSE(test, ce[0] & CE0_P);
	KUNIT_EXPECT_EQ(test, batch->n, 3);

	vtd_ctx_remove(b, 0x0108, batch);
	vtd_ctx_remove(a, 0x0108, batch);
	KUNIT_EXPECT_FALSE(test, vtd_ctx_entry(unit, 1, 0x08)[0] & CE0_P);
}

/*
 * Two devices behind a conventional PCI bridge: their DMA carries the
 * bridge's source-id, whose context entry points at the directory of the
 * first to install it.  When that one goes, the entry must move to the
 * other's directory, not disappear under it; only the last one clears it.
 */
static void ctx_test_alias_shared(struct kunit *test)
{
	struct vtd_unit *unit = ctx_unit(test);
	struct vtd_dev *a = ctx_dev(test, unit, 1);
	struct vtd_dev *b = ctx_dev(test, unit, 1U << 10);
	struct vtd_qi_batch *batch = ctx_batch(test);
	const u16 alias = 0x0200;
	u64 *ce;

	a->sid = 0x0308;
	b->sid = 0x0310;
	KUNIT_ASSERT_EQ(test, vtd_ctx_install(a, 0x0308, batch), 0);
	KUNIT_ASSERT_EQ(test, vtd_ctx_install(a, alias, batch), 0);
	KUNIT_ASSERT_EQ(test, vtd_ctx_install(b, 0x0310, batch), 0);
	KUNIT_EXPECT_EQ(test, vtd_ctx_install(b, alias, batch), 0);
	ce = vtd_ctx_entry(unit, 2, 0);
	KUNIT_ASSERT_NOT_NULL(test, ce);
	KUNIT_EXPECT_EQ(test, ce[0] & CE0_DIR, (u64)virt_to_phys(a->pasid_dir));

	/* A PASID 0 change of a reaches the alias's context cache too. */
	batch->n = 0;
	vtd_ctx_add_cc_aliases(a, batch);
	KUNIT_ASSERT_EQ(test, batch->n, 1);
	KUNIT_EXPECT_EQ(test, vtd_qi_desc_type(&batch->desc[0]), VTD_QI_CC);
	KUNIT_EXPECT_EQ(test, FIELD_GET(VTD_QI_SID, batch->desc[0].qw[0]), alias);
	batch->n = 0;
	vtd_ctx_add_cc_aliases(b, batch);
	KUNIT_EXPECT_EQ(test, batch->n, 0);

	/* a goes (as release does): the alias now walks b's directory. */
	batch->n = 0;
	vtd_ctx_remove(a, 0x0308, batch);
	vtd_ctx_remove(a, alias, batch);
	KUNIT_EXPECT_TRUE(test, ce[0] & CE0_P);
	KUNIT_EXPECT_EQ(test, ce[0] & CE0_DIR, (u64)virt_to_phys(b->pasid_dir));
	KUNIT_EXPECT_TRUE(test, ce[0] & CE0_PASIDE);
	KUNIT_EXPECT_EQ(test, FIELD_GET(CE0_PDTS, ce[0]), 0);
	/* ...and the unit is told: context-cache invalidation of the alias. */
	KUNIT_ASSERT_EQ(test, batch->n, 2);
	KUNIT_EXPECT_EQ(test, vtd_qi_desc_type(&batch->desc[1]), VTD_QI_CC);
	KUNIT_EXPECT_EQ(test, FIELD_GET(VTD_QI_SID, batch->desc[1].qw[0]), alias);

	/* a comes back: counted again, the entry stays b's. */
	KUNIT_ASSERT_EQ(test, vtd_ctx_install(a, alias, batch), 0);
	KUNIT_EXPECT_EQ(test, ce[0] & CE0_DIR, (u64)virt_to_phys(b->pasid_dir));
	vtd_ctx_remove(b, alias, batch);
	KUNIT_EXPECT_EQ(test, ce[0] & CE0_DIR, (u64)virt_to_phys(a->pasid_dir));
	KUNIT_EXPECT_FALSE(test, ce[0] & CE0_PASIDE);

	/* The last user clears it. */
	vtd_ctx_remove(a, alias, batch);
	KUNIT_EXPECT_FALSE(test, ce[0] & CE0_P);
	vtd_ctx_remove(b, 0x0310, batch);
}

/*
 * A directory whose context entries went with a failed invalidation may
 * still be walked by the unit: release keeps it (and its tables) alive;
 * after a good one it is freed.
 */
static void ctx_test_dir_release(struct kunit *test)
{
	struct vtd_unit *unit = ctx_unit(test);
	struct vtd_dev *vdev = ctx_dev(test, unit, 1U << 10);
	struct vtd_pasid_entry *pe = vtd_pasid_entry(vdev, 70, true);
	unsigned int entries = vdev->dir_entries;
	u64 *dir = vdev->pasid_dir;

	KUNIT_ASSERT_NOT_NULL(test, pe);
	pe->val[1] = 0x1234;
	vtd_ctx_pasid_dir_release(vdev, -ETIMEDOUT);
	KUNIT_EXPECT_NULL(test, vdev->pasid_dir);
	KUNIT_EXPECT_EQ(test, atomic_read(&unit->quarantined), 1);
	/* Still there (KASAN would report a freed page here). */
	KUNIT_EXPECT_NE(test, READ_ONCE(dir[1]), 0ULL);
	KUNIT_EXPECT_EQ(test, READ_ONCE(pe->val[1]), 0x1234ULL);

	/* The test gives it back; then a good release frees it. */
	vdev->pasid_dir = dir;
	vdev->dir_entries = entries;
	vtd_ctx_pasid_dir_release(vdev, 0);
	KUNIT_EXPECT_NULL(test, vdev->pasid_dir);
	KUNIT_EXPECT_EQ(test, atomic_read(&unit->quarantined), 1);
}

/*
 * DTE (device-TLB enable) in the context entries of a device that may use
 * ATS, and only there; the entry keeps it when another device's entry
 * with the same directory settings is written.
 */
static void ctx_test_dte(struct kunit *test)
{
	struct vtd_unit *unit = ctx_unit(test);
	struct vtd_dev *ats = ctx_dev(test, unit, 1);
	struct vtd_dev *plain = ctx_dev(test, unit, 1);
	struct vtd_qi_batch *batch = ctx_batch(test);

	ats->ats_supported = true;
	KUNIT_ASSERT_EQ(test, vtd_ctx_install(ats, 0x0210, batch), 0);
	KUNIT_ASSERT_EQ(test, vtd_ctx_install(plain, 0x0218, batch), 0);
	KUNIT_EXPECT_TRUE(test, vtd_ctx_entry(unit, 2, 0x10)[0] & CE0_DTE);
	KUNIT_EXPECT_TRUE(test, vtd_ctx_entry(unit, 2, 0x10)[0] & CE0_P);
	KUNIT_EXPECT_FALSE(test, vtd_ctx_entry(unit, 2, 0x18)[0] & CE0_DTE);
	vtd_ctx_remove(plain, 0x0218, batch);
	vtd_ctx_remove(ats, 0x0210, batch);
}

/* Pass-through for devices nobody owns, unless they are untrusted. */
static void ctx_test_def_domain_type(struct kunit *test)
{
	struct pci_dev *pdev = kunit_kzalloc(test, sizeof(*pdev), GFP_KERNEL);
	struct device *plain = kunit_kzalloc(test, sizeof(*plain), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, pdev);
	KUNIT_ASSERT_NOT_NULL(test, plain);
	pdev->dev.bus = &pci_bus_type;
	KUNIT_EXPECT_EQ(test, vtd_def_domain_type(&pdev->dev),
			IOMMU_DOMAIN_IDENTITY);
	pdev->untrusted = 1;
	KUNIT_EXPECT_EQ(test, vtd_def_domain_type(&pdev->dev), IOMMU_DOMAIN_DMA);
	KUNIT_EXPECT_EQ(test, vtd_def_domain_type(plain), IOMMU_DOMAIN_IDENTITY);
}

static struct kunit_case ctx_test_cases[] = {
	KUNIT_CASE(ctx_test_def_domain_type),
	KUNIT_CASE(ctx_test_dir_release),
	KUNIT_CASE(ctx_test_dir_size),
	KUNIT_CASE(ctx_test_lazy_tables),
	KUNIT_CASE(ctx_test_install),
	KUNIT_CASE(ctx_test_alias_shared),
	KUNIT_CASE(ctx_test_dte),
	{}
};

static struct kunit_suite ctx_test_suite = {
	.name = "vtd_sm_context",
	.test_cases = ctx_test_cases,
};

kunit_test_suite(ctx_test_suite);

MODULE_DESCRIPTION("KUnit tests of vtd_sm root, context and PASID tables");
MODULE_LICENSE("GPL");
