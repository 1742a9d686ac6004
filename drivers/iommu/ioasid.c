// SPDX-License-Identifier: GPL-2.0
/*
 * IOASID (PASID) allocator with sets, quotas and custom allocators.
 *
 * Every allocated ID, whichever allocator issued it, is an entry of one
 * global XArray that maps the ID to its struct ioasid_data.  Lookups walk
 * that XArray under RCU; updates use the XArray's own (interrupt safe)
 * lock.  A read-write semaphore orders allocations (readers) against the
 * registration and removal of custom allocators (writers), so the ops of a
 * custom allocator are only ever called while it is registered.
 *
 * The last reference to an ID may be dropped in atomic context.  The entry
 * is then turned into a reserved slot (invisible to lookups, but not
 * reusable), subscribers hear IOASID_NOTIFY_FREE, and:
 *  - for the default allocator the slot is erased at once;
 *  - for a custom allocator a work item returns the ID to the allocator
 *    (whose free() may sleep) and only then erases the slot.
 *
 * See Documentation/driver-api/ioasid.rst for the rules.
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <kunit/visibility.h>
#include <linux/ioasid.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

/*
 * @refs: one for the owner (dropped by ioasid_set_free()) and one per
 * allocated ID, dropped at the very end of its release, so that a release
 * racing with ioasid_set_free() never touches a freed set.
 */
struct ioasid_set {
	void *token;
	unsigned int quota;
	atomic_t nr_ids;
	refcount_t refs;
	struct atomic_notifier_head notifier;
};

/* Any context: the last put may come from an ID released in an interrupt. */
static void ioasid_set_put(struct ioasid_set *set)
{
	if (refcount_dec_and_test(&set->refs))
		kfree(set);
}

/*
 * A group of registered ops that share their alloc and free functions, and
 * so one ID space.  @ops is the member whose pdata is used for calls; it is
 * always a registered member, or NULL once the last member is gone.  The
 * kref has one reference for the registration and one per issued ID.
 */
struct ioasid_allocator {
	struct list_head node;
	struct list_head members;
	const struct ioasid_allocator_ops *ops;
	struct kref kref;
};

struct ioasid_member {
	struct list_head node;
	const struct ioasid_allocator_ops *ops;
};

struct ioasid_data {
	ioasid_t id;
	struct ioasid_set *set;
	void __rcu *private;
	refcount_t refs;
	struct ioasid_allocator *allocator;	/* NULL: the default allocator */
	struct llist_node free_node;
	struct rcu_head rcu;
};

static DEFINE_XARRAY_FLAGS(ioasid_xa, XA_FLAGS_ALLOC | XA_FLAGS_LOCK_IRQ);

/* Protects ioasid_allocators and every ioasid_allocator's members and ops. */
static DECLARE_RWSEM(ioasid_allocator_rwsem);
/* Registered groups; the first one is active, none means the default. */
static LIST_HEAD(ioasid_allocators);

/* Subscribers to the events of every set. */
static ATOMIC_NOTIFIER_HEAD(ioasid_notifier);

static void ioasid_free_work_fn(struct work_struct *work);
static LLIST_HEAD(ioasid_free_list);
static DECLARE_WORK(ioasid_free_work, ioasid_free_work_fn);
/* Bumped each time the work item has handed a batch back. */
static atomic_t ioasid_free_seq = ATOMIC_INIT(0);

static void ioasid_allocator_release(struct kref *kref)
{
	kfree(container_of(kref, struct ioasid_allocator, kref));
}

static void ioasid_erase(ioasid_t id)
{
	unsigned long flags;

	xa_lock_irqsave(&ioasid_xa, flags);
	__xa_erase(&ioasid_xa, id);
	xa_unlock_irqrestore(&ioasid_xa, flags);
}

