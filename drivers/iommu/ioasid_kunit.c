// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the IOASID allocator.
 *
 * The tests use IDs from TEST_BASE upwards, away from what other users of
 * the allocator might hold.  Tests that switch the active allocator need
 * an empty ID space and are skipped when someone else holds IDs.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/ioasid.h>
#include <linux/irq_work.h>
#include <linux/kthread.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#define TEST_BASE	0xf0000U
#define TEST_SPACE	64

/* The "host" behind one or more test allocators: a bitmap of IDs. */
struct test_backend {
	spinlock_t lock;		/* protects map */
	unsigned long map[BITS_TO_LONGS(TEST_SPACE)];
	atomic_t violations;	/* calls through a dead member, double frees */
	atomic_t bad_context;	/* calls in a context that may not sleep */
};

/* One registered allocator (one vIOMMU), pdata of its ops. */
struct test_viommu {
	struct ioasid_allocator_ops ops;
	struct kunit *test;
	struct test_backend *backend;
	bool live;
	atomic_t nr_alloc;
	atomic_t nr_free;
};

static void test_check_member(struct test_viommu *v)
{
	if (!READ_ONCE(v->live))
		atomic_inc(&v->backend->violations);
	if (!in_task() || irqs_disabled() || preempt_count())
		atomic_inc(&v->backend->bad_context);
	might_sleep();
}

static ioasid_t test_alloc(ioasid_t min, ioasid_t max, void *pdata)
{
	struct test_viommu *v = pdata;
	struct test_backend *b = v->backend;
	unsigned long bit, end;
	ioasid_t id = INVALID_IOASID;

	test_check_member(v);
	atomic_inc(&v->nr_alloc);
	if (max < TEST_BASE || min >= TEST_BASE + TEST_SPACE)
		return INVALID_IOASID;
	bit = min > TEST_BASE ? min - TEST_BASE : 0;
	end = min_t(unsigned long, max - TEST_BASE + 1, TEST_SPACE);
	spin_lock(&b->lock);
	bit = find_next_zero_bit(b->map, end, bit);
	if (bit < end) {
		__set_bit(bit, b->map);
		id = TEST_BASE + bit;
	}
	spin_unlock(&b->lock);
	return id;
}

static void test_free(ioasid_t id, void *pdata)
{
	struct test_viommu *v = pdata;
	struct test_backend *b = v->backend;

	test_check_member(v);
	atomic_inc(&v->nr_free);
	spin_lock(&b->lock);
	if (id < TEST_BASE || id >= TEST_BASE + TEST_SPACE ||
	    !__test_and_clear_bit(id - TEST_BASE, b->map))
		atomic_inc(&b->violations);
	spin_unlock(&b->lock);
}

/* Same behaviour, different functions: a separate ID space. */
static ioasid_t test_alloc_other(ioasid_t min, ioasid_t max, void *pdata)
{
	return test_alloc(min, max, pdata);
}

static void test_free_other(ioasid_t id, void *pdata)
{
	test_free(id, pdata);
}

static struct test_backend *test_backend_new(struct kunit *test)
{
	struct test_backend *b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, b);
	spin_lock_init(&b->lock);
	return b;
}

static struct test_viommu *test_viommu_new(struct kunit *test,
					   struct test_backend *b, bool other)
{
	struct test_viommu *v = kunit_kzalloc(test, sizeof(*v), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, v);
	v->test = test;
	v->backend = b;
	v->ops.alloc = other ? test_alloc_other : test_alloc;
	v->ops.free = other ? test_free_other : test_free;
	v->ops.pdata = v;
	return v;
}

static int test_unregister(struct test_viommu *v)
{
	int ret = ioasid_unregister_allocator(&v->ops);

	/* From here on, any call with this pdata is a violation. */
	WRITE_ONCE(v->live, false);
	return ret;
}

/* Runs when a test ends, also after a failed assertion; -ENOENT is fine. */
static void test_unregister_action(void *v)
{
	test_unregister(v);
}

static int test_register(struct test_viommu *v)
{
	int ret;

	WRITE_ONCE(v->live, true);
	ret = ioasid_register_allocator(&v->ops);
	if (ret) {
		WRITE_ONCE(v->live, false);
		return ret;
	}
	/* Runs before v itself is freed: actions run in reverse order. */
	return kunit_add_action_or_reset(v->test, test_unregister_action, v);
}

static bool test_backend_empty(struct test_backend *b)
{
	return bitmap_empty(b->map, TEST_SPACE);
}

static struct ioasid_set *test_set(struct kunit *test, void *token,
				   unsigned int quota)
{
	struct ioasid_set *set = ioasid_set_alloc(token, quota);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, set);
	return set;
}

static void test_need_empty_space(struct kunit *test)
{
	ioasid_flush_frees();
	if (ioasid_nr_allocated())
		kunit_skip(test, "other users hold %lu IDs", ioasid_nr_allocated());
}

