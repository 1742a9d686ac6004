// SPDX-License-Identifier: GPL-2.0
/*
 * What a domain changes in an IOAS (mainline's semantics): memory is
 * pinned, and charged to RLIMIT_MEMLOCK, when a device attaches the IOAS
 * (its domain is filled) or when a mapping is made while it is attached,
 * and released when the domain goes; IOMMU_IOAS_IOVA_RANGES reports the
 * domain's alignment while it is attached and 1 again afterwards; mappings
 * the domain cannot take make the attach fail.  QEMU's edu is the device.
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "iommufd_utils.h"

#include "kselftest_harness.h"

#define NOBODY		65534
#define PAGES		32

FIXTURE(pin) {
	struct ifd_dev d;
	size_t psz;
	char *buf;
	__u32 ioas;
};

FIXTURE_SETUP(pin)
{
	int rc;

	self->psz = page_size();
	self->buf = buf_alloc(PAGES * self->psz, 0x5a);
	ASSERT_NE(NULL, self->buf);
	rc = ifd_dev_setup(&self->d, 0);
	if (rc == -ENODEV)
		SKIP(return, "%s", self->d.err);
	ASSERT_EQ(0, rc) TH_LOG("%s", self->d.err);
	rc = ioas_alloc(self->d.iommufd, &self->ioas);
	if (rc)
		ifd_dev_teardown(&self->d);
	ASSERT_EQ(0, rc);
}

FIXTURE_TEARDOWN(pin)
{
	ifd_dev_teardown(&self->d);
}

static int map_va(int fd, __u32 ioas, void *va, __u64 len, __u64 *iova,
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

static __u64 iova_alignment(int fd, __u32 ioas)
{
	struct iommu_iova_range r[8];
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.num_iovas = 8,
		.allowed_iovas = (uintptr_t)r,
	};

	if (xioctl(fd, IOMMU_IOAS_IOVA_RANGES, &cmd))
		return 0;
	return cmd.out_iova_alignment;
}

/* The alignment is the domain's while it is attached, 1 otherwise. */
TEST_F(pin, alignment_follows_domain)
{
	int fd = self->d.iommufd;
	__u64 iova;

	ASSERT_EQ(1ULL, iova_alignment(fd, self->ioas));
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, self->ioas, NULL));
	ASSERT_EQ(self->psz, iova_alignment(fd, self->ioas));

	/* Byte-granular mappings are refused now. */
	ASSERT_EQ(-EINVAL, ioas_map(fd, self->ioas, self->buf + 8, self->psz,
				    IOVA_SRC));
	ASSERT_EQ(-EINVAL, ioas_map(fd, self->ioas, self->buf, 100,
				    IOVA_SRC));
	ASSERT_EQ(-EINVAL, ioas_map(fd, self->ioas, self->buf, self->psz,
				    IOVA_SRC + 8));
	iova = 0;
	ASSERT_EQ(-EINVAL, map_va(fd, self->ioas, self->buf + 8, self->psz,
				  &iova, RW_MAP));
	ASSERT_EQ(0, ioas_map(fd, self->ioas, self->buf, self->psz,
			      IOVA_SRC));

	ASSERT_EQ(0, dev_detach(self->d.devfd, RID));
	ASSERT_EQ(1ULL, iova_alignment(fd, self->ioas));
	ASSERT_EQ(0, ioas_map(fd, self->ioas, self->buf + 8, 100,
			      IOVA_DST + 8));
}

/* A mapping the domain cannot hold makes the attach fail, changing nothing. */
TEST_F(pin, attach_refuses_unfit_mappings)
{
	int fd = self->d.iommufd;
	char *hole, *ro;

	/* Not page aligned (user offset, IOVA, length): EADDRINUSE. */
	ASSERT_EQ(0, ioas_map(fd, self->ioas, self->buf + 8, self->psz,
			      IOVA_SRC));
	ASSERT_EQ(-EADDRINUSE, dev_attach(self->d.devfd, RID, self->ioas,
					  NULL));
	ASSERT_EQ(1ULL, iova_alignment(fd, self->ioas));
	ASSERT_EQ(0, ioas_unmap(fd, self->ioas, IOVA_SRC, self->psz));
	ASSERT_EQ(0, ioas_map(fd, self->ioas, self->buf, self->psz + 1,
			      IOVA_SRC));
	ASSERT_EQ(-EADDRINUSE, dev_attach(self->d.devfd, RID, self->ioas,
					  NULL));
	ASSERT_EQ(0, ioas_unmap(fd, self->ioas, IOVA_SRC, self->psz + 1));

	/* Memory that is not there, or read-only mapped writeable: EFAULT. */
	hole = mmap(NULL, 2 * self->psz, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	ASSERT_EQ(0, munmap(hole, 2 * self->psz));
	ro = mmap(NULL, self->psz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		  -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_EQ(0, ioas_map(fd, self->ioas, self->buf, self->psz,
			      IOVA_SRC));
	ASSERT_EQ(0, ioas_map(fd, self->ioas, hole, 2 * self->psz, IOVA_DST));
	ASSERT_EQ(-EFAULT, dev_attach(self->d.devfd, RID, self->ioas, NULL));
	ASSERT_EQ(0, ioas_unmap(fd, self->ioas, IOVA_DST, 2 * self->psz));
	ASSERT_EQ(0, ioas_map(fd, self->ioas, ro, self->psz, IOVA_DST));
	ASSERT_EQ(-EFAULT, dev_attach(self->d.devfd, RID, self->ioas, NULL));
	ASSERT_EQ(0, ioas_unmap(fd, self->ioas, IOVA_DST, self->psz));

	/* Without them it attaches; with the domain, they fail at map. */
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, self->ioas, NULL));
	ASSERT_EQ(-EFAULT, ioas_map(fd, self->ioas, hole, self->psz,
				    IOVA_DST));
	ASSERT_EQ(-EFAULT, ioas_map(fd, self->ioas, ro, self->psz, IOVA_DST));
	ASSERT_EQ(0, ioas_map(fd, self->ioas, self->buf, self->psz,
			      IOVA_DST));
	ASSERT_EQ(0, dev_detach(self->d.devfd, RID));
	munmap(ro, self->psz);
}

