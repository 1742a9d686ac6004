// SPDX-License-Identifier: GPL-2.0
/*
 * Scalable-mode root and context tables, and the per-device PASID
 * directory with its lazily allocated PASID tables.
 *
 * Root entry (128 bits) for bus B: the lower half points at the context
 * table of devfn 0-127, the upper half at the one of devfn 128-255.  A
 * scalable-mode context entry (256 bits) points at the device's PASID
 * directory; each 64-bit directory entry points at a 4 KiB PASID table
 * of 64 entries of 512 bits.  A PASID table is allocated the first time
 * one of its PASIDs is programmed.  It lives as long as the directory,
 * unless it has no present entry when memory runs short: then the unit's
 * shrinker may give it back (see "PASID table reclaim" below).
 */
#define pr_fmt(fmt) "vtd_sm: " fmt

#include <linux/bitfield.h>
#include <linux/gfp.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/rcupdate.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <asm/cacheflush.h>
#include <kunit/visibility.h>

#include "pasid_entry.h"
#include "regs.h"
#include "vtd.h"

#define VTD_ROOT_P		BIT_ULL(0)
#define VTD_TABLE_ADDR		GENMASK_ULL(63, 12)

#define VTD_CTX_P		BIT_ULL(0)
#define VTD_CTX_FPD		BIT_ULL(1)
#define VTD_CTX_DTE		BIT_ULL(2)
#define VTD_CTX_PASIDE		BIT_ULL(3)
#define VTD_CTX_PRE		BIT_ULL(4)
#define VTD_CTX_PDTS		GENMASK_ULL(11, 9)
#define VTD_CTX_RID_PASID	GENMASK_ULL(19, 0)

#define VTD_PDIR_P		BIT_ULL(0)

#define VTD_PASID_TABLE_SHIFT	6	/* 64 entries per PASID table */
#define VTD_PDIR_MIN_ENTRIES	128

/*
 * The devices whose DMA carries a source-id, per source-id: besides its
 * own, a device's DMA may carry the id of a bridge on the way (or a quirk
 * alias), which devices behind that bridge share.  The context entry of a
 * shared id points at the PASID directory of one of them (their domains
 * are the same: they are in one IOMMU group); when that one goes, the
 * entry moves to another's directory, and only the last one clears it.
 * The unit's ctx_users: source-id -> list of struct vtd_ctx_user.
 */
struct vtd_ctx_user {
	struct list_head node;
	struct vtd_dev *vdev;
};

/* Every unit's ctx_users and its lists; taken before a pasid_lock. */
static DEFINE_MUTEX(vtd_ctx_users_lock);

static struct vtd_ctx_user *vtd_ctx_user_find(struct list_head *users,
					      struct vtd_dev *vdev)
{
	struct vtd_ctx_user *user;

	list_for_each_entry(user, users, node)
		if (user->vdev == vdev)
			return user;
	return NULL;
}

/* Another user of the same source-id, or NULL. */
static struct vtd_dev *vtd_ctx_user_other(struct list_head *users,
					  struct vtd_dev *vdev)
{
	struct vtd_ctx_user *user;

	list_for_each_entry(user, users, node)
		if (user->vdev != vdev)
			return user->vdev;
	return NULL;
}

static void vtd_ctx_users_free(struct list_head *users)
{
	struct vtd_ctx_user *user, *tmp;

	list_for_each_entry_safe(user, tmp, users, node)
		kfree(user);
	kfree(users);
}

/* Record @vdev as a user of @sid (once). */
static int vtd_ctx_user_add(struct vtd_dev *vdev, u16 sid)
{
	struct xarray *xa = &vdev->unit->ctx_users;
	struct list_head *users = xa_load(xa, sid);
	struct vtd_ctx_user *user;
	int ret;

	lockdep_assert_held(&vtd_ctx_users_lock);
	if (users && vtd_ctx_user_find(users, vdev))
		return 0;
	user = kzalloc(sizeof(*user), GFP_KERNEL);
	if (!user)
		return -ENOMEM;
	user->vdev = vdev;
	if (!users) {
		users = kzalloc(sizeof(*users), GFP_KERNEL);
		if (!users)
			goto err_user;
		INIT_LIST_HEAD(users);
		ret = xa_err(xa_store(xa, sid, users, GFP_KERNEL));
		if (ret) {
			kfree(users);
			goto err_user;
		}
	}
	list_add_tail(&user->node, users);
	return 0;

err_user:
	kfree(user);
	return -ENOMEM;
}

/* Forget @vdev as a user of @sid; the list goes with its last user. */
static void vtd_ctx_user_del(struct vtd_dev *vdev, u16 sid)
{
	struct list_head *users = xa_load(&vdev->unit->ctx_users, sid);
	struct vtd_ctx_user *user;

	lockdep_assert_held(&vtd_ctx_users_lock);
	if (!users)
		return;
	user = vtd_ctx_user_find(users, vdev);
	if (user) {
		list_del(&user->node);
		kfree(user);
	}
	if (list_empty(users)) {
		xa_erase(&vdev->unit->ctx_users, sid);
		kfree(users);
	}
}

/**
 * vtd_struct_flush() - make a structure update visible to the unit
 * @unit: the unit that reads the structure
 * @p: start of the update
 * @len: its length
 *
 * Needed only by units that do not snoop accesses to the root, context and
 * PASID structures (ECAP.C clear; page tables go by ECAP.SMPWC instead).
 */
void vtd_struct_flush(struct vtd_unit *unit, void *p, size_t len)
{
	if (!(unit->ecap & VTD_ECAP_C))
		clflush_cache_range(p, len);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_struct_flush);

/**
 * vtd_ctx_tables_alloc() - allocate an empty root table
 * @unit: the unit
 *
 * Return: 0 or -ENOMEM.
 */
