// SPDX-License-Identifier: GPL-2.0
/*
 * Fault queues (IOMMU_FAULT_QUEUE_ALLOC): page requests delivered to
 * userspace and answered by it.
 *
 * A fault queue is an object with a file descriptor.  A HWPT allocated
 * with IOMMU_HWPT_FAULT_ID_VALID names one; its iommu_domain then carries
 * iommufd_fault_iopf_handler() as its iopf_handler and the HWPT as its
 * fault_data.  Delivery takes the IOMMU core's path: an IOMMU driver
 * reports a page request with iommu_report_device_fault(), the core
 * collects the requests of a group (PRG index) until the last one, finds
 * the attach handle of the RID or PASID in the device's IOMMU group and
 * calls the handler of the handle's domain, which queues the group here.
 * pasid.c registers a handle for every attachment it makes (the RID's
 * with iommu_attach_group_handle() and iommu_replace_group_handle(), a
 * PASID's with iommu_attach_device_pasid()).  A request carrying a PASID
 * at which the group has nothing attached goes, for a driver with a
 * user-managed PASID table (&iommu_ops.user_pasid_table), to a nested
 * domain on the RID; otherwise, or when the domain found has no queue,
 * the core answers it "invalid" itself.  For the core to accept requests
 * from a device, the device's IOMMU driver must have it on an iopf_queue:
 * attaching a HWPT with a fault queue enables IOMMU_DEV_FEAT_IOPF on the
 * device (once, however many such attachments it has) and the last
 * detach disables it.  A driver without the feature (-ENODEV or
 * -EOPNOTSUPP) is no error: the attach succeeds, and since such a driver
 * reports no page requests, nothing arrives.  That is vtd_sm for every
 * device today: it services the page request queue of units with
 * ECAP.PRS (QEMU's VT-d has none) but refuses the feature until it
 * enables ATS; in the test VMs only the mock IOMMU of the test build
 * (selftest.c, IOMMU_TEST_OP_TRIGGER_IOPF) reports page requests.
 *
 * read() returns struct iommu_hwpt_pgfault records, whole groups only, in
 * the order the groups arrived; every record of a group carries the
 * group's cookie, a number the queue gives the group when it is read.
 * A read whose length is not a whole number of records, or at a non-zero
 * position, fails with ESPIPE; one too short for the first group's
 * records with EINVAL; with nothing queued it returns 0 (it never
 * blocks: poll() reports EPOLLIN while a group waits to be read).  The
 * records are copied out without the queue's lock held, so a user buffer
 * that faults slowly holds up no detach; if the copy fails the group goes
 * back to the head of the queue.
 *
 * write() takes struct iommu_hwpt_page_response records, each answering
 * the read group its cookie names with SUCCESS or INVALID; an unknown
 * cookie or code fails with EINVAL, and the records before it are taken.
 *
 * No group is left unanswered: when a device leaves a HWPT (detach, or
 * unbind), its outstanding groups delivered through that attachment, read
 * or not, are answered "invalid", after the IOMMU core has let go of the
 * attach handle (the last device detaches the group first) and before the
 * handle is freed; a replace answers all the groups of the handle
 * delivered through the old HWPT once the new one is in; a queue
 * destroyed with groups in it (which the detach rule leaves none in)
 * answers them too.  That relies on what the core asks of IOMMU
 * drivers: none reports a request for an attachment once it is being
 * changed (the mock serializes its trigger with attach, replace and
 * detach; a driver with a hardware queue drains it).
 *
 * The descriptor holds a reference on the queue object (IOMMU_DESTROY
 * fails with EBUSY while it is open) and one on the context's file.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/iommu.h>
#include <linux/iommufd_pasid.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <uapi/linux/iommufd.h>

#include "iommufd_private.h"

static_assert((int)IOMMUFD_PAGE_RESP_SUCCESS == (int)IOMMU_PAGE_RESP_SUCCESS);
static_assert((int)IOMMUFD_PAGE_RESP_INVALID == (int)IOMMU_PAGE_RESP_INVALID);

/* Cookies are never 0. */
#define IOMMUFD_FAULT_COOKIES XA_LIMIT(1, U32_MAX)