static void ioasid_test_range(struct kunit *test)
{
	struct ioasid_set *set = test_set(test, test, 16);
	ioasid_t a, b, c, top;

	KUNIT_EXPECT_EQ(test, ioasid_alloc(set, TEST_BASE + 5, TEST_BASE + 5, NULL),
			TEST_BASE + 5);
	/* A one-ID range is now exhausted. */
	KUNIT_EXPECT_EQ(test, ioasid_alloc(set, TEST_BASE + 5, TEST_BASE + 5, NULL),
			INVALID_IOASID);
	KUNIT_EXPECT_EQ(test, ioasid_alloc(set, TEST_BASE + 7, TEST_BASE + 6, NULL),
			INVALID_IOASID);
	KUNIT_EXPECT_EQ(test, ioasid_alloc(NULL, TEST_BASE, TEST_BASE + 9, NULL),
			INVALID_IOASID);

	/* Inclusive bounds; the exhausted ID in between is skipped. */
	a = ioasid_alloc(set, TEST_BASE + 4, TEST_BASE + 6, NULL);
	b = ioasid_alloc(set, TEST_BASE + 4, TEST_BASE + 6, NULL);
	KUNIT_EXPECT_EQ(test, a, TEST_BASE + 4);
	KUNIT_EXPECT_EQ(test, b, TEST_BASE + 6);
	KUNIT_EXPECT_EQ(test, ioasid_alloc(set, TEST_BASE + 4, TEST_BASE + 6, NULL),
			INVALID_IOASID);

	/* A freed ID can be allocated again. */
	KUNIT_EXPECT_EQ(test, ioasid_put(set, a), 1);
	c = ioasid_alloc(set, TEST_BASE + 4, TEST_BASE + 6, NULL);
	KUNIT_EXPECT_EQ(test, c, a);

	/* The invalid value itself is never handed out. */
	top = ioasid_alloc(set, INVALID_IOASID - 1, INVALID_IOASID, NULL);
	KUNIT_EXPECT_EQ(test, top, INVALID_IOASID - 1);
	KUNIT_EXPECT_EQ(test, ioasid_alloc(set, INVALID_IOASID - 1, INVALID_IOASID, NULL),
			INVALID_IOASID);
	KUNIT_EXPECT_EQ(test, ioasid_alloc(set, INVALID_IOASID, INVALID_IOASID, NULL),
			INVALID_IOASID);

	KUNIT_EXPECT_EQ(test, ioasid_set_nr_ids(set), 4);
	KUNIT_EXPECT_EQ(test, ioasid_put(set, b), 1);
	KUNIT_EXPECT_EQ(test, ioasid_put(set, c), 1);
	KUNIT_EXPECT_EQ(test, ioasid_put(set, top), 1);
	KUNIT_EXPECT_EQ(test, ioasid_put(set, TEST_BASE + 5), 1);
	KUNIT_EXPECT_EQ(test, ioasid_set_nr_ids(set), 0);
	ioasid_set_free(set);
}

/* ioasid_alloc_id() says why it failed; the ID is written on success only. */
static void ioasid_test_alloc_errno(struct kunit *test)
{
	struct ioasid_set *set = test_set(test, test, 2);
	ioasid_t id = 1234, a;

	KUNIT_EXPECT_EQ(test, ioasid_alloc_id(NULL, TEST_BASE, TEST_BASE, NULL, &id),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, ioasid_alloc_id(set, TEST_BASE + 1, TEST_BASE, NULL, &id),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, id, 1234);

	KUNIT_ASSERT_EQ(test, ioasid_alloc_id(set, TEST_BASE, TEST_BASE, NULL, &a), 0);
	KUNIT_EXPECT_EQ(test, a, TEST_BASE);
	/* The range is used up... */
	KUNIT_EXPECT_EQ(test, ioasid_alloc_id(set, TEST_BASE, TEST_BASE, NULL, &id),
			-ENOSPC);
	KUNIT_ASSERT_EQ(test, ioasid_alloc_id(set, TEST_BASE + 1, TEST_BASE + 9,
					      NULL, &a), 0);
	/* ...and then the quota. */
	KUNIT_EXPECT_EQ(test, ioasid_alloc_id(set, TEST_BASE + 2, TEST_BASE + 9,
					      NULL, &id), -ENOSPC);
	KUNIT_EXPECT_EQ(test, id, 1234);
	KUNIT_EXPECT_EQ(test, ioasid_set_nr_ids(set), 2);

	KUNIT_EXPECT_EQ(test, ioasid_put(set, TEST_BASE), 1);
	KUNIT_EXPECT_EQ(test, ioasid_put(set, a), 1);
	ioasid_set_free(set);
}

static void ioasid_test_quota(struct kunit *test)
{
	struct ioasid_set *set, *other;
	ioasid_t ids[3];
	int i;

	KUNIT_EXPECT_EQ(test, PTR_ERR(ioasid_set_alloc(test, 0)), -EINVAL);

	set = test_set(test, test, 3);
	other = test_set(test, NULL, 1);
	KUNIT_EXPECT_PTR_EQ(test, ioasid_set_token(set), (void *)test);

	for (i = 0; i < 3; i++) {
		ids[i] = ioasid_alloc(set, TEST_BASE, TEST_BASE + 31, NULL);
		KUNIT_EXPECT_NE(test, ids[i], INVALID_IOASID);
	}
	KUNIT_EXPECT_EQ(test, ioasid_set_nr_ids(set), 3);
	/* Quota reached although the range has room... */
	KUNIT_EXPECT_EQ(test, ioasid_alloc(set, TEST_BASE, TEST_BASE + 31, NULL),
			INVALID_IOASID);
	KUNIT_EXPECT_EQ(test, ioasid_set_nr_ids(set), 3);
	/* ...which another set can still use. */
	KUNIT_EXPECT_NE(test, ioasid_alloc(other, TEST_BASE, TEST_BASE + 31, NULL),
			INVALID_IOASID);

	/* An extra reference keeps the quota charged. */
	KUNIT_EXPECT_EQ(test, ioasid_get(set, ids[0]), 0);
	KUNIT_EXPECT_EQ(test, ioasid_put(set, ids[0]), 0);
	KUNIT_EXPECT_EQ(test, ioasid_alloc(set, TEST_BASE, TEST_BASE + 31, NULL),
			INVALID_IOASID);
	KUNIT_EXPECT_EQ(test, ioasid_put(set, ids[0]), 1);
	KUNIT_EXPECT_EQ(test, ioasid_set_nr_ids(set), 2);
	ids[0] = ioasid_alloc(set, TEST_BASE, TEST_BASE + 31, NULL);
	KUNIT_EXPECT_NE(test, ids[0], INVALID_IOASID);

	ioasid_set_free(set);
	ioasid_set_free(other);
}

