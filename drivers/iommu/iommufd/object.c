// SPDX-License-Identifier: GPL-2.0
/*
 * Objects of an iommufd context: IDs, references and destruction.
 *
 * Every object sits in the context's XArray under its ID.  The XArray
 * holds one reference (obj->users == 1 when nobody else uses the object).
 * An ioctl that uses an object takes a reference for its duration; an
 * object that depends on another one (a HWPT on its IOAS, say) holds a
 * reference on it for its whole life.  Destruction requires the XArray's
 * reference to be the only one, and takes the object out of the XArray in
 * the same step, under the XArray lock that lookups take too: an object
 * can never be found once its destruction has started, and never be
 * destroyed while something still points at it.
 *
 * Objects the kernel removes (a device being unbound, an access object)
 * are taken out of the XArray first and then waited for.  For a device
 * the wait is bounded (remove_timeout_ms): an ioctl can hold it while
 * its IOMMU driver copies from userspace, which userspace can stall
 * forever.  On time-out the device is orphaned: the unbind completes,
 * and the ioctl that puts the last reference frees the object.
 */
#include <kunit/visibility.h>
#include <linux/jiffies.h>
#include <linux/limits.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include <uapi/linux/iommufd.h>

#include "iommufd_private.h"

/*
 * @name: what the kernel calls the type in its messages
 * @destroy: free an object nothing references any more
 * @release_orphan: free an object that iommufd_object_orphan() gave up on,
 *		    once its last reference is gone; only for the types whose
 *		    removal can time out
 */
struct iommufd_object_ops {
	const char *name;
	void (*destroy)(struct iommufd_object *obj);
	void (*release_orphan)(struct iommufd_object *obj);
};

static const struct iommufd_object_ops iommufd_object_ops[IOMMUFD_OBJ_MAX] = {
	[IOMMUFD_OBJ_IOAS] = {
		.name = "IOAS",
		.destroy = iommufd_ioas_destroy,
	},
	/* Only reached through iommufd_device_unbind(): the binding holds it. */
	[IOMMUFD_OBJ_DEVICE] = {
		.name = "device",
		.destroy = iommufd_device_destroy,
		.release_orphan = iommufd_device_release_orphan,
	},
	[IOMMUFD_OBJ_HWPT_PAGING] = {
		.name = "paging HWPT",
		.destroy = iommufd_hwpt_paging_destroy,
	},
	[IOMMUFD_OBJ_HWPT_NESTED] = {
		.name = "nested HWPT",
		.destroy = iommufd_hwpt_nested_destroy,
	},
	/* Only reached through iommufd_access_destroy(): the driver holds it. */
	[IOMMUFD_OBJ_ACCESS] = {
		.name = "access",
		.destroy = iommufd_access_destroy_object,
	},
	[IOMMUFD_OBJ_FAULT] = {
		.name = "fault queue",
		.destroy = iommufd_fault_destroy,
	},
#ifdef IOMMUFD_PASID_TEST
	[IOMMUFD_OBJ_SELFTEST] = {
		.name = "mock device",
		.destroy = iommufd_selftest_destroy,
	},
#endif
};

/* iommufd_object_remove() waits here for ioctls to put their references. */
static DECLARE_WAIT_QUEUE_HEAD(iommufd_object_wait);

/*
 * How long iommufd_object_remove_timeout() waits for ioctls that still use
 * an object the kernel removes (a device being unbound).  60 s by default,
 * as mainline, whose wait for short-term users has a fixed bound; a test
 * shortens it.
 *
 * Never below REMOVE_TIMEOUT_MIN_MS.  The bound is there for ioctls that
 * wait on userspace; any other ioctl holding the device (say
 * IOMMU_GET_HW_INFO reading dev->iommu through the IOMMU driver) is done
 * within it.  With a bound of 0 the unbind would not wait for that one
 * either and return while it still reads the device's IOMMU data, which
 * the IOMMU core frees as soon as a hot-unplug follows the unbind.
 */
#define REMOVE_TIMEOUT_MIN_MS	1000

static int remove_timeout_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, REMOVE_TIMEOUT_MIN_MS, UINT_MAX);
}

static const struct kernel_param_ops remove_timeout_ops = {
	.set = remove_timeout_set,
	.get = param_get_uint,
};

static unsigned int remove_timeout_ms = 60000;
module_param_cb(remove_timeout_ms, &remove_timeout_ops, &remove_timeout_ms,
		0644);
MODULE_PARM_DESC(remove_timeout_ms,
		 "How long unbinding a device waits for ioctls still using it, in ms, before it completes without them and leaves the object to the last of them (default: 60000, at least 1000)");

/**
 * iommufd_object_reserve() - give a new object an ID
 * @ictx: context
 * @obj: the object header, embedded in a zeroed allocation
 * @type: the object's type
 *
 * The ID is reserved but lookups do not find it until
 * iommufd_object_finalize().  Undo with iommufd_object_abort().
 *
 * Return: 0 or a negative errno.
 */
