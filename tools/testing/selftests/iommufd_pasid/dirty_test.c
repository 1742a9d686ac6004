// SPDX-License-Identifier: GPL-2.0
/*
 * IOMMU_HWPT_GET_DIRTY_BITMAP and IOMMU_HWPT_SET_DIRTY_TRACKING beyond
 * what Linux's own iommufd suite checks: the error paths (flags, range,
 * page size, HWPT without dirty tracking or with tracking off, a range
 * with a hole), NO_CLEAR, bits of clean blocks left as userspace set them,
 * page sizes below the IOMMU page, and a user bitmap that is not aligned
 * and crosses a page boundary.
 *
 * Dirty pages come from the mock IOMMU (IOMMU_TEST_OP_DIRTY), so the tests
 * need the test build of iommufd_pasid.ko (IOMMUFD_PASID_TEST=y, the
 * iommu-upstream leg); on any other build they skip.  The mock's I/O page
 * is half a CPU page (2 KiB with 4 KiB pages).
 */
#include <sys/mman.h>

#include "mock_utils.h"

#include "kselftest_harness.h"

#define NPTES	64	/* mock I/O pages mapped */

static size_t io_page(void)
{
	return page_size() / 2;
}

/* Dirty the I/O page at the start of each @psize block whose bit is set. */
static int mock_dirty(int fd, __u32 hwpt, __u64 iova, __u64 len, __u64 psize,
		      const void *bits, __u64 *nr)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_DIRTY,
		.id = hwpt,
		.dirty = {
			.iova = iova,
			.length = len,
			.page_size = psize,
			.uptr = (uintptr_t)bits,
		},
	};
	int rc = xioctl(fd, IOMMU_TEST_CMD, &cmd);

	if (!rc && nr)
		*nr = cmd.dirty.out_nr_dirty;
	return rc;
}

static int set_tracking(int fd, __u32 hwpt, bool on)
{
	struct iommu_hwpt_set_dirty_tracking cmd = {
		.size = sizeof(cmd),
		.flags = on ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0,
		.hwpt_id = hwpt,
	};

	return xioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &cmd);
}

static int get_bitmap(int fd, __u32 hwpt, __u32 flags, __u64 iova, __u64 len,
		      __u64 psize, void *bits)
{
	struct iommu_hwpt_get_dirty_bitmap cmd = {
		.size = sizeof(cmd),
		.hwpt_id = hwpt,
		.flags = flags,
		.iova = iova,
		.length = len,
		.page_size = psize,
		.data = (uintptr_t)bits,
	};

	return xioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd);
}

static bool bit(const void *bits, unsigned long n)
{
	return ((const unsigned char *)bits)[n / 8] & (1 << (n % 8));
}

FIXTURE(dirty) {
	int fd;
	__u32 ioas, stdev, mock_hwpt, idev;
	__u32 hwpt;		/* allocated with dirty tracking, tracking on */
	void *buf;
	size_t len;
	__u64 iova;
};

FIXTURE_SETUP(dirty)
{
	self->fd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->fd);
	if (!mock_test_abi(self->fd))
		SKIP(return, MOCK_NO_TEST_ABI);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas));
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &self->stdev,
				 &self->mock_hwpt, &self->idev));
	self->len = NPTES * io_page();
	self->iova = MOCK_APERTURE_START;
	self->buf = buf_alloc(self->len, 0);
	ASSERT_NE(NULL, self->buf);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, self->buf, self->len,
			      self->iova));
	ASSERT_EQ(0, hwpt_alloc(self->fd, IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
				self->idev, self->ioas, &self->hwpt));
	ASSERT_EQ(0, set_tracking(self->fd, self->hwpt, true));
}

FIXTURE_TEARDOWN(dirty)
{
	close(self->fd);
}

/* Dirty the I/O pages of @pages (indexes), checking the mock saw each. */
static void dirty_pages(struct __test_metadata *_metadata, int fd,
			__u32 hwpt, __u64 iova, __u64 len,
			const unsigned int *pages, unsigned int n)
{
	unsigned char bits[NPTES / 8] = { 0 };
	__u64 nr = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		bits[pages[i] / 8] |= 1 << (pages[i] % 8);
	ASSERT_EQ(0, mock_dirty(fd, hwpt, iova, len, io_page(), bits, &nr));
	ASSERT_EQ(n, nr);
}

#define DIRTY(pages, n) \
	dirty_pages(_metadata, self->fd, self->hwpt, self->iova, self->len, \
		    pages, n)