/* Return IDs released from any context to the custom allocator that issued them. */
static void ioasid_free_work_fn(struct work_struct *work)
{
	struct llist_node *list = llist_reverse_order(llist_del_all(&ioasid_free_list));
	struct ioasid_data *data, *next;

	down_read(&ioasid_allocator_rwsem);
	llist_for_each_entry_safe(data, next, list, free_node) {
		struct ioasid_allocator *allocator = data->allocator;
		const struct ioasid_allocator_ops *ops = allocator->ops;

		/*
		 * While the group is registered it is the active allocator
		 * (a group cannot lose the lead while it has IDs), so no
		 * other allocator can hand this number out between the
		 * erase and the free below.
		 */
		ioasid_erase(data->id);
		if (ops)
			ops->free(data->id, ops->pdata);
		kref_put(&allocator->kref, ioasid_allocator_release);
		kfree_rcu(data, rcu);
	}
	up_read(&ioasid_allocator_rwsem);
	atomic_inc(&ioasid_free_seq);
}

/**
 * ioasid_flush_frees() - wait until deferred frees reached their allocator
 *
 * Custom allocators get their IDs back from a work item; this waits for it.
 * Must not be called with the allocator lock held.
 */
VISIBLE_IF_KUNIT void ioasid_flush_frees(void)
{
	flush_work(&ioasid_free_work);
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_flush_frees);

/**
 * ioasid_nr_allocated() - count the IDs that are allocated or being freed
 *
 * Return: the number of entries in the global ID table.
 */
VISIBLE_IF_KUNIT unsigned long ioasid_nr_allocated(void)
{
	XA_STATE(xas, &ioasid_xa, 0);
	unsigned long n = 0;
	void *entry;

	xas_lock_irq(&xas);
	xas_for_each(&xas, entry, ULONG_MAX)
		n++;
	xas_unlock_irq(&xas);
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_nr_allocated);

/* Caller holds rcu_read_lock(). */
static struct ioasid_data *ioasid_lookup(struct ioasid_set *set, ioasid_t id)
{
	struct ioasid_data *data = xa_load(&ioasid_xa, id);

	if (!data)
		return ERR_PTR(-ENOENT);
	if (data->set != set)
		return ERR_PTR(-EACCES);
	return data;
}

static void ioasid_call_notifiers(struct ioasid_data *data,
				  enum ioasid_event event)
{
	struct ioasid_nb_args args = {
		.id = data->id,
		.set = data->set,
	};

	rcu_read_lock();
	args.private = rcu_dereference(data->private);
	atomic_notifier_call_chain(&data->set->notifier, event, &args);
	atomic_notifier_call_chain(&ioasid_notifier, event, &args);
	rcu_read_unlock();
}

/*
 * Release an ID: hide it from lookups, tell the subscribers, give back the
 * quota and return the number to its allocator.  Safe in any context.
 */
static void ioasid_release(struct ioasid_data *data)
{
	struct ioasid_set *set = data->set;
	unsigned long flags;
	void *old;

	xa_lock_irqsave(&ioasid_xa, flags);
	old = __xa_cmpxchg(&ioasid_xa, data->id, data, XA_ZERO_ENTRY, 0);
	xa_unlock_irqrestore(&ioasid_xa, flags);
	if (old != data)
		return;		/* already released by ioasid_set_free() */

	ioasid_call_notifiers(data, IOASID_NOTIFY_FREE);
	atomic_dec(&set->nr_ids);

	if (data->allocator) {
		if (llist_add(&data->free_node, &ioasid_free_list))
			queue_work(system_unbound_wq, &ioasid_free_work);
	} else {
		ioasid_erase(data->id);
		kfree_rcu(data, rcu);
	}
	ioasid_set_put(set);
}

/**
 * ioasid_set_alloc() - create a set of IDs
 * @token: an opaque cookie identifying the owner (for instance an mm or an
 *	iommufd context); see ioasid_set_token()
 * @quota: the most IDs the set may hold at once; must not be zero
 *
 * Every ID belongs to exactly one set.  An ID can be looked up, referenced,
 * changed, released or notified about only through its own set.
 *
 * Context: process context.
 * Return: the new set, or an ERR_PTR(): -EINVAL for a zero quota, -ENOMEM.
 */
struct ioasid_set *ioasid_set_alloc(void *token, unsigned int quota)
{
	struct ioasid_set *set;