/*
 * The IOMMU core's handler: queue the group and wake the pollers.  The
 * group is taken off the device's pending list, so the core does not
 * answer it behind our back when the device's page requests are
 * disabled; it is ours to answer and free from now on.
 */
static int iommufd_fault_iopf_handler(struct iopf_group *group)
{
	struct iommufd_hw_pagetable *hwpt =
		group->attach_handle->domain->fault_data;
	struct iommufd_fault *fault = hwpt->fault;

	iopf_group_dequeue(group);
	spin_lock(&fault->lock);
	list_add_tail(&group->node, &fault->deliver);
	spin_unlock(&fault->lock);
	wake_up_interruptible_poll(&fault->wait_queue, EPOLLIN | EPOLLRDNORM);
	return 0;
}

/**
 * iommufd_fault_hwpt_set() - make a HWPT deliver to a fault queue
 * @hwpt: a HWPT with its domain, not yet attached anywhere
 * @fault: the queue; its reference becomes the HWPT's
 */
void iommufd_fault_hwpt_set(struct iommufd_hw_pagetable *hwpt,
			    struct iommufd_fault *fault)
{
	hwpt->fault = fault;
	hwpt->domain->iopf_handler = iommufd_fault_iopf_handler;
	hwpt->domain->fault_data = hwpt;
}

/**
 * iommufd_fault_iopf_get() - a HWPT with a fault queue is being attached
 * @idev: the device
 *
 * Enables the device's page requests at its IOMMU driver the first time.
 * A driver that has no such feature is no error: it reports none.
 *
 * Context: under the attach mutex of @idev's group.
 * Return: 0, or the driver's error.
 */
int iommufd_fault_iopf_get(struct iommufd_device *idev)
{
	int rc;

	lockdep_assert_held(&idev->igroup->lock);
	if (idev->iopf_users++)
		return 0;
	rc = iommu_dev_enable_feature(idev->dev, IOMMU_DEV_FEAT_IOPF);
	if (rc == -ENODEV || rc == -EOPNOTSUPP)
		rc = 0;
	else
		idev->iopf_on = !rc;
	if (rc)
		idev->iopf_users--;
	return rc;
}

/**
 * iommufd_fault_iopf_put() - undo iommufd_fault_iopf_get()
 * @idev: the device; its groups delivered through the attachment that
 *	  goes have been answered
 *
 * Context: under the attach mutex of @idev's group.
 */
void iommufd_fault_iopf_put(struct iommufd_device *idev)
{
	lockdep_assert_held(&idev->igroup->lock);
	if (WARN_ON(!idev->iopf_users) || --idev->iopf_users)
		return;
	if (idev->iopf_on)
		iommu_dev_disable_feature(idev->dev, IOMMU_DEV_FEAT_IOPF);
	idev->iopf_on = false;
}

static void iommufd_fault_respond(struct iopf_group *group,
				  enum iommu_page_response_code code)
{
	iopf_group_response(group, code);
	iopf_free_group(group);
}

static bool iommufd_fault_match(struct iopf_group *group,
				struct iommu_attach_handle *handle,
				struct device *dev)
{
	return (!handle || group->attach_handle == handle) &&
	       (!dev || group->fault_param->dev == dev);
}

/* Answer "invalid" every group of @fault that matches; the mutex is held. */
static void iommufd_fault_answer_locked(struct iommufd_fault *fault,
					struct iommu_attach_handle *handle,
					struct device *dev)
{
	struct iopf_group *group, *next, *read;
	unsigned long cookie;
	LIST_HEAD(answer);

