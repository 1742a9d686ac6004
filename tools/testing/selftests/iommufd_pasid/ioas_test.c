// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/iommu: the object model and the IOAS ioctls, normal paths and
 * every error we promise (the errnos mainline iommufd gives).  Without a
 * device, an IOAS has no domain: as in mainline, mappings are byte
 * granular and pin nothing (ioas_pin_test covers what a domain changes).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "kselftest_harness.h"

#define NOBODY 65534
#define BUF_PAGES 64

static size_t psz;

/* Each helper returns 0 or -errno. */
static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static int ioas_alloc(int fd, __u32 *id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int rc = xioctl(fd, IOMMU_IOAS_ALLOC, &cmd);

	if (!rc)
		*id = cmd.out_ioas_id;
	return rc;
}

static int destroy(int fd, __u32 id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return xioctl(fd, IOMMU_DESTROY, &cmd);
}

static int map_flags(int fd, __u32 ioas, void *va, __u64 len, __u64 *iova,
		     __u32 flags)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = *iova,
	};
	int rc = xioctl(fd, IOMMU_IOAS_MAP, &cmd);

	if (!rc)
		*iova = cmd.iova;
	return rc;
}

#define RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)

static int map_fixed(int fd, __u32 ioas, void *va, __u64 len, __u64 iova)
{
	return map_flags(fd, ioas, va, len, &iova,
			 RW | IOMMU_IOAS_MAP_FIXED_IOVA);
}

static int map_auto(int fd, __u32 ioas, void *va, __u64 len, __u64 *iova)
{
	*iova = 0;
	return map_flags(fd, ioas, va, len, iova, RW);
}

static int unmap(int fd, __u32 ioas, __u64 iova, __u64 len, __u64 *out)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.iova = iova,
		.length = len,
	};
	int rc = xioctl(fd, IOMMU_IOAS_UNMAP, &cmd);

	if (!rc && out)
		*out = cmd.length;
	return rc;
}

static int copy(int fd, __u32 dst, __u32 src, __u64 src_iova, __u64 len,
		__u64 *dst_iova, __u32 flags)
{
	struct iommu_ioas_copy cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dst_ioas_id = dst,
		.src_ioas_id = src,
		.length = len,
		.dst_iova = *dst_iova,
		.src_iova = src_iova,
	};
	int rc = xioctl(fd, IOMMU_IOAS_COPY, &cmd);

	if (!rc)
		*dst_iova = cmd.dst_iova;
	return rc;
}

static int allow(int fd, __u32 ioas, struct iommu_iova_range *r, __u32 n)
{
	struct iommu_ioas_allow_iovas cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.num_iovas = n,
		.allowed_iovas = (uintptr_t)r,
	};

	return xioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd);
}

static void *alloc_buf(size_t pages)
{
	void *buf = mmap(NULL, pages * psz, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (buf == MAP_FAILED)
		return NULL;
	memset(buf, 0x5a, pages * psz);
	return buf;
}

FIXTURE(ioas) {
	int fd;
	__u32 ioas;
	char *buf;
};

FIXTURE_SETUP(ioas)
{
	psz = sysconf(_SC_PAGESIZE);
	self->fd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas));
	ASSERT_NE(0U, self->ioas);
	self->buf = alloc_buf(BUF_PAGES);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(ioas)
{
	/* Objects still alive here are freed by close(): kmemleak checks. */
	close(self->fd);
	munmap(self->buf, BUF_PAGES * psz);
}

