// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the decoding of the VT-d capability registers.
 */
#include <kunit/test.h>

#include "regs.h"

static void vtd_regs_test_mgaw(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vtd_cap_mgaw(FIELD_PREP(VTD_CAP_MGAW, 38)), 39);
	KUNIT_EXPECT_EQ(test, vtd_cap_mgaw(FIELD_PREP(VTD_CAP_MGAW, 47)), 48);
	KUNIT_EXPECT_EQ(test, vtd_cap_mgaw(0), 1);
}

static void vtd_regs_test_pasid_bits(struct kunit *test)
{
	u64 ecap = FIELD_PREP(VTD_ECAP_PSS, 19);

	/* PSS means nothing unless the PASID bit is set. */
	KUNIT_EXPECT_EQ(test, vtd_ecap_pasid_bits(ecap), 0);
	KUNIT_EXPECT_EQ(test, vtd_ecap_pasid_bits(ecap | VTD_ECAP_PASID), 20);
	KUNIT_EXPECT_EQ(test, vtd_ecap_pasid_bits(VTD_ECAP_PASID), 1);
}

static void vtd_regs_test_sl_levels(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vtd_cap_sl_max_levels(0), 0);
	KUNIT_EXPECT_EQ(test, vtd_cap_sl_max_levels(FIELD_PREP(VTD_CAP_SAGAW, 0x2)), 3);
	KUNIT_EXPECT_EQ(test, vtd_cap_sl_max_levels(FIELD_PREP(VTD_CAP_SAGAW, 0x6)), 4);
	KUNIT_EXPECT_EQ(test, vtd_cap_sl_max_levels(FIELD_PREP(VTD_CAP_SAGAW, 0xe)), 5);
	/* Bit 0 (2-level, 30 bits) and bit 4 are reserved. */
	KUNIT_EXPECT_EQ(test, vtd_cap_sl_max_levels(FIELD_PREP(VTD_CAP_SAGAW, 0x11)), 0);
}

static void vtd_regs_test_fault_regs(struct kunit *test)
{
	u64 cap = FIELD_PREP(VTD_CAP_FRO, 0x22) | FIELD_PREP(VTD_CAP_NFR, 7);

	KUNIT_EXPECT_EQ(test, vtd_cap_fault_reg_offset(cap), 0x220);
	KUNIT_EXPECT_EQ(test, vtd_cap_num_fault_regs(cap), 8);
}

/* The fields the invalidation and coherency paths read, per the spec. */
static void vtd_regs_test_inv_fields(struct kunit *test)
{
	/* CAP: PSI is bit 39, MAMV bits 53:48. */
	KUNIT_EXPECT_EQ(test, VTD_CAP_PSI, 0x0000008000000000ULL);
	KUNIT_EXPECT_EQ(test, VTD_CAP_MAMV, 0x003f000000000000ULL);
	/* ECAP: C is bit 0, SMPWC bit 48. */
	KUNIT_EXPECT_EQ(test, VTD_ECAP_C, 0x1ULL);
	KUNIT_EXPECT_EQ(test, VTD_ECAP_SMPWC, 0x0001000000000000ULL);
}

static struct kunit_case vtd_regs_test_cases[] = {
	KUNIT_CASE(vtd_regs_test_inv_fields),
	KUNIT_CASE(vtd_regs_test_mgaw),
	KUNIT_CASE(vtd_regs_test_pasid_bits),
	KUNIT_CASE(vtd_regs_test_sl_levels),
	KUNIT_CASE(vtd_regs_test_fault_regs),
	{}
};

static struct kunit_suite vtd_regs_test_suite = {
	.name = "vtd_sm_regs",
	.test_cases = vtd_regs_test_cases,
};

kunit_test_suite(vtd_regs_test_suite);

MODULE_DESCRIPTION("KUnit tests for vtd_sm");
MODULE_LICENSE("GPL");
