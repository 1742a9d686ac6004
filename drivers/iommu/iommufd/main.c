// SPDX-License-Identifier: GPL-2.0
/*
 * iommufd with a PASID layer: /dev/iommu and ioctl dispatch.
 *
 * Every open of /dev/iommu is a context (struct iommufd_ctx) owning the
 * objects created through it.  Ioctls are looked up by their command
 * number, as mainline does; numbers iommufd does not use go to the VFIO
 * type1 compatibility layer (vfio_compat.c).  Every iommufd ioctl takes a
 * structure whose first __u32 is its size as userspace knows it: a structure smaller than the
 * oldest known version is refused with EINVAL, bytes beyond what this
 * kernel knows must be zero (E2BIG otherwise), and a short structure is
 * zero-extended, so that old and new userspace both work.
 */
#define pr_fmt(fmt) "iommufd_pasid: " fmt

#include <linux/build_bug.h>
#include <linux/export.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/iommufd_pasid.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <uapi/linux/iommufd.h>

#include "iommufd_private.h"
#ifdef IOMMUFD_PASID_TEST
#include "iommufd_test.h"
#endif

/*
 * The module must be built against this project's uAPI header, not the
 * kernel's older copy with the same include guard (see Kbuild): these only
 * compile with the v6.15 definitions.
 */
static_assert(IOMMU_HWPT_ALLOC_PASID == 1 << 3);
static_assert(IOMMU_HW_INFO_TYPE_DEFAULT == 0);
static_assert(sizeof(struct iommu_hw_info) == 40);
static_assert(sizeof(struct iommu_hwpt_alloc) == 48);

/**
 * iommufd_ucmd_respond() - copy an ioctl's structure back to userspace
 * @ucmd: the call
 * @cmd_len: size of the kernel's structure
 *
 * Only as many bytes as userspace passed are written.
 *
 * Return: 0 or -EFAULT.
 */
int iommufd_ucmd_respond(struct iommufd_ucmd *ucmd, size_t cmd_len)
{
	if (copy_to_user(ucmd->ubuffer, ucmd->cmd,
			 min_t(size_t, ucmd->user_size, cmd_len)))
		return -EFAULT;
	return 0;
}

union iommufd_ucmd_buffer {
	struct iommu_destroy destroy;
	struct iommu_fault_alloc fault;
	struct iommu_hw_info hw_info;
	struct iommu_hwpt_alloc hwpt_alloc;
	struct iommu_hwpt_get_dirty_bitmap get_dirty_bitmap;
	struct iommu_hwpt_invalidate hwpt_invalidate;
	struct iommu_hwpt_set_dirty_tracking set_dirty_tracking;
	struct iommu_ioas_alloc alloc;
	struct iommu_ioas_allow_iovas allow_iovas;
	struct iommu_ioas_change_process change_process;
	struct iommu_ioas_copy ioas_copy;
	struct iommu_ioas_iova_ranges iova_ranges;
	struct iommu_ioas_map map;
	struct iommu_ioas_map_file map_file;
	struct iommu_ioas_unmap unmap;
	struct iommu_option option;
	struct iommu_vdevice_alloc vdev;
	struct iommu_veventq_alloc veventq;
	struct iommu_vfio_ioas vfio_ioas;
	struct iommu_viommu_alloc viommu;
	struct iommu_pasid_alloc pasid_alloc;
	struct iommu_pasid_free pasid_free;
#ifdef IOMMUFD_PASID_TEST
	struct iommu_test_cmd test;
#endif
};

struct iommufd_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	unsigned int ioctl_num;
	int (*execute)(struct iommufd_ucmd *ucmd);
};

/* min_size: the structure as first released, ending at @_last. */
#define IOCTL_OP(_ioctl, _fn, _struct, _last)                              \
	{                                                                  \
		.size = sizeof(_struct) +                                  \
			BUILD_BUG_ON_ZERO(sizeof(union iommufd_ucmd_buffer) < \
					  sizeof(_struct)),                \
		.min_size = offsetofend(_struct, _last),                   \
		.ioctl_num = _ioctl,                                       \
		.execute = _fn,                                            \
	}