TEST(devnode_is_root_only)
{
	struct stat st;

	ASSERT_EQ(0, stat("/dev/iommu", &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	ASSERT_EQ(0600U, st.st_mode & 07777);
	/* The harness runs each test in its own process: drop root here. */
	ASSERT_EQ(0, setgid(NOBODY));
	ASSERT_EQ(0, setuid(NOBODY));
	ASSERT_EQ(-1, open("/dev/iommu", O_RDWR));
	ASSERT_EQ(EACCES, errno);
}

TEST_F(ioas, unknown_ioctl)
{
	__u32 buf[16] = { sizeof(buf) };

	/* Below the base, after v6.15's last (0x93), above the table. */
	ASSERT_EQ(-ENOTTY, xioctl(self->fd, _IO(IOMMUFD_TYPE, 0x7f), buf));
	ASSERT_EQ(-ENOTTY, xioctl(self->fd, _IO(IOMMUFD_TYPE, 0x94), buf));
	ASSERT_EQ(-ENOTTY, xioctl(self->fd, _IO(IOMMUFD_TYPE, 0xbf), buf));
	/* Right number, wrong direction/size bits. */
	ASSERT_EQ(-ENOTTY, xioctl(self->fd,
				  _IOWR(IOMMUFD_TYPE, 0x80, __u64), buf));
	ASSERT_EQ(-ENOTTY, xioctl(self->fd, _IO('x', 0x80), buf));
}

TEST_F(ioas, struct_size)
{
	struct {
		struct iommu_ioas_alloc cmd;
		__u32 extra[3];
	} big = { .cmd = { .size = sizeof(big) } };
	struct iommu_destroy d = { .size = 4 };
	struct {
		struct iommu_ioas_map cmd;
		__u64 extra;
	} bigmap = {};

	/* Smaller than the first version: EINVAL. */
	ASSERT_EQ(-EINVAL, xioctl(self->fd, IOMMU_DESTROY, &d));
	big.cmd.size = offsetof(struct iommu_ioas_alloc, out_ioas_id);
	ASSERT_EQ(-EINVAL, xioctl(self->fd, IOMMU_IOAS_ALLOC, &big));
	big.cmd.size = 0;
	ASSERT_EQ(-EINVAL, xioctl(self->fd, IOMMU_IOAS_ALLOC, &big));

	/* Larger with zeroes: accepted; the output is written. */
	big.cmd.size = sizeof(big);
	ASSERT_EQ(0, xioctl(self->fd, IOMMU_IOAS_ALLOC, &big));
	ASSERT_NE(0U, big.cmd.out_ioas_id);
	ASSERT_NE(self->ioas, big.cmd.out_ioas_id);
	ASSERT_EQ(0U, big.extra[0] | big.extra[1] | big.extra[2]);

	/* Larger with a non-zero byte the kernel does not know: E2BIG. */
	big.extra[2] = 1;
	ASSERT_EQ(-E2BIG, xioctl(self->fd, IOMMU_IOAS_ALLOC, &big));

	bigmap.cmd.size = sizeof(bigmap);
	bigmap.cmd.flags = RW;
	bigmap.cmd.ioas_id = self->ioas;
	bigmap.cmd.user_va = (uintptr_t)self->buf;
	bigmap.cmd.length = psz;
	ASSERT_EQ(0, xioctl(self->fd, IOMMU_IOAS_MAP, &bigmap));
	bigmap.extra = 1ULL << 63;
	ASSERT_EQ(-E2BIG, xioctl(self->fd, IOMMU_IOAS_MAP, &bigmap));

	/* A bad pointer. */
	ASSERT_EQ(-EFAULT, xioctl(self->fd, IOMMU_IOAS_ALLOC, NULL));
}

TEST_F(ioas, alloc_and_destroy)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd), .flags = 1 };
	__u32 a, b;

	ASSERT_EQ(-EOPNOTSUPP, xioctl(self->fd, IOMMU_IOAS_ALLOC, &cmd));
	ASSERT_EQ(0, ioas_alloc(self->fd, &a));
	ASSERT_EQ(0, ioas_alloc(self->fd, &b));
	ASSERT_NE(a, b);
	ASSERT_EQ(0, destroy(self->fd, a));
	ASSERT_EQ(-ENOENT, destroy(self->fd, a));
	ASSERT_EQ(-ENOENT, destroy(self->fd, 0));
	ASSERT_EQ(-ENOENT, destroy(self->fd, 0x7fffffff));
	ASSERT_EQ(-ENOENT, destroy(self->fd, UINT32_MAX));
	/* A destroyed IOAS is gone for every ioctl. */
	ASSERT_EQ(-ENOENT, map_fixed(self->fd, a, self->buf, psz, 1 << 20));

	/* An IOAS with mappings can be destroyed; its pages are released. */
	ASSERT_EQ(0, map_fixed(self->fd, b, self->buf, 4 * psz, 1 << 20));
	ASSERT_EQ(0, destroy(self->fd, b));
	ASSERT_EQ(-ENOENT, unmap(self->fd, b, 1 << 20, 4 * psz, NULL));
}