	if (!quota)
		return ERR_PTR(-EINVAL);
	set = kzalloc(sizeof(*set), GFP_KERNEL);
	if (!set)
		return ERR_PTR(-ENOMEM);
	set->token = token;
	set->quota = quota;
	atomic_set(&set->nr_ids, 0);
	refcount_set(&set->refs, 1);
	ATOMIC_INIT_NOTIFIER_HEAD(&set->notifier);
	return set;
}
EXPORT_SYMBOL_GPL(ioasid_set_alloc);

/**
 * ioasid_set_free() - release every ID of a set and free the set
 * @set: the set, or NULL
 *
 * Each ID still in the set is released whatever its reference count: the
 * set's and the global subscribers hear %IOASID_NOTIFY_FREE for it and the
 * ID goes back to its allocator.  References taken with ioasid_get() are
 * void afterwards (they could only ever be dropped through this set).
 * Subscribers registered on the set are forgotten with it.
 *
 * A last ioasid_put() of one of the set's IDs may race with this call: the
 * set's memory lives until that release is over.  Otherwise nobody may use
 * @set concurrently or after this call.
 *
 * Context: any context where the caller may sleep.
 */
void ioasid_set_free(struct ioasid_set *set)
{
	struct ioasid_data *data;
	unsigned long index;

	if (!set)
		return;

	rcu_read_lock();
	xa_for_each(&ioasid_xa, index, data) {
		if (data->set == set)
			ioasid_release(data);
	}
	rcu_read_unlock();

	/* Releases still running elsewhere hold their own references. */
	ioasid_set_put(set);
}
EXPORT_SYMBOL_GPL(ioasid_set_free);

/**
 * ioasid_set_token() - the token a set was created with
 * @set: the set
 *
 * Return: the @token given to ioasid_set_alloc().
 */
void *ioasid_set_token(const struct ioasid_set *set)
{
	return set->token;
}
EXPORT_SYMBOL_GPL(ioasid_set_token);

/**
 * ioasid_set_nr_ids() - how many IDs a set holds
 * @set: the set
 *
 * Return: the IDs of @set that are allocated and not yet released; this is
 * what the quota is checked against.
 */
unsigned int ioasid_set_nr_ids(const struct ioasid_set *set)
{
	return atomic_read(&set->nr_ids);
}
EXPORT_SYMBOL_GPL(ioasid_set_nr_ids);

static int ioasid_alloc_default(struct ioasid_data *data, ioasid_t min,
				ioasid_t max)
{
	u32 id;
	void *old;
	int ret;

	/* Reserve the number, then publish the initialised data. */
	ret = xa_alloc_irq(&ioasid_xa, &id, NULL, XA_LIMIT(min, max), GFP_KERNEL);
	if (ret)
		return ret;
	data->id = id;
	old = xa_store_irq(&ioasid_xa, id, data, GFP_KERNEL);
	if (WARN_ON_ONCE(xa_is_err(old))) {
		xa_erase_irq(&ioasid_xa, id);
		return xa_err(old);
	}
	return 0;
}

/*
 * How many numbers a custom allocator may hand out that are still taken by
 * IDs of an allocator removed earlier, before ioasid_alloc() gives up.
 */
#define IOASID_CUSTOM_TRIES	8

/* Caller holds ioasid_allocator_rwsem for reading. */
static int ioasid_alloc_custom(struct ioasid_allocator *allocator,
			       struct ioasid_data *data, ioasid_t min,
			       ioasid_t max)
{
	const struct ioasid_allocator_ops *ops = allocator->ops;
	ioasid_t taken[IOASID_CUSTOM_TRIES];
	int i, n = 0, ret;
	ioasid_t id;

	/* The registration holds a reference, so the group outlives this. */
	kref_get(&allocator->kref);
	data->allocator = allocator;
	do {
		id = ops->alloc(min, max, ops->pdata);
		if (id == INVALID_IOASID) {
			ret = -ENOSPC;
			break;
		}
		if (id < min || id > max) {
			pr_warn_ratelimited("%ps returned %u, outside [%u, %u]\n",
					    ops->alloc, id, min, max);
			ops->free(id, ops->pdata);
			ret = -ERANGE;
			break;
		}
		data->id = id;
		ret = xa_insert_irq(&ioasid_xa, id, data, GFP_KERNEL);
		/*
		 * -EBUSY: the number still belongs to an ID issued by an
		 * allocator that was unregistered.  Keep it out of the way
		 * and ask again.
		 */
		if (ret == -EBUSY)
			taken[n++] = id;
		else if (ret)
			ops->free(id, ops->pdata);
	} while (ret == -EBUSY && n < IOASID_CUSTOM_TRIES);

	for (i = 0; i < n; i++)
		ops->free(taken[i], ops->pdata);
	if (ret) {
		data->allocator = NULL;
		kref_put(&allocator->kref, ioasid_allocator_release);
	}
	return ret;
}