static void ioasid_test_isolation(struct kunit *test)
{
	struct ioasid_set *a = test_set(test, NULL, 4);
	struct ioasid_set *b = test_set(test, NULL, 4);
	int priv_a = 1, priv_b = 2;
	ioasid_t ia, ib;

	ia = ioasid_alloc(a, TEST_BASE, TEST_BASE + 15, &priv_a);
	ib = ioasid_alloc(b, TEST_BASE, TEST_BASE + 15, &priv_b);
	KUNIT_ASSERT_NE(test, ia, INVALID_IOASID);
	KUNIT_ASSERT_NE(test, ib, INVALID_IOASID);
	KUNIT_EXPECT_NE(test, ia, ib);

	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(b, ia, NULL), ERR_PTR(-EACCES));
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(NULL, ia, NULL), ERR_PTR(-EACCES));
	KUNIT_EXPECT_EQ(test, ioasid_get(b, ia), -EACCES);
	KUNIT_EXPECT_EQ(test, ioasid_put(b, ia), -EACCES);
	KUNIT_EXPECT_EQ(test, ioasid_set_data(b, ia, &priv_b), -EACCES);
	KUNIT_EXPECT_EQ(test, ioasid_notify(b, ia, IOASID_NOTIFY_BIND), -EACCES);

	/* Nothing above changed the ID. */
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(a, ia, NULL), (void *)&priv_a);
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(b, ib, NULL), (void *)&priv_b);

	/* Freeing set b does not touch set a. */
	ioasid_set_free(b);
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(a, ia, NULL), (void *)&priv_a);
	KUNIT_EXPECT_EQ(test, ioasid_put(a, ia), 1);
	ioasid_set_free(a);
}

struct test_obj {
	unsigned long magic;
	refcount_t refs;
	atomic_t getter_calls;
};

#define TEST_MAGIC	0x10a51dUL
/* How long a lookup keeps the object in use, to widen the race window. */
#define TEST_READER_DELAY_US	50

static bool test_getter(void *private)
{
	struct test_obj *obj = private;

	atomic_inc(&obj->getter_calls);
	return refcount_inc_not_zero(&obj->refs);
}

static void ioasid_test_find(struct kunit *test)
{
	struct ioasid_set *set = test_set(test, NULL, 4);
	struct test_obj obj = { .magic = TEST_MAGIC };
	ioasid_t id, id_null;

	refcount_set(&obj.refs, 1);
	id = ioasid_alloc(set, TEST_BASE, TEST_BASE + 15, &obj);
	id_null = ioasid_alloc(set, TEST_BASE, TEST_BASE + 15, NULL);
	KUNIT_ASSERT_NE(test, id, INVALID_IOASID);
	KUNIT_ASSERT_NE(test, id_null, INVALID_IOASID);

	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(set, TEST_BASE + 40, NULL),
			    ERR_PTR(-ENOENT));
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(set, id, NULL), (void *)&obj);
	KUNIT_EXPECT_NULL(test, ioasid_find(set, id_null, NULL));

	/* The getter takes a reference... */
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(set, id, test_getter), (void *)&obj);
	KUNIT_EXPECT_EQ(test, refcount_read(&obj.refs), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&obj.getter_calls), 1);
	/* ...or refuses an object that is going away. */
	refcount_set(&obj.refs, 0);
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(set, id, test_getter), ERR_PTR(-ESRCH));
	KUNIT_EXPECT_EQ(test, atomic_read(&obj.getter_calls), 2);

	KUNIT_EXPECT_EQ(test, ioasid_put(set, id), 1);
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(set, id, NULL), ERR_PTR(-ENOENT));
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(set, id, test_getter), ERR_PTR(-ENOENT));
	KUNIT_EXPECT_EQ(test, atomic_read(&obj.getter_calls), 2);
	KUNIT_EXPECT_EQ(test, ioasid_put(set, id_null), 1);
	ioasid_set_free(set);
}

static void ioasid_test_refcount(struct kunit *test)
{
	struct ioasid_set *set = test_set(test, NULL, 2);
	int priv;
	ioasid_t id;

	id = ioasid_alloc(set, TEST_BASE, TEST_BASE + 15, &priv);
	KUNIT_ASSERT_NE(test, id, INVALID_IOASID);
	KUNIT_EXPECT_EQ(test, ioasid_get(set, id), 0);
	KUNIT_EXPECT_EQ(test, ioasid_get(set, id), 0);

	KUNIT_EXPECT_EQ(test, ioasid_put(set, id), 0);
	KUNIT_EXPECT_EQ(test, ioasid_put(set, id), 0);
	/* Still there until the last reference goes. */
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(set, id, NULL), (void *)&priv);
	KUNIT_EXPECT_EQ(test, ioasid_set_nr_ids(set), 1);
	KUNIT_EXPECT_EQ(test, ioasid_put(set, id), 1);

	KUNIT_EXPECT_EQ(test, ioasid_set_nr_ids(set), 0);
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(set, id, NULL), ERR_PTR(-ENOENT));
	KUNIT_EXPECT_EQ(test, ioasid_get(set, id), -ENOENT);
	KUNIT_EXPECT_EQ(test, ioasid_put(set, id), -ENOENT);
	KUNIT_EXPECT_EQ(test, ioasid_set_data(set, id, NULL), -ENOENT);
	KUNIT_EXPECT_EQ(test, ioasid_notify(set, id, IOASID_NOTIFY_BIND), -ENOENT);
	ioasid_set_free(set);
}

