// SPDX-License-Identifier: GPL-2.0
/*
 * Harness self-test: one test that passes, one that fails and one that
 * skips, so the VM harness can prove it counts each of them.
 */
#include "kselftest_harness.h"

TEST(passes)
{
	ASSERT_EQ(2, 1 + 1);
}

TEST(fails)
{
	ASSERT_EQ(3, 1 + 1);
}

TEST(skips)
{
	SKIP(return, "deliberately skipped");
}

TEST_HARNESS_MAIN
