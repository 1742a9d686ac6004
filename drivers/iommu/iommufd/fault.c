// SPDX-License-Identifier: GPL-2.0
/*
 * Fault queues (IOMMU_FAULT_QUEUE_ALLOC).
 *
 * A fault queue is an object with a file descriptor.  HWPTs allocated
 * with IOMMU_HWPT_FAULT_ID_VALID name one; the page requests that arrive
 * for such a HWPT would be read from the descriptor as struct
 * iommu_hwpt_pgfault records, and answered by writing struct
 * iommu_hwpt_page_response records.  The record checks follow mainline:
 * a read or write whose length is not a whole number of records, or at a
 * non-zero position, fails with ESPIPE; a response whose cookie names no
 * outstanding request fails with EINVAL.
 *
 * No IOMMU driver of this project reports page requests (vtd_sm has no
 * page request support, and QEMU's VT-d offers none), and attaching a
 * HWPT does not enable them, so a queue here never holds a request: read()
 * returns 0 and every response is refused with EINVAL.
 *
 * The descriptor holds a reference on the queue object (IOMMU_DESTROY
 * fails with EBUSY while it is open) and one on the context's file.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/iommufd_pasid.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <uapi/linux/iommufd.h>

#include "iommufd_private.h"

static ssize_t iommufd_fault_fops_read(struct file *filep, char __user *buf,
				       size_t count, loff_t *ppos)
{
	if (*ppos || count % sizeof(struct iommu_hwpt_pgfault))
		return -ESPIPE;
	/* Nothing is ever queued; see above. */
	return 0;
}

static ssize_t iommufd_fault_fops_write(struct file *filep,
					const char __user *buf, size_t count,
					loff_t *ppos)
{
	struct iommu_hwpt_page_response response;

	if (*ppos || count % sizeof(response))
		return -ESPIPE;
	if (!count)
		return 0;
	if (copy_from_user(&response, buf, sizeof(response)))
		return -EFAULT;
	/* No request is outstanding, so no cookie is valid. */
	return -EINVAL;
}

static __poll_t iommufd_fault_fops_poll(struct file *filep,
					struct poll_table_struct *wait)
{
	struct iommufd_fault *fault = filep->private_data;

	poll_wait(filep, &fault->wait_queue, wait);
	return EPOLLOUT;
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

/**
 * iommufd_fault_destroy() - destroy op of IOMMUFD_OBJ_FAULT
 * @obj: the object; its descriptor is closed and no HWPT names it
 */
void iommufd_fault_destroy(struct iommufd_object *obj)
{
	kfree(container_of(obj, struct iommufd_fault, obj));
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
	kfree(fault);
	return rc;
}
