// SPDX-License-Identifier: GPL-2.0
/*
 * VFIO type1 compatibility on /dev/iommu.
 *
 * A program written for a VFIO container can issue the container ioctls
 * (VFIO_GET_API_VERSION, VFIO_CHECK_EXTENSION, VFIO_SET_IOMMU,
 * VFIO_IOMMU_GET_INFO, VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_UNMAP_DMA) on an
 * iommufd instead.  They name no IOAS, so they act on the context's
 * compatibility IOAS, which IOMMU_VFIO_IOAS chooses; without one they fail
 * with ENODEV, as mainline's do.  Mappings go through the same
 * io_pagetable functions as IOMMU_IOAS_MAP/UNMAP.
 *
 * Not provided (as in mainline): VFIO_IOMMU_DIRTY_PAGES, VFIO_UPDATE_VADDR
 * and /dev/vfio/vfio itself (this module registers only /dev/iommu, so
 * there is no no-IOMMU mode).  VFIO_TYPE1_IOMMU turns the IOAS's large
 * pages off, as in mainline, and so lets VFIO_IOMMU_UNMAP_DMA unmap part
 * of a mapping (the mapping is cut at the ends of the range first);
 * TYPE1v2 refuses that with ENOENT.
 */
#include <linux/iommu.h>
#include <linux/overflow.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include <uapi/linux/iommufd.h>

#include "iommufd_private.h"

/**
 * iommufd_get_compat_ioas() - the compatibility IOAS, with a reference
 * @ictx: context
 *
 * Return: the IOAS (release with iommufd_put_object()) or
 * ERR_PTR(-ENODEV) if none is set.
 */
struct iommufd_ioas *iommufd_get_compat_ioas(struct iommufd_ctx *ictx)
{
	struct iommufd_ioas *ioas = ERR_PTR(-ENODEV);

	xa_lock(&ictx->objects);
	if (ictx->vfio_ioas &&
	    refcount_inc_not_zero(&ictx->vfio_ioas->obj.users))
		ioas = ictx->vfio_ioas;
	xa_unlock(&ictx->objects);
	return ioas;
}

/**
 * iommufd_vfio_ioas() - ioctl(IOMMU_VFIO_IOAS)
 * @ucmd: the call
 *
 * Return: 0; -EOPNOTSUPP for a non-zero reserved field or unknown op;
 * -ENODEV for GET without a compatibility IOAS; -ENOENT for SET with an
 * ID that is no IOAS.
 */