struct test_reader {
	struct ioasid_set *set;
	ioasid_t id;
	atomic_t reads;
	atomic_t bad;
	struct completion done;
};

static bool test_check_magic(void *private)
{
	struct test_obj *obj = private;

	/*
	 * Runs under RCU: the object must stay valid throughout, however
	 * long the reader takes (KASAN reports a use after free).
	 */
	if (!obj || READ_ONCE(obj->magic) != TEST_MAGIC)
		return false;
	udelay(TEST_READER_DELAY_US);	/* atomic: cannot sleep here */
	return READ_ONCE(obj->magic) == TEST_MAGIC;
}

static int test_reader_fn(void *arg)
{
	struct test_reader *r = arg;

	while (!kthread_should_stop()) {
		void *p = ioasid_find(r->set, r->id, test_check_magic);

		if (IS_ERR(p))
			atomic_inc(&r->bad);
		atomic_inc(&r->reads);
		cond_resched();
	}
	complete(&r->done);
	return 0;
}

static void ioasid_test_set_data(struct kunit *test)
{
	struct ioasid_set *set = test_set(test, NULL, 1);
	struct task_struct *tasks[2];
	struct test_reader r = { .set = set };
	struct test_obj *obj, *old;
	int i;

	obj = kzalloc(sizeof(*obj), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, obj);
	obj->magic = TEST_MAGIC;
	r.id = ioasid_alloc(set, TEST_BASE, TEST_BASE + 15, obj);
	KUNIT_ASSERT_NE(test, r.id, INVALID_IOASID);
	init_completion(&r.done);

	for (i = 0; i < ARRAY_SIZE(tasks); i++) {
		tasks[i] = kthread_run(test_reader_fn, &r, "ioasid_reader/%d", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(tasks[i]));
	}

	for (i = 0; i < 40; i++) {
		old = obj;
		obj = kzalloc(sizeof(*obj), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, obj);
		obj->magic = TEST_MAGIC;
		KUNIT_EXPECT_EQ(test, ioasid_set_data(set, r.id, obj), 0);
		KUNIT_EXPECT_PTR_EQ(test, ioasid_find(set, r.id, NULL), (void *)obj);
		/* Allowed once ioasid_set_data() returned: KASAN checks. */
		WRITE_ONCE(old->magic, 0);
		kfree(old);
		usleep_range(100, 200);
	}

	for (i = 0; i < ARRAY_SIZE(tasks); i++)
		kthread_stop(tasks[i]);
	KUNIT_EXPECT_GT(test, atomic_read(&r.reads), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&r.bad), 0);

	KUNIT_EXPECT_EQ(test, ioasid_put(set, r.id), 1);
	kfree(obj);
	ioasid_set_free(set);
}

#define TEST_MAX_EVENTS	16

struct test_listener {
	struct notifier_block nb;
	struct ioasid_set *only[2];	/* filter for the global chain */
	spinlock_t lock;		/* protects n and ev */
	int n;
	struct {
		unsigned long event;
		struct ioasid_nb_args args;
	} ev[TEST_MAX_EVENTS];
};

static int test_notify_fn(struct notifier_block *nb, unsigned long event,
			  void *data)
{
	struct test_listener *l = container_of(nb, struct test_listener, nb);
	struct ioasid_nb_args *args = data;
	unsigned long flags;

	if (l->only[0] && args->set != l->only[0] && args->set != l->only[1])
		return NOTIFY_DONE;
	spin_lock_irqsave(&l->lock, flags);
	if (l->n < TEST_MAX_EVENTS) {
		l->ev[l->n].event = event;
		l->ev[l->n].args = *args;
	}
	l->n++;
	spin_unlock_irqrestore(&l->lock, flags);
	return NOTIFY_OK;
}

static void test_listener_init(struct test_listener *l)
{
	memset(l, 0, sizeof(*l));
	spin_lock_init(&l->lock);
	l->nb.notifier_call = test_notify_fn;
}

static void expect_event(struct kunit *test, struct test_listener *l, int i,
			 enum ioasid_event event, struct ioasid_set *set,
			 ioasid_t id, void *private)
{
	KUNIT_EXPECT_EQ_MSG(test, l->ev[i].event, (unsigned long)event, "event %d", i);
	KUNIT_EXPECT_PTR_EQ_MSG(test, l->ev[i].args.set, set, "event %d", i);
	KUNIT_EXPECT_EQ_MSG(test, l->ev[i].args.id, id, "event %d", i);
	KUNIT_EXPECT_PTR_EQ_MSG(test, l->ev[i].args.private, private, "event %d", i);
}