/**
 * ioasid_alloc_id() - allocate an ID, saying why not
 * @set: the set the ID is charged to
 * @min: lowest acceptable ID
 * @max: highest acceptable ID (inclusive); values above
 *	%INVALID_IOASID - 1 are clamped
 * @private: data returned by ioasid_find(), may be NULL
 * @out: the ID, set only on success
 *
 * The ID comes from the active allocator: the first registered custom
 * allocator, or the default one.  The caller holds one reference, dropped
 * with ioasid_put().  Subscribers hear %IOASID_NOTIFY_ALLOC once the ID can
 * be found.
 *
 * Context: process context; may sleep.
 * Return: 0; -EINVAL without a set or for an empty range; -ENOSPC when the
 * set's quota is used up, the range has no free ID or the custom allocator
 * gave none; -ENOMEM when memory ran out.
 */
int ioasid_alloc_id(struct ioasid_set *set, ioasid_t min, ioasid_t max,
		    void *private, ioasid_t *out)
{
	struct ioasid_allocator *allocator;
	struct ioasid_data *data;
	bool retried = false;
	unsigned int seq;
	int ret;

	might_sleep();
	if (!set)
		return -EINVAL;
	max = min_t(ioasid_t, max, INVALID_IOASID - 1);
	if (min > max)
		return -EINVAL;
	if (!atomic_add_unless(&set->nr_ids, 1, set->quota))
		return -ENOSPC;

	data = kzalloc(sizeof(*data), GFP_KERNEL);
	if (!data) {
		ret = -ENOMEM;
		goto uncharge;
	}
	data->set = set;
	refcount_inc(&set->refs);
	RCU_INIT_POINTER(data->private, private);
	refcount_set(&data->refs, 1);

retry:
	seq = atomic_read(&ioasid_free_seq);
	down_read(&ioasid_allocator_rwsem);
	allocator = list_first_entry_or_null(&ioasid_allocators,
					     struct ioasid_allocator, node);
	if (allocator)
		ret = ioasid_alloc_custom(allocator, data, min, max);
	else
		ret = ioasid_alloc_default(data, min, max);
	up_read(&ioasid_allocator_rwsem);

	/*
	 * IDs released a moment ago may still be on their way back: wait
	 * for them and try again if any arrived since the attempt began.
	 */
	if (ret && allocator && !retried) {
		retried = true;
		ioasid_flush_frees();
		if (atomic_read(&ioasid_free_seq) != seq)
			goto retry;
	}
	if (ret) {
		kfree(data);
		ioasid_set_put(set);
		/* Only a lack of memory is told apart from a lack of IDs. */
		if (ret != -ENOMEM)
			ret = -ENOSPC;
		goto uncharge;
	}

	ioasid_call_notifiers(data, IOASID_NOTIFY_ALLOC);
	*out = data->id;
	return 0;

uncharge:
	atomic_dec(&set->nr_ids);
	return ret;
}
EXPORT_SYMBOL_GPL(ioasid_alloc_id);

/**
 * ioasid_alloc() - allocate an ID
 * @set: the set the ID is charged to
 * @min: lowest acceptable ID
 * @max: highest acceptable ID (inclusive); values above
 *	%INVALID_IOASID - 1 are clamped
 * @private: data returned by ioasid_find(), may be NULL
 *
 * As ioasid_alloc_id(), for callers that need no reason for a failure.
 *
 * Context: process context; may sleep.
 * Return: the ID, or %INVALID_IOASID if the range is empty or exhausted,
 * the set's quota is used up, or memory runs out.
 */