/* Mainline v6.15's commands, IOMMUFD_CMD_BASE to IOMMUFD_CMD_VEVENTQ_ALLOC */
static const struct iommufd_ioctl_op iommufd_ioctl_ops[] = {
	IOCTL_OP(IOMMU_DESTROY, iommufd_destroy, struct iommu_destroy, id),
	IOCTL_OP(IOMMU_FAULT_QUEUE_ALLOC, iommufd_fault_alloc,
		 struct iommu_fault_alloc, out_fault_fd),
	IOCTL_OP(IOMMU_GET_HW_INFO, iommufd_get_hw_info, struct iommu_hw_info,
		 __reserved),
	IOCTL_OP(IOMMU_HWPT_ALLOC, iommufd_hwpt_alloc_ioctl,
		 struct iommu_hwpt_alloc, __reserved),
	IOCTL_OP(IOMMU_HWPT_GET_DIRTY_BITMAP, iommufd_hwpt_get_dirty_bitmap,
		 struct iommu_hwpt_get_dirty_bitmap, data),
	IOCTL_OP(IOMMU_HWPT_INVALIDATE, iommufd_hwpt_invalidate_ioctl,
		 struct iommu_hwpt_invalidate, __reserved),
	IOCTL_OP(IOMMU_HWPT_SET_DIRTY_TRACKING,
		 iommufd_hwpt_set_dirty_tracking,
		 struct iommu_hwpt_set_dirty_tracking, __reserved),
	IOCTL_OP(IOMMU_IOAS_ALLOC, iommufd_ioas_alloc_ioctl,
		 struct iommu_ioas_alloc, out_ioas_id),
	IOCTL_OP(IOMMU_IOAS_ALLOW_IOVAS, iommufd_ioas_allow_iovas,
		 struct iommu_ioas_allow_iovas, allowed_iovas),
	IOCTL_OP(IOMMU_IOAS_CHANGE_PROCESS, iommufd_ioas_change_process,
		 struct iommu_ioas_change_process, __reserved),
	IOCTL_OP(IOMMU_IOAS_COPY, iommufd_ioas_copy, struct iommu_ioas_copy,
		 src_iova),
	IOCTL_OP(IOMMU_IOAS_IOVA_RANGES, iommufd_ioas_iova_ranges,
		 struct iommu_ioas_iova_ranges, out_iova_alignment),
	IOCTL_OP(IOMMU_IOAS_MAP, iommufd_ioas_map, struct iommu_ioas_map,
		 iova),
	IOCTL_OP(IOMMU_IOAS_MAP_FILE, iommufd_ioas_map_file,
		 struct iommu_ioas_map_file, iova),
	IOCTL_OP(IOMMU_IOAS_UNMAP, iommufd_ioas_unmap, struct iommu_ioas_unmap,
		 length),
	IOCTL_OP(IOMMU_OPTION, iommufd_option, struct iommu_option, val64),
	IOCTL_OP(IOMMU_VDEVICE_ALLOC, iommufd_vdevice_alloc_ioctl,
		 struct iommu_vdevice_alloc, virt_id),
	IOCTL_OP(IOMMU_VEVENTQ_ALLOC, iommufd_veventq_alloc,
		 struct iommu_veventq_alloc, out_veventq_fd),
	IOCTL_OP(IOMMU_VFIO_IOAS, iommufd_vfio_ioas, struct iommu_vfio_ioas,
		 __reserved),
	IOCTL_OP(IOMMU_VIOMMU_ALLOC, iommufd_viommu_alloc_ioctl,
		 struct iommu_viommu_alloc, out_viommu_id),
};

/* EXTENSION, not mainline: far above the mainline numbers. */
static const struct iommufd_ioctl_op iommufd_ext_ioctl_ops[] = {
	IOCTL_OP(IOMMU_PASID_ALLOC, iommufd_pasid_alloc_ioctl,
		 struct iommu_pasid_alloc, __reserved),
	IOCTL_OP(IOMMU_PASID_FREE, iommufd_pasid_free_ioctl,
		 struct iommu_pasid_free, pasid),
#ifdef IOMMUFD_PASID_TEST
	/* Test ABI of the test build only (selftest.c) */
	IOCTL_OP(IOMMU_TEST_CMD, iommufd_test, struct iommu_test_cmd, last),
#endif
};

/* One op for each of v6.15's commands. */
static_assert(ARRAY_SIZE(iommufd_ioctl_ops) ==
	      IOMMUFD_CMD_VEVENTQ_ALLOC - IOMMUFD_CMD_BASE + 1);

static const struct iommufd_ioctl_op *
iommufd_find_in(const struct iommufd_ioctl_op *ops, unsigned int num,
		unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < num; i++) {
		if (_IOC_NR(ops[i].ioctl_num) == nr)
			return &ops[i];
	}
	return NULL;
}

/*
 * The op with the command number of @cmd, or NULL for a number iommufd
 * does not use (the VFIO type1 compatibility ioctls, below
 * IOMMUFD_CMD_BASE, and anything else).  As in mainline, the number alone
 * selects the op; an op whose full ioctl number differs from @cmd (another
 * type, direction or size) answers ENOTTY.
 */
