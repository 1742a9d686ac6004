// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the user dirty bitmap writer (dirty_bitmap.c) on real
 * user memory of the test thread: records that cross the writer's
 * windows and the user's pages, a bitmap at an odd address, bits of clean
 * blocks and bytes after the bitmap left alone, block sizes of one byte
 * and of more than a window, records outside the range (EPROTO) and a
 * bitmap that runs into unmapped memory (EFAULT).  Also the way drivers
 * reach the writer (iommufd_dirty_record() of include/linux/iommufd_dirty.h)
 * and the check of which HWPTs' dirty bits dirty.c reads.
 */
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/iommufd_dirty.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "iommufd_private.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define IOVA 0x40000000UL
/* Bits per window of the writer: one page of bitmap. */
#define WIN_BITS (PAGE_SIZE * BITS_PER_BYTE)

static unsigned long user_buf(struct kunit *test, unsigned long npages)
{
	unsigned long uaddr;

	uaddr = kunit_vm_mmap(test, NULL, 0, npages * PAGE_SIZE,
			      PROT_READ | PROT_WRITE,
			      MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, uaddr, 0, "no user memory for the test");
	return uaddr;
}

/* Copy @len bytes at @uaddr into a kernel buffer freed with the test. */
static u8 *user_read(struct kunit *test, unsigned long uaddr, size_t len)
{
	u8 *buf = kunit_kzalloc(test, len, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, copy_from_user(buf, (void __user *)uaddr, len),
			0);
	return buf;
}

static void user_fill(struct kunit *test, unsigned long uaddr, int c,
		      size_t len)
{
	u8 *buf = kunit_kzalloc(test, len, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	memset(buf, c, len);
	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)uaddr, buf, len), 0);
}

static bool byte_bit(const u8 *buf, unsigned long n)
{
	return buf[n / BITS_PER_BYTE] & BIT(n % BITS_PER_BYTE);
}

static struct iova_bitmap *test_bitmap(struct kunit *test,
				       unsigned long length,
				       unsigned long page_size,
				       unsigned long uaddr)
{
	struct iova_bitmap *bitmap;

	bitmap = iommufd_bitmap_alloc(IOVA, length, page_size,
				      (u64 __user *)uaddr);
	KUNIT_ASSERT_FALSE(test, IS_ERR(bitmap));
	return bitmap;
}

/*
 * Three and a bit windows at an odd user address: a record across each
 * window boundary (and so across user pages), one up to the last bit,
 * bits already set by the user kept, the byte after the bitmap untouched.
 */
static void dirty_bitmap_kunit_windows(struct kunit *test)
{
	unsigned long nbits = 3 * WIN_BITS + 13, nbytes = 3 * PAGE_SIZE + 2;
	unsigned long buf = user_buf(test, 5), data = buf + 5;
	struct iova_bitmap *bitmap;
	unsigned long i;
	u8 *got;

	user_fill(test, buf, 0, 5 * PAGE_SIZE);
	user_fill(test, data + nbytes, 0xff, 1);
	/* Set by "userspace": bit 7, bit nbits - 3 and two unused bits. */
	user_fill(test, data, 0x80, 1);
	user_fill(test, data + nbytes - 1, 0xa4, 1);

	bitmap = test_bitmap(test, nbits, 1, data);
	iommufd_bitmap_set(bitmap, IOVA + WIN_BITS - 3, 6);
	iommufd_bitmap_set(bitmap, IOVA + 2 * WIN_BITS - 1, WIN_BITS + 2);
	iommufd_bitmap_set(bitmap, IOVA + nbits - 2, 2);
	/* Out of order, back to the first window. */
	iommufd_bitmap_set(bitmap, IOVA, 1);
	KUNIT_EXPECT_EQ(test, iommufd_bitmap_finish(bitmap), 0);

	got = user_read(test, data, nbytes + 1);
	for (i = 0; i < nbits; i++) {
		bool want = i == 0 || i == 7 ||
			    (i >= WIN_BITS - 3 && i < WIN_BITS + 3) ||
			    (i >= 2 * WIN_BITS - 1 && i < 3 * WIN_BITS + 1) ||
			    i >= nbits - 3;

		KUNIT_EXPECT_EQ_MSG(test, byte_bit(got, i), want, "bit %lu", i);
		if (byte_bit(got, i) != want)
			break;
	}
	KUNIT_EXPECT_EQ(test, got[0], 0x81);
	KUNIT_EXPECT_EQ(test, got[nbytes - 1], 0xbc);
	KUNIT_EXPECT_EQ(test, got[nbytes], 0xff);
}