static void ioasid_test_notifier(struct kunit *test)
{
	struct ioasid_set *a = test_set(test, NULL, 4);
	struct ioasid_set *b = test_set(test, NULL, 4);
	struct test_listener *per_set, *global;
	int pa = 1, pb = 2;
	ioasid_t ia, ib, ia2, ia3;

	per_set = kunit_kzalloc(test, sizeof(*per_set), GFP_KERNEL);
	global = kunit_kzalloc(test, sizeof(*global), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, per_set);
	KUNIT_ASSERT_NOT_NULL(test, global);
	test_listener_init(per_set);
	test_listener_init(global);
	global->only[0] = a;
	global->only[1] = b;
	KUNIT_ASSERT_EQ(test, ioasid_register_notifier(a, &per_set->nb), 0);
	KUNIT_ASSERT_EQ(test, ioasid_register_notifier(NULL, &global->nb), 0);

	ia = ioasid_alloc(a, TEST_BASE, TEST_BASE + 15, &pa);
	ib = ioasid_alloc(b, TEST_BASE, TEST_BASE + 15, &pb);
	KUNIT_ASSERT_NE(test, ia, INVALID_IOASID);
	KUNIT_ASSERT_NE(test, ib, INVALID_IOASID);
	KUNIT_ASSERT_EQ(test, per_set->n, 1);
	KUNIT_ASSERT_EQ(test, global->n, 2);
	expect_event(test, per_set, 0, IOASID_NOTIFY_ALLOC, a, ia, &pa);
	expect_event(test, global, 0, IOASID_NOTIFY_ALLOC, a, ia, &pa);
	expect_event(test, global, 1, IOASID_NOTIFY_ALLOC, b, ib, &pb);

	KUNIT_EXPECT_EQ(test, ioasid_notify(a, ia, IOASID_NOTIFY_ALLOC), -EINVAL);
	KUNIT_EXPECT_EQ(test, ioasid_notify(a, ia, IOASID_NOTIFY_FREE), -EINVAL);
	KUNIT_EXPECT_EQ(test, ioasid_notify(a, ia, IOASID_NOTIFY_BIND), 0);
	KUNIT_EXPECT_EQ(test, ioasid_notify(a, ia, IOASID_NOTIFY_UNBIND), 0);
	KUNIT_ASSERT_EQ(test, per_set->n, 3);
	KUNIT_ASSERT_EQ(test, global->n, 4);
	expect_event(test, per_set, 1, IOASID_NOTIFY_BIND, a, ia, &pa);
	expect_event(test, per_set, 2, IOASID_NOTIFY_UNBIND, a, ia, &pa);
	expect_event(test, global, 2, IOASID_NOTIFY_BIND, a, ia, &pa);
	expect_event(test, global, 3, IOASID_NOTIFY_UNBIND, a, ia, &pa);

	/* FREE only on the last put. */
	KUNIT_EXPECT_EQ(test, ioasid_get(a, ia), 0);
	KUNIT_EXPECT_EQ(test, ioasid_put(a, ia), 0);
	KUNIT_EXPECT_EQ(test, per_set->n, 3);
	KUNIT_EXPECT_EQ(test, ioasid_put(a, ia), 1);
	KUNIT_ASSERT_EQ(test, per_set->n, 4);
	KUNIT_ASSERT_EQ(test, global->n, 5);
	expect_event(test, per_set, 3, IOASID_NOTIFY_FREE, a, ia, &pa);
	expect_event(test, global, 4, IOASID_NOTIFY_FREE, a, ia, &pa);

	/* ioasid_set_free() releases and announces every remaining ID. */
	ia2 = ioasid_alloc(a, TEST_BASE, TEST_BASE + 15, NULL);
	ia3 = ioasid_alloc(a, TEST_BASE, TEST_BASE + 15, &pb);
	KUNIT_ASSERT_NE(test, ia2, INVALID_IOASID);
	KUNIT_ASSERT_NE(test, ia3, INVALID_IOASID);
	KUNIT_EXPECT_EQ(test, ioasid_get(a, ia3), 0);	/* freed regardless */
	KUNIT_ASSERT_EQ(test, per_set->n, 6);
	ioasid_set_free(a);
	KUNIT_ASSERT_EQ(test, per_set->n, 8);
	KUNIT_ASSERT_EQ(test, global->n, 9);
	/* Released in ID order. */
	expect_event(test, per_set, 6, IOASID_NOTIFY_FREE, a, min(ia2, ia3),
		     ia2 < ia3 ? NULL : &pb);
	expect_event(test, per_set, 7, IOASID_NOTIFY_FREE, a, max(ia2, ia3),
		     ia2 < ia3 ? &pb : NULL);
	KUNIT_EXPECT_EQ(test, global->ev[7].event, IOASID_NOTIFY_FREE);
	KUNIT_EXPECT_EQ(test, global->ev[8].event, IOASID_NOTIFY_FREE);
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(b, ib, NULL), (void *)&pb);

	ioasid_unregister_notifier(NULL, &global->nb);
	KUNIT_EXPECT_EQ(test, ioasid_put(b, ib), 1);
	KUNIT_EXPECT_EQ(test, global->n, 9);
	ioasid_set_free(b);
}

static void ioasid_test_register_rules(struct kunit *test)
{
	struct test_backend *be = test_backend_new(test);
	struct test_viommu *v = test_viommu_new(test, be, false);
	struct ioasid_allocator_ops bad = { .alloc = test_alloc };
	struct ioasid_set *set;
	ioasid_t id, orphan;

	test_need_empty_space(test);
	set = test_set(test, NULL, 8);

	KUNIT_EXPECT_EQ(test, ioasid_register_allocator(&bad), -EINVAL);
	KUNIT_EXPECT_EQ(test, ioasid_unregister_allocator(&v->ops), -ENOENT);

	/* The default allocator cannot be replaced while an ID is out. */
	id = ioasid_alloc(set, TEST_BASE, TEST_BASE + 15, NULL);
	KUNIT_ASSERT_NE(test, id, INVALID_IOASID);
	KUNIT_EXPECT_EQ(test, test_register(v), -EAGAIN);
	KUNIT_EXPECT_EQ(test, ioasid_put(set, id), 1);
	KUNIT_ASSERT_EQ(test, test_register(v), 0);
	KUNIT_EXPECT_EQ(test, ioasid_register_allocator(&v->ops), -EEXIST);

	/* The custom allocator serves allocations now. */
	orphan = ioasid_alloc(set, TEST_BASE, TEST_BASE + 15, NULL);
	KUNIT_EXPECT_EQ(test, orphan, TEST_BASE);
	KUNIT_EXPECT_EQ(test, atomic_read(&v->nr_alloc), 1);
	KUNIT_EXPECT_TRUE(test, test_bit(0, be->map));
	/* Its IDs are found like any other. */
	KUNIT_EXPECT_EQ(test, ioasid_get(set, orphan), 0);
	KUNIT_EXPECT_EQ(test, ioasid_put(set, orphan), 0);

	/* Unregistering with an ID outstanding reports it. */
	KUNIT_EXPECT_EQ(test, test_unregister(v), 1);
	KUNIT_EXPECT_EQ(test, ioasid_unregister_allocator(&v->ops), -ENOENT);

	/* Back on the default allocator, which skips the orphan. */
	id = ioasid_alloc(set, TEST_BASE, TEST_BASE + 15, NULL);
	KUNIT_EXPECT_EQ(test, id, TEST_BASE + 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&v->nr_alloc), 1);

	/* The orphan is still usable, and never goes back to the dead allocator. */
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(set, orphan, NULL), NULL);
	KUNIT_EXPECT_EQ(test, ioasid_put(set, orphan), 1);
	ioasid_flush_frees();
	KUNIT_EXPECT_EQ(test, atomic_read(&v->nr_free), 0);
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(set, orphan, NULL), ERR_PTR(-ENOENT));

	KUNIT_EXPECT_EQ(test, ioasid_put(set, id), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&be->violations), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&be->bad_context), 0);
	ioasid_set_free(set);
	KUNIT_EXPECT_EQ(test, ioasid_nr_allocated(), 0);
}

