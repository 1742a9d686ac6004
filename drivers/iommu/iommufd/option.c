// SPDX-License-Identifier: GPL-2.0
/*
 * IOMMU_OPTION: small settings of a context or of one of its objects.
 *
 * RLIMIT_MODE belongs to the context (@object_id 0) and chooses what new
 * mappings are charged to: the user (0, the default) or the process (1).
 * Setting it needs CAP_SYS_RESOURCE, because charging the process lets a
 * user pin RLIMIT_MEMLOCK once per process, and is refused with EBUSY
 * once the context has any object, so every mapping of a context is
 * charged the same way.  HUGE_PAGES belongs to an IOAS (@object_id is its
 * ID).  Errors follow mainline iommufd.
 */
#include <linux/capability.h>
#include <linux/uaccess.h>

#include <uapi/linux/iommufd.h>

#include "iommufd_private.h"

static int iommufd_option_rlimit_mode(struct iommu_option *cmd,
				      struct iommufd_ctx *ictx)
{
	int rc = 0;

	if (cmd->object_id)
		return -EOPNOTSUPP;

	switch (cmd->op) {
	case IOMMU_OPTION_OP_GET:
		cmd->val64 = READ_ONCE(ictx->account_mode) == IOPT_ACCOUNT_MM;
		return 0;
	case IOMMU_OPTION_OP_SET:
		if (!capable(CAP_SYS_RESOURCE))
			return -EPERM;
		/* IOAS allocation reads the mode with an ID reserved. */
		xa_lock(&ictx->objects);
		if (!xa_empty(&ictx->objects))
			rc = -EBUSY;
		else if (cmd->val64 == 0)
			WRITE_ONCE(ictx->account_mode, IOPT_ACCOUNT_USER);
		else if (cmd->val64 == 1)
			WRITE_ONCE(ictx->account_mode, IOPT_ACCOUNT_MM);
		else
			rc = -EINVAL;
		xa_unlock(&ictx->objects);
		return rc;
	default:
		return -EOPNOTSUPP;
	}
}

static int iommufd_option_huge_pages(struct iommu_option *cmd,
				     struct iommufd_ctx *ictx)
{
	struct iommufd_ioas *ioas;
	int rc = 0;

	ioas = iommufd_get_ioas(ictx, cmd->object_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	switch (cmd->op) {
	case IOMMU_OPTION_OP_GET:
		cmd->val64 = !READ_ONCE(ioas->iopt.disable_large_pages);
		break;
	case IOMMU_OPTION_OP_SET:
		if (cmd->val64 == 0)
			rc = iopt_disable_large_pages(&ioas->iopt);
		else if (cmd->val64 == 1)
			iopt_enable_large_pages(&ioas->iopt);
		else
			rc = -EINVAL;
		break;
	default:
		rc = -EOPNOTSUPP;
		break;
	}
	iommufd_put_object(&ioas->obj);
	return rc;
}

/**
 * iommufd_option() - ioctl(IOMMU_OPTION)
 * @ucmd: the call; struct iommu_option
 *
 * Only @val64 is written back, and only on success.
 *
 * Return: 0; -EOPNOTSUPP for a non-zero reserved field, an unknown option
 * or operation, or a non-zero @object_id with RLIMIT_MODE; -EPERM to set
 * RLIMIT_MODE without CAP_SYS_RESOURCE; -EBUSY to set it in a context
 * with objects; -EINVAL for a value other than 0 and 1, or to disable
 * huge pages of an IOAS that has mappings and a domain already; -ENOENT
 * for an unknown IOAS; -EFAULT.
 */
int iommufd_option(struct iommufd_ucmd *ucmd)
{
	struct iommu_option *cmd = ucmd->cmd;
	struct iommu_option __user *uopt = ucmd->ubuffer;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;

	switch (cmd->option_id) {
	case IOMMU_OPTION_RLIMIT_MODE:
		rc = iommufd_option_rlimit_mode(cmd, ucmd->ictx);
		break;
	case IOMMU_OPTION_HUGE_PAGES:
		rc = iommufd_option_huge_pages(cmd, ucmd->ictx);
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (rc)
		return rc;
	if (copy_to_user(&uopt->val64, &cmd->val64, sizeof(cmd->val64)))
		return -EFAULT;
	return 0;
}
