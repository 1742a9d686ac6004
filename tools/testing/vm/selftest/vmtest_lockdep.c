// SPDX-License-Identifier: GPL-2.0
/*
 * Harness self-test: a module that takes a spinlock it never initialized.
 * On a kernel with lockdep that makes lockdep switch itself off, which it
 * says in two lines that are neither a BUG nor a WARNING; every lock bug
 * after that goes unreported (the spinlock checks stay quiet too).  The
 * VM harness must fail the run on it.  Never loaded outside
 * tools/testing/vm/check-harness.sh.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

struct vmtest_lockdep {
	spinlock_t lock;	/* never initialized, on purpose */
};

static int __init vmtest_lockdep_init(void)
{
	struct vmtest_lockdep *p = kzalloc(sizeof(*p), GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	/* Deliberately without spin_lock_init(). */
	spin_lock(&p->lock);
	spin_unlock(&p->lock);
	kfree(p);
	return 0;
}

static void __exit vmtest_lockdep_exit(void)
{
}

module_init(vmtest_lockdep_init);
module_exit(vmtest_lockdep_exit);

MODULE_DESCRIPTION("VM harness self-test: lockdep turned off by an uninitialized lock");
MODULE_LICENSE("GPL");