static void ioasid_test_shared_group(struct kunit *test)
{
	struct test_backend *host = test_backend_new(test);
	struct test_viommu *v1 = test_viommu_new(test, host, false);
	struct test_viommu *v2 = test_viommu_new(test, host, false);
	struct test_viommu *v3 = test_viommu_new(test, host, false);
	struct ioasid_set *set;
	ioasid_t ids[4];
	int i;

	test_need_empty_space(test);
	set = test_set(test, NULL, 8);

	KUNIT_ASSERT_EQ(test, test_register(v1), 0);
	ids[0] = ioasid_alloc(set, TEST_BASE, TEST_BASE + 15, NULL);
	KUNIT_EXPECT_EQ(test, ids[0], TEST_BASE);
	/* Same functions: v2 and v3 join v1's ID space although IDs are out. */
	KUNIT_ASSERT_EQ(test, test_register(v2), 0);
	KUNIT_ASSERT_EQ(test, test_register(v3), 0);
	ids[1] = ioasid_alloc(set, TEST_BASE, TEST_BASE + 15, NULL);
	KUNIT_EXPECT_EQ(test, ids[1], TEST_BASE + 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&v1->nr_alloc), 2);

	/* The first member leaves: the group carries on with a live one. */
	KUNIT_EXPECT_EQ(test, test_unregister(v1), 0);
	ids[2] = ioasid_alloc(set, TEST_BASE, TEST_BASE + 15, NULL);
	KUNIT_EXPECT_EQ(test, ids[2], TEST_BASE + 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&v1->nr_alloc), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&v2->nr_alloc), 1);

	/* IDs issued through v1 are returned through v2. */
	KUNIT_EXPECT_EQ(test, ioasid_put(set, ids[0]), 1);
	ioasid_flush_frees();
	KUNIT_EXPECT_EQ(test, atomic_read(&v1->nr_free), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&v2->nr_free), 1);
	KUNIT_EXPECT_FALSE(test, test_bit(0, host->map));

	/* A member that is not the one in use leaves: nothing changes. */
	KUNIT_EXPECT_EQ(test, test_unregister(v3), 0);
	ids[3] = ioasid_alloc(set, TEST_BASE, TEST_BASE + 15, NULL);
	KUNIT_EXPECT_EQ(test, ids[3], TEST_BASE);
	KUNIT_EXPECT_EQ(test, atomic_read(&v2->nr_alloc), 2);

	for (i = 1; i < 4; i++)
		KUNIT_EXPECT_EQ(test, ioasid_put(set, ids[i]), 1);
	ioasid_flush_frees();
	KUNIT_EXPECT_EQ(test, atomic_read(&v2->nr_free), 4);
	KUNIT_EXPECT_TRUE(test, test_backend_empty(host));
	KUNIT_EXPECT_EQ(test, test_unregister(v2), 0);

	KUNIT_EXPECT_EQ(test, atomic_read(&v1->nr_free) + atomic_read(&v3->nr_free) +
			atomic_read(&v3->nr_alloc), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&host->violations), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&host->bad_context), 0);
	ioasid_set_free(set);
}

static void ioasid_test_fallback(struct kunit *test)
{
	struct test_backend *host_a = test_backend_new(test);
	struct test_backend *host_c = test_backend_new(test);
	struct test_viommu *a = test_viommu_new(test, host_a, false);
	struct test_viommu *c = test_viommu_new(test, host_c, true);
	struct ioasid_set *set;
	ioasid_t orphan, id, id2;

	test_need_empty_space(test);
	set = test_set(test, NULL, 8);

	KUNIT_ASSERT_EQ(test, test_register(a), 0);
	/* Other functions, own ID space: queued behind a. */
	KUNIT_ASSERT_EQ(test, test_register(c), 0);
	orphan = ioasid_alloc(set, TEST_BASE, TEST_BASE + 15, NULL);
	KUNIT_EXPECT_EQ(test, orphan, TEST_BASE);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->nr_alloc), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->nr_alloc), 0);

	KUNIT_EXPECT_EQ(test, test_unregister(a), 1);

	/*
	 * c is active.  Its space offers TEST_BASE first, still taken by the
	 * orphan: that number goes back to c and the next one is used.
	 */
	id = ioasid_alloc(set, TEST_BASE, TEST_BASE + 15, NULL);
	KUNIT_EXPECT_EQ(test, id, TEST_BASE + 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->nr_alloc), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->nr_free), 1);
	KUNIT_EXPECT_FALSE(test, test_bit(0, host_c->map));
	KUNIT_EXPECT_TRUE(test, test_bit(1, host_c->map));
	/* No way around the orphan in a one-ID range. */
	KUNIT_EXPECT_EQ(test, ioasid_alloc(set, TEST_BASE, TEST_BASE, NULL),
			INVALID_IOASID);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->nr_alloc), 4);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->nr_free), 2);
	KUNIT_EXPECT_FALSE(test, test_bit(0, host_c->map));

	/* c goes too: default allocator, nothing called. */
	KUNIT_EXPECT_EQ(test, test_unregister(c), 1);
	id2 = ioasid_alloc(set, TEST_BASE, TEST_BASE + 15, NULL);
	KUNIT_EXPECT_EQ(test, id2, TEST_BASE + 2);

	KUNIT_EXPECT_EQ(test, ioasid_put(set, orphan), 1);
	KUNIT_EXPECT_EQ(test, ioasid_put(set, id), 1);
	KUNIT_EXPECT_EQ(test, ioasid_put(set, id2), 1);
	ioasid_flush_frees();
	KUNIT_EXPECT_EQ(test, atomic_read(&a->nr_free), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->nr_alloc), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->nr_alloc), 4);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->nr_free), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&host_a->violations), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&host_c->violations), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&host_c->bad_context), 0);
	ioasid_set_free(set);
	KUNIT_EXPECT_EQ(test, ioasid_nr_allocated(), 0);
}

