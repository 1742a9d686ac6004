// SPDX-License-Identifier: GPL-2.0
/*
 * IOASID (PASID) allocator with sets, quotas and custom allocators.
 *
 * The allocator itself is added on top of this skeleton.
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/module.h>

static int __init ioasid_init(void)
{
	return 0;
}

static void __exit ioasid_exit(void)
{
}

module_init(ioasid_init);
module_exit(ioasid_exit);

MODULE_DESCRIPTION("IOASID allocator with sets, quotas and custom allocators");
MODULE_LICENSE("GPL");