int vtd_ctx_tables_alloc(struct vtd_unit *unit)
{
	unit->root = (u64 *)get_zeroed_page(GFP_KERNEL);
	if (!unit->root)
		return -ENOMEM;
	vtd_struct_flush(unit, unit->root, PAGE_SIZE);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_ctx_tables_alloc);

/**
 * vtd_ctx_tables_free() - free the root and context tables
 * @unit: a unit whose translation is off
 */
void vtd_ctx_tables_free(struct vtd_unit *unit)
{
	struct list_head *users;
	unsigned long sid;
	unsigned int i;

	/* Users left behind only by a test; the devices are gone. */
	if (!xa_empty(&unit->ctx_users)) {
		xa_for_each(&unit->ctx_users, sid, users)
			vtd_ctx_users_free(users);
		xa_destroy(&unit->ctx_users);
	}
	for (i = 0; i < ARRAY_SIZE(unit->ctx); i++) {
		free_page((unsigned long)unit->ctx[i]);
		unit->ctx[i] = NULL;
	}
	free_page((unsigned long)unit->root);
	unit->root = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_ctx_tables_free);

/**
 * vtd_ctx_entry() - the context entry of a source-id, if its table exists
 * @unit: the unit
 * @bus: bus number
 * @devfn: device and function
 *
 * Return: the four quadwords of the entry, or NULL.
 */
u64 *vtd_ctx_entry(struct vtd_unit *unit, u8 bus, u8 devfn)
{
	u64 *table = READ_ONCE(unit->ctx[bus * 2 + (devfn >> 7)]);

	return table ? table + (devfn & 0x7f) * 4 : NULL;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_ctx_entry);

static u64 *vtd_ctx_entry_alloc(struct vtd_unit *unit, u8 bus, u8 devfn)
{
	unsigned int idx = bus * 2 + (devfn >> 7);
	u64 *table, *spare;

	table = vtd_ctx_entry(unit, bus, devfn);
	if (table)
		return table;

	spare = (u64 *)get_zeroed_page(GFP_KERNEL);
	if (!spare)
		return NULL;
	vtd_struct_flush(unit, spare, PAGE_SIZE);

	spin_lock(&unit->ctx_lock);
	if (!unit->ctx[idx]) {
		WRITE_ONCE(unit->ctx[idx], spare);
		WRITE_ONCE(unit->root[idx], virt_to_phys(spare) | VTD_ROOT_P);
		vtd_struct_flush(unit, &unit->root[idx], sizeof(u64));
		spare = NULL;
	}
	spin_unlock(&unit->ctx_lock);
	free_page((unsigned long)spare);
	return vtd_ctx_entry(unit, bus, devfn);
}

/**
 * vtd_ctx_pasid_dir_alloc() - allocate a device's PASID directory
 * @vdev: the device, with @max_pasids set
 *
 * The directory covers @vdev->max_pasids PASIDs and is at least as large
 * as the smallest the context entry can describe (128 entries).
 *
 * Return: 0 or -ENOMEM.
 */
int vtd_ctx_pasid_dir_alloc(struct vtd_dev *vdev)
{
	unsigned int n = DIV_ROUND_UP(vdev->max_pasids, 1U << VTD_PASID_TABLE_SHIFT);

	n = roundup_pow_of_two(max_t(unsigned int, n, VTD_PDIR_MIN_ENTRIES));
	vdev->pasid_dir = (u64 *)__get_free_pages(GFP_KERNEL | __GFP_ZERO,
						  get_order(n * sizeof(u64)));
	if (!vdev->pasid_dir)
		return -ENOMEM;
	vdev->dir_entries = n;
	vtd_struct_flush(vdev->unit, vdev->pasid_dir, n * sizeof(u64));
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_ctx_pasid_dir_alloc);

/* The PASID table a present directory entry points at, as a page. */
static struct page *vtd_pt_page(u64 de)
{
	return virt_to_page(phys_to_virt(de & VTD_TABLE_ADDR));
}

/*
 * Whether table @idx of @vdev counts in the unit's pt_empty while it has
 * no present entry: not a device's first (PASIDs 0-63, the RID's), and
 * none of a device whose tables are kept (vtd_pt_keep()).
 */
static bool vtd_pt_offered(struct vtd_dev *vdev, unsigned int idx)
{
	return idx && !vdev->pt_keep;
}

/* The device no longer holds the table of directory entry @idx. */
static void vtd_pt_uncount(struct vtd_dev *vdev, unsigned int idx,
			   struct page *pt)
{
	atomic_long_dec(&vdev->unit->pt_live);
	if (!page_private(pt) && vtd_pt_offered(vdev, idx))
		atomic_long_dec(&vdev->unit->pt_empty);
}

/* Every table of @vdev's directory leaves the unit's counts. */
static void vtd_pt_uncount_all(struct vtd_dev *vdev)
{
	unsigned int i;

	for (i = 0; i < vdev->dir_entries; i++)
		if (vdev->pasid_dir[i] & VTD_PDIR_P)
			vtd_pt_uncount(vdev, i,
				       vtd_pt_page(vdev->pasid_dir[i]));
}

/*
 * @vdev's tables are never to be freed before its directory: none of
 * them is offered to the shrinker any more.  Under @vdev's pasid_lock.
 */
static void vtd_pt_keep(struct vtd_dev *vdev)
{
	unsigned int i;

	for (i = 0; i < vdev->dir_entries; i++)
		if ((vdev->pasid_dir[i] & VTD_PDIR_P) &&
		    !page_private(vtd_pt_page(vdev->pasid_dir[i])) &&
		    vtd_pt_offered(vdev, i))
			atomic_long_dec(&vdev->unit->pt_empty);
	vdev->pt_keep = true;
}