TEST_F(ioas, iova_ranges)
{
	struct iommu_iova_range ranges[4];
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = self->ioas,
		.num_iovas = 0,
		.allowed_iovas = (uintptr_t)ranges,
	};

	/* Too small an array: EMSGSIZE, with the count needed written back. */
	memset(ranges, 0xff, sizeof(ranges));
	ASSERT_EQ(-EMSGSIZE, xioctl(self->fd, IOMMU_IOAS_IOVA_RANGES, &cmd));
	ASSERT_EQ(1U, cmd.num_iovas);
	/* No domain: nothing constrains the alignment. */
	ASSERT_EQ(1ULL, cmd.out_iova_alignment);
	ASSERT_EQ(UINT64_MAX, ranges[0].start);

	cmd.num_iovas = 4;
	cmd.out_iova_alignment = 0;
	ASSERT_EQ(0, xioctl(self->fd, IOMMU_IOAS_IOVA_RANGES, &cmd));
	ASSERT_EQ(1U, cmd.num_iovas);
	ASSERT_EQ(0ULL, ranges[0].start);
	ASSERT_EQ(UINTPTR_MAX, ranges[0].last);
	ASSERT_EQ(1ULL, cmd.out_iova_alignment);
	ASSERT_EQ(UINT64_MAX, ranges[1].start);

	cmd.__reserved = 1;
	ASSERT_EQ(-EOPNOTSUPP, xioctl(self->fd, IOMMU_IOAS_IOVA_RANGES, &cmd));
	cmd.__reserved = 0;
	cmd.ioas_id = self->ioas + 100;
	ASSERT_EQ(-ENOENT, xioctl(self->fd, IOMMU_IOAS_IOVA_RANGES, &cmd));
	cmd.ioas_id = self->ioas;
	cmd.allowed_iovas = 8;
	ASSERT_EQ(-EFAULT, xioctl(self->fd, IOMMU_IOAS_IOVA_RANGES, &cmd));
}

