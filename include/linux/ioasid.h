/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IOASID (PASID) allocator: sets with quotas, RCU lookup, reference counts,
 * event notifiers and run-time pluggable (paravirtual) allocators.
 *
 * See Documentation/driver-api/ioasid.rst.
 */
#ifndef _LINUX_IOASID_H
#define _LINUX_IOASID_H

#include <linux/iommu.h>	/* ioasid_t, IOMMU_PASID_INVALID */
#include <linux/notifier.h>
#include <linux/types.h>

/* Returned by ioasid_alloc() on failure; never a valid ID. */
#define INVALID_IOASID	((ioasid_t)IOMMU_PASID_INVALID)

struct ioasid_set;

/**
 * typedef ioasid_alloc_fn_t - allocate an ID from a custom allocator
 * @min: lowest acceptable ID
 * @max: highest acceptable ID (inclusive)
 * @pdata: the &ioasid_allocator_ops.pdata of a registered member
 *
 * Return: an ID in [@min, @max], or %INVALID_IOASID.  Called in process
 * context with the allocator lock held for reading; may sleep.
 */
typedef ioasid_t (*ioasid_alloc_fn_t)(ioasid_t min, ioasid_t max, void *pdata);

/**
 * typedef ioasid_free_fn_t - return an ID to a custom allocator
 * @id: an ID this allocator returned earlier
 * @pdata: the &ioasid_allocator_ops.pdata of a registered member
 *
 * Called in process context (from a work item) with the allocator lock held
 * for reading; may sleep.
 */
typedef void (*ioasid_free_fn_t)(ioasid_t id, void *pdata);

/**
 * struct ioasid_allocator_ops - a custom ID allocator
 * @alloc: allocate an ID in a range
 * @free: release an ID
 * @pdata: private data handed to @alloc and @free
 *
 * Registered ops whose @alloc and @free are both the same functions form one
 * group that shares a single ID space (for instance the virtual IOMMUs of
 * one guest, all backed by the same host).  The structure is owned by the
 * caller and must stay valid until ioasid_unregister_allocator() returns.
 */
struct ioasid_allocator_ops {
	ioasid_alloc_fn_t alloc;
	ioasid_free_fn_t free;
	void *pdata;
};

/**
 * enum ioasid_event - events delivered to IOASID notifiers
 * @IOASID_NOTIFY_ALLOC: an ID was allocated (raised by ioasid_alloc())
 * @IOASID_NOTIFY_FREE: an ID is being released (last ioasid_put(), or
 *	ioasid_set_free()); it can no longer be found
 * @IOASID_NOTIFY_BIND: a user bound the ID (raised with ioasid_notify())
 * @IOASID_NOTIFY_UNBIND: a user unbound the ID (raised with ioasid_notify())
 */
enum ioasid_event {
	IOASID_NOTIFY_ALLOC = 1,
	IOASID_NOTIFY_FREE,
	IOASID_NOTIFY_BIND,
	IOASID_NOTIFY_UNBIND,
};

/**
 * struct ioasid_nb_args - the data argument of an IOASID notifier call
 * @id: the ID the event is about
 * @set: the set the ID belongs to
 * @private: the ID's private data at the time of the event
 */
struct ioasid_nb_args {
	ioasid_t id;
	struct ioasid_set *set;
	void *private;
};

struct ioasid_set *ioasid_set_alloc(void *token, unsigned int quota);
void ioasid_set_free(struct ioasid_set *set);
void *ioasid_set_token(const struct ioasid_set *set);
unsigned int ioasid_set_nr_ids(const struct ioasid_set *set);

int ioasid_alloc_id(struct ioasid_set *set, ioasid_t min, ioasid_t max,
		    void *private, ioasid_t *out);
ioasid_t ioasid_alloc(struct ioasid_set *set, ioasid_t min, ioasid_t max,
		      void *private);
int ioasid_get(struct ioasid_set *set, ioasid_t id);
int ioasid_put(struct ioasid_set *set, ioasid_t id);
void *ioasid_find(struct ioasid_set *set, ioasid_t id,
		  bool (*getter)(void *private));
int ioasid_set_data(struct ioasid_set *set, ioasid_t id, void *private);

int ioasid_register_allocator(const struct ioasid_allocator_ops *ops);
int ioasid_unregister_allocator(const struct ioasid_allocator_ops *ops);

int ioasid_register_notifier(struct ioasid_set *set, struct notifier_block *nb);
void ioasid_unregister_notifier(struct ioasid_set *set,
				struct notifier_block *nb);
int ioasid_notify(struct ioasid_set *set, ioasid_t id, enum ioasid_event event);

#if IS_ENABLED(CONFIG_KUNIT)
/* Internals exported to ioasid_kunit only. */
void ioasid_flush_frees(void);
unsigned long ioasid_nr_allocated(void);
#endif

#endif /* _LINUX_IOASID_H */