static const struct iommufd_ioctl_op *iommufd_find_op(unsigned int cmd)
{
	const struct iommufd_ioctl_op *op;
	unsigned int nr = _IOC_NR(cmd);

	op = iommufd_find_in(iommufd_ioctl_ops, ARRAY_SIZE(iommufd_ioctl_ops),
			     nr);
	if (!op)
		op = iommufd_find_in(iommufd_ext_ioctl_ops,
				     ARRAY_SIZE(iommufd_ext_ioctl_ops), nr);
	return op;
}

static long iommufd_fops_ioctl(struct file *filp, unsigned int cmd,
			       unsigned long arg)
{
	struct iommufd_ctx *ictx = filp->private_data;
	const struct iommufd_ioctl_op *op;
	union iommufd_ucmd_buffer buf;
	struct iommufd_ucmd ucmd = {
		.ictx = ictx,
		.ubuffer = (void __user *)arg,
		.cmd = &buf,
	};
	int ret;

	op = iommufd_find_op(cmd);
	if (!op)
		return iommufd_vfio_ioctl(ictx, cmd, arg);

	/* As mainline: the size is read before the number is checked. */
	ret = get_user(ucmd.user_size, (u32 __user *)ucmd.ubuffer);
	if (ret)
		return ret;
	if (op->ioctl_num != cmd)
		return -ENOIOCTLCMD;
	if (ucmd.user_size < op->min_size)
		return -EINVAL;
	ret = copy_struct_from_user(ucmd.cmd, op->size, ucmd.ubuffer,
				    ucmd.user_size);
	if (ret)
		return ret;
	return op->execute(&ucmd);
}

static int iommufd_fops_open(struct inode *inode, struct file *filp)
{
	struct iommufd_ctx *ictx;
	int ret;

	ictx = kzalloc(sizeof(*ictx), GFP_KERNEL_ACCOUNT);
	if (!ictx)
		return -ENOMEM;
	ret = iommufd_pasid_alloc_init(ictx);
	if (ret) {
		kfree(ictx);
		return ret;
	}
	xa_init_flags(&ictx->objects, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	xa_init(&ictx->groups);
	ictx->file = filp;
	filp->private_data = ictx;
	return 0;
}

static int iommufd_fops_release(struct inode *inode, struct file *filp)
{
	struct iommufd_ctx *ictx = filp->private_data;

	iommufd_objects_destroy_all(ictx);
	xa_destroy(&ictx->objects);
	/* Every bound device held the file, so every group is gone. */
	WARN_ON(!xa_empty(&ictx->groups));
	/* After the objects, so no user of a PASID outlives it. */
	iommufd_pasid_alloc_destroy(ictx);
	kfree(ictx);
	return 0;
}

static const struct file_operations iommufd_fops = {
	.owner = THIS_MODULE,
	.open = iommufd_fops_open,
	.release = iommufd_fops_release,
	.unlocked_ioctl = iommufd_fops_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/**
 * iommufd_ctx_from_file() - the iommufd context of an open /dev/iommu
 * @file: a file userspace passed, which may be anything
 *
 * Takes a reference on @file, which keeps the context alive; drop it with
 * iommufd_ctx_put().
 *
 * Return: the context, or ERR_PTR(-EBADFD) if @file is not /dev/iommu.
 */
struct iommufd_ctx *iommufd_ctx_from_file(struct file *file)
{
	if (file->f_op != &iommufd_fops)
		return ERR_PTR(-EBADFD);
	get_file(file);
	return file->private_data;
}
EXPORT_SYMBOL_GPL(iommufd_ctx_from_file);

/**
 * iommufd_ctx_put() - drop a reference on an iommufd context
 * @ictx: a context from iommufd_ctx_from_file()
 *
 * The context is freed once the file is closed and no reference is left.
 */
void iommufd_ctx_put(struct iommufd_ctx *ictx)
{
	fput(ictx->file);
}
EXPORT_SYMBOL_GPL(iommufd_ctx_put);

static struct miscdevice iommufd_misc_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "iommu",
	.fops = &iommufd_fops,
	.nodename = "iommu",
	.mode = 0600,
};

static int __init iommufd_pasid_init(void)
{
	int ret;

	ret = misc_register(&iommufd_misc_dev);
	if (ret)
		return ret;
	ret = iommufd_test_init();
	if (ret)
		goto err_misc;
	ret = iommufd_pci_init();
	if (ret)
		goto err_test;
	return 0;

err_test:
	iommufd_test_exit();
err_misc:
	misc_deregister(&iommufd_misc_dev);
	return ret;
}

static void __exit iommufd_pasid_exit(void)
{
	/* Unbinds every device node, which may drop the last contexts. */
	iommufd_pci_exit();
	misc_deregister(&iommufd_misc_dev);
	iommufd_test_exit();
}

module_init(iommufd_pasid_init);
module_exit(iommufd_pasid_exit);

MODULE_DESCRIPTION("iommufd with per-PASID attach, replace and detach");
MODULE_LICENSE("GPL");