/* Blocks larger than a record, and a record larger than a window. */
static void dirty_bitmap_kunit_block_sizes(struct kunit *test)
{
	unsigned long buf = user_buf(test, 3);
	struct iova_bitmap *bitmap;
	u8 *got;

	user_fill(test, buf, 0, 3 * PAGE_SIZE);
	/* 64 blocks of 4 KiB: a 1-byte record at 4 KiB + 1 sets bit 1 ... */
	bitmap = test_bitmap(test, 64 * SZ_4K, SZ_4K, buf);
	iommufd_bitmap_set(bitmap, IOVA + SZ_4K + 1, 1);
	/* ... and one across a block boundary sets both blocks. */
	iommufd_bitmap_set(bitmap, IOVA + 10 * SZ_4K - 1, 2);
	KUNIT_EXPECT_EQ(test, iommufd_bitmap_finish(bitmap), 0);
	got = user_read(test, buf, 8);
	KUNIT_EXPECT_EQ(test, got[0], 0x02);
	KUNIT_EXPECT_EQ(test, got[1], 0x06);
	KUNIT_EXPECT_EQ(test, got[2] | got[3] | got[4] | got[5] | got[6] |
			got[7], 0);

	/* One record covering two whole windows and a bit. */
	user_fill(test, buf, 0, 3 * PAGE_SIZE);
	bitmap = test_bitmap(test, 2 * WIN_BITS + 8, 1, buf + 1);
	iommufd_bitmap_set(bitmap, IOVA + 4, 2 * WIN_BITS);
	KUNIT_EXPECT_EQ(test, iommufd_bitmap_finish(bitmap), 0);
	got = user_read(test, buf + 1, 2 * PAGE_SIZE + 1);
	KUNIT_EXPECT_EQ(test, got[0], 0xf0);
	KUNIT_EXPECT_EQ(test, got[PAGE_SIZE], 0xff);
	KUNIT_EXPECT_EQ(test, got[2 * PAGE_SIZE], 0x0f);
	KUNIT_EXPECT_NULL(test, memchr_inv(got + 1, 0xff, 2 * PAGE_SIZE - 1));
}