int iommufd_object_reserve(struct iommufd_ctx *ictx,
			   struct iommufd_object *obj,
			   enum iommufd_object_type type)
{
	refcount_set(&obj->users, 1);
	obj->type = type;
	return xa_alloc(&ictx->objects, &obj->id, XA_ZERO_ENTRY, xa_limit_31b,
			GFP_KERNEL_ACCOUNT);
}

/**
 * iommufd_object_finalize() - make a reserved object visible by its ID
 * @ictx: context
 * @obj: object from iommufd_object_reserve()
 */
void iommufd_object_finalize(struct iommufd_ctx *ictx,
			     struct iommufd_object *obj)
{
	void *old;

	old = xa_store(&ictx->objects, obj->id, obj, GFP_KERNEL);
	/* The slot exists already, so the store needs no memory. */
	WARN_ON(old);
}

/**
 * iommufd_object_abort() - release the ID of an object never finalized
 * @ictx: context
 * @obj: object from iommufd_object_reserve(); the caller frees it
 */
void iommufd_object_abort(struct iommufd_ctx *ictx,
			  struct iommufd_object *obj)
{
	xa_erase(&ictx->objects, obj->id);
}

/**
 * iommufd_get_object() - look an object up and take a reference
 * @ictx: context
 * @id: the object's ID
 * @type: the type wanted, or IOMMUFD_OBJ_ANY
 *
 * Return: the object, or ERR_PTR(-ENOENT) if @id names no finalized
 * object of @type in @ictx.  Release with iommufd_put_object().
 */
struct iommufd_object *iommufd_get_object(struct iommufd_ctx *ictx, u32 id,
					  enum iommufd_object_type type)
{
	struct iommufd_object *obj;

	xa_lock(&ictx->objects);
	obj = xa_load(&ictx->objects, id);
	if (!obj || (type != IOMMUFD_OBJ_ANY && obj->type != type) ||
	    !refcount_inc_not_zero(&obj->users))
		obj = ERR_PTR(-ENOENT);
	xa_unlock(&ictx->objects);
	return obj;
}

/**
 * iommufd_put_object() - drop a reference from iommufd_get_object()
 * @obj: the object
 *
 * Never the last reference, which belongs to the ID table, except for an
 * object whose removal timed out (iommufd_object_orphan()): the ioctl that
 * puts its last reference frees it.
 *
 * Context: process context if @obj can be an orphan (a device).
 */
void iommufd_put_object(struct iommufd_object *obj)
{
	if (refcount_dec_and_test(&obj->users)) {
		/* Only an orphan gets here; nobody else can see it. */
		if (!WARN_ON_ONCE(!iommufd_object_ops[obj->type].release_orphan))
			iommufd_object_ops[obj->type].release_orphan(obj);
		return;
	}
	/* @obj may be gone now: only the global queue is touched. */
	if (wq_has_sleeper(&iommufd_object_wait))
		wake_up_all(&iommufd_object_wait);
}

/* The ID table's reference, now the remover's, and the remover's own. */
static bool iommufd_object_alone(struct iommufd_object *obj)
{
	return refcount_read(&obj->users) == 2;
}

/**
 * iommufd_object_remove() - take a kernel-owned object out of its context
 * @ictx: context
 * @obj: a finalized object on which the caller holds a reference besides
 *	 the ID table's (a device's binding, say)
 *
 * The ID becomes unknown to lookups and to IOMMU_DESTROY at once; then the
 * call waits, without a bound, until the ioctls that found the object
 * before have put their references.  Afterwards the caller owns @obj
 * alone, with neither the ID table nor anything else pointing at it, and
 * frees it.  For objects whose users never wait on userspace while they
 * hold a reference (an access object: only the kernel's unmap path takes
 * one), and a mock device's binding, which an object of the same context
 * owns (iommufd_device_unbind_wait()); other devices use
 * iommufd_object_remove_timeout().
 *
 * Context: process context; sleeps.
 */
void iommufd_object_remove(struct iommufd_ctx *ictx,
			   struct iommufd_object *obj)
{
	WARN_ON(xa_erase(&ictx->objects, obj->id) != obj);
	wait_event(iommufd_object_wait, iommufd_object_alone(obj));
}

/**
 * iommufd_object_remove_timeout() - iommufd_object_remove() with a bound
 * @ictx: context
 * @obj: as for iommufd_object_remove(); its type has a release_orphan op
 *
 * As iommufd_object_remove(), but the wait ends after the remove_timeout_ms
 * module parameter (60 s by default, 1 s at least) even if an ioctl still
 * holds @obj, say one whose driver is stuck copying from a page userspace
 * never provides (userfaultfd).  The kernel then names the object in a critical
 * message and the caller must give @obj up with iommufd_object_orphan()
 * once it has released what cannot wait (the device's DMA ownership).
 *
 * Context: process context; sleeps.
 * Return: 0 if the caller owns @obj alone, -ETIMEDOUT if an ioctl still
 * holds it.
 */