/**
 * vtd_ctx_pasid_dir_free() - free a device's PASID directory and tables
 * @vdev: a device no context entry points at any more
 *
 * After an RCU grace period: vtd_walk() may still be reading them through
 * a context entry it read before the entry was cleared.
 *
 * Context: process, may sleep.
 */
void vtd_ctx_pasid_dir_free(struct vtd_dev *vdev)
{
	unsigned int i;

	if (!vdev->pasid_dir)
		return;
	vtd_pt_uncount_all(vdev);
	synchronize_rcu();
	for (i = 0; i < vdev->dir_entries; i++)
		if (vdev->pasid_dir[i] & VTD_PDIR_P)
			__free_page(vtd_pt_page(vdev->pasid_dir[i]));
	free_pages((unsigned long)vdev->pasid_dir,
		   get_order(vdev->dir_entries * sizeof(u64)));
	vdev->pasid_dir = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_ctx_pasid_dir_free);

/**
 * vtd_ctx_pasid_dir_release() - free a device's PASID directory, unless the
 *				 unit may still walk it
 * @vdev: a device whose context entries were cleared
 * @err: how the invalidation batch that made the unit forget the context
 *	 entries (context cache, PASID cache, IOTLB) ended
 *
 * With @err 0 the directory and its tables are freed.  Otherwise the unit
 * may still hold a context entry pointing at the directory: it and its
 * tables are kept (leaked), never reused, and an error is logged; they
 * leave the unit's table counts (debugfs pasid_tables).
 */
void vtd_ctx_pasid_dir_release(struct vtd_dev *vdev, int err)
{
	if (!err) {
		vtd_ctx_pasid_dir_free(vdev);
		return;
	}
	atomic_inc(&vdev->unit->quarantined);
	dev_err(vdev->dev, "%s: context invalidation failed (%d), PASID directory quarantined\n",
		vdev->unit->name, err);
	if (vdev->pasid_dir)
		vtd_pt_uncount_all(vdev);
	vdev->pasid_dir = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_ctx_pasid_dir_release);

/**
 * vtd_pasid_entry() - the PASID table entry of one PASID of a device
 * @vdev: the device
 * @pasid: the PASID
 * @alloc: allocate the PASID table if it does not exist yet
 *
 * A new table has no present entry: unless it is the device's first
 * (PASIDs 0-63), it counts as one the shrinker may free until
 * vtd_ctx_pasid_entry_account() sees an entry of it become present.
 * Callers that allocate hold @vdev's pasid_lock, as the shrinker does.
 *
 * Context: may sleep if @alloc.
 * Return: the entry, or NULL (PASID beyond the directory, no table and
 * !@alloc, or no memory).
 */
struct vtd_pasid_entry *vtd_pasid_entry(struct vtd_dev *vdev, u32 pasid,
					bool alloc)
{
	unsigned int idx = pasid >> VTD_PASID_TABLE_SHIFT;
	struct vtd_pasid_entry *table;
	u64 de, old;

	if (idx >= vdev->dir_entries)
		return NULL;
	de = READ_ONCE(vdev->pasid_dir[idx]);
	if (!(de & VTD_PDIR_P)) {
		if (!alloc)
			return NULL;
		table = (void *)get_zeroed_page(GFP_KERNEL);
		if (!table)
			return NULL;
		vtd_struct_flush(vdev->unit, table, PAGE_SIZE);
		old = cmpxchg64(&vdev->pasid_dir[idx], de,
				virt_to_phys(table) | VTD_PDIR_P);
		if (old != de) {
			free_page((unsigned long)table);
			de = old;
		} else {
			de = virt_to_phys(table) | VTD_PDIR_P;
			vtd_struct_flush(vdev->unit, &vdev->pasid_dir[idx], sizeof(u64));
			atomic_long_inc(&vdev->unit->pt_live);
			/* No present entry yet: page_private() is 0. */
			if (vtd_pt_offered(vdev, idx))
				atomic_long_inc(&vdev->unit->pt_empty);
		}
	}
	table = phys_to_virt(de & VTD_TABLE_ADDR);
	return &table[pasid & GENMASK(VTD_PASID_TABLE_SHIFT - 1, 0)];
}
EXPORT_SYMBOL_IF_KUNIT(vtd_pasid_entry);

/**
 * vtd_ctx_pasid_entry_account() - count an entry that gained or lost P
 * @vdev: the device
 * @pasid: the PASID of @pe
 * @pe: the entry, just written
 * @was_present: whether @pe was present before the write
 *
 * Each PASID table keeps the number of its present entries in the private
 * field of its page (which goes with the table when vtd_ctx_set_max_pasids()
 * replaces the directory), and the unit the number of tables that have
 * none (but a device's first, which the shrinker keeps).  The writer of
 * PASID entries that changes P (attach.c) calls this after every write,
 * under @vdev's pasid_lock.  A count that would go below zero stays at zero: an entry
 * made present outside the writers (a KUnit test) was never counted, and
 * the shrinker reads every entry of a table before it frees it.
 */
void vtd_ctx_pasid_entry_account(struct vtd_dev *vdev, u32 pasid,
				 struct vtd_pasid_entry *pe, bool was_present)
{
	bool offered = vtd_pt_offered(vdev, pasid >> VTD_PASID_TABLE_SHIFT);
	struct page *pt = virt_to_page(pe);
	unsigned long n = page_private(pt);