TEST_F(ioas, map_fixed)
{
	const __u64 iova = 1ULL << 30;
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = RW | IOMMU_IOAS_MAP_FIXED_IOVA,
		.ioas_id = self->ioas,
		.user_va = (uintptr_t)self->buf,
		.length = 4 * psz,
		.iova = iova,
	};
	__u64 out;

	ASSERT_EQ(0, xioctl(self->fd, IOMMU_IOAS_MAP, &cmd));
	ASSERT_EQ(iova, cmd.iova);

	/* The same range, an overlapping one, one inside it: EEXIST. */
	ASSERT_EQ(-EEXIST, map_fixed(self->fd, self->ioas, self->buf,
				     4 * psz, iova));
	ASSERT_EQ(-EEXIST, map_fixed(self->fd, self->ioas, self->buf,
				     4 * psz, iova - 2 * psz));
	ASSERT_EQ(-EEXIST, map_fixed(self->fd, self->ioas, self->buf,
				     psz, iova + 3 * psz));
	/* Adjacent on both sides: fine. */
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, self->buf, psz,
			       iova - psz));
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, self->buf, psz,
			       iova + 4 * psz));

	/*
	 * Without a domain, any IOVA, length and user address (as in
	 * mainline: IOMMU_IOAS_IOVA_RANGES reports an alignment of 1).
	 * Empty: EINVAL.
	 */
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, self->buf, psz,
			       (2ULL << 30) + 16));
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, self->buf, psz + 1,
			       3ULL << 30));
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, self->buf + 8, psz,
			       (3ULL << 30) + 2 * psz));
	ASSERT_EQ(-EEXIST, map_fixed(self->fd, self->ioas, self->buf, 1,
				     (3ULL << 30) + psz));
	ASSERT_EQ(0, unmap(self->fd, self->ioas, 2ULL << 30, 2ULL << 30,
			   &out));
	ASSERT_EQ(3 * psz + 1, out);
	ASSERT_EQ(-EINVAL, map_fixed(self->fd, self->ioas, self->buf, 0,
				     2ULL << 30));

	/* Neither readable nor writeable: EINVAL. */
	out = 2ULL << 30;
	ASSERT_EQ(-EINVAL, map_flags(self->fd, self->ioas, self->buf, psz,
				     &out, IOMMU_IOAS_MAP_FIXED_IOVA));
	/* Unknown flag, reserved field: EOPNOTSUPP. */
	ASSERT_EQ(-EOPNOTSUPP, map_flags(self->fd, self->ioas, self->buf, psz,
					 &out, RW | (1 << 3)));
	cmd.iova = 2ULL << 30;
	cmd.__reserved = 1;
	ASSERT_EQ(-EOPNOTSUPP, xioctl(self->fd, IOMMU_IOAS_MAP, &cmd));
	cmd.__reserved = 0;

	/* Past the end of the IOVA space, or not an unsigned long. */
	ASSERT_EQ(-EOVERFLOW, map_fixed(self->fd, self->ioas, self->buf,
					2 * psz, UINT64_MAX - psz + 1));
	ASSERT_EQ(-EOVERFLOW, map_fixed(self->fd, self->ioas, self->buf, psz,
					UINT64_MAX));
	ASSERT_EQ(-EOVERFLOW, map_fixed(self->fd, self->ioas, self->buf,
					UINT64_MAX, 0));
	/* The last page of the IOVA space is usable. */
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, self->buf, psz,
			       UINT64_MAX - psz + 1));

	/* Unknown IOAS: ENOENT. */
	ASSERT_EQ(-ENOENT, map_fixed(self->fd, self->ioas + 1, self->buf, psz,
				     2ULL << 30));

	/*
	 * Memory that is not there, or read-only memory mapped writeable:
	 * nothing is pinned without a domain, so both are accepted (the
	 * domain's attach fails later, see ioas_pin_test).
	 */
	{
		char *ro = mmap(NULL, 2 * psz, PROT_READ,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		char *hole = mmap(NULL, 2 * psz, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		ASSERT_NE(MAP_FAILED, ro);
		ASSERT_NE(MAP_FAILED, hole);
		ASSERT_EQ(0, munmap(hole, 2 * psz));
		ASSERT_EQ(0, map_fixed(self->fd, self->ioas, hole, psz,
				       2ULL << 30));
		ASSERT_EQ(0, map_fixed(self->fd, self->ioas, ro, psz,
				       (2ULL << 30) + psz));
		out = (2ULL << 30) + 2 * psz;
		ASSERT_EQ(0, map_flags(self->fd, self->ioas, ro, 2 * psz, &out,
				       IOMMU_IOAS_MAP_READABLE |
				       IOMMU_IOAS_MAP_FIXED_IOVA));
		munmap(ro, 2 * psz);
	}

	/* Nothing above changed the first mapping. */
	ASSERT_EQ(0, unmap(self->fd, self->ioas, iova, 4 * psz, &out));
	ASSERT_EQ(4 * psz, out);
}

TEST_F(ioas, map_auto)
{
	__u64 a, b, c, out;

	ASSERT_EQ(0, map_auto(self->fd, self->ioas, self->buf, 4 * psz, &a));
	ASSERT_EQ(0, map_auto(self->fd, self->ioas, self->buf, 4 * psz, &b));
	ASSERT_EQ(0, map_auto(self->fd, self->ioas, self->buf, psz, &c));
	/* Never IOVA 0, page aligned, no overlap. */
	ASSERT_NE(0ULL, a);
	ASSERT_NE(0ULL, b);
	ASSERT_NE(0ULL, c);
	ASSERT_EQ(0ULL, a % psz);
	ASSERT_EQ(0ULL, b % psz);
	ASSERT_EQ(0ULL, c % psz);
	ASSERT_TRUE(a + 4 * psz <= b || b + 4 * psz <= a);
	ASSERT_TRUE(c + psz <= a || c >= a + 4 * psz);
	ASSERT_TRUE(c + psz <= b || c >= b + 4 * psz);
	/* Each is a real mapping. */
	ASSERT_EQ(-EEXIST, map_fixed(self->fd, self->ioas, self->buf, psz, b));
	ASSERT_EQ(0, unmap(self->fd, self->ioas, a, 4 * psz, &out));
	ASSERT_EQ(4 * psz, out);
	ASSERT_EQ(0, unmap(self->fd, self->ioas, c, psz, &out));
	ASSERT_EQ(psz, out);
	/*
	 * Not page sized, or at an offset in a page: accepted, and the IOVA
	 * keeps the user address's offset in its page (mainline's rule,
	 * which lets huge pages map it once a domain is there).
	 */
	ASSERT_EQ(0, map_auto(self->fd, self->ioas, self->buf, 100, &a));
	ASSERT_NE(0ULL, a);
	ASSERT_EQ(0, map_auto(self->fd, self->ioas, self->buf + 0x123, 3 * psz,
			      &b));
	ASSERT_EQ(0x123ULL, b % psz);
	ASSERT_EQ(0, unmap(self->fd, self->ioas, b, 3 * psz, &out));
	ASSERT_EQ(3 * psz, out);
}

/*
 * mainline's area_auto_iova without a domain: IOVAs are chosen for user
 * addresses that map nothing, and aligned to the length's power of two.
 */
TEST_F(ioas, map_auto_unbacked)
{
	__u64 iovas[10], out;
	int i;

	for (i = 0; i < 10; i++) {
		__u64 len = psz * (i + 1);

		ASSERT_EQ(0, map_auto(self->fd, self->ioas, (void *)(1UL << 31),
				      len, &iovas[i]));
		ASSERT_EQ(0ULL, iovas[i] % (1ULL << __builtin_ctzll(len)));
	}
	for (i = 0; i < 10; i++) {
		ASSERT_EQ(0, unmap(self->fd, self->ioas, iovas[i],
				   psz * (i + 1), &out));
		ASSERT_EQ(psz * (i + 1), out);
	}
}

/*
 * mainline's ioas_iova_alloc: lengths from 1 byte to two pages (every one
 * up to 512, then every 61st, to stay within the debug kernel's timeout).
 */
TEST_F(ioas, map_auto_every_length)
{
	__u64 iova, out;
	size_t len;

	for (len = 1; len < 2 * psz; len += len < 512 ? 1 : 61) {
		ASSERT_EQ(0, map_auto(self->fd, self->ioas, self->buf, len,
				      &iova));
		ASSERT_EQ(0, unmap(self->fd, self->ioas, iova, len, &out));
		ASSERT_EQ(len, out);
	}
}

/*
 * mainline's copy_sweep: copies of 2 KiB starting at every 511th byte of
 * a byte-granular mapping succeed exactly when inside it.
 */
TEST_F(ioas, copy_sweep)
{
	const __u64 start = 1ULL << 24, last = start + 16 * psz - 2;
	const __u64 len = 2048;
	__u64 iova, dst_iova, out;
	__u32 dst;

	ASSERT_EQ(0, ioas_alloc(self->fd, &dst));
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, self->buf,
			       last - start + 1, start));
	for (iova = start - psz; iova <= last; iova += 511) {
		dst_iova = start;
		if (iova < start || iova + len - 1 > last) {
			ASSERT_EQ(-ENOENT, copy(self->fd, dst, self->ioas,
						iova, len, &dst_iova,
						RW | IOMMU_IOAS_MAP_FIXED_IOVA));
			continue;
		}
		ASSERT_EQ(0, copy(self->fd, dst, self->ioas, iova, len,
				  &dst_iova, RW | IOMMU_IOAS_MAP_FIXED_IOVA));
		ASSERT_EQ(0, unmap(self->fd, dst, start, len, &out));
		ASSERT_EQ(len, out);
	}
}