ioasid_t ioasid_alloc(struct ioasid_set *set, ioasid_t min, ioasid_t max,
		      void *private)
{
	ioasid_t id;

	return ioasid_alloc_id(set, min, max, private, &id) ? INVALID_IOASID : id;
}
EXPORT_SYMBOL_GPL(ioasid_alloc);

/**
 * ioasid_get() - take a reference to an ID
 * @set: the set the ID belongs to
 * @id: the ID
 *
 * Context: any context.
 * Return: 0, -ENOENT if @id is not allocated (or is being released),
 * -EACCES if it belongs to another set.
 */
int ioasid_get(struct ioasid_set *set, ioasid_t id)
{
	struct ioasid_data *data;
	int ret = 0;

	rcu_read_lock();
	data = ioasid_lookup(set, id);
	if (IS_ERR(data))
		ret = PTR_ERR(data);
	else if (!refcount_inc_not_zero(&data->refs))
		ret = -ENOENT;
	rcu_read_unlock();
	return ret;
}
EXPORT_SYMBOL_GPL(ioasid_get);

/**
 * ioasid_put() - drop a reference to an ID
 * @set: the set the ID belongs to
 * @id: the ID
 *
 * Dropping the last reference (the one from ioasid_alloc() if nobody else
 * took one) releases the ID: it can no longer be found, subscribers hear
 * %IOASID_NOTIFY_FREE (in the caller's context), and the number goes back
 * to its allocator.  A custom allocator gets it back from a work item.
 *
 * Context: any context, including atomic and hard interrupt context.
 * Return: 1 if the ID was released, 0 if references remain, -ENOENT if
 * @id is not allocated, -EACCES if it belongs to another set.
 */
int ioasid_put(struct ioasid_set *set, ioasid_t id)
{
	struct ioasid_data *data;
	int ret = 0;

	rcu_read_lock();
	data = ioasid_lookup(set, id);
	if (IS_ERR(data)) {
		ret = PTR_ERR(data);
	} else if (refcount_dec_and_test(&data->refs)) {
		ioasid_release(data);
		ret = 1;
	}
	rcu_read_unlock();
	return ret;
}
EXPORT_SYMBOL_GPL(ioasid_put);

/**
 * ioasid_find() - look an ID up without locks
 * @set: the set the ID belongs to
 * @id: the ID
 * @getter: optional; called under RCU with the private data, returns true
 *	if it took a reference to that data (e.g. kref_get_unless_zero()),
 *	false if the data is going away
 *
 * Without @getter the returned pointer is only stable while the caller
 * holds rcu_read_lock() or otherwise controls the data's lifetime.
 *
 * Context: any context.
 * Return: the private data (may be NULL), or an ERR_PTR(): -ENOENT if @id
 * is not allocated, -EACCES if it belongs to another set, -ESRCH if
 * @getter refused the data.
 */
void *ioasid_find(struct ioasid_set *set, ioasid_t id,
		  bool (*getter)(void *private))
{
	struct ioasid_data *data;
	void *private;

	rcu_read_lock();
	data = ioasid_lookup(set, id);
	if (IS_ERR(data)) {
		private = data;
	} else {
		private = rcu_dereference(data->private);
		if (getter && !getter(private))
			private = ERR_PTR(-ESRCH);
	}
	rcu_read_unlock();
	return private;
}
EXPORT_SYMBOL_GPL(ioasid_find);

/**
 * ioasid_set_data() - replace the private data of an ID
 * @set: the set the ID belongs to
 * @id: the ID
 * @private: the new data
 *
 * The new data is published with RCU.  When this returns, no lookup can
 * still be using the old data, so the caller may free it.
 *
 * Context: process context; sleeps (waits for an RCU grace period).
 * Return: 0, -ENOENT if @id is not allocated, -EACCES if it belongs to
 * another set.
 */
int ioasid_set_data(struct ioasid_set *set, ioasid_t id, void *private)
{
	struct ioasid_data *data;

	might_sleep();
	rcu_read_lock();
	data = ioasid_lookup(set, id);
	if (IS_ERR(data)) {
		rcu_read_unlock();
		return PTR_ERR(data);
	}
	rcu_assign_pointer(data->private, private);
	rcu_read_unlock();

	synchronize_rcu();
	return 0;
}
EXPORT_SYMBOL_GPL(ioasid_set_data);