/*
 * RLIMIT_MEMLOCK is charged when the domain pins, not at map time, and
 * released when the domain goes.  Runs as nobody (no CAP_IPC_LOCK) on the
 * descriptors opened as root; the harness forks each test.
 */
TEST_F(pin, rlimit_at_pin_time)
{
	struct rlimit rl = { 16 * self->psz, 16 * self->psz };
	int fd = self->d.iommufd;
	__u32 other;

	ASSERT_EQ(0, ioas_alloc(fd, &other));
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &rl));
	ASSERT_EQ(0, setgid(NOBODY));
	ASSERT_EQ(0, setuid(NOBODY));

	/* 17 pages mapped, nothing pinned yet. */
	ASSERT_EQ(0, ioas_map(fd, self->ioas, self->buf, 8 * self->psz,
			      IOVA_SRC));
	ASSERT_EQ(0, ioas_map(fd, self->ioas, self->buf + 8 * self->psz,
			      9 * self->psz, IOVA_DST));
	ASSERT_EQ(-ENOMEM, dev_attach(self->d.devfd, RID, self->ioas, NULL));
	/* The failed attach left nothing charged. */
	ASSERT_EQ(0, ioas_unmap(fd, self->ioas, IOVA_DST, 9 * self->psz));
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, self->ioas, NULL));

	/* 8 pinned: 9 more do not fit, 8 do, then not one more. */
	ASSERT_EQ(-ENOMEM, ioas_map(fd, self->ioas, self->buf + 8 * self->psz,
				    9 * self->psz, IOVA_DST));
	ASSERT_EQ(0, ioas_map(fd, self->ioas, self->buf + 8 * self->psz,
			      8 * self->psz, IOVA_DST));
	ASSERT_EQ(-ENOMEM, ioas_map(fd, self->ioas, self->buf + 16 * self->psz,
				    self->psz, IOVA_DST + 8 * self->psz));
	/* An IOAS without a domain still maps anything. */
	ASSERT_EQ(0, ioas_map(fd, other, self->buf, PAGES * self->psz,
			      IOVA_SRC));

	/* Detaching releases all 16: they can be pinned again. */
	ASSERT_EQ(0, dev_detach(self->d.devfd, RID));
	ASSERT_EQ(-ENOMEM, dev_attach(self->d.devfd, RID, other, NULL));
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, self->ioas, NULL));
	/* Unmapping with the domain attached releases too. */
	ASSERT_EQ(0, ioas_unmap(fd, self->ioas, IOVA_DST, 8 * self->psz));
	ASSERT_EQ(0, ioas_map(fd, self->ioas, self->buf + 8 * self->psz,
			      8 * self->psz, IOVA_DST));
	ASSERT_EQ(0, dev_detach(self->d.devfd, RID));
}

/*
 * Memory mapped by another process is pinned from that process's address
 * space when the domain comes (mainline's fork_present): edu copies what
 * the child had, into the parent's memory.
 */