int iommufd_object_remove_timeout(struct iommufd_ctx *ictx,
				  struct iommufd_object *obj)
{
	unsigned int ms = READ_ONCE(remove_timeout_ms);

	WARN_ON(xa_erase(&ictx->objects, obj->id) != obj);
	if (wait_event_timeout(iommufd_object_wait, iommufd_object_alone(obj),
			       msecs_to_jiffies(ms)))
		return 0;
	/* An ioctl may have put its reference after the last check. */
	if (iommufd_object_alone(obj))
		return 0;
	pr_crit("iommufd_pasid: %s object %u still in use by an ioctl after %u ms; removed without waiting longer, the ioctl frees it\n",
		iommufd_object_ops[obj->type].name, obj->id, ms);
	return -ETIMEDOUT;
}

/**
 * iommufd_object_orphan() - give up an object whose removal timed out
 * @obj: the object after iommufd_object_remove_timeout() returned
 *	 -ETIMEDOUT, with what the caller must release at once released
 *
 * Drops the ID table's reference and the caller's.  The object is freed
 * by its type's release_orphan op: here if the ioctls that held it are
 * done by now, else by iommufd_put_object() of the last of them.  The
 * caller must not touch @obj afterwards.
 *
 * Context: process context.
 */
void iommufd_object_orphan(struct iommufd_object *obj)
{
	if (refcount_sub_and_test(2, &obj->users))
		iommufd_object_ops[obj->type].release_orphan(obj);
}

static void iommufd_object_free(struct iommufd_object *obj)
{
	iommufd_object_ops[obj->type].destroy(obj);
}

/**
 * iommufd_object_destroy_user() - destroy an object on userspace's request
 * @ictx: context
 * @id: the object's ID
 *
 * Return: 0, -ENOENT if there is no such object, -EBUSY if anything else
 * holds a reference to it.
 */
int iommufd_object_destroy_user(struct iommufd_ctx *ictx, u32 id)
{
	struct iommufd_object *obj;

	xa_lock(&ictx->objects);
	obj = xa_load(&ictx->objects, id);
	if (!obj) {
		xa_unlock(&ictx->objects);
		return -ENOENT;
	}
	if (!refcount_dec_if_one(&obj->users)) {
		xa_unlock(&ictx->objects);
		return -EBUSY;
	}
	__xa_erase(&ictx->objects, id);
	if (ictx->vfio_ioas && &ictx->vfio_ioas->obj == obj)
		ictx->vfio_ioas = NULL;
	xa_unlock(&ictx->objects);

	iommufd_object_free(obj);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(iommufd_object_destroy_user);

/**
 * iommufd_objects_destroy_all() - destroy every object of a closing context
 * @ictx: context; no ioctl can run on it any more
 *
 * Order: an object is destroyed only once nothing else references it.
 * Each pass destroys every unreferenced object; destroying a dependent
 * object (e.g. a HWPT) drops its reference on what it depends on (its
 * IOAS), which the next pass can then destroy.  Dependencies form no
 * cycles, so passes end with the table empty; if one did not, the objects
 * left are leaked with a warning rather than freed while still in use.
 */
void iommufd_objects_destroy_all(struct iommufd_ctx *ictx)
{
	struct iommufd_object *obj;
	unsigned long index;
	bool progress;

	do {
		progress = false;
		xa_for_each(&ictx->objects, index, obj) {
			if (!refcount_dec_if_one(&obj->users))
				continue;
			xa_erase(&ictx->objects, index);
			iommufd_object_free(obj);
			progress = true;
		}
	} while (progress);
	WARN_ON(!xa_empty(&ictx->objects));
}

int iommufd_destroy(struct iommufd_ucmd *ucmd)
{
	struct iommu_destroy *cmd = ucmd->cmd;

	return iommufd_object_destroy_user(ucmd->ictx, cmd->id);
}

/**
 * iommufd_object_put_and_try_destroy() - drop a reference, destroy if unused
 * @ictx: context
 * @obj: a finalized object the caller holds a reference on
 *
 * For objects the kernel made on its own and that go away with their last
 * user (auto domains): if, once the caller's reference is gone, only the
 * ID table's is left, the object is destroyed as IOMMU_DESTROY would.
 * Dropping the reference and destroying happen under the XArray lock, so
 * no lookup or IOMMU_DESTROY can come in between.  If an ioctl holds a
 * short-lived reference at that moment the object stays, and the context
 * destroys it when it closes (or IOMMU_DESTROY does).
 */
void iommufd_object_put_and_try_destroy(struct iommufd_ctx *ictx,
					struct iommufd_object *obj)
{
	bool destroy;

	xa_lock(&ictx->objects);
	refcount_dec(&obj->users);
	destroy = refcount_dec_if_one(&obj->users);
	if (destroy)
		__xa_erase(&ictx->objects, obj->id);
	xa_unlock(&ictx->objects);

	if (destroy)
		iommufd_object_free(obj);
}