static struct ioasid_member *ioasid_find_member(const struct ioasid_allocator_ops *ops,
						struct ioasid_allocator **group)
{
	struct ioasid_allocator *allocator;
	struct ioasid_member *member;

	list_for_each_entry(allocator, &ioasid_allocators, node) {
		list_for_each_entry(member, &allocator->members, node) {
			if (member->ops == ops) {
				*group = allocator;
				return member;
			}
		}
	}
	return NULL;
}

/**
 * ioasid_register_allocator() - register a custom ID allocator
 * @ops: the allocator; must stay valid until it is unregistered
 *
 * If registered ops already use the same alloc and free functions, @ops
 * joins their group and shares its ID space.  Otherwise the new allocator
 * becomes active at once if no custom allocator is registered (only while
 * no ID is allocated), or waits behind the ones registered before it.
 *
 * Context: process context; may sleep.
 * Return: 0, -EINVAL if @ops lacks a function, -EEXIST if @ops is already
 * registered, -EAGAIN if it would replace the default allocator while IDs
 * are allocated, -ENOMEM.
 */
int ioasid_register_allocator(const struct ioasid_allocator_ops *ops)
{
	struct ioasid_allocator *allocator, *group = NULL;
	struct ioasid_member *member;
	int ret = 0;

	if (!ops || !ops->alloc || !ops->free)
		return -EINVAL;
	member = kzalloc(sizeof(*member), GFP_KERNEL);
	if (!member)
		return -ENOMEM;
	member->ops = ops;

	/* Frees on their way back still occupy their numbers. */
	ioasid_flush_frees();

	down_write(&ioasid_allocator_rwsem);
	if (ioasid_find_member(ops, &allocator)) {
		ret = -EEXIST;
		goto out;
	}
	list_for_each_entry(allocator, &ioasid_allocators, node) {
		if (allocator->ops->alloc == ops->alloc &&
		    allocator->ops->free == ops->free) {
			group = allocator;
			break;
		}
	}
	if (group) {
		list_add_tail(&member->node, &group->members);
		goto out;
	}

	if (list_empty(&ioasid_allocators) && !xa_empty(&ioasid_xa)) {
		ret = -EAGAIN;
		goto out;
	}
	group = kzalloc(sizeof(*group), GFP_KERNEL);
	if (!group) {
		ret = -ENOMEM;
		goto out;
	}
	INIT_LIST_HEAD(&group->members);
	kref_init(&group->kref);
	group->ops = ops;
	list_add_tail(&member->node, &group->members);
	list_add_tail(&group->node, &ioasid_allocators);
out:
	up_write(&ioasid_allocator_rwsem);
	if (ret)
		kfree(member);
	return ret;
}
EXPORT_SYMBOL_GPL(ioasid_register_allocator);

/**
 * ioasid_unregister_allocator() - remove a custom ID allocator
 * @ops: ops given to ioasid_register_allocator()
 *
 * Frees already on their way back are delivered first.  If other members
 * share @ops' group, the group carries on with one of them and its IDs stay
 * served.  If @ops was the last member, the group goes away and the next
 * registered allocator, or the default one, becomes active; the group's IDs
 * still allocated stay valid until put, but are then not returned to any
 * allocator.  Their number is logged and returned.
 *
 * After this returns, @ops and its pdata are never used again.
 *
 * Context: process context; may sleep.
 * Return: the number of IDs of the removed group still outstanding (0 when
 * a group member remains), or -ENOENT if @ops is not registered.
 */