	lockdep_assert_held(&vdev->pasid_lock);
	if (vtd_pasid_entry_present(pe) == was_present)
		return;
	if (!was_present) {
		set_page_private(pt, n + 1);
		if (!n && offered)
			atomic_long_dec(&vdev->unit->pt_empty);
	} else if (n) {
		set_page_private(pt, n - 1);
		if (n == 1 && offered)
			atomic_long_inc(&vdev->unit->pt_empty);
	}
}
EXPORT_SYMBOL_IF_KUNIT(vtd_ctx_pasid_entry_account);

/*
 * PASID table reclaim.
 *
 * A VMM that once attached many PASIDs would otherwise keep their tables
 * (4 KiB per 64 PASIDs, 64 MiB for 2^20) until the device is released.
 * Freeing a table on the detach that empties it would cost a detach an
 * allocation and an invalidation more whenever one PASID is attached and
 * detached in turn, so empty tables are kept as a cache, and a shrinker of
 * the unit gives them back when memory runs short.  One shrinker per unit:
 * its counts are the unit's, its invalidations go to the unit's queue,
 * and it lives and dies with the unit's registration (no list of units to
 * walk under a lock of the module's).
 *
 * A pass takes each device's pasid_lock with a trylock only (reclaim may
 * run in an allocation made under it: attach allocating a table or a
 * directory) and leaves a device it cannot lock alone.  For every table
 * but the first (PASIDs 0-63: it holds the RID's entry, PASID 0, which
 * every RID attach rewrites and which is blocked, not present, only for
 * a moment or while the device is owned) whose count of present entries
 * is zero, it reads the 64 entries again, clears the directory entry and
 * writes it back to memory.  One batch per device then invalidates what the unit may hold
 * of those directory entries; the tables are freed only once it
 * completed, after an RCU grace period (vtd_walk() reads them as an RCU
 * reader, vtd_dev_pasid_entry_snapshot() under the spinlock of the unit's
 * devices XArray, which also holds a grace period off).  If the batch
 * fails, the unit may still use the old directory entries: the tables are
 * kept (leaked) as vtd_ctx_pasid_dir_release() keeps a directory, the
 * unit's quarantined count goes up and an error is logged once.
 *
 * Which invalidation a PASID-directory entry needs is not spelled out in
 * what we could read of the VT-d specification's guidance ("Guidance to
 * Software for Invalidations" lists context entries and PASID-table
 * entries), nor which cache may hold one: the context cache, with the
 * context entry that leads to it, or the PASID cache, with the entries
 * it leads to.  So the batch covers both: a device-selective context-cache
 * invalidation of the device and of every alias whose context entry
 * points at the directory, and, since a directory entry carries no domain
 * id and no single PASID, the only PASID-cache invalidation sure to cover
 * it, the global one (granularity 3).  That is our conservative reading.
 * After a failed batch the queue is taken as broken: the pass stops and
 * the shrinker offers nothing more (each batch would wait out its
 * timeout, in reclaim).  No IOTLB
 * invalidation: every entry of the table was taken down (with its own
 * IOTLB invalidation) before it counted as empty, so nothing the unit
 * translated came through the table any more.
 */

/*
 * The number of entries of a PASID table in use: present, or not present
 * with FPD (faults on the PASID not reported, which a freed table, read
 * as a not-present directory entry, would no longer say).
 */
static unsigned int vtd_pt_present(const struct vtd_pasid_entry *table)
{
	unsigned int i, n = 0;

	for (i = 0; i < VTD_PASID_TABLE_ENTRIES; i++)
		n += !!(READ_ONCE(table[i].val[0]) & (VTD_PE0_P | VTD_PE0_FPD));
	return n;
}

static void vtd_pt_free_rcu(struct rcu_head *head)
{
	__free_page(container_of(head, struct page, rcu_head));
}

/*
 * Free up to @nr of @vdev's PASID tables that have no present entry, with
 * one invalidation batch.  Return: the number of tables freed.
 */
static unsigned long vtd_dev_pt_reclaim(struct vtd_dev *vdev, unsigned long nr)
{
	struct vtd_unit *unit = vdev->unit;
	struct page *pt, *tmp;
	unsigned long n = 0;
	struct vtd_qi_batch b;
	unsigned int idx, present;
	LIST_HEAD(gone);
	u64 de;
	int ret;

	lockdep_assert_held(&vdev->pasid_lock);
	for (idx = 1; idx < vdev->dir_entries && n < nr; idx++) {
		de = vdev->pasid_dir[idx];
		if (!(de & VTD_PDIR_P))
			continue;
		pt = vtd_pt_page(de);
		if (page_private(pt))
			continue;
		present = vtd_pt_present(page_address(pt));
		if (present) {
			/* Entries made present outside the writers: count them. */
			set_page_private(pt, present);
			atomic_long_dec(&unit->pt_empty);
			continue;
		}
		WRITE_ONCE(vdev->pasid_dir[idx], 0);
		vtd_struct_flush(unit, &vdev->pasid_dir[idx], sizeof(u64));
		list_add_tail(&pt->lru, &gone);
		n++;
	}
	if (!n)
		return 0;
	atomic_long_sub(n, &unit->pt_empty);
	atomic_long_sub(n, &unit->pt_live);

	vtd_qi_batch_begin(&b, &unit->qi);
	vtd_qi_add_cc_device(&b, 0, vdev->sid);
	vtd_ctx_add_cc_aliases(vdev, &b);
	vtd_qi_add_pc_global(&b);
	ret = vtd_qi_submit(&b);
	if (ret) {
		/* The queue is broken: no more passes (vtd_ctx_pt_count()). */
		WRITE_ONCE(unit->pt_broken, true);
		atomic_inc(&unit->quarantined);
		dev_err_once(vdev->dev, "%s: PASID directory invalidation failed (%d), %lu PASID tables quarantined\n",
			     unit->name, ret, n);
	}
	list_for_each_entry_safe(pt, tmp, &gone, lru) {
		list_del(&pt->lru);
		if (!ret)
			call_rcu(&pt->rcu_head, vtd_pt_free_rcu);
	}
	if (ret)
		return 0;
	atomic64_add(n, &unit->pt_reclaimed);
	return n;
}