	lockdep_assert_held(&fault->mutex);
	spin_lock(&fault->lock);
	list_for_each_entry_safe(group, next, &fault->deliver, node) {
		if (iommufd_fault_match(group, handle, dev))
			list_move_tail(&group->node, &answer);
	}
	spin_unlock(&fault->lock);
	list_for_each_entry_safe(group, next, &answer, node) {
		list_del(&group->node);
		iommufd_fault_respond(group, IOMMU_PAGE_RESP_INVALID);
	}
	xa_for_each(&fault->response, cookie, read) {
		if (!iommufd_fault_match(read, handle, dev))
			continue;
		xa_erase(&fault->response, cookie);
		iommufd_fault_respond(read, IOMMU_PAGE_RESP_INVALID);
	}
}

/**
 * iommufd_fault_answer() - answer the groups an attachment leaves behind
 * @hwpt: the HWPT that was attached
 * @handle: the attach handle the groups came through
 * @dev: only the groups of this device, or NULL for every device
 *
 * Each group of @hwpt's queue (queued or read) that came through @handle
 * from @dev is answered "invalid" and freed: nothing will answer it any
 * more.  Nothing happens for a HWPT without a queue.
 *
 * Context: process context; under the attach mutex of the device's group.
 */
void iommufd_fault_answer(struct iommufd_hw_pagetable *hwpt,
			  struct iommu_attach_handle *handle,
			  struct device *dev)
{
	struct iommufd_fault *fault = hwpt->fault;

	if (!fault)
		return;
	mutex_lock(&fault->mutex);
	iommufd_fault_answer_locked(fault, handle, dev);
	mutex_unlock(&fault->mutex);
}

/* The first queued group, taken off the queue; the mutex is held. */
static struct iopf_group *iommufd_fault_fetch(struct iommufd_fault *fault)
{
	struct iopf_group *group;

	spin_lock(&fault->lock);
	group = list_first_entry_or_null(&fault->deliver, struct iopf_group,
					 node);
	if (group)
		list_del_init(&group->node);
	spin_unlock(&fault->lock);
	return group;
}

/* Put a group back at the head of the queue; the mutex is held. */
static void iommufd_fault_unfetch(struct iommufd_fault *fault,
				  struct iopf_group *group)
{
	spin_lock(&fault->lock);
	list_add(&group->node, &fault->deliver);
	spin_unlock(&fault->lock);
}

/*
 * Take the next group that fits in @room bytes, give it a cookie and
 * write its records to a new buffer (*@recs, *@len bytes).  Groups of a
 * device the handle no longer names (it left a group attachment another
 * device of its IOMMU group keeps) cannot be told to userspace: they are
 * answered "invalid" here.
 *
 * Return: the group, NULL if none is queued, or an ERR_PTR: -EINVAL if
 * the next group does not fit, -ENOMEM.
 */
static struct iopf_group *
iommufd_fault_take(struct iommufd_fault *fault, size_t room,
		   struct iommu_hwpt_pgfault **recs, size_t *len)
{
	struct iommufd_device *idev;
	struct iopf_group *group;
	struct iopf_fault *iopf;
	unsigned int i = 0;
	u32 cookie;
	int rc;

	mutex_lock(&fault->mutex);
	for (;;) {
		group = iommufd_fault_fetch(fault);
		if (!group)
			goto out_unlock;
		idev = iommufd_pasid_handle_device(group->attach_handle,
						   group->fault_param->dev);
		if (idev)
			break;
		iommufd_fault_respond(group, IOMMU_PAGE_RESP_INVALID);
	}
	*len = group->fault_count * sizeof(**recs);
	if (*len > room) {
		rc = -EINVAL;
		goto err_unfetch;
	}
	*recs = kcalloc(group->fault_count, sizeof(**recs), GFP_KERNEL);
	if (!*recs) {
		rc = -ENOMEM;
		goto err_unfetch;
	}
	rc = xa_alloc_cyclic(&fault->response, &cookie, group,
			     IOMMUFD_FAULT_COOKIES, &fault->next_cookie,
			     GFP_KERNEL_ACCOUNT);
	if (rc < 0) {
		kfree(*recs);
		goto err_unfetch;
	}
	group->cookie = cookie;
	list_for_each_entry(iopf, &group->faults, list) {
		struct iommu_fault_page_request *prm = &iopf->fault.prm;

		(*recs)[i++] = (struct iommu_hwpt_pgfault){
			.flags = prm->flags,
			.dev_id = idev->obj.id,
			.pasid = prm->pasid,
			.grpid = prm->grpid,
			.perm = prm->perm,
			.addr = prm->addr,
			.cookie = cookie,
		};
	}
out_unlock:
	mutex_unlock(&fault->mutex);
	return group;

err_unfetch:
	iommufd_fault_unfetch(fault, group);
	mutex_unlock(&fault->mutex);
	return ERR_PTR(rc);
}

