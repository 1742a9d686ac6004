// SPDX-License-Identifier: GPL-2.0
/*
 * IOAS objects and the IOMMU_IOAS_* ioctls.
 *
 * The checks and their errnos follow mainline iommufd: unknown flags or a
 * non-zero reserved field give EOPNOTSUPP, values that do not fit an
 * unsigned long give EOVERFLOW, a mapping with neither read nor write
 * permission gives EINVAL, and an unknown IOAS ID gives ENOENT.
 *
 * Mapping pins nothing by itself (see pages.c), so a range of user memory
 * that is not there, or is read-only but mapped writeable, is accepted
 * here and refused with EFAULT when a domain or an access pins it.
 */
#include <kunit/visibility.h>
#include <linux/iommu.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <uapi/linux/iommufd.h>

#include "iommufd_private.h"

#define IOMMUFD_MAP_FLAGS                                        \
	(IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE | \
	 IOMMU_IOAS_MAP_READABLE)

/**
 * iommufd_get_ioas() - look up an IOAS and take a reference
 * @ictx: context
 * @id: the IOAS's ID
 *
 * Return: the IOAS or ERR_PTR(-ENOENT).  Release with iommufd_put_object().
 */
struct iommufd_ioas *iommufd_get_ioas(struct iommufd_ctx *ictx, u32 id)
{
	struct iommufd_object *obj;

	obj = iommufd_get_object(ictx, id, IOMMUFD_OBJ_IOAS);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	return container_of(obj, struct iommufd_ioas, obj);
}

/**
 * iommufd_ioas_create() - allocate an IOAS object in a context
 * @ictx: the context
 *
 * The object is finalized: its ID is live.
 *
 * Return: the IOAS (without a reference of the caller's), or an ERR_PTR.
 */
struct iommufd_ioas *iommufd_ioas_create(struct iommufd_ctx *ictx)
{
	struct iommufd_ioas *ioas;
	int rc;

	ioas = kzalloc(sizeof(*ioas), GFP_KERNEL_ACCOUNT);
	if (!ioas)
		return ERR_PTR(-ENOMEM);
	iopt_init(&ioas->iopt);
	rc = iommufd_object_reserve(ictx, &ioas->obj, IOMMUFD_OBJ_IOAS);
	if (rc) {
		iopt_destroy(&ioas->iopt);
		kfree(ioas);
		return ERR_PTR(rc);
	}
	/* Stable now: RLIMIT_MODE cannot change while an ID is reserved. */
	ioas->iopt.account_mode = READ_ONCE(ictx->account_mode);
	iommufd_object_finalize(ictx, &ioas->obj);
	return ioas;
}
EXPORT_SYMBOL_IF_KUNIT(iommufd_ioas_create);

void iommufd_ioas_destroy(struct iommufd_object *obj)
{
	struct iommufd_ioas *ioas = container_of(obj, struct iommufd_ioas, obj);

	iopt_destroy(&ioas->iopt);
	kfree(ioas);
}

int iommufd_ioas_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_alloc *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;

	ioas = kzalloc(sizeof(*ioas), GFP_KERNEL_ACCOUNT);
	if (!ioas)
		return -ENOMEM;
	iopt_init(&ioas->iopt);
	rc = iommufd_object_reserve(ucmd->ictx, &ioas->obj, IOMMUFD_OBJ_IOAS);
	if (rc)
		goto err_free;
	/* Stable now: RLIMIT_MODE cannot change while an ID is reserved. */
	ioas->iopt.account_mode = READ_ONCE(ucmd->ictx->account_mode);

	cmd->out_ioas_id = ioas->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto err_abort;
	iommufd_object_finalize(ucmd->ictx, &ioas->obj);
	return 0;

err_abort:
	iommufd_object_abort(ucmd->ictx, &ioas->obj);
err_free:
	iopt_destroy(&ioas->iopt);
	kfree(ioas);
	return rc;
}

struct iommufd_ranges_out {
	struct iopt_range_visitor visitor;
	struct iommu_iova_range __user *ranges;
	u32 max;
	u32 num;
};

static int iommufd_put_range(struct iopt_range_visitor *visitor,
			     unsigned long start, unsigned long last)
{
	struct iommufd_ranges_out *out =
		container_of(visitor, struct iommufd_ranges_out, visitor);
	struct iommu_iova_range range = { .start = start, .last = last };

	if (out->num < out->max &&
	    copy_to_user(&out->ranges[out->num], &range, sizeof(range)))
		return -EFAULT;
	out->num++;
	return 0;
}

int iommufd_ioas_iova_ranges(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_iova_ranges *cmd = ucmd->cmd;
	struct iommufd_ranges_out out = {
		.visitor.visit = iommufd_put_range,
		.ranges = u64_to_user_ptr(cmd->allowed_iovas),
		.max = cmd->num_iovas,
	};
	struct iommufd_ioas *ioas;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;

	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	rc = iopt_walk_usable(&ioas->iopt, &out.visitor);
	if (rc)
		goto out_put;
	cmd->num_iovas = out.num;
	cmd->out_iova_alignment = iopt_iova_alignment(&ioas->iopt);
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (!rc && out.num > out.max)
		rc = -EMSGSIZE;
out_put:
	iommufd_put_object(&ioas->obj);
	return rc;
}