int ioasid_unregister_allocator(const struct ioasid_allocator_ops *ops)
{
	struct ioasid_allocator *group;
	struct ioasid_member *member;
	int ret = 0;

	ioasid_flush_frees();

	down_write(&ioasid_allocator_rwsem);
	member = ioasid_find_member(ops, &group);
	if (!member) {
		ret = -ENOENT;
		goto out;
	}
	list_del(&member->node);
	kfree(member);

	if (!list_empty(&group->members)) {
		if (group->ops == ops)
			group->ops = list_first_entry(&group->members,
						      struct ioasid_member,
						      node)->ops;
		goto out;
	}

	list_del(&group->node);
	group->ops = NULL;
	ret = kref_read(&group->kref) - 1;
	if (ret)
		pr_warn("allocator %ps unregistered with %d IDs outstanding; they will not be returned to it\n",
			ops->alloc, ret);
	kref_put(&group->kref, ioasid_allocator_release);
out:
	up_write(&ioasid_allocator_rwsem);
	return ret;
}
EXPORT_SYMBOL_GPL(ioasid_unregister_allocator);

/**
 * ioasid_register_notifier() - subscribe to ID events
 * @set: the set whose IDs to hear about, or NULL for every set
 * @nb: the notifier; its callback gets an &enum ioasid_event and a
 *	&struct ioasid_nb_args
 *
 * The chains are atomic notifier chains: callbacks run under RCU in the
 * context of whoever caused the event (%IOASID_NOTIFY_FREE may come from
 * atomic context) and must not sleep.  A set's subscribers hear an event
 * before the global ones.
 *
 * Context: any context.
 * Return: 0, or -EEXIST if @nb is already registered there.
 */
int ioasid_register_notifier(struct ioasid_set *set, struct notifier_block *nb)
{
	return atomic_notifier_chain_register(set ? &set->notifier :
					      &ioasid_notifier, nb);
}
EXPORT_SYMBOL_GPL(ioasid_register_notifier);

/**
 * ioasid_unregister_notifier() - unsubscribe from ID events
 * @set: the set given to ioasid_register_notifier(), or NULL
 * @nb: the notifier
 *
 * When this returns, @nb's callback is not running and will not be called.
 *
 * Context: process context; sleeps.
 */
void ioasid_unregister_notifier(struct ioasid_set *set,
				struct notifier_block *nb)
{
	atomic_notifier_chain_unregister(set ? &set->notifier :
					 &ioasid_notifier, nb);
}
EXPORT_SYMBOL_GPL(ioasid_unregister_notifier);

/**
 * ioasid_notify() - tell subscribers that an ID was bound or unbound
 * @set: the set the ID belongs to
 * @id: the ID
 * @event: %IOASID_NOTIFY_BIND or %IOASID_NOTIFY_UNBIND
 *
 * Context: any context.
 * Return: 0, -EINVAL for another event, -ENOENT if @id is not allocated,
 * -EACCES if it belongs to another set.
 */
int ioasid_notify(struct ioasid_set *set, ioasid_t id, enum ioasid_event event)
{
	struct ioasid_data *data;
	int ret = 0;

	if (event != IOASID_NOTIFY_BIND && event != IOASID_NOTIFY_UNBIND)
		return -EINVAL;

	rcu_read_lock();
	data = ioasid_lookup(set, id);
	if (IS_ERR(data))
		ret = PTR_ERR(data);
	else
		ioasid_call_notifiers(data, event);
	rcu_read_unlock();
	return ret;
}
EXPORT_SYMBOL_GPL(ioasid_notify);

static int __init ioasid_init(void)
{
	return 0;
}

static void __exit ioasid_exit(void)
{
	struct ioasid_allocator *allocator, *next;
	struct ioasid_data *data;
	unsigned long index;

	ioasid_flush_frees();
	/* Users hold references to this module, so this is only a safety net. */
	if (ioasid_nr_allocated())
		pr_warn("%lu IDs still allocated at exit\n", ioasid_nr_allocated());
	xa_for_each(&ioasid_xa, index, data) {
		xa_erase_irq(&ioasid_xa, index);
		kfree_rcu(data, rcu);
	}
	list_for_each_entry_safe(allocator, next, &ioasid_allocators, node) {
		struct ioasid_member *member, *tmp;

		list_for_each_entry_safe(member, tmp, &allocator->members, node)
			kfree(member);
		kfree(allocator);
	}
	xa_destroy(&ioasid_xa);
}

module_init(ioasid_init);
module_exit(ioasid_exit);

MODULE_DESCRIPTION("IOASID allocator with sets, quotas and custom allocators");
MODULE_LICENSE("GPL");