TEST_F(ioas, unmap)
{
	const __u64 base = 1ULL << 32;
	__u64 out;

	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, self->buf, 4 * psz, base));
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, self->buf, 2 * psz,
			       base + 4 * psz));
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, self->buf, psz,
			       base + 16 * psz));

	/* Cutting a mapping (either end, or inside): ENOENT, no change. */
	ASSERT_EQ(-ENOENT, unmap(self->fd, self->ioas, base, psz, NULL));
	ASSERT_EQ(-ENOENT, unmap(self->fd, self->ioas, base + psz, 3 * psz,
				 NULL));
	ASSERT_EQ(-ENOENT, unmap(self->fd, self->ioas, base, 5 * psz, NULL));
	ASSERT_EQ(-EEXIST, map_fixed(self->fd, self->ioas, self->buf, psz,
				     base));
	/* Nothing mapped there: ENOENT. */
	ASSERT_EQ(-ENOENT, unmap(self->fd, self->ioas, base + 8 * psz,
				 4 * psz, NULL));
	/* Zero length: EINVAL; past the end: EOVERFLOW. */
	ASSERT_EQ(-EINVAL, unmap(self->fd, self->ioas, base, 0, NULL));
	ASSERT_EQ(-EOVERFLOW, unmap(self->fd, self->ioas, UINT64_MAX - psz,
				    2 * psz, NULL));
	ASSERT_EQ(-ENOENT, unmap(self->fd, self->ioas + 1, base, psz, NULL));

	/* A superset of two whole mappings, with holes: both go. */
	ASSERT_EQ(0, unmap(self->fd, self->ioas, base - psz, 10 * psz, &out));
	ASSERT_EQ(6 * psz, out);
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, self->buf, 6 * psz, base));

	/* Unmap everything, then again on the empty IOAS. */
	ASSERT_EQ(0, unmap(self->fd, self->ioas, 0, UINT64_MAX, &out));
	ASSERT_EQ(7 * psz, out);
	ASSERT_EQ(0, unmap(self->fd, self->ioas, 0, UINT64_MAX, &out));
	ASSERT_EQ(0ULL, out);
	ASSERT_EQ(-ENOENT, unmap(self->fd, self->ioas, base, 6 * psz, NULL));
}