TEST_F(pin, other_process_present)
{
	int fd = self->d.iommufd, to_child[2], from_child[2];
	char *dst = self->buf + 16 * self->psz;
	char c = 0;
	pid_t child;

	pattern_fill(self->buf, self->psz, 7);
	memset(dst, 0, self->psz);
	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(from_child));
	child = fork();
	ASSERT_NE(-1, child);
	if (!child) {
		c = ioas_map(fd, self->ioas, self->buf, self->psz, IOVA_SRC) ?
			'E' : 'M';
		if (write(from_child[1], &c, 1) != 1 ||
		    read(to_child[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ(1, read(from_child[0], &c, 1));
	ASSERT_EQ('M', c);
	/* The child's copy differs from the parent's from now on. */
	pattern_fill(self->buf, self->psz, 9);
	ASSERT_EQ(0, ioas_map(fd, self->ioas, dst, self->psz, IOVA_DST));
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, self->ioas, NULL));
	ASSERT_EQ(0, edu_copy(&self->d, IOVA_SRC, IOVA_DST, 512));
	ASSERT_TRUE(pattern_check(dst, 512, 7));
	ASSERT_EQ(1, write(to_child[1], &c, 1));
	ASSERT_EQ(child, waitpid(child, NULL, 0));
	ASSERT_EQ(0, dev_detach(self->d.devfd, RID));
}

/*
 * A mapping whose process has exited cannot be pinned any more (mainline's
 * fork_gone): the attach fails with EFAULT until it is unmapped.
 */
TEST_F(pin, other_process_gone)
{
	int fd = self->d.iommufd, status;
	pid_t child;

	child = fork();
	ASSERT_NE(-1, child);
	if (!child)
		_exit(ioas_map(fd, self->ioas, self->buf, self->psz,
			       IOVA_SRC) ? 1 : 0);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	ASSERT_EQ(-EFAULT, dev_attach(self->d.devfd, RID, self->ioas, NULL));
	ASSERT_EQ(0, ioas_unmap(fd, self->ioas, IOVA_SRC, self->psz));
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, self->ioas, NULL));
	ASSERT_EQ(0, dev_detach(self->d.devfd, RID));
}

/*
 * Pins the kernel counts now (acquired minus released), or -1.  The
 * counters are folded from the CPUs first (vm.stat_refresh), otherwise
 * they lag by up to a per-CPU threshold.
 */
static long long foll_pins(void)
{
	long long v, acq = -1, rel = -1;
	char name[64];
	FILE *f = fopen("/proc/sys/vm/stat_refresh", "w");

	if (!f)
		return -1;
	if (fputs("1", f) < 0) {
		fclose(f);
		return -1;
	}
	fclose(f);
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", name, &v) == 2) {
		if (!strcmp(name, "nr_foll_pin_acquired"))
			acq = v;
		else if (!strcmp(name, "nr_foll_pin_released"))
			rel = v;
	}
	fclose(f);
	return acq < 0 || rel < 0 ? -1 : acq - rel;
}

#define HUGE_2M		(2UL << 20)

/*
 * 4 MiB of (where the kernel gives them) transparent huge pages and one
 * more page, mapped while the domain is attached: pinned 512 pages per
 * GUP call and kept as runs of physically contiguous memory.  edu's DMA
 * across the 2 MiB boundary and into the last page moves the right
 * bytes, every page holds one pin while mapped, and the unmap releases
 * every pin.
 */
TEST_F(pin, huge_page_runs)
{
	size_t len = 2 * HUGE_2M + self->psz, raw_len = 4 * HUGE_2M;
	int fd = self->d.iommufd;
	long long p0, p1;
	char *raw, *buf;

	raw = mmap(NULL, raw_len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, raw);
	buf = (char *)(((uintptr_t)raw + HUGE_2M - 1) & ~(HUGE_2M - 1));
	madvise(buf, len, MADV_HUGEPAGE);
	pattern_fill(buf, len, 3);
	p0 = foll_pins();
	if (p0 < 0) {
		munmap(raw, raw_len);
		SKIP(return, "no nr_foll_pin_* in /proc/vmstat");
	}

	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, self->ioas, NULL));
	ASSERT_EQ(0, ioas_map(fd, self->ioas, buf, len, IOVA_SRC));
	p1 = foll_pins();
	ASSERT_EQ(p0 + (long long)(len / self->psz), p1);

	/* Across the huge page boundary into the last page, and back. */
	memset(buf + 2 * HUGE_2M, 0, self->psz);
	memset(buf + HUGE_2M / 2, 0, EDU_XFER_MAX);
	ASSERT_EQ(0, edu_copy(&self->d, IOVA_SRC + HUGE_2M - 1024,
			      IOVA_SRC + 2 * HUGE_2M, EDU_XFER_MAX));
	ASSERT_EQ(0, memcmp(buf + 2 * HUGE_2M, buf + HUGE_2M - 1024,
			    EDU_XFER_MAX));
	ASSERT_EQ(0, edu_copy(&self->d, IOVA_SRC + 2 * HUGE_2M - 1024,
			      IOVA_SRC + HUGE_2M / 2, EDU_XFER_MAX));
	ASSERT_EQ(0, memcmp(buf + HUGE_2M / 2, buf + 2 * HUGE_2M - 1024,
			    EDU_XFER_MAX));

	ASSERT_EQ(0, ioas_unmap(fd, self->ioas, IOVA_SRC, len));
	ASSERT_EQ(p0, foll_pins());
	ASSERT_EQ(0, dev_detach(self->d.devfd, RID));
	munmap(raw, raw_len);
}

TEST_HARNESS_MAIN