TEST_F(dirty, errnos)
{
	__u64 ps = io_page(), end = self->iova + self->len;
	unsigned char bits[NPTES / 8];
	__u32 plain;

	/* Unknown flags and a non-zero reserved field. */
	ASSERT_EQ(-EOPNOTSUPP, get_bitmap(self->fd, self->hwpt, 1 << 1,
					  self->iova, self->len, ps, bits));
	{
		struct iommu_hwpt_get_dirty_bitmap cmd = {
			.size = sizeof(cmd), .hwpt_id = self->hwpt,
			.__reserved = 1, .iova = self->iova,
			.length = self->len, .page_size = ps,
			.data = (uintptr_t)bits,
		};

		ASSERT_EQ(-EOPNOTSUPP, xioctl(self->fd,
					      IOMMU_HWPT_GET_DIRTY_BITMAP,
					      &cmd));
	}
	/* No such HWPT; an IOAS is no HWPT. */
	ASSERT_EQ(-ENOENT, get_bitmap(self->fd, 0xdead, 0, self->iova,
				      self->len, ps, bits));
	ASSERT_EQ(-ENOENT, get_bitmap(self->fd, self->ioas, 0, self->iova,
				      self->len, ps, bits));
	/* Empty range; range that wraps. */
	ASSERT_EQ(-EINVAL, get_bitmap(self->fd, self->hwpt, 0, self->iova, 0,
				      ps, bits));
	ASSERT_EQ(-EOVERFLOW, get_bitmap(self->fd, self->hwpt, 0,
					 ~0ULL - ps + 1, 2 * ps, ps, bits));
	/* Page size 0, not a power of two, larger than the range's alignment. */
	ASSERT_EQ(-EINVAL, get_bitmap(self->fd, self->hwpt, 0, self->iova,
				      self->len, 0, bits));
	ASSERT_EQ(-EINVAL, get_bitmap(self->fd, self->hwpt, 0, self->iova,
				      3 * ps, 3 * ps, bits));
	ASSERT_EQ(-EINVAL, get_bitmap(self->fd, self->hwpt, 0, self->iova + ps,
				      2 * ps, 2 * ps, bits));
	ASSERT_EQ(-EINVAL, get_bitmap(self->fd, self->hwpt, 0, self->iova,
				      3 * ps, 2 * ps, bits));
	/* IOVA or length not aligned to the IOMMU page. */
	ASSERT_EQ(-EINVAL, get_bitmap(self->fd, self->hwpt, 0, self->iova + 1,
				      ps, 1, bits));
	ASSERT_EQ(-EINVAL, get_bitmap(self->fd, self->hwpt, 0, self->iova,
				      ps + 1, 1, bits));
	/* A range that is not all mapped: beyond the end, and a hole. */
	ASSERT_EQ(-EINVAL, get_bitmap(self->fd, self->hwpt, 0, end - ps,
				      2 * ps, ps, bits));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, self->iova, self->len));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, self->buf, ps, self->iova));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, self->buf, ps,
			      self->iova + 2 * ps));
	ASSERT_EQ(-EINVAL, get_bitmap(self->fd, self->hwpt, 0, self->iova,
				      3 * ps, ps, bits));
	ASSERT_EQ(0, get_bitmap(self->fd, self->hwpt, 0, self->iova, ps, ps,
				bits));
	/* A bitmap the kernel cannot write, with a dirty page to record. */
	{
		static const unsigned int first[] = { 0 };

		DIRTY(first, 1);
	}
	ASSERT_EQ(-EFAULT, get_bitmap(self->fd, self->hwpt, 0, self->iova, ps,
				      ps, NULL));

	/* A paging HWPT without dirty tracking. */
	ASSERT_EQ(0, hwpt_alloc(self->fd, 0, self->idev, self->ioas, &plain));
	ASSERT_EQ(-EOPNOTSUPP, get_bitmap(self->fd, plain, 0, self->iova, ps,
					  ps, bits));
	ASSERT_EQ(-EOPNOTSUPP, set_tracking(self->fd, plain, true));
	ASSERT_EQ(0, obj_destroy(self->fd, plain));

	/* Tracking off: the mock refuses to read. */
	ASSERT_EQ(0, set_tracking(self->fd, self->hwpt, false));
	ASSERT_EQ(-EINVAL, get_bitmap(self->fd, self->hwpt, 0, self->iova, ps,
				      ps, bits));
}

TEST_F(dirty, no_clear)
{
	static const unsigned int pages[] = { 0, 5, 63 };
	unsigned char bits[NPTES / 8];
	unsigned int i, n;

	DIRTY(pages, 3);
	for (n = 0; n < 3; n++) {
		__u32 flags = n < 2 ? IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR : 0;

		memset(bits, 0, sizeof(bits));
		ASSERT_EQ(0, get_bitmap(self->fd, self->hwpt, flags,
					self->iova, self->len, io_page(),
					bits));
		for (i = 0; i < NPTES; i++)
			ASSERT_EQ(i == 0 || i == 5 || i == 63, bit(bits, i));
	}
	/* The last read cleared them. */
	memset(bits, 0, sizeof(bits));
	ASSERT_EQ(0, get_bitmap(self->fd, self->hwpt, 0, self->iova, self->len,
				io_page(), bits));
	for (i = 0; i < NPTES; i++)
		ASSERT_FALSE(bit(bits, i));
}