/*
 * Userspace could not take a group's records: queue it again, unless it
 * was answered meanwhile (its attachment went).
 */
static void iommufd_fault_untake(struct iommufd_fault *fault,
				 struct iopf_group *group, u32 cookie)
{
	mutex_lock(&fault->mutex);
	if (xa_load(&fault->response, cookie) == group) {
		xa_erase(&fault->response, cookie);
		iommufd_fault_unfetch(fault, group);
	}
	mutex_unlock(&fault->mutex);
}

static ssize_t iommufd_fault_fops_read(struct file *filep, char __user *buf,
				       size_t count, loff_t *ppos)
{
	struct iommufd_fault *fault = filep->private_data;
	struct iommu_hwpt_pgfault *recs;
	struct iopf_group *group;
	size_t done = 0, len;
	u32 cookie;
	int rc = 0;

	if (*ppos || count % sizeof(*recs))
		return -ESPIPE;

	while (done < count || !done) {
		group = iommufd_fault_take(fault, count - done, &recs, &len);
		if (IS_ERR_OR_NULL(group)) {
			rc = PTR_ERR_OR_ZERO(group);
			break;
		}
		/* Once the lock is dropped the group may be answered. */
		cookie = recs[0].cookie;
		if (copy_to_user(buf + done, recs, len)) {
			kfree(recs);
			iommufd_fault_untake(fault, group, cookie);
			rc = -EFAULT;
			break;
		}
		kfree(recs);
		done += len;
	}
	return done ? done : rc;
}

static ssize_t iommufd_fault_fops_write(struct file *filep,
					const char __user *buf, size_t count,
					loff_t *ppos)
{
	struct iommufd_fault *fault = filep->private_data;
	struct iommu_hwpt_page_response response;
	struct iopf_group *group;
	size_t done = 0;
	int rc = 0;

	if (*ppos || count % sizeof(response))
		return -ESPIPE;

	for (; done < count; done += sizeof(response)) {
		if (copy_from_user(&response, buf + done, sizeof(response))) {
			rc = -EFAULT;
			break;
		}
		if (response.code != IOMMUFD_PAGE_RESP_SUCCESS &&
		    response.code != IOMMUFD_PAGE_RESP_INVALID) {
			rc = -EINVAL;
			break;
		}
		/*
		 * Answered under the mutex: a detach answering the same
		 * attachment waits, so the device is still there.
		 */
		mutex_lock(&fault->mutex);
		group = xa_erase(&fault->response, response.cookie);
		if (group)
			iommufd_fault_respond(group, response.code);
		mutex_unlock(&fault->mutex);
		if (!group) {
			rc = -EINVAL;
			break;
		}
	}
	return done ? done : rc;
}

static __poll_t iommufd_fault_fops_poll(struct file *filep,
					struct poll_table_struct *wait)
{
	struct iommufd_fault *fault = filep->private_data;
	__poll_t mask = EPOLLOUT;

	poll_wait(filep, &fault->wait_queue, wait);
	spin_lock(&fault->lock);
	if (!list_empty(&fault->deliver))
		mask |= EPOLLIN | EPOLLRDNORM;
	spin_unlock(&fault->lock);
	return mask;
}

static int iommufd_fault_fops_release(struct inode *inode, struct file *filep)
{
	struct iommufd_fault *fault = filep->private_data;
	struct iommufd_ctx *ictx;

	/* A descriptor made by a failed IOMMU_FAULT_QUEUE_ALLOC */
	if (!fault)
		return 0;
	ictx = fault->ictx;
	iommufd_put_object(&fault->obj);
	/* Last: it may drop the last reference on the context's file. */
	iommufd_ctx_put(ictx);
	return 0;
}