int iommufd_vfio_ioas(struct iommufd_ucmd *ucmd)
{
	struct iommu_vfio_ioas *cmd = ucmd->cmd;
	struct iommufd_ctx *ictx = ucmd->ictx;
	struct iommufd_ioas *ioas;

	if (cmd->__reserved)
		return -EOPNOTSUPP;

	switch (cmd->op) {
	case IOMMU_VFIO_IOAS_GET:
		ioas = iommufd_get_compat_ioas(ictx);
		if (IS_ERR(ioas))
			return PTR_ERR(ioas);
		cmd->ioas_id = ioas->obj.id;
		iommufd_put_object(&ioas->obj);
		return iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	case IOMMU_VFIO_IOAS_SET:
		ioas = iommufd_get_ioas(ictx, cmd->ioas_id);
		if (IS_ERR(ioas))
			return PTR_ERR(ioas);
		xa_lock(&ictx->objects);
		ictx->vfio_ioas = ioas;
		xa_unlock(&ictx->objects);
		iommufd_put_object(&ioas->obj);
		return 0;
	case IOMMU_VFIO_IOAS_CLEAR:
		xa_lock(&ictx->objects);
		ictx->vfio_ioas = NULL;
		xa_unlock(&ictx->objects);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

/* 1 if every paging HWPT of @ioas enforces cache coherency. */
static int iommufd_vfio_cc_iommu(struct iommufd_ctx *ictx)
{
	struct iommufd_object *obj;
	struct iommufd_ioas *ioas;
	unsigned long index;
	int rc = 1;

	ioas = iommufd_get_compat_ioas(ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	xa_lock(&ictx->objects);
	xa_for_each(&ictx->objects, index, obj) {
		struct iommufd_hwpt_paging *hwpt_paging;

		if (obj->type != IOMMUFD_OBJ_HWPT_PAGING)
			continue;
		hwpt_paging = container_of(obj, struct iommufd_hwpt_paging,
					   common.obj);
		if (hwpt_paging->ioas == ioas &&
		    !hwpt_paging->enforce_cache_coherency) {
			rc = 0;
			break;
		}
	}
	xa_unlock(&ictx->objects);
	iommufd_put_object(&ioas->obj);
	return rc;
}

static int iommufd_vfio_check_extension(struct iommufd_ctx *ictx,
					unsigned long type)
{
	switch (type) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_UNMAP_ALL:
		return 1;
	case VFIO_DMA_CC_IOMMU:
		return iommufd_vfio_cc_iommu(ictx);
	default:
		/* NOIOMMU, nesting, UPDATE_VADDR and anything unknown */
		return 0;
	}
}

static int iommufd_vfio_set_iommu(struct iommufd_ctx *ictx,
				  unsigned long type)
{
	struct iommufd_ioas *ioas;
	int rc = 0;

	if (type != VFIO_TYPE1_IOMMU && type != VFIO_TYPE1v2_IOMMU)
		return -EINVAL;
	/* A VFIO container refuses this without a group; here, an IOAS. */
	ioas = iommufd_get_compat_ioas(ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	/*
	 * As mainline: the original TYPE1 gets no IOMMU page larger than a
	 * CPU page (and so PAGE_SIZE alignment).
	 */
	if (type == VFIO_TYPE1_IOMMU)
		rc = iopt_disable_large_pages(&ioas->iopt);
	iommufd_put_object(&ioas->obj);
	return rc;
}

static int iommufd_vfio_map_dma(struct iommufd_ctx *ictx, void __user *arg)
{
	const u32 supported = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	size_t minsz = offsetofend(struct vfio_iommu_type1_dma_map, size);
	struct vfio_iommu_type1_dma_map map;
	struct iommufd_ioas *ioas;
	int prot = IOMMU_CACHE;
	unsigned long iova;
	int rc;

	if (copy_from_user(&map, arg, minsz))
		return -EFAULT;
	if (map.argsz < minsz || (map.flags & ~supported))
		return -EINVAL;
	if (map.iova > ULONG_MAX || map.size > ULONG_MAX ||
	    map.vaddr > ULONG_MAX)
		return -EOVERFLOW;
	if (map.flags & VFIO_DMA_MAP_FLAG_READ)
		prot |= IOMMU_READ;
	if (map.flags & VFIO_DMA_MAP_FLAG_WRITE)
		prot |= IOMMU_WRITE;

	ioas = iommufd_get_compat_ioas(ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	iova = map.iova;
	rc = iopt_map_user(&ioas->iopt, &iova, map.vaddr, map.size, prot,
			   true);
	iommufd_put_object(&ioas->obj);
	return rc;
}

/*
 * Type1 v1 (large pages disabled) may unmap part of a mapping: cut the
 * mappings that cross either end of the range first.  A cut that fails
 * leaves the mappings whole; one done before stays, which changes
 * nothing visible.  Type1 v2 refuses such an unmap (ENOENT from
 * iopt_unmap()), as in mainline.
 */
static int iommufd_vfio_cut(struct iommufd_ioas *ioas, u64 iova, u64 size)
{
	u64 end;
	int rc;

	if (!READ_ONCE(ioas->iopt.disable_large_pages) || !size)
		return 0;
	rc = iopt_cut(&ioas->iopt, iova);
	if (rc || check_add_overflow(iova, size, &end) || end > ULONG_MAX)
		return rc;
	return iopt_cut(&ioas->iopt, end);
}

static int iommufd_vfio_unmap_dma(struct iommufd_ctx *ictx, void __user *arg)
{
	size_t minsz = offsetofend(struct vfio_iommu_type1_dma_unmap, size);
	struct vfio_iommu_type1_dma_unmap unmap;
	unsigned long unmapped = 0;
	struct iommufd_ioas *ioas;
	int rc;

	if (copy_from_user(&unmap, arg, minsz))
		return -EFAULT;
	if (unmap.argsz < minsz || (unmap.flags & ~VFIO_DMA_UNMAP_FLAG_ALL))
		return -EINVAL;

	ioas = iommufd_get_compat_ioas(ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL) {
		if (unmap.iova || unmap.size)
			rc = -EINVAL;
		else
			rc = iopt_unmap_all(&ioas->iopt, &unmapped);
	} else if (unmap.iova > ULONG_MAX || unmap.size > ULONG_MAX) {
		rc = -EOVERFLOW;
	} else {
		rc = iommufd_vfio_cut(ioas, unmap.iova, unmap.size);
		if (!rc)
			rc = iopt_unmap(&ioas->iopt, unmap.iova, unmap.size,
					&unmapped);
	}
	if (rc)
		goto out_put;
	unmap.size = unmapped;
	if (copy_to_user(arg, &unmap, minsz))
		rc = -EFAULT;
out_put:
	iommufd_put_object(&ioas->obj);
	return rc;
}

/* IOMMU page sizes every domain of @ioas can map, as VFIO reports them. */
static u64 iommufd_vfio_pgsizes(struct iommufd_ioas *ioas)
{
	struct io_pagetable *iopt = &ioas->iopt;
	unsigned long pgsizes = ULONG_MAX;
	struct iommu_domain *domain;
	unsigned long index;

	mutex_lock(&iopt->lock);
	xa_for_each(&iopt->domains, index, domain)
		pgsizes &= domain->pgsize_bitmap;
	/* Sizes below a CPU page are reported as the CPU page. */
	if (pgsizes & ~PAGE_MASK) {
		pgsizes &= PAGE_MASK;
		pgsizes |= PAGE_SIZE;
	}
	pgsizes = max(pgsizes, iopt->iova_alignment);
	mutex_unlock(&iopt->lock);
	return pgsizes;
}

struct iommufd_vfio_ranges {
	struct iopt_range_visitor visitor;
	struct vfio_iova_range __user *uranges;
	size_t avail;
	u32 num;
};

static int iommufd_vfio_put_range(struct iopt_range_visitor *visitor,
				  unsigned long start, unsigned long last)
{
	struct iommufd_vfio_ranges *r =
		container_of(visitor, struct iommufd_vfio_ranges, visitor);
	struct vfio_iommu_type1_info_cap_iova_range *cap;
	struct vfio_iova_range range = { .start = start, .end = last };

	if (r->avail >= struct_size(cap, iova_ranges, r->num + 1) &&
	    copy_to_user(&r->uranges[r->num], &range, sizeof(range)))
		return -EFAULT;
	r->num++;
	return 0;
}

/*
 * The IOVA range capability at @ucap with @avail bytes of room; returns
 * its full size, whether it fitted or not.
 */
static int iommufd_vfio_cap_iova(struct iommufd_ioas *ioas, void __user *ucap,
				 size_t avail)
{
	struct vfio_iommu_type1_info_cap_iova_range __user *uc = ucap;
	struct vfio_iommu_type1_info_cap_iova_range cap = {
		.header = {
			.id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
			.version = 1,
		},
	};
	struct iommufd_vfio_ranges r = {
		.visitor.visit = iommufd_vfio_put_range,
		.uranges = ucap ? uc->iova_ranges : NULL,
		.avail = avail,
	};
	int rc;

	rc = iopt_walk_usable(&ioas->iopt, &r.visitor);
	if (rc)
		return rc;
	cap.nr_iovas = r.num;
	if (avail >= struct_size(&cap, iova_ranges, cap.nr_iovas) &&
	    copy_to_user(uc, &cap, sizeof(cap)))
		return -EFAULT;
	return struct_size(&cap, iova_ranges, cap.nr_iovas);
}

/* The DMA mapping limit capability; iommufd has no count limit. */
static int iommufd_vfio_cap_dma_avail(struct iommufd_ioas *ioas,
				      void __user *ucap, size_t avail)
{
	struct vfio_iommu_type1_info_dma_avail cap = {
		.header = {
			.id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL,
			.version = 1,
		},
		.avail = U32_MAX,
	};

	if (avail >= sizeof(cap) && copy_to_user(ucap, &cap, sizeof(cap)))
		return -EFAULT;
	return sizeof(cap);
}

static int iommufd_vfio_get_info(struct iommufd_ctx *ictx, void __user *arg)
{
	static int (*const fill[])(struct iommufd_ioas *ioas,
				   void __user *ucap, size_t avail) = {
		iommufd_vfio_cap_dma_avail,
		iommufd_vfio_cap_iova,
	};
	size_t minsz = offsetofend(struct vfio_iommu_type1_info, iova_pgsizes);
	struct vfio_info_cap_header __user *last = NULL;
	struct vfio_iommu_type1_info info = {};
	struct iommufd_ioas *ioas;
	size_t total;
	unsigned int i;
	int rc = 0;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	minsz = min_t(size_t, info.argsz, sizeof(info));

	ioas = iommufd_get_compat_ioas(ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	info.flags = VFIO_IOMMU_INFO_PGSIZES;
	info.iova_pgsizes = iommufd_vfio_pgsizes(ioas);
	info.cap_offset = 0;

	/* Capabilities follow the structure, each 8-byte aligned. */
	total = sizeof(info);
	for (i = 0; i < ARRAY_SIZE(fill); i++) {
		int size;

		if (info.argsz > total)
			size = fill[i](ioas, arg + total, info.argsz - total);
		else
			size = fill[i](ioas, NULL, 0);
		if (size < 0) {
			rc = size;
			goto out_put;
		}
		size = ALIGN(size, sizeof(u64));
		if (last && info.argsz >= total &&
		    put_user(total, &last->next)) {
			rc = -EFAULT;
			goto out_put;
		}
		last = arg + total;
		total += size;
	}

	/* Too small a buffer: tell the size that holds every capability. */
	if (info.argsz >= total)
		info.cap_offset = sizeof(info);
	info.argsz = total;
	info.flags |= VFIO_IOMMU_INFO_CAPS;
	if (copy_to_user(arg, &info, minsz))
		rc = -EFAULT;
out_put:
	iommufd_put_object(&ioas->obj);
	return rc;
}

/**
 * iommufd_vfio_ioctl() - the VFIO type1 container ioctls on /dev/iommu
 * @ictx: context
 * @cmd: an ioctl number outside the iommufd range
 * @arg: its argument
 *
 * Return: what the VFIO container ioctl returns; -ENOIOCTLCMD (ENOTTY
 * for userspace) for any other number.
 */
long iommufd_vfio_ioctl(struct iommufd_ctx *ictx, unsigned int cmd,
			unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_CHECK_EXTENSION:
		return iommufd_vfio_check_extension(ictx, arg);
	case VFIO_SET_IOMMU:
		return iommufd_vfio_set_iommu(ictx, arg);
	case VFIO_IOMMU_GET_INFO:
		return iommufd_vfio_get_info(ictx, uarg);
	case VFIO_IOMMU_MAP_DMA:
		return iommufd_vfio_map_dma(ictx, uarg);
	case VFIO_IOMMU_UNMAP_DMA:
		return iommufd_vfio_unmap_dma(ictx, uarg);
	default:
		return -ENOIOCTLCMD;
	}
}
