// SPDX-License-Identifier: GPL-2.0
/*
 * The user bitmap of IOMMU_HWPT_GET_DIRTY_BITMAP.
 *
 * Mainline records dirty IOVAs with the kernel's iova_bitmap, which is
 * built only with CONFIG_IOMMUFD_DRIVER; Debian's 6.12 has it off, so
 * iova_bitmap_set() is an empty inline there and iommu_dirty_bitmap_record()
 * drops every bit.  This file is this module's own writer: the
 * struct iova_bitmap that struct iommu_dirty_bitmap points to is the head
 * of struct iommufd_bitmap, and drivers record through its callback with
 * iommufd_dirty_record() of include/linux/iommufd_dirty.h (the rule is
 * there).
 *
 * Bit n of the user bitmap stands for the page_size block at
 * iova + n * page_size.  Bits are only ever set, never cleared, as in
 * mainline.  The user bitmap is read and written back one window of up to
 * PAGE_SIZE bytes at a time with copy_from_user() and copy_to_user(); a
 * window is written back only if a bit was set in it.  Userspace must not
 * change the bitmap during the call: a write of its own to a window being
 * updated may be lost.
 */
#include <kunit/visibility.h>
#include <linux/bitmap.h>
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/iommufd_dirty.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "iommufd_private.h"

#define WINDOW_BYTES PAGE_SIZE

/**
 * struct iommufd_bitmap - a user dirty bitmap being filled
 * @base: what drivers see (include/linux/iommufd_dirty.h)
 * @iova: first IOVA the bitmap covers
 * @length: length of the IOVA range it covers
 * @pgshift: log2 of the IOVA length one bit stands for
 * @data: the user bitmap
 * @nbytes: bytes of @data the range needs
 * @window: kernel copy of the window of @data being updated
 * @win_start: offset of the window in @data
 * @win_len: bytes in the window; 0 while none is loaded
 * @win_dirty: a bit was set in the window since it was loaded
 * @err: first error (-EFAULT, -EPROTO); later records are dropped
 */
struct iommufd_bitmap {
	struct iova_bitmap base;
	unsigned long iova;
	unsigned long length;
	unsigned int pgshift;
	u8 __user *data;
	unsigned long nbytes;
	unsigned long *window;
	unsigned long win_start;
	unsigned long win_len;
	bool win_dirty;
	int err;
};

static struct iommufd_bitmap *to_iommufd_bitmap(struct iova_bitmap *bitmap)
{
	return container_of(bitmap, struct iommufd_bitmap, base);
}

static void iommufd_bitmap_record(struct iova_bitmap *bitmap,
				  unsigned long iova, unsigned long length)
{
	iommufd_bitmap_set(bitmap, iova, length);
}

/**
 * iommufd_bitmap_alloc() - start filling a user dirty bitmap
 * @iova: first IOVA of the range
 * @length: length of the range, not 0
 * @page_size: IOVA length per bit, a power of two
 * @data: the user bitmap
 *
 * Return: the bitmap, whose record callback is iommufd_bitmap_set(), or
 * ERR_PTR(-ENOMEM); ERR_PTR(-EINVAL) for a zero @length or a @page_size
 * that is not a power of two.
 */
struct iova_bitmap *iommufd_bitmap_alloc(unsigned long iova,
					 unsigned long length,
					 unsigned long page_size,
					 u64 __user *data)
{
	struct iommufd_bitmap *bitmap;
	unsigned long nbits;

	if (!length || !is_power_of_2(page_size))
		return ERR_PTR(-EINVAL);

	bitmap = kzalloc(sizeof(*bitmap), GFP_KERNEL_ACCOUNT);
	if (!bitmap)
		return ERR_PTR(-ENOMEM);
	bitmap->window = kmalloc(WINDOW_BYTES, GFP_KERNEL_ACCOUNT);
	if (!bitmap->window) {
		kfree(bitmap);
		return ERR_PTR(-ENOMEM);
	}
	bitmap->base.record = iommufd_bitmap_record;
	bitmap->iova = iova;
	bitmap->length = length;
	bitmap->pgshift = __ffs(page_size);
	bitmap->data = (u8 __user *)data;
	nbits = ((length - 1) >> bitmap->pgshift) + 1;
	bitmap->nbytes = DIV_ROUND_UP(nbits, BITS_PER_BYTE);
	return &bitmap->base;
}
EXPORT_SYMBOL_IF_KUNIT(iommufd_bitmap_alloc);