struct test_hardirq {
	struct irq_work work;
	struct ioasid_set *set;
	ioasid_t id;
	int ret;
	bool in_hardirq;
};

static void test_hardirq_fn(struct irq_work *work)
{
	struct test_hardirq *h = container_of(work, struct test_hardirq, work);

	h->in_hardirq = in_hardirq();
	h->ret = ioasid_put(h->set, h->id);
}

static DEFINE_SPINLOCK(test_lock);

static void ioasid_test_atomic_free(struct kunit *test)
{
	struct test_backend *host = test_backend_new(test);
	struct test_viommu *v = test_viommu_new(test, host, false);
	struct test_listener *l;
	struct test_hardirq h = {};
	struct ioasid_set *set;
	unsigned long flags;
	ioasid_t ids[3];
	int i;

	test_need_empty_space(test);
	set = test_set(test, NULL, 8);
	l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, l);
	test_listener_init(l);
	KUNIT_ASSERT_EQ(test, ioasid_register_notifier(set, &l->nb), 0);

	/* Default allocator: released at once, under a spinlock. */
	ids[0] = ioasid_alloc(set, TEST_BASE, TEST_BASE + 15, NULL);
	KUNIT_ASSERT_NE(test, ids[0], INVALID_IOASID);
	spin_lock(&test_lock);
	KUNIT_EXPECT_EQ(test, ioasid_put(set, ids[0]), 1);
	spin_unlock(&test_lock);
	KUNIT_EXPECT_PTR_EQ(test, ioasid_find(set, ids[0], NULL), ERR_PTR(-ENOENT));
	KUNIT_EXPECT_EQ(test, ioasid_nr_allocated(), 0);

	/* Custom allocator whose free() sleeps. */
	KUNIT_ASSERT_EQ(test, test_register(v), 0);
	for (i = 0; i < 3; i++) {
		ids[i] = ioasid_alloc(set, TEST_BASE, TEST_BASE + 15, NULL);
		KUNIT_ASSERT_NE(test, ids[i], INVALID_IOASID);
	}
	KUNIT_EXPECT_EQ(test, l->n, 5);

	spin_lock_irqsave(&test_lock, flags);
	KUNIT_EXPECT_EQ(test, ioasid_put(set, ids[0]), 1);
	spin_unlock_irqrestore(&test_lock, flags);

	rcu_read_lock();
	KUNIT_EXPECT_EQ(test, ioasid_put(set, ids[1]), 1);
	rcu_read_unlock();

	h.set = set;
	h.id = ids[2];
	init_irq_work(&h.work, test_hardirq_fn);
	irq_work_queue(&h.work);
	irq_work_sync(&h.work);
	KUNIT_EXPECT_EQ(test, h.ret, 1);
	if (!h.in_hardirq)
		kunit_info(test, "irq_work did not run in hard interrupt context");

	/* Gone at once, handed back later, in process context. */
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_PTR_EQ(test, ioasid_find(set, ids[i], NULL),
				    ERR_PTR(-ENOENT));
	KUNIT_EXPECT_EQ(test, l->n, 8);
	KUNIT_EXPECT_EQ(test, ioasid_set_nr_ids(set), 0);
	ioasid_flush_frees();
	KUNIT_EXPECT_EQ(test, atomic_read(&v->nr_free), 3);
	KUNIT_EXPECT_TRUE(test, test_backend_empty(host));
	KUNIT_EXPECT_EQ(test, ioasid_nr_allocated(), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&host->bad_context), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&host->violations), 0);

	KUNIT_EXPECT_EQ(test, test_unregister(v), 0);
	ioasid_unregister_notifier(set, &l->nb);
	ioasid_set_free(set);
}

/* An ID released a moment ago is available again at once. */
static void ioasid_test_realloc(struct kunit *test)
{
	struct test_backend *host = test_backend_new(test);
	struct test_viommu *v = test_viommu_new(test, host, false);
	struct ioasid_set *set;
	unsigned long flags;
	int i;

	test_need_empty_space(test);
	set = test_set(test, NULL, 1);
	KUNIT_ASSERT_EQ(test, test_register(v), 0);

	for (i = 0; i < 20; i++) {
		/* The host has one ID, and gets it back from a work item. */
		if (ioasid_alloc(set, TEST_BASE, TEST_BASE, NULL) != TEST_BASE) {
			KUNIT_FAIL(test, "allocation %d after a free failed", i);
			break;
		}
		spin_lock_irqsave(&test_lock, flags);
		KUNIT_EXPECT_EQ(test, ioasid_put(set, TEST_BASE), 1);
		spin_unlock_irqrestore(&test_lock, flags);
	}
	ioasid_flush_frees();
	KUNIT_EXPECT_EQ(test, atomic_read(&v->nr_free), i);
	KUNIT_EXPECT_TRUE(test, test_backend_empty(host));
	KUNIT_EXPECT_EQ(test, atomic_read(&host->violations), 0);
	KUNIT_EXPECT_EQ(test, test_unregister(v), 0);
	ioasid_set_free(set);
}