/**
 * vtd_ctx_pt_count() - how many PASID tables the unit's shrinker may free
 * @unit: the unit
 *
 * Return: the tables of the unit's devices, other than each device's
 * first, that have no present entry.
 */
unsigned long vtd_ctx_pt_count(struct vtd_unit *unit)
{
	long n = atomic_long_read(&unit->pt_empty);

	if (READ_ONCE(unit->pt_broken))
		return 0;
	return max(n, 0L);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_ctx_pt_count);

/**
 * vtd_ctx_pt_scan() - free PASID tables that have no present entry
 * @unit: the unit
 * @nr: at most this many
 *
 * Devices whose pasid_lock is held, and those whose tables a kept PASID
 * directory points at (&vtd_dev.pt_keep), are left alone; so is the whole
 * unit while another scan of it runs.  Each device whose tables are freed
 * gets one invalidation batch (the context cache of the device and its
 * aliases, a global PASID-cache invalidation, the wait); a failed one ends
 * the pass and every later one (&vtd_unit.pt_broken).
 *
 * Context: process; never blocks on a lock, spins while the unit works.
 * Return: the number of tables freed (each after an RCU grace period).
 */
unsigned long vtd_ctx_pt_scan(struct vtd_unit *unit, unsigned long nr)
{
	unsigned long sid, freed = 0;
	struct vtd_dev *vdev;

	if (!mutex_trylock(&unit->pt_lock))
		return 0;
	xa_for_each(&unit->devices, sid, vdev) {
		/* After a failed batch each one would wait out its timeout. */
		if (freed >= nr || READ_ONCE(unit->pt_broken))
			break;
		if (!mutex_trylock(&vdev->pasid_lock))
			continue;
		if (!vdev->pt_keep)
			freed += vtd_dev_pt_reclaim(vdev, nr - freed);
		mutex_unlock(&vdev->pasid_lock);
	}
	mutex_unlock(&unit->pt_lock);
	return freed;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_ctx_pt_scan);

static unsigned long vtd_pt_shrink_count(struct shrinker *s,
					 struct shrink_control *sc)
{
	return vtd_ctx_pt_count(s->private_data) ?: SHRINK_EMPTY;
}

static unsigned long vtd_pt_shrink_scan(struct shrinker *s,
					struct shrink_control *sc)
{
	return vtd_ctx_pt_scan(s->private_data, sc->nr_to_scan) ?: SHRINK_STOP;
}

/**
 * vtd_ctx_pt_shrinker_add() - register the unit's PASID table shrinker
 * @unit: a unit being registered with the IOMMU core
 *
 * Without memory for it the unit goes on without one: its empty tables
 * are then freed only with their device's directory.
 */
void vtd_ctx_pt_shrinker_add(struct vtd_unit *unit)
{
	struct shrinker *s = shrinker_alloc(0, "vtd_sm-%s", unit->name);

	if (!s) {
		pr_warn("%s: no PASID table shrinker, empty tables are freed at device release only\n",
			unit->name);
		return;
	}
	s->count_objects = vtd_pt_shrink_count;
	s->scan_objects = vtd_pt_shrink_scan;
	s->seeks = DEFAULT_SEEKS;
	s->private_data = unit;
	unit->pt_shrinker = s;
	shrinker_register(s);
}

/**
 * vtd_ctx_pt_shrinker_remove() - unregister the unit's PASID table shrinker
 * @unit: the unit
 *
 * Returns once no scan of the unit runs any more.
 */
void vtd_ctx_pt_shrinker_remove(struct vtd_unit *unit)
{
	shrinker_free(unit->pt_shrinker);
	unit->pt_shrinker = NULL;
	/* The tables its passes freed, before the module can go. */
	rcu_barrier();
}

/* Word 0 of a context entry that points at @vdev's PASID directory. */
static u64 vtd_ctx_qw0(struct vtd_dev *vdev)
{
	u64 qw0 = (virt_to_phys(vdev->pasid_dir) & VTD_TABLE_ADDR) |
		  FIELD_PREP(VTD_CTX_PDTS, ilog2(vdev->dir_entries) - 7) |
		  VTD_CTX_P;

	if (vdev->max_pasids > 1)
		qw0 |= VTD_CTX_PASIDE;
	if (vdev->pre)
		qw0 |= VTD_CTX_PRE;
	/* The unit answers the device's translation requests (ATS). */
	if (vdev->ats_supported)
		qw0 |= VTD_CTX_DTE;
	return qw0;
}

/**
 * vtd_ctx_install() - point a source-id's context entry at a device's
 *		       PASID directory
 * @vdev: the device
 * @alias: source-id the device's DMA carries (its own or an alias)
 * @b: batch that gets the context-cache invalidation
 *
 * The entry is written while not present, then made present.  An entry
 * already present stays as it is: for the same directory there is nothing
 * to do; for another device's (an alias shared with devices of the same
 * IOMMU group, such as those behind a conventional PCI bridge) @vdev is
 * recorded as a user of @alias too, so that vtd_ctx_remove() of the
 * device whose directory it names moves it to @vdev's.
 *
 * Context: process, may sleep.
 * Return: 0 or -ENOMEM.
 */