/* Enabling tracking forgets what was dirtied before. */
TEST_F(dirty, enable_clears)
{
	static const unsigned int pages[] = { 7 };
	unsigned char bits[NPTES / 8] = { 0 };
	unsigned int i;

	DIRTY(pages, 1);
	ASSERT_EQ(0, set_tracking(self->fd, self->hwpt, false));
	ASSERT_EQ(0, set_tracking(self->fd, self->hwpt, true));
	ASSERT_EQ(0, get_bitmap(self->fd, self->hwpt, 0, self->iova, self->len,
				io_page(), bits));
	for (i = 0; i < NPTES; i++)
		ASSERT_FALSE(bit(bits, i));
}

/* Bits are only set: those of clean blocks stay as userspace left them. */
TEST_F(dirty, bits_only_set)
{
	static const unsigned int pages[] = { 1, 2 };
	unsigned char bits[NPTES / 8];
	unsigned int i;

	DIRTY(pages, 2);
	memset(bits, 0x55, sizeof(bits));
	ASSERT_EQ(0, get_bitmap(self->fd, self->hwpt, 0, self->iova, self->len,
				io_page(), bits));
	for (i = 0; i < NPTES; i++)
		ASSERT_EQ(!(i % 2) || i == 1, bit(bits, i));
}

/*
 * Blocks smaller than the IOMMU page: a dirty I/O page sets all of its
 * bits.  A sub-range that starts inside the mapping reads from bit 0.
 */
TEST_F(dirty, small_blocks)
{
	static const unsigned int pages[] = { 3, 10 };
	unsigned int per = 16, i;	/* bits per I/O page */
	unsigned char bits[NPTES * 16 / 8] = { 0 };

	DIRTY(pages, 2);
	ASSERT_EQ(0, get_bitmap(self->fd, self->hwpt,
				IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR,
				self->iova, self->len, io_page() / per, bits));
	for (i = 0; i < NPTES * per; i++)
		ASSERT_EQ(i / per == 3 || i / per == 10, bit(bits, i));

	memset(bits, 0, sizeof(bits));
	ASSERT_EQ(0, get_bitmap(self->fd, self->hwpt, 0,
				self->iova + 8 * io_page(), 8 * io_page(),
				io_page(), bits));
	for (i = 0; i < 8; i++)
		ASSERT_EQ(i == 2, bit(bits, i));
}

/*
 * Bitmaps at odd addresses, one crossing a page boundary, one ending just
 * before a page that is not accessible: exactly DIV_ROUND_UP(bits, 8)
 * bytes are touched, bits on both sides of the boundary are right, and a
 * bitmap that runs into the inaccessible page fails with EFAULT.
 */
TEST_F(dirty, unaligned_bitmap)
{
	static const unsigned int pages[] = { 0, 23, 24, 62 };
	const __u32 keep = IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR;
	size_t ps = page_size();
	unsigned char *map, *bits;
	unsigned int i;

	map = mmap(NULL, 3 * ps, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, mprotect(map + 2 * ps, ps, PROT_NONE));
	DIRTY(pages, 4);

	/* 64 bits, 8 bytes: 3 in the first page, 5 in the second. */
	bits = map + ps - 3;
	ASSERT_EQ(0, get_bitmap(self->fd, self->hwpt, keep, self->iova,
				self->len, io_page(), bits));
	for (i = 0; i < NPTES; i++)
		ASSERT_EQ(i == 0 || i == 23 || i == 24 || i == 62,
			  bit(bits, i));

	/* 7 bytes before the guard page: 64 bits do not fit, 56 do. */
	bits = map + 2 * ps - 7;
	memset(bits, 0, 7);
	ASSERT_EQ(-EFAULT, get_bitmap(self->fd, self->hwpt, keep, self->iova,
				      self->len, io_page(), bits));
	ASSERT_EQ(0, get_bitmap(self->fd, self->hwpt, keep, self->iova,
				56 * io_page(), io_page(), bits));
	for (i = 0; i < 56; i++)
		ASSERT_EQ(i == 0 || i == 23 || i == 24, bit(bits, i));

	/* A sub-range of 16 bits in the last 2 bytes. */
	bits = map + 2 * ps - 2;
	memset(bits, 0, 2);
	ASSERT_EQ(0, get_bitmap(self->fd, self->hwpt, 0,
				self->iova + 48 * io_page(), 16 * io_page(),
				io_page(), bits));
	for (i = 0; i < 16; i++)
		ASSERT_EQ(i == 14, bit(bits, i));
	ASSERT_EQ(0, munmap(map, 3 * ps));
}

TEST_HARNESS_MAIN