TEST_F(ioas, allow_iovas)
{
	const __u64 lo = 1ULL << 30;
	struct iommu_iova_range r[2] = {
		{ .start = lo, .last = lo + 4 * psz - 1 },
		{ .start = 4ULL << 30, .last = (4ULL << 30) + psz - 1 },
	};
	struct iommu_ioas_allow_iovas cmd = {
		.size = sizeof(cmd),
		.ioas_id = self->ioas,
		.num_iovas = 1,
		.allowed_iovas = (uintptr_t)r,
		.__reserved = 1,
	};
	__u64 iova, out;

	ASSERT_EQ(-EOPNOTSUPP, xioctl(self->fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd));
	ASSERT_EQ(0, allow(self->fd, self->ioas, r, 2));

	/* Automatic IOVAs come from the allowed ranges only. */
	ASSERT_EQ(0, map_auto(self->fd, self->ioas, self->buf, 2 * psz,
			      &iova));
	ASSERT_TRUE(iova >= r[0].start && iova + 2 * psz - 1 <= r[0].last);
	ASSERT_EQ(0, map_auto(self->fd, self->ioas, self->buf, psz, &iova));
	ASSERT_TRUE((iova >= r[0].start && iova + psz - 1 <= r[0].last) ||
		    iova == r[1].start);
	/* Too large for any allowed range, or no room left: ENOSPC. */
	ASSERT_EQ(-ENOSPC, map_auto(self->fd, self->ioas, self->buf,
				    8 * psz, &iova));
	ASSERT_EQ(0, map_auto(self->fd, self->ioas, self->buf, psz, &iova));
	ASSERT_EQ(-ENOSPC, map_auto(self->fd, self->ioas, self->buf, 2 * psz,
				    &iova));
	/* The last free page is the second range. */
	ASSERT_EQ(0, map_auto(self->fd, self->ioas, self->buf, psz, &iova));
	ASSERT_EQ(r[1].start, iova);
	ASSERT_EQ(-ENOSPC, map_auto(self->fd, self->ioas, self->buf, psz,
				    &iova));
	/* Copies that choose their IOVA obey them too. */
	iova = 0;
	ASSERT_EQ(-ENOSPC, copy(self->fd, self->ioas, self->ioas, lo, psz,
				&iova, RW));
	/* A fixed IOVA is not restricted by them (as in mainline). */
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, self->buf, psz,
			       8ULL << 30));

	/* Bad lists leave the old one in place. */
	r[1].start = r[1].last;
	ASSERT_EQ(-EINVAL, allow(self->fd, self->ioas, r, 2));
	r[1].start = lo + psz;
	r[1].last = lo + 8 * psz;
	ASSERT_EQ(-EINVAL, allow(self->fd, self->ioas, r, 2));
	ASSERT_EQ(-EFAULT, allow(self->fd, self->ioas, (void *)8, 1));
	ASSERT_EQ(-ENOENT, allow(self->fd, self->ioas + 1, r, 1));
	ASSERT_EQ(-ENOSPC, map_auto(self->fd, self->ioas, self->buf, psz,
				    &iova));

	/* An empty list lifts the restriction. */
	ASSERT_EQ(0, allow(self->fd, self->ioas, NULL, 0));
	ASSERT_EQ(0, map_auto(self->fd, self->ioas, self->buf, 8 * psz,
			      &iova));
	ASSERT_EQ(0, unmap(self->fd, self->ioas, 0, UINT64_MAX, &out));
	ASSERT_EQ(14 * psz, out);
}