int vtd_ctx_install(struct vtd_dev *vdev, u16 alias, struct vtd_qi_batch *b)
{
	struct vtd_unit *unit = vdev->unit;
	u64 *ce, qw0;
	int ret;

	ce = vtd_ctx_entry_alloc(unit, PCI_BUS_NUM(alias), alias & 0xff);
	if (!ce)
		return -ENOMEM;

	mutex_lock(&vtd_ctx_users_lock);
	ret = vtd_ctx_user_add(vdev, alias);
	if (ret)
		goto out;
	/* Probing: the debug knobs cannot change @vdev's directory yet. */
	qw0 = vtd_ctx_qw0(vdev);
	spin_lock(&unit->ctx_lock);
	if (ce[0] & VTD_CTX_P) {
		spin_unlock(&unit->ctx_lock);
		goto out;
	}
	ce[1] = FIELD_PREP(VTD_CTX_RID_PASID, 0);
	ce[2] = 0;
	ce[3] = 0;
	/* Everything else is in place before the entry becomes present. */
	dma_wmb();
	WRITE_ONCE(ce[0], qw0);
	vtd_struct_flush(unit, ce, 4 * sizeof(u64));
	spin_unlock(&unit->ctx_lock);

	/* The unit may cache non-present entries (caching mode). */
	vtd_qi_add_cc_device(b, 0, alias);
out:
	mutex_unlock(&vtd_ctx_users_lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_ctx_install);

/**
 * vtd_ctx_remove() - a device lets go of a source-id's context entry
 * @vdev: the device
 * @alias: the source-id
 * @b: batch that gets the invalidations
 *
 * If the entry points at @vdev's PASID directory, it moves to the
 * directory of another device that installed @alias (one 64-bit store of
 * pointer, size and PASIDE; RID_PASID stays), or is cleared if there is
 * none; a context-cache invalidation for @alias goes into @b either way.
 * The caller frees @vdev's directory only once @b completed.
 *
 * Context: process, may sleep.
 */
void vtd_ctx_remove(struct vtd_dev *vdev, u16 alias, struct vtd_qi_batch *b)
{
	struct vtd_unit *unit = vdev->unit;
	u64 *ce = vtd_ctx_entry(unit, PCI_BUS_NUM(alias), alias & 0xff);
	struct list_head *users;
	struct vtd_dev *next;
	u64 qw0 = 0;

	mutex_lock(&vtd_ctx_users_lock);
	vtd_ctx_user_del(vdev, alias);
	if (!ce)
		goto out;
	users = xa_load(&unit->ctx_users, alias);
	next = users ? vtd_ctx_user_other(users, vdev) : NULL;
	if (next) {
		mutex_lock(&next->pasid_lock);
		qw0 = vtd_ctx_qw0(next);
	}
	spin_lock(&unit->ctx_lock);
	if ((ce[0] & VTD_TABLE_ADDR) == virt_to_phys(vdev->pasid_dir)) {
		WRITE_ONCE(ce[0], qw0);
		vtd_struct_flush(unit, ce, sizeof(u64));
		vtd_qi_add_cc_device(b, 0, alias);
	}
	spin_unlock(&unit->ctx_lock);
	if (next)
		mutex_unlock(&next->pasid_lock);
out:
	mutex_unlock(&vtd_ctx_users_lock);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_ctx_remove);

typedef void (*vtd_ctx_fn_t)(u64 *ce, u16 sid, void *data);

/*
 * Call @fn on every context entry of @unit whose PASID directory pointer
 * is @dir_phys: the device's own and those of its DMA aliases.
 * Caller holds @unit->ctx_lock.
 */
static void vtd_ctx_visit_dir(struct vtd_unit *unit, phys_addr_t dir_phys,
			      vtd_ctx_fn_t fn, void *data)
{
	unsigned int idx, i;
	u64 *table;

	for (idx = 0; idx < ARRAY_SIZE(unit->ctx); idx++) {
		table = unit->ctx[idx];
		if (!table)
			continue;
		for (i = 0; i < 128; i++) {
			u64 *ce = table + i * 4;

			if ((ce[0] & VTD_CTX_P) &&
			    (ce[0] & VTD_TABLE_ADDR) == dir_phys)
				fn(ce, (idx / 2) << 8 | (idx % 2) << 7 | i, data);
		}
	}
}

struct vtd_ctx_cc {
	struct vtd_qi_batch *b;
	u16 skip;
};

static void vtd_ctx_cc_fn(u64 *ce, u16 sid, void *data)
{
	struct vtd_ctx_cc *cc = data;

	if (sid != cc->skip)
		vtd_qi_add_cc_device(cc->b, 0, sid);
}

/**
 * vtd_ctx_add_cc_aliases() - context-cache invalidations for the DMA
 *			      aliases that walk a device's PASID directory
 * @vdev: the device
 * @b: batch that gets a device-selective context-cache invalidation for
 *     every source-id other than @vdev's own whose context entry points
 *     at @vdev's directory
 *
 * An emulated unit (QEMU 7.2) re-reads the RID_PASID entry of a source-id
 * only on a context-cache invalidation of that source-id; the entry of a
 * DMA alias (a PCIe-to-PCI bridge's secondary bus, devfn 0) can name the
 * directory of a device, whose PASID 0 entry then translates the alias.
 */
void vtd_ctx_add_cc_aliases(struct vtd_dev *vdev, struct vtd_qi_batch *b)
{
	struct vtd_ctx_cc cc = { .b = b, .skip = vdev->sid };

	spin_lock(&vdev->unit->ctx_lock);
	vtd_ctx_visit_dir(vdev->unit, virt_to_phys(vdev->pasid_dir),
			  vtd_ctx_cc_fn, &cc);
	spin_unlock(&vdev->unit->ctx_lock);
}
EXPORT_SYMBOL_IF_KUNIT(vtd_ctx_add_cc_aliases);

/**
 * vtd_ctx_rid_pasid() - the PASID a device's requests without PASID use
 * @vdev: the device
 *
 * Return: the RID_PASID field of the device's own context entry (0 when
 * it has none).
 */
u32 vtd_ctx_rid_pasid(struct vtd_dev *vdev)
{
	u64 *ce = vtd_ctx_entry(vdev->unit, vdev->bus, vdev->devfn);

	return ce ? FIELD_GET(VTD_CTX_RID_PASID, READ_ONCE(ce[1])) : 0;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_ctx_rid_pasid);

struct vtd_ctx_update {
	struct vtd_unit *unit;
	struct vtd_qi_batch *b;
	u64 qw0;
	u64 qw1;
	unsigned int n;
	struct vtd_dev *devtlb;
};

static void vtd_ctx_update_qw1(u64 *ce, u16 sid, void *data)
{
	struct vtd_ctx_update *u = data;

	/* RID_PASID is the whole of the field a unit reads in this word. */
	WRITE_ONCE(ce[1], (ce[1] & ~VTD_CTX_RID_PASID) | u->qw1);
	vtd_struct_flush(u->unit, ce, 4 * sizeof(u64));
	vtd_qi_add_cc_device(u->b, 0, sid);
	u->n++;
}

static void vtd_ctx_update_qw0(u64 *ce, u16 sid, void *data)
{
	struct vtd_ctx_update *u = data;

	/* Pointer, size and PASIDE change together in one 64-bit store. */
	WRITE_ONCE(ce[0], u->qw0);
	vtd_struct_flush(u->unit, ce, 4 * sizeof(u64));
	vtd_qi_add_cc_device(u->b, 0, sid);
	u->n++;
}

/*
 * What the unit may have cached from the old context entries goes too:
 * PASID-cache entries and translations found through them (a unit may
 * tag IOTLB entries of requests without PASID by source-id alone); and,
 * when the change gave the device's requests without PASID other
 * translations (@u->devtlb), what its TLB holds of them if it has ATS.
 */
static int vtd_ctx_update_submit(struct vtd_ctx_update *u)
{
	vtd_qi_add_pc_global(u->b);
	vtd_qi_add_iotlb_global(u->b);
	if (u->devtlb)
		vtd_ats_add_flush(u->b, u->devtlb, IOMMU_NO_PASID, 0,
				  VTD_QI_DEVTLB_ALL);
	return vtd_qi_submit(u->b);
}

/*
 * Rewrite with @fn every context entry that points at @vdev's PASID
 * directory, in one batch with the invalidations above (@u->b begun
 * here).  Caller holds @vdev->pasid_lock.  Return: 0, -ENODEV if no entry
 * points at the directory, -EIO if the batch failed (entries written).
 */
static int vtd_ctx_rewrite_dir(struct vtd_dev *vdev, vtd_ctx_fn_t fn,
			       struct vtd_ctx_update *u)
{
	struct vtd_unit *unit = vdev->unit;
	int ret;

	lockdep_assert_held(&vdev->pasid_lock);
	vtd_qi_batch_begin(u->b, &unit->qi);
	spin_lock(&unit->ctx_lock);
	vtd_ctx_visit_dir(unit, virt_to_phys(vdev->pasid_dir), fn, u);
	spin_unlock(&unit->ctx_lock);
	ret = vtd_ctx_update_submit(u);
	if (!u->n)
		return -ENODEV;
	return ret ? -EIO : 0;
}

/**
 * vtd_ctx_set_rid_pasid() - make requests without PASID use another PASID
 * @vdev: the device
 * @pasid: PASID whose entry translates the device's requests without PASID
 *
 * Debug only (the driver itself always uses RID_PASID 0).  Writes the
 * RID_PASID field of every context entry that points at the device's
 * PASID directory, and invalidates the context cache for each of those
 * source-ids, the PASID cache and the IOTLB (and, with ATS, the device's
 * TLB of requests without PASID) in one invalidation batch.
 *
 * Context: process, may sleep.
 * Return: 0, -ERANGE if @pasid is not below @vdev->max_pasids, -ENODEV if
 * no context entry points at the directory, or -EIO if the invalidation
 * failed (the entries are written regardless).
 */
int vtd_ctx_set_rid_pasid(struct vtd_dev *vdev, u32 pasid)
{
	struct vtd_unit *unit = vdev->unit;
	struct vtd_qi_batch b;
	struct vtd_ctx_update u = {
		.unit = unit,
		.b = &b,
		.qw1 = FIELD_PREP(VTD_CTX_RID_PASID, pasid),
		.devtlb = vdev,
	};
	int ret;

	mutex_lock(&vdev->pasid_lock);
	if (pasid >= vdev->max_pasids)
		ret = -ERANGE;
	else
		ret = vtd_ctx_rewrite_dir(vdev, vtd_ctx_update_qw1, &u);
	mutex_unlock(&vdev->pasid_lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_ctx_set_rid_pasid);

/* Does any PASID in [@from, end of directory) have a present entry? */
static bool vtd_ctx_pasids_in_use(struct vtd_dev *vdev, u32 from)
{
	struct vtd_pasid_entry *pe;
	u32 pasid, end = vdev->dir_entries << VTD_PASID_TABLE_SHIFT;

	for (pasid = from; pasid < end; pasid++) {
		pe = vtd_pasid_entry(vdev, pasid, false);
		if (!pe) {
			/* No table: skip to the next one. */
			pasid |= GENMASK(VTD_PASID_TABLE_SHIFT - 1, 0);
			continue;
		}
		if (vtd_pasid_entry_present(pe))
			return true;
	}
	return false;
}

/**
 * vtd_ctx_set_max_pasids() - change how many PASIDs a device may use
 * @vdev: the device
 * @max_pasids: the new number of PASIDs, 1 (the RID only) to 2^20
 *
 * Debug only: lets a device without the PCI PASID capability have PASID
 * entries.  The PASID directory grows when it is too small for
 * @max_pasids (it never shrinks); every context entry that points at the
 * directory is rewritten with the new directory, its size and PASIDE
 * (set when @max_pasids > 1), and one invalidation batch flushes the
 * context cache of those source-ids, the PASID cache and the IOTLB.
 *
 * Refused while any PASID other than 0 has a present entry, or while a
 * context entry's RID_PASID is not below @max_pasids.  When the batch
 * fails, the change stays made but a replaced directory is not freed: the
 * unit may still be using it.
 *
 * Context: process, may sleep.
 * Return: 0, -EINVAL for a count out of range, -EBUSY, -ENOMEM, or -EIO if
 * the invalidation failed.
 */
int vtd_ctx_set_max_pasids(struct vtd_dev *vdev, u32 max_pasids)
{
	unsigned int need, old_entries = 0;
	struct vtd_unit *unit = vdev->unit;
	u64 *dir = NULL, *old_dir = NULL;
	struct vtd_ctx_update u = { .unit = unit };
	struct vtd_qi_batch b;
	phys_addr_t old_phys;
	int ret = 0;

	if (!max_pasids || max_pasids > BIT(20))
		return -EINVAL;
	need = roundup_pow_of_two(max_t(unsigned int, VTD_PDIR_MIN_ENTRIES,
					DIV_ROUND_UP(max_pasids,
						     1U << VTD_PASID_TABLE_SHIFT)));

	mutex_lock(&vdev->pasid_lock);
	if (vtd_ctx_pasids_in_use(vdev, 1) ||
	    vtd_ctx_rid_pasid(vdev) >= max_pasids) {
		ret = -EBUSY;
		goto out;
	}
	if (need > vdev->dir_entries) {
		dir = (u64 *)__get_free_pages(GFP_KERNEL | __GFP_ZERO,
					      get_order(need * sizeof(u64)));
		if (!dir) {
			ret = -ENOMEM;
			goto out;
		}
		/* The PASID tables move over as they are. */
		memcpy(dir, vdev->pasid_dir, vdev->dir_entries * sizeof(u64));
		vtd_struct_flush(unit, dir, need * sizeof(u64));
	}

	old_phys = virt_to_phys(vdev->pasid_dir);
	u.qw0 = (virt_to_phys(dir ?: vdev->pasid_dir) & VTD_TABLE_ADDR) |
		FIELD_PREP(VTD_CTX_PDTS, ilog2(dir ? need : vdev->dir_entries) - 7) |
		VTD_CTX_P;
	if (max_pasids > 1)
		u.qw0 |= VTD_CTX_PASIDE;
	if (vdev->pre)
		u.qw0 |= VTD_CTX_PRE;
	if (vdev->ats_supported)
		u.qw0 |= VTD_CTX_DTE;
	u.b = &b;
	vtd_qi_batch_begin(&b, &unit->qi);
	spin_lock(&unit->ctx_lock);
	vtd_ctx_visit_dir(unit, old_phys, vtd_ctx_update_qw0, &u);
	spin_unlock(&unit->ctx_lock);
	if (vtd_ctx_update_submit(&u))
		ret = -EIO;

	/*
	 * Readers of the directory through @vdev hold this lock or the
	 * mutex; vtd_walk() finds it through the context entry, under RCU.
	 */
	xa_lock(&unit->devices);
	if (dir) {
		old_dir = vdev->pasid_dir;
		old_entries = vdev->dir_entries;
		vdev->pasid_dir = dir;
		vdev->dir_entries = need;
	}
	WRITE_ONCE(vdev->max_pasids, max_pasids);
	xa_unlock(&unit->devices);
	/*
	 * After a failed flush the unit may still hold the old directory in
	 * its context cache and walk it: it is never freed then (it holds
	 * the same tables as the new one, so what it translates is right),
	 * and neither are the tables it points at: the shrinker leaves the
	 * device alone from now on.
	 */
	if (old_dir && ret) {
		vtd_pt_keep(vdev);
		dev_err(vdev->dev, "PASID directory %pa kept (%u entries): its flush failed\n",
			&old_phys, old_entries);
	} else if (old_dir) {
		/* vtd_walk() may have read the old pointer: a grace period. */
		synchronize_rcu();
		free_pages((unsigned long)old_dir,
			   get_order(old_entries * sizeof(u64)));
	}
out:
	mutex_unlock(&vdev->pasid_lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_ctx_set_max_pasids);

/**
 * vtd_ctx_set_pre() - let the unit take a device's page requests, or not
 * @vdev: the device
 * @on: set PRE (page request enable) in its context entries, or clear it
 *
 * Rewrites word 0 of every context entry that points at the device's
 * PASID directory, and invalidates the context cache of those source-ids,
 * the PASID cache and the IOTLB in one batch.  With PRE clear, the unit
 * answers the device's page requests itself instead of queueing them.
 *
 * Context: process, may sleep.
 * Return: 0, -ENODEV if no context entry points at the directory, or
 * -EIO if the invalidation failed (the entries are written regardless).
 */
int vtd_ctx_set_pre(struct vtd_dev *vdev, bool on)
{
	struct vtd_unit *unit = vdev->unit;
	struct vtd_qi_batch b;
	struct vtd_ctx_update u = { .unit = unit, .b = &b };
	int ret;

	mutex_lock(&vdev->pasid_lock);
	vdev->pre = on;
	u.qw0 = vtd_ctx_qw0(vdev);
	ret = vtd_ctx_rewrite_dir(vdev, vtd_ctx_update_qw0, &u);
	mutex_unlock(&vdev->pasid_lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(vtd_ctx_set_pre);