/* Write the window back if a bit was set in it; it stays loaded. */
static void iommufd_bitmap_flush(struct iommufd_bitmap *bitmap)
{
	if (!bitmap->win_dirty)
		return;
	bitmap->win_dirty = false;
	if (copy_to_user(bitmap->data + bitmap->win_start, bitmap->window,
			 bitmap->win_len) && !bitmap->err)
		bitmap->err = -EFAULT;
}

/* Make the window the one holding byte @byte of the bitmap. */
static int iommufd_bitmap_load(struct iommufd_bitmap *bitmap,
			       unsigned long byte)
{
	unsigned long start = rounddown(byte, WINDOW_BYTES);

	if (bitmap->win_len && bitmap->win_start == start)
		return 0;
	iommufd_bitmap_flush(bitmap);
	bitmap->win_len = 0;
	if (bitmap->err)
		return bitmap->err;
	bitmap->win_start = start;
	bitmap->win_len = min(bitmap->nbytes - start, WINDOW_BYTES);
	if (copy_from_user(bitmap->window, bitmap->data + start,
			   bitmap->win_len)) {
		bitmap->win_len = 0;
		bitmap->err = -EFAULT;
	}
	return bitmap->err;
}

/**
 * iommufd_bitmap_set() - record that [@iova, @iova + @length) is dirty
 * @base: the bitmap
 * @iova: first dirty IOVA
 * @length: length of the dirty range
 *
 * Sets the bit of every block the range touches.  A range that is empty
 * or not inside the bitmap's range is not recorded and makes the call
 * fail with -EPROTO, so that a dirty page is never silently lost.
 */
void iommufd_bitmap_set(struct iova_bitmap *base, unsigned long iova,
			unsigned long length)
{
	struct iommufd_bitmap *bitmap = to_iommufd_bitmap(base);
	unsigned long bit, last_bit, end;

	if (!length || iova < bitmap->iova ||
	    length > bitmap->length ||
	    iova - bitmap->iova > bitmap->length - length) {
		if (!bitmap->err)
			bitmap->err = -EPROTO;
		return;
	}

	bit = (iova - bitmap->iova) >> bitmap->pgshift;
	last_bit = (iova - bitmap->iova + length - 1) >> bitmap->pgshift;
	while (bit <= last_bit) {
		if (iommufd_bitmap_load(bitmap, bit / BITS_PER_BYTE))
			return;
		end = min(last_bit + 1,
			  (bitmap->win_start + bitmap->win_len) * BITS_PER_BYTE);
		bitmap_set(bitmap->window,
			   bit - bitmap->win_start * BITS_PER_BYTE, end - bit);
		bitmap->win_dirty = true;
		bit = end;
	}
}
EXPORT_SYMBOL_IF_KUNIT(iommufd_bitmap_set);

/**
 * iommufd_bitmap_finish() - write back what is recorded and free the bitmap
 * @base: the bitmap
 *
 * Return: 0, or the first error of the bitmap's records or writes.
 */
int iommufd_bitmap_finish(struct iova_bitmap *base)
{
	struct iommufd_bitmap *bitmap = to_iommufd_bitmap(base);
	int rc;

	iommufd_bitmap_flush(bitmap);
	rc = bitmap->err;
	kfree(bitmap->window);
	kfree(bitmap);
	return rc;
}
EXPORT_SYMBOL_IF_KUNIT(iommufd_bitmap_finish);