static int iommufd_load_ranges(struct rb_root_cached *itree,
			       struct iommu_iova_range __user *ranges, u32 num)
{
	u32 i;

	for (i = 0; i < num; i++) {
		struct interval_tree_node *node;
		struct iommu_iova_range range;

		if (copy_from_user(&range, &ranges[i], sizeof(range)))
			return -EFAULT;
		if (range.start >= range.last || range.last > ULONG_MAX ||
		    interval_tree_iter_first(itree, range.start, range.last))
			return -EINVAL;
		node = kzalloc(sizeof(*node), GFP_KERNEL_ACCOUNT);
		if (!node)
			return -ENOMEM;
		node->start = range.start;
		node->last = range.last;
		interval_tree_insert(node, itree);
	}
	return 0;
}

int iommufd_ioas_allow_iovas(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_allow_iovas *cmd = ucmd->cmd;
	struct rb_root_cached allowed = RB_ROOT_CACHED;
	struct iommufd_ioas *ioas;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;

	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	rc = iommufd_load_ranges(&allowed, u64_to_user_ptr(cmd->allowed_iovas),
				 cmd->num_iovas);
	if (!rc)
		rc = iopt_set_allowed(&ioas->iopt, &allowed);
	/* The new tree on failure, the old one on success. */
	iopt_free_itree(&allowed);
	iommufd_put_object(&ioas->obj);
	return rc;
}

/* IOMMU prot of IOMMU_IOAS_MAP* flags (also IOMMU_IOAS_MAP_FILE's). */
int iommufd_map_prot(u32 flags)
{
	/*
	 * DMA is coherent with the CPU caches: userspace has no way to flush
	 * them.
	 */
	int prot = IOMMU_CACHE;

	if (flags & IOMMU_IOAS_MAP_WRITEABLE)
		prot |= IOMMU_WRITE;
	if (flags & IOMMU_IOAS_MAP_READABLE)
		prot |= IOMMU_READ;
	return prot;
}

int iommufd_ioas_map(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_map *cmd = ucmd->cmd;
	unsigned long iova = cmd->iova;
	struct iommufd_ioas *ioas;
	int rc;

	if ((cmd->flags & ~IOMMUFD_MAP_FLAGS) || cmd->__reserved)
		return -EOPNOTSUPP;
	if (cmd->iova >= ULONG_MAX || cmd->length >= ULONG_MAX ||
	    cmd->user_va >= ULONG_MAX)
		return -EOVERFLOW;
	if (!(cmd->flags &
	      (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)))
		return -EINVAL;

	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	rc = iopt_map_user(&ioas->iopt, &iova, cmd->user_va, cmd->length,
			   iommufd_map_prot(cmd->flags),
			   cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA);
	if (!rc) {
		cmd->iova = iova;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	}
	iommufd_put_object(&ioas->obj);
	return rc;
}

int iommufd_ioas_copy(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_copy *cmd = ucmd->cmd;
	unsigned long iova = cmd->dst_iova;
	struct iommufd_ioas *src, *dst;
	LIST_HEAD(pieces);
	int rc;

	if (cmd->flags & ~IOMMUFD_MAP_FLAGS)
		return -EOPNOTSUPP;
	if (cmd->length >= ULONG_MAX || cmd->src_iova >= ULONG_MAX ||
	    cmd->dst_iova >= ULONG_MAX)
		return -EOVERFLOW;
	if (!(cmd->flags &
	      (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)))
		return -EINVAL;

	src = iommufd_get_ioas(ucmd->ictx, cmd->src_ioas_id);
	if (IS_ERR(src))
		return PTR_ERR(src);
	rc = iopt_get_pieces(&src->iopt, cmd->src_iova, cmd->length, &pieces);
	iommufd_put_object(&src->obj);
	if (rc)
		return rc;

	dst = iommufd_get_ioas(ucmd->ictx, cmd->dst_ioas_id);
	if (IS_ERR(dst)) {
		rc = PTR_ERR(dst);
		goto out_free;
	}
	rc = iopt_map_pieces(&dst->iopt, &pieces, cmd->length, &iova,
			     iommufd_map_prot(cmd->flags),
			     cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA);
	if (!rc) {
		cmd->dst_iova = iova;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	}
	iommufd_put_object(&dst->obj);
out_free:
	iopt_free_pieces(&pieces);
	return rc;
}

int iommufd_ioas_unmap(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_unmap *cmd = ucmd->cmd;
	unsigned long unmapped = 0;
	struct iommufd_ioas *ioas;
	int rc;

	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	if (cmd->iova == 0 && cmd->length == U64_MAX) {
		rc = iopt_unmap_all(&ioas->iopt, &unmapped);
	} else if (cmd->iova >= ULONG_MAX || cmd->length >= ULONG_MAX) {
		rc = -EOVERFLOW;
	} else {
		rc = iopt_unmap(&ioas->iopt, cmd->iova, cmd->length,
				&unmapped);
		/* Unlike unmapping everything, this must find something. */
		if (!rc && !unmapped)
			rc = -ENOENT;
	}
	if (!rc) {
		cmd->length = unmapped;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	}
	iommufd_put_object(&ioas->obj);
	return rc;
}