/* A record outside the range is refused, never dropped silently. */
static void dirty_bitmap_kunit_eproto(struct kunit *test)
{
	unsigned long buf = user_buf(test, 1);
	struct iova_bitmap *bitmap;
	u8 *got;

	user_fill(test, buf, 0, PAGE_SIZE);
	bitmap = test_bitmap(test, 64, 1, buf);
	iommufd_bitmap_set(bitmap, IOVA + 3, 1);
	iommufd_bitmap_set(bitmap, IOVA + 60, 5);	/* past the end */
	KUNIT_EXPECT_EQ(test, iommufd_bitmap_finish(bitmap), -EPROTO);
	/* What was recorded before is written. */
	got = user_read(test, buf, 8);
	KUNIT_EXPECT_EQ(test, got[0], 0x08);

	bitmap = test_bitmap(test, 64, 1, buf);
	iommufd_bitmap_set(bitmap, IOVA - 1, 2);	/* before the start */
	KUNIT_EXPECT_EQ(test, iommufd_bitmap_finish(bitmap), -EPROTO);

	bitmap = test_bitmap(test, 64, 1, buf);
	iommufd_bitmap_set(bitmap, IOVA, 0);		/* empty */
	KUNIT_EXPECT_EQ(test, iommufd_bitmap_finish(bitmap), -EPROTO);

	/* Bad arguments of the allocation. */
	KUNIT_EXPECT_EQ(test, PTR_ERR(iommufd_bitmap_alloc(IOVA, 0, 1,
							   NULL)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(iommufd_bitmap_alloc(IOVA, 64, 3,
							   NULL)), -EINVAL);
}

/*
 * A bitmap whose last byte is in an unmapped page: EFAULT, even though
 * the record is for a bit in the mapped part, as the window is read
 * whole; a bitmap that ends in the mapped page works.  Without records
 * the bitmap is not touched at all.
 */
static void dirty_bitmap_kunit_efault(struct kunit *test)
{
	unsigned long buf = user_buf(test, 2);
	struct iova_bitmap *bitmap;
	u8 *got;

	user_fill(test, buf, 0, PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, vm_munmap(buf + PAGE_SIZE, PAGE_SIZE), 0);

	bitmap = test_bitmap(test, 16, 1, buf + PAGE_SIZE - 1);
	iommufd_bitmap_set(bitmap, IOVA, 1);
	KUNIT_EXPECT_EQ(test, iommufd_bitmap_finish(bitmap), -EFAULT);

	bitmap = test_bitmap(test, 16, 1, buf + PAGE_SIZE - 1);
	KUNIT_EXPECT_EQ(test, iommufd_bitmap_finish(bitmap), 0);

	bitmap = test_bitmap(test, 8, 1, buf + PAGE_SIZE - 1);
	iommufd_bitmap_set(bitmap, IOVA + 7, 1);
	KUNIT_EXPECT_EQ(test, iommufd_bitmap_finish(bitmap), 0);
	got = user_read(test, buf + PAGE_SIZE - 1, 1);
	KUNIT_EXPECT_EQ(test, got[0], 0x80);
}

/*
 * A driver's iommufd_dirty_record() reaches the writer through the
 * bitmap's callback and grows the gather; without a bitmap (the clear
 * before tracking starts) only the gather; a record outside the range
 * still fails the call.
 */
static void dirty_bitmap_kunit_driver_record(struct kunit *test)
{
	unsigned long buf = user_buf(test, 1);
	struct iommu_iotlb_gather gather;
	struct iommu_dirty_bitmap dirty;
	struct iova_bitmap *bitmap;
	u8 *got;

	user_fill(test, buf, 0, PAGE_SIZE);
	bitmap = test_bitmap(test, 64 * SZ_4K, SZ_4K, buf);
	iommu_dirty_bitmap_init(&dirty, bitmap, &gather);
	iommufd_dirty_record(&dirty, IOVA + 2 * SZ_4K, SZ_4K);
	iommufd_dirty_record(&dirty, IOVA + 8 * SZ_4K, 8 * SZ_4K);
	KUNIT_EXPECT_EQ(test, gather.start, IOVA + 2 * SZ_4K);
	KUNIT_EXPECT_EQ(test, gather.end, IOVA + 16 * SZ_4K - 1);
	KUNIT_EXPECT_EQ(test, iommufd_bitmap_finish(bitmap), 0);
	got = user_read(test, buf, 3);
	KUNIT_EXPECT_EQ(test, got[0], 0x04);
	KUNIT_EXPECT_EQ(test, got[1], 0xff);
	KUNIT_EXPECT_EQ(test, got[2], 0x00);

	iommu_dirty_bitmap_init(&dirty, NULL, &gather);
	iommufd_dirty_record(&dirty, IOVA, SZ_4K);
	KUNIT_EXPECT_EQ(test, gather.start, IOVA);
	KUNIT_EXPECT_EQ(test, gather.end, IOVA + SZ_4K - 1);

	bitmap = test_bitmap(test, 64 * SZ_4K, SZ_4K, buf);
	iommu_dirty_bitmap_init(&dirty, bitmap, NULL);
	iommufd_dirty_record(&dirty, IOVA + 63 * SZ_4K, 2 * SZ_4K);
	KUNIT_EXPECT_EQ(test, iommufd_bitmap_finish(bitmap), -EPROTO);
}

static int kunit_read_and_clear(struct iommu_domain *domain,
				unsigned long iova, size_t size,
				unsigned long flags,
				struct iommu_dirty_bitmap *dirty)
{
	return 0;
}

/*
 * dirty.c reads a HWPT's dirty bits only if its driver said it records
 * through the helper (IOMMUFD_CAP_DIRTY_RECORD, noted at allocation)
 * and the domain has read_and_clear_dirty; mock or not does not matter.
 */
static void dirty_bitmap_kunit_records_dirty(struct kunit *test)
{
	static const struct iommu_dirty_ops rd = {
		.read_and_clear_dirty = kunit_read_and_clear,
	};
	static const struct iommu_dirty_ops set_only = {};
	struct iommu_domain domain = { .type = IOMMU_DOMAIN_UNMANAGED };
	struct iommufd_hwpt_paging hwpt = { .common.domain = &domain };

	KUNIT_EXPECT_FALSE(test, iommufd_hwpt_records_dirty(&hwpt));
	hwpt.dirty_record = true;
	KUNIT_EXPECT_FALSE(test, iommufd_hwpt_records_dirty(&hwpt));
	domain.dirty_ops = &set_only;
	KUNIT_EXPECT_FALSE(test, iommufd_hwpt_records_dirty(&hwpt));
	domain.dirty_ops = &rd;
	KUNIT_EXPECT_TRUE(test, iommufd_hwpt_records_dirty(&hwpt));
	/* A driver that did not answer the capability: its bits stay. */
	hwpt.dirty_record = false;
	KUNIT_EXPECT_FALSE(test, iommufd_hwpt_records_dirty(&hwpt));
}

static struct kunit_case dirty_bitmap_kunit_cases[] = {
	KUNIT_CASE(dirty_bitmap_kunit_windows),
	KUNIT_CASE(dirty_bitmap_kunit_block_sizes),
	KUNIT_CASE(dirty_bitmap_kunit_eproto),
	KUNIT_CASE(dirty_bitmap_kunit_efault),
	KUNIT_CASE(dirty_bitmap_kunit_driver_record),
	KUNIT_CASE(dirty_bitmap_kunit_records_dirty),
	{}
};

static struct kunit_suite dirty_bitmap_kunit_suite = {
	.name = "iommufd_pasid_dirty_bitmap",
	.test_cases = dirty_bitmap_kunit_cases,
};

kunit_test_suite(dirty_bitmap_kunit_suite);

MODULE_DESCRIPTION("KUnit tests of the iommufd_pasid dirty bitmap writer");
MODULE_LICENSE("GPL");
