// SPDX-License-Identifier: GPL-2.0
/*
 * Harness self-test: a module whose only job is to WARN when loaded, so the
 * VM harness can prove that it fails a run on a kernel splat even when every
 * test said ok.  Never loaded outside tools/testing/vm/check-harness.sh.
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init vmtest_warn_init(void)
{
	WARN(1, "vmtest_warn: deliberate warning for the harness self-test\n");
	return 0;
}

static void __exit vmtest_warn_exit(void)
{
}

module_init(vmtest_warn_init);
module_exit(vmtest_warn_exit);

MODULE_DESCRIPTION("VM harness self-test: deliberate WARN at load");
MODULE_LICENSE("GPL");