TEST_F(ioas, copy)
{
	const __u64 src_iova = 1ULL << 30;
	__u32 dst, dst2;
	__u64 iova, out = 0;

	ASSERT_EQ(0, ioas_alloc(self->fd, &dst));
	ASSERT_EQ(0, ioas_alloc(self->fd, &dst2));
	/* Two adjacent mappings in the source. */
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, self->buf, 4 * psz,
			       src_iova));
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, self->buf + 8 * psz,
			       4 * psz, src_iova + 4 * psz));

	/* Whole mapping to a fixed IOVA. */
	iova = 1ULL << 20;
	ASSERT_EQ(0, copy(self->fd, dst, self->ioas, src_iova, 4 * psz, &iova,
			  RW | IOMMU_IOAS_MAP_FIXED_IOVA));
	ASSERT_EQ(1ULL << 20, iova);
	ASSERT_EQ(-EEXIST, copy(self->fd, dst, self->ioas, src_iova, psz,
				&iova, RW | IOMMU_IOAS_MAP_FIXED_IOVA));
	/* Part of one mapping, and a range spanning both: automatic IOVA. */
	ASSERT_EQ(0, copy(self->fd, dst, self->ioas, src_iova + psz, 2 * psz,
			  &iova, IOMMU_IOAS_MAP_READABLE));
	ASSERT_NE(0ULL, iova);
	ASSERT_EQ(0, copy(self->fd, dst2, self->ioas, src_iova + 2 * psz,
			  4 * psz, &iova, RW));
	/* Into the same IOAS. */
	ASSERT_EQ(0, copy(self->fd, self->ioas, self->ioas, src_iova, psz,
			  &iova, RW));

	/* Source not (entirely) mapped: ENOENT. */
	ASSERT_EQ(-ENOENT, copy(self->fd, dst, self->ioas, src_iova - psz,
				2 * psz, &iova, RW));
	ASSERT_EQ(-ENOENT, copy(self->fd, dst, self->ioas, src_iova + 7 * psz,
				2 * psz, &iova, RW));
	/* Bad IDs, flags, sizes. */
	ASSERT_EQ(-ENOENT, copy(self->fd, dst, dst2 + 10, src_iova, psz,
				&iova, RW));
	ASSERT_EQ(-ENOENT, copy(self->fd, dst2 + 10, self->ioas, src_iova,
				psz, &iova, RW));
	ASSERT_EQ(-EOPNOTSUPP, copy(self->fd, dst, self->ioas, src_iova, psz,
				    &iova, RW | (1 << 5)));
	ASSERT_EQ(-EINVAL, copy(self->fd, dst, self->ioas, src_iova, psz,
				&iova, 0));
	ASSERT_EQ(-EINVAL, copy(self->fd, dst, self->ioas, src_iova, 0,
				&iova, RW));
	/* Any byte may start a copy (no domain: alignment 1). */
	iova = 0;
	ASSERT_EQ(0, copy(self->fd, dst, self->ioas, src_iova + 1, psz,
			  &iova, RW));
	ASSERT_EQ(1ULL, iova % psz);
	ASSERT_EQ(-EOVERFLOW, copy(self->fd, dst, self->ioas, UINT64_MAX, psz,
				   &iova, RW));

	/* Read-only pinned memory cannot be copied writeable: EPERM. */
	{
		char *ro = mmap(NULL, psz, PROT_READ,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		ASSERT_NE(MAP_FAILED, ro);
		iova = 3ULL << 30;
		ASSERT_EQ(0, map_flags(self->fd, self->ioas, ro, psz, &iova,
				       IOMMU_IOAS_MAP_READABLE |
				       IOMMU_IOAS_MAP_FIXED_IOVA));
		ASSERT_EQ(-EPERM, copy(self->fd, dst, self->ioas, iova, psz,
				       &out, RW));
		ASSERT_EQ(0, copy(self->fd, dst, self->ioas, iova, psz, &out,
				  IOMMU_IOAS_MAP_READABLE));
		munmap(ro, psz);
	}

	/* The copies live on after the source is gone. */
	ASSERT_EQ(0, destroy(self->fd, self->ioas));
	ASSERT_EQ(0, unmap(self->fd, dst, 1ULL << 20, 4 * psz, &out));
	ASSERT_EQ(4 * psz, out);
	ASSERT_EQ(0, unmap(self->fd, dst2, 0, UINT64_MAX, &out));
	ASSERT_EQ(4 * psz, out);
	/* dst keeps its other two copies for close() to free. */
}