#define TEST_THREADS	4
#define TEST_ITERS	300

struct test_stress {
	struct ioasid_set *set[2];
	struct test_viommu *member;	/* joins and leaves the group */
	atomic_t allocated;
	atomic_t errors;
	atomic_t running;
	struct completion done;
};

struct test_worker {
	struct test_stress *s;
	int idx;
};

static int test_stress_fn(void *arg)
{
	struct test_worker *w = arg;
	struct test_stress *s = w->s;
	struct ioasid_set *set = s->set[w->idx & 1];
	struct ioasid_set *other = s->set[!(w->idx & 1)];
	int i;

	for (i = 0; i < TEST_ITERS; i++) {
		ioasid_t id = ioasid_alloc(set, TEST_BASE, TEST_BASE + TEST_SPACE - 1, w);

		if (id == INVALID_IOASID) {
			cond_resched();
			continue;
		}
		atomic_inc(&s->allocated);
		if (ioasid_find(set, id, NULL) != w ||
		    ioasid_find(other, id, NULL) != ERR_PTR(-EACCES) ||
		    ioasid_get(set, id) || ioasid_put(set, id) != 0)
			atomic_inc(&s->errors);
		if (!(i % 64) && ioasid_set_data(set, id, w))
			atomic_inc(&s->errors);
		if (ioasid_put(set, id) != 1)
			atomic_inc(&s->errors);
		cond_resched();
	}
	if (atomic_dec_and_test(&s->running))
		complete(&s->done);
	return 0;
}

static void ioasid_test_concurrency(struct kunit *test)
{
	struct test_backend *host = test_backend_new(test);
	struct test_viommu *v = test_viommu_new(test, host, false);
	struct test_worker workers[TEST_THREADS];
	struct test_stress s = {};
	int i, churn = 0;

	test_need_empty_space(test);
	s.set[0] = test_set(test, NULL, TEST_SPACE / 4);
	s.set[1] = test_set(test, NULL, TEST_SPACE);
	s.member = test_viommu_new(test, host, false);
	init_completion(&s.done);
	atomic_set(&s.running, TEST_THREADS);
	KUNIT_ASSERT_EQ(test, test_register(v), 0);

	for (i = 0; i < TEST_THREADS; i++) {
		struct task_struct *t;

		workers[i].s = &s;
		workers[i].idx = i;
		t = kthread_run(test_stress_fn, &workers[i], "ioasid_stress/%d", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	}

	/* Meanwhile a second vIOMMU joins the group, takes over, and leaves. */
	while (!completion_done(&s.done)) {
		KUNIT_EXPECT_EQ(test, test_register(s.member), 0);
		if (!(churn & 1))
			KUNIT_EXPECT_EQ(test, test_unregister(v), 0);
		usleep_range(500, 1000);
		if (!(churn & 1))
			KUNIT_EXPECT_EQ(test, test_register(v), 0);
		KUNIT_EXPECT_EQ(test, test_unregister(s.member), 0);
		churn++;
	}
	wait_for_completion(&s.done);

	kunit_info(test, "%d IDs allocated, %d group changes",
		   atomic_read(&s.allocated), churn);
	KUNIT_EXPECT_GT(test, atomic_read(&s.allocated), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&s.errors), 0);
	KUNIT_EXPECT_EQ(test, ioasid_set_nr_ids(s.set[0]), 0);
	KUNIT_EXPECT_EQ(test, ioasid_set_nr_ids(s.set[1]), 0);
	KUNIT_EXPECT_EQ(test, test_unregister(v), 0);
	KUNIT_EXPECT_EQ(test, ioasid_nr_allocated(), 0);
	KUNIT_EXPECT_TRUE(test, test_backend_empty(host));
	KUNIT_EXPECT_EQ(test, atomic_read(&host->violations), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&host->bad_context), 0);
	ioasid_set_free(s.set[0]);
	ioasid_set_free(s.set[1]);
}

static struct kunit_case ioasid_test_cases[] = {
	KUNIT_CASE(ioasid_test_range),
	KUNIT_CASE(ioasid_test_alloc_errno),
	KUNIT_CASE(ioasid_test_quota),
	KUNIT_CASE(ioasid_test_isolation),
	KUNIT_CASE(ioasid_test_find),
	KUNIT_CASE(ioasid_test_refcount),
	KUNIT_CASE_SLOW(ioasid_test_set_data),
	KUNIT_CASE(ioasid_test_notifier),
	KUNIT_CASE(ioasid_test_register_rules),
	KUNIT_CASE(ioasid_test_shared_group),
	KUNIT_CASE(ioasid_test_fallback),
	KUNIT_CASE(ioasid_test_atomic_free),
	KUNIT_CASE(ioasid_test_realloc),
	KUNIT_CASE_SLOW(ioasid_test_concurrency),
	{}
};

static struct kunit_suite ioasid_test_suite = {
	.name = "ioasid",
	.test_cases = ioasid_test_cases,
};

kunit_test_suite(ioasid_test_suite);

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_DESCRIPTION("KUnit tests for the IOASID allocator");
MODULE_LICENSE("GPL");
