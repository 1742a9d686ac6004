// SPDX-License-Identifier: GPL-2.0
/*
 * EXTENSION (not in mainline iommufd): global PASIDs drawn by a context.
 *
 * Every context owns an ioasid set whose quota is the pasid_quota module
 * parameter at open time.  IOMMU_PASID_ALLOC takes one ID of the global
 * IOASID space (so unique in the host), IOMMU_PASID_FREE gives it back,
 * and closing the context returns whatever is left.
 *
 * The context records the PASIDs userspace holds in its own XArray.  That
 * record, not the ioasid reference count, decides what userspace may free:
 * a second free of the same PASID fails instead of dropping a reference
 * that somebody else (a future PASID attach) might hold.
 */
#include <linux/ioasid.h>
#include <linux/moduleparam.h>
#include <linux/xarray.h>

#include <uapi/linux/iommufd.h>

#include "iommufd_private.h"

/* PASIDs are 20 bits wide (PCIe); PASID 0 means "no PASID" (the RID). */
#define IOMMUFD_PASID_MIN	1U
#define IOMMUFD_PASID_MAX	((1U << 20) - 1)
#define IOMMUFD_PASID_QUOTA	64U

static unsigned int pasid_quota = IOMMUFD_PASID_QUOTA;

static int pasid_quota_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, IOMMUFD_PASID_MAX);
}

static const struct kernel_param_ops pasid_quota_ops = {
	.set = pasid_quota_set,
	.get = param_get_uint,
};

module_param_cb(pasid_quota, &pasid_quota_ops, &pasid_quota, 0644);
MODULE_PARM_DESC(pasid_quota,
		 "Most global PASIDs one /dev/iommu context may hold (1..1048575, default 64); applies to contexts opened afterwards");

/**
 * iommufd_pasid_alloc_init() - set up the PASID state of a new context
 * @ictx: the context
 *
 * Return: 0 or -ENOMEM.
 */
int iommufd_pasid_alloc_init(struct iommufd_ctx *ictx)
{
	struct ioasid_set *set;

	set = ioasid_set_alloc(ictx, READ_ONCE(pasid_quota));
	if (IS_ERR(set))
		return PTR_ERR(set);
	ictx->pasid_set = set;
	xa_init(&ictx->pasids);
	return 0;
}

/**
 * iommufd_pasid_alloc_destroy() - return every PASID of a closing context
 * @ictx: the context; nothing may use it concurrently
 */
void iommufd_pasid_alloc_destroy(struct iommufd_ctx *ictx)
{
	ioasid_set_free(ictx->pasid_set);
	ictx->pasid_set = NULL;
	xa_destroy(&ictx->pasids);
}

/**
 * iommufd_pasid_alloc_ioctl() - IOMMU_PASID_ALLOC
 * @ucmd: the call
 *
 * Return: 0, -EOPNOTSUPP, -EINVAL, -ENOSPC, -ENOMEM or -EFAULT.
 */
int iommufd_pasid_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_pasid_alloc *cmd = ucmd->cmd;
	struct iommufd_ctx *ictx = ucmd->ictx;
	ioasid_t first, last, pasid;
	int ret;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	first = max(cmd->min_pasid, IOMMUFD_PASID_MIN);
	last = cmd->max_pasid;
	if (last > IOMMUFD_PASID_MAX || first > last)
		return -EINVAL;

	ret = ioasid_alloc_id(ictx->pasid_set, first, last, ictx, &pasid);
	if (ret)
		return ret;

	/*
	 * Reserve the record, answer, and only then publish it: until the
	 * answer reached userspace the PASID is not the context's to free,
	 * and IOMMU_PASID_FREE (which takes only published records) cannot
	 * release it under us.
	 */
	ret = xa_reserve(&ictx->pasids, pasid, GFP_KERNEL_ACCOUNT);
	if (ret)
		goto out_put;

	cmd->out_pasid = pasid;
	ret = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (ret) {
		xa_release(&ictx->pasids, pasid);
		goto out_put;
	}
	/* Storing into a reserved slot allocates nothing, so cannot fail. */
	WARN_ON_ONCE(xa_is_err(xa_store(&ictx->pasids, pasid,
					xa_mk_value(pasid), GFP_KERNEL)));
	return 0;

out_put:
	ioasid_put(ictx->pasid_set, pasid);
	return ret;
}

/**
 * iommufd_pasid_free_ioctl() - IOMMU_PASID_FREE
 * @ucmd: the call
 *
 * Return: 0, or -ENOENT if the context does not hold the PASID.
 */
int iommufd_pasid_free_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_pasid_free *cmd = ucmd->cmd;
	struct iommufd_ctx *ictx = ucmd->ictx;
	int ret;

	/* Only a published record: an ALLOC still answering keeps its own. */
	if (cmd->pasid > IOMMUFD_PASID_MAX ||
	    xa_cmpxchg(&ictx->pasids, cmd->pasid, xa_mk_value(cmd->pasid),
		       NULL, 0) != xa_mk_value(cmd->pasid))
		return -ENOENT;

	ret = ioasid_put(ictx->pasid_set, cmd->pasid);
	/* The record and the set agree unless something is badly wrong. */
	WARN_ON_ONCE(ret < 0);
	return 0;
}