TEST_F(ioas, two_contexts)
{
	int fd2 = open("/dev/iommu", O_RDWR);
	__u32 mine, other;
	__u64 iova = 0;

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, map_fixed(self->fd, self->ioas, self->buf, psz, 1 << 20));
	/* Object IDs are per context. */
	ASSERT_EQ(-ENOENT, map_fixed(fd2, self->ioas, self->buf, psz,
				     2 << 20));
	ASSERT_EQ(-ENOENT, unmap(fd2, self->ioas, 1 << 20, psz, NULL));
	ASSERT_EQ(-ENOENT, copy(fd2, self->ioas, self->ioas, 1 << 20, psz,
				&iova, RW));
	ASSERT_EQ(-ENOENT, destroy(fd2, self->ioas));

	/* Each context numbers its own objects: the same ID is another IOAS. */
	ASSERT_EQ(0, ioas_alloc(fd2, &mine));
	ASSERT_EQ(self->ioas, mine);
	ASSERT_EQ(0, map_fixed(fd2, mine, self->buf, psz, 2 << 20));
	ASSERT_EQ(-ENOENT, unmap(self->fd, self->ioas, 2 << 20, psz, NULL));
	ASSERT_EQ(-ENOENT, unmap(fd2, mine, 1 << 20, psz, NULL));

	/* An ID only the other context has. */
	ASSERT_EQ(0, ioas_alloc(fd2, &other));
	ASSERT_NE(self->ioas, other);
	ASSERT_EQ(-ENOENT, copy(self->fd, self->ioas, other, 2 << 20, psz,
				&iova, RW));
	ASSERT_EQ(-ENOENT, copy(self->fd, other, self->ioas, 1 << 20, psz,
				&iova, RW));
	ASSERT_EQ(-ENOENT, destroy(self->fd, other));

	/* Closing one context leaves the other intact. */
	ASSERT_EQ(0, close(fd2));
	ASSERT_EQ(0, unmap(self->fd, self->ioas, 1 << 20, psz, &iova));
	ASSERT_EQ(psz, iova);
}

TEST(close_with_live_objects)
{
	char *buf;
	int i, fd;

	psz = sysconf(_SC_PAGESIZE);
	buf = alloc_buf(BUF_PAGES);
	ASSERT_NE(NULL, buf);
	for (i = 0; i < 3; i++) {
		__u32 a, b;
		__u64 iova;

		fd = open("/dev/iommu", O_RDWR);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, ioas_alloc(fd, &a));
		ASSERT_EQ(0, ioas_alloc(fd, &b));
		ASSERT_EQ(0, map_auto(fd, a, buf, BUF_PAGES * psz, &iova));
		ASSERT_EQ(0, copy(fd, b, a, iova, 8 * psz, &iova, RW));
		ASSERT_EQ(0, allow(fd, a, &(struct iommu_iova_range){
				.start = 1ULL << 40,
				.last = (1ULL << 41) - 1 }, 1));
		/* Everything, pins included, goes away with the file. */
		ASSERT_EQ(0, close(fd));
	}
	munmap(buf, BUF_PAGES * psz);
}

/*
 * Without a domain nothing is pinned, so nothing is charged to
 * RLIMIT_MEMLOCK: an unprivileged user (without CAP_IPC_LOCK) with a
 * limit of 16 pages maps and copies far more.  ioas_pin_test checks the
 * charge taken when a domain pins.
 */
TEST(rlimit_memlock_unpinned)
{
	struct rlimit rl;
	__u64 iova, out;
	__u32 a, b;
	char *buf;
	int fd;

	psz = sysconf(_SC_PAGESIZE);
	rl.rlim_cur = 16 * psz;
	rl.rlim_max = 16 * psz;
	buf = alloc_buf(BUF_PAGES);
	ASSERT_NE(NULL, buf);
	fd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioas_alloc(fd, &a));
	ASSERT_EQ(0, ioas_alloc(fd, &b));
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &rl));
	ASSERT_EQ(0, setgid(NOBODY));
	ASSERT_EQ(0, setuid(NOBODY));

	ASSERT_EQ(0, map_auto(fd, a, buf, BUF_PAGES * psz, &iova));
	ASSERT_EQ(0, map_auto(fd, a, buf, BUF_PAGES * psz, &out));
	ASSERT_EQ(0, copy(fd, b, a, iova, BUF_PAGES * psz, &out, RW));
	ASSERT_EQ(0, close(fd));
	munmap(buf, BUF_PAGES * psz);
}

TEST_HARNESS_MAIN