static const struct file_operations iommufd_fault_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.read = iommufd_fault_fops_read,
	.write = iommufd_fault_fops_write,
	.poll = iommufd_fault_fops_poll,
	.release = iommufd_fault_fops_release,
};

static void iommufd_fault_free(struct iommufd_fault *fault)
{
	xa_destroy(&fault->response);
	mutex_destroy(&fault->mutex);
	kfree(fault);
}

/**
 * iommufd_fault_destroy() - destroy op of IOMMUFD_OBJ_FAULT
 * @obj: the object; its descriptor is closed and no HWPT names it
 *
 * Groups still queued or read are answered "invalid"; with no HWPT
 * naming the queue, none should be left.
 */
void iommufd_fault_destroy(struct iommufd_object *obj)
{
	struct iommufd_fault *fault =
		container_of(obj, struct iommufd_fault, obj);

	mutex_lock(&fault->mutex);
	iommufd_fault_answer_locked(fault, NULL, NULL);
	mutex_unlock(&fault->mutex);
	iommufd_fault_free(fault);
}

/**
 * iommufd_get_fault() - look up a fault queue and take a reference
 * @ictx: context
 * @id: the queue's object ID
 *
 * Return: the queue or ERR_PTR(-ENOENT).  Release with
 * iommufd_put_object().
 */
struct iommufd_fault *iommufd_get_fault(struct iommufd_ctx *ictx, u32 id)
{
	struct iommufd_object *obj;

	obj = iommufd_get_object(ictx, id, IOMMUFD_OBJ_FAULT);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	return container_of(obj, struct iommufd_fault, obj);
}

/**
 * iommufd_fault_alloc() - ioctl(IOMMU_FAULT_QUEUE_ALLOC)
 * @ucmd: the call; struct iommu_fault_alloc
 *
 * Return: 0; -EOPNOTSUPP for non-zero flags; -ENOMEM, -EMFILE or -EFAULT.
 */
int iommufd_fault_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_fault_alloc *cmd = ucmd->cmd;
	struct iommufd_ctx *ictx = ucmd->ictx;
	struct iommufd_fault *fault;
	struct file *filep;
	int fdno, rc;

	if (cmd->flags)
		return -EOPNOTSUPP;

	fault = kzalloc(sizeof(*fault), GFP_KERNEL_ACCOUNT);
	if (!fault)
		return -ENOMEM;
	init_waitqueue_head(&fault->wait_queue);
	mutex_init(&fault->mutex);
	spin_lock_init(&fault->lock);
	INIT_LIST_HEAD(&fault->deliver);
	xa_init_flags(&fault->response, XA_FLAGS_ALLOC1);
	fault->ictx = ictx;

	rc = iommufd_object_reserve(ictx, &fault->obj, IOMMUFD_OBJ_FAULT);
	if (rc)
		goto err_free;

	fdno = get_unused_fd_flags(O_CLOEXEC);
	if (fdno < 0) {
		rc = fdno;
		goto err_abort;
	}
	filep = anon_inode_getfile("[iommufd-pgfault]", &iommufd_fault_fops,
				   fault, O_RDWR);
	if (IS_ERR(filep)) {
		rc = PTR_ERR(filep);
		goto err_fdno;
	}

	cmd->out_fault_id = fault->obj.id;
	cmd->out_fault_fd = fdno;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto err_file;

	/* The descriptor's references; its release drops both. */
	refcount_inc(&fault->obj.users);
	get_file(ictx->file);
	iommufd_object_finalize(ictx, &fault->obj);
	fd_install(fdno, filep);
	return 0;

err_file:
	/* Not installed, so no release: nothing refers to @fault. */
	filep->private_data = NULL;
	fput(filep);
err_fdno:
	put_unused_fd(fdno);
err_abort:
	iommufd_object_abort(ictx, &fault->obj);
err_free:
	iommufd_fault_free(fault);
	return rc;
}
