// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/iommu EXTENSION: IOMMU_PASID_ALLOC / IOMMU_PASID_FREE.  Quota per
 * context, global uniqueness, isolation between contexts, release on
 * close and every documented errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "kselftest_harness.h"

#define PASID_MAX ((1U << 20) - 1)
#define QUOTA_PARAM "/sys/module/iommufd_pasid/parameters/pasid_quota"

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static int pasid_alloc_range(int fd, __u32 min, __u32 max, __u32 *pasid)
{
	struct iommu_pasid_alloc cmd = {
		.size = sizeof(cmd),
		.min_pasid = min,
		.max_pasid = max,
		.out_pasid = 0xdeadbeef,
	};
	int rc = xioctl(fd, IOMMU_PASID_ALLOC, &cmd);

	if (!rc)
		*pasid = cmd.out_pasid;
	return rc;
}

static int pasid_alloc(int fd, __u32 *pasid)
{
	return pasid_alloc_range(fd, 0, PASID_MAX, pasid);
}

static int pasid_free(int fd, __u32 pasid)
{
	struct iommu_pasid_free cmd = { .size = sizeof(cmd), .pasid = pasid };

	return xioctl(fd, IOMMU_PASID_FREE, &cmd);
}

static unsigned int read_quota(void)
{
	unsigned int quota = 0;
	FILE *f = fopen(QUOTA_PARAM, "r");

	if (!f)
		return 0;
	if (fscanf(f, "%u", &quota) != 1)
		quota = 0;
	fclose(f);
	return quota;
}

static int write_quota(unsigned int quota)
{
	FILE *f = fopen(QUOTA_PARAM, "w");
	int rc;

	if (!f)
		return -errno;
	rc = fprintf(f, "%u\n", quota) < 0 ? -EIO : 0;
	if (fclose(f))
		rc = -errno;
	return rc;
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/* Fill @fd up to its quota; the PASIDs go to @out (sorted on return). */
static int fill(int fd, unsigned int quota, __u32 *out)
{
	unsigned int i;
	int rc;

	for (i = 0; i < quota; i++) {
		rc = pasid_alloc(fd, &out[i]);
		if (rc)
			return rc;
	}
	qsort(out, quota, sizeof(*out), cmp_u32);
	return 0;
}

FIXTURE(pasid) {
	int fd;
	unsigned int quota;
	__u32 *ids;
};

FIXTURE_SETUP(pasid)
{
	self->quota = read_quota();
	ASSERT_NE(0U, self->quota) TH_LOG("cannot read %s", QUOTA_PARAM);
	/* Keep the test quick should somebody raise the quota a lot. */
	ASSERT_GE(4096U, self->quota);
	self->ids = calloc(self->quota, sizeof(*self->ids));
	ASSERT_NE(NULL, self->ids);
	self->fd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(pasid)
{
	if (self->fd >= 0)
		close(self->fd);
	free(self->ids);
}

TEST_F(pasid, quota_unique_in_range)
{
	unsigned int i;
	__u32 extra;

	ASSERT_EQ(0, fill(self->fd, self->quota, self->ids));
	for (i = 0; i < self->quota; i++) {
		EXPECT_LE(1U, self->ids[i]);
		EXPECT_GE(PASID_MAX, self->ids[i]);
		if (i)
			EXPECT_NE(self->ids[i - 1], self->ids[i]);
	}
	EXPECT_EQ(-ENOSPC, pasid_alloc(self->fd, &extra));
	/* Still full: a failed allocation took nothing. */
	EXPECT_EQ(-ENOSPC, pasid_alloc(self->fd, &extra));

	/* One back, one more allocation, then full again. */
	ASSERT_EQ(0, pasid_free(self->fd, self->ids[0]));
	ASSERT_EQ(0, pasid_alloc(self->fd, &extra));
	EXPECT_LE(1U, extra);
	EXPECT_GE(PASID_MAX, extra);
	for (i = 1; i < self->quota; i++)
		EXPECT_NE(self->ids[i], extra);
	EXPECT_EQ(-ENOSPC, pasid_alloc(self->fd, &extra));
}

TEST_F(pasid, range_honoured)
{
	__u32 a, b;
	int rc;

	ASSERT_EQ(0, pasid_alloc_range(self->fd, 0x1000, 0x1fff, &a));
	EXPECT_LE(0x1000U, a);
	EXPECT_GE(0x1fffU, a);

	/*
	 * min 0 means 1: PASID 0 is never handed out.  Another user of the
	 * host's PASID space may hold 1 or the top PASID: then ENOSPC.
	 */
	rc = pasid_alloc_range(self->fd, 0, 1, &b);
	if (rc == 0) {
		EXPECT_EQ(1U, b);
		EXPECT_EQ(0, pasid_free(self->fd, b));
	} else {
		EXPECT_EQ(-ENOSPC, rc);
	}
	/* The highest PASID is allowed. */
	rc = pasid_alloc_range(self->fd, PASID_MAX, PASID_MAX, &b);
	if (rc == 0) {
		EXPECT_EQ(PASID_MAX, b);
		EXPECT_EQ(0, pasid_free(self->fd, b));
	} else {
		EXPECT_EQ(-ENOSPC, rc);
	}
	/* A taken single-PASID range has nothing left. */
	EXPECT_EQ(-ENOSPC, pasid_alloc_range(self->fd, a, a, &b));
	EXPECT_EQ(0, pasid_free(self->fd, a));
}

TEST_F(pasid, double_free_and_unknown)
{
	__u32 a;

	ASSERT_EQ(0, pasid_alloc(self->fd, &a));
	EXPECT_EQ(0, pasid_free(self->fd, a));
	EXPECT_EQ(-ENOENT, pasid_free(self->fd, a));
	EXPECT_EQ(-ENOENT, pasid_free(self->fd, 0));
	EXPECT_EQ(-ENOENT, pasid_free(self->fd, PASID_MAX + 1));
	EXPECT_EQ(-ENOENT, pasid_free(self->fd, 0xffffffff));
}

TEST_F(pasid, contexts_isolated)
{
	unsigned int i, j;
	__u32 *other, extra;
	int fd2;

	other = calloc(self->quota, sizeof(*other));
	ASSERT_NE(NULL, other);
	fd2 = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, fd2);

	/* Each context has its own full quota ... */
	ASSERT_EQ(0, fill(self->fd, self->quota, self->ids));
	ASSERT_EQ(0, fill(fd2, self->quota, other));
	EXPECT_EQ(-ENOSPC, pasid_alloc(fd2, &extra));

	/* ... the PASIDs are unique across contexts ... */
	for (i = 0; i < self->quota; i++)
		for (j = 0; j < self->quota; j++)
			ASSERT_NE(self->ids[i], other[j]);

	/* ... and one context cannot free the other's. */
	for (i = 0; i < self->quota; i++)
		EXPECT_EQ(-ENOENT, pasid_free(fd2, self->ids[i]));
	/* They are still held by the owner: */
	for (i = 0; i < self->quota; i++)
		EXPECT_EQ(0, pasid_free(self->fd, self->ids[i]));
	/* A single-PASID range on the other context's PASID is taken. */
	EXPECT_EQ(-ENOSPC, pasid_alloc_range(self->fd, other[0], other[0],
					     &self->ids[0]));
	close(fd2);
	free(other);
}

TEST_F(pasid, close_returns_all)
{
	unsigned int i, round;
	__u32 pasid;

	for (round = 0; round < 3; round++) {
		ASSERT_EQ(0, fill(self->fd, self->quota, self->ids));
		EXPECT_EQ(-ENOSPC, pasid_alloc(self->fd, &pasid));
		ASSERT_EQ(0, close(self->fd));
		self->fd = open("/dev/iommu", O_RDWR);
		ASSERT_LE(0, self->fd);
		/* The closed context's PASIDs are free again. */
		for (i = 0; i < self->quota; i++)
			ASSERT_EQ(0, pasid_alloc_range(self->fd, self->ids[i],
						       self->ids[i], &pasid));
		EXPECT_EQ(-ENOSPC, pasid_alloc(self->fd, &pasid));
		ASSERT_EQ(0, close(self->fd));
		self->fd = open("/dev/iommu", O_RDWR);
		ASSERT_LE(0, self->fd);
	}
}

TEST_F(pasid, quota_param_applies_to_new_contexts)
{
	unsigned int orig = self->quota;
	__u32 a, b, c;
	int fd2;

	ASSERT_EQ(-EINVAL, write_quota(0));
	ASSERT_EQ(-EINVAL, write_quota(PASID_MAX + 1));
	ASSERT_EQ(orig, read_quota());

	ASSERT_EQ(0, write_quota(2));
	fd2 = open("/dev/iommu", O_RDWR);
	ASSERT_EQ(0, write_quota(orig));
	ASSERT_LE(0, fd2);
	EXPECT_EQ(0, pasid_alloc(fd2, &a));
	EXPECT_EQ(0, pasid_alloc(fd2, &b));
	EXPECT_EQ(-ENOSPC, pasid_alloc(fd2, &c));
	close(fd2);
	/* The context opened before the change keeps its own quota. */
	ASSERT_EQ(0, fill(self->fd, orig, self->ids));
	EXPECT_EQ(-ENOSPC, pasid_alloc(self->fd, &c));
}

TEST_F(pasid, bad_input)
{
	struct iommu_pasid_alloc cmd;
	struct {
		struct iommu_pasid_alloc cmd;
		__u32 tail;
	} big;
	struct iommu_pasid_free fcmd;
	__u32 pasid;

#define RESET() (memset(&cmd, 0, sizeof(cmd)), cmd.size = sizeof(cmd), \
		 cmd.max_pasid = PASID_MAX)
	RESET();
	cmd.size = sizeof(cmd) - 4;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, IOMMU_PASID_ALLOC, &cmd));
	cmd.size = 0;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, IOMMU_PASID_ALLOC, &cmd));

	RESET();
	cmd.flags = 1;
	EXPECT_EQ(-EOPNOTSUPP, xioctl(self->fd, IOMMU_PASID_ALLOC, &cmd));
	RESET();
	cmd.flags = 1U << 31;
	EXPECT_EQ(-EOPNOTSUPP, xioctl(self->fd, IOMMU_PASID_ALLOC, &cmd));
	RESET();
	cmd.__reserved = 1;
	EXPECT_EQ(-EOPNOTSUPP, xioctl(self->fd, IOMMU_PASID_ALLOC, &cmd));

	RESET();
	cmd.min_pasid = 10;
	cmd.max_pasid = 9;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, IOMMU_PASID_ALLOC, &cmd));
	RESET();
	cmd.max_pasid = 0;	/* only PASID 0, which is never allocated */
	EXPECT_EQ(-EINVAL, xioctl(self->fd, IOMMU_PASID_ALLOC, &cmd));
	RESET();
	cmd.max_pasid = PASID_MAX + 1;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, IOMMU_PASID_ALLOC, &cmd));
	RESET();
	cmd.min_pasid = PASID_MAX + 1;
	cmd.max_pasid = 0xffffffff;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, IOMMU_PASID_ALLOC, &cmd));

	/* A larger structure: zero tail accepted, non-zero tail E2BIG. */
	memset(&big, 0, sizeof(big));
	big.cmd.size = sizeof(big);
	big.cmd.max_pasid = PASID_MAX;
	big.tail = 1;
	EXPECT_EQ(-E2BIG, xioctl(self->fd, IOMMU_PASID_ALLOC, &big));
	big.tail = 0;
	ASSERT_EQ(0, xioctl(self->fd, IOMMU_PASID_ALLOC, &big));
	pasid = big.cmd.out_pasid;

	memset(&fcmd, 0, sizeof(fcmd));
	fcmd.size = sizeof(fcmd) - 4;
	fcmd.pasid = pasid;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, IOMMU_PASID_FREE, &fcmd));
	/* None of the failures took a PASID or freed this one. */
	EXPECT_EQ(0, pasid_free(self->fd, pasid));
	ASSERT_EQ(0, fill(self->fd, self->quota, self->ids));
	EXPECT_EQ(-ENOSPC, pasid_alloc(self->fd, &pasid));
#undef RESET
}

/* ---- IOMMU_PASID_ALLOC whose answer cannot be written, against FREE ---- */

#define RACE_PASID	77U
#define RACE_SECONDS	3

struct race {
	int fd1, fd2;			/* two contexts */
	struct iommu_pasid_alloc *ro;	/* a read-only page holding a call */
	int stop;
	int holder;			/* 0, or the context holding RACE_PASID */
	/* what went wrong, counted by the threads */
	int bad_alloc, bad_free, double_holder, efault_seen, cycles;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Thread A: ALLOC(77) with the call in a read-only page: never succeeds. */
static void *race_efault(void *arg)
{
	struct race *r = arg;
	int rc;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		rc = xioctl(r->fd1, IOMMU_PASID_ALLOC, r->ro);
		if (rc == -EFAULT)
			__atomic_add_fetch(&r->efault_seen, 1, __ATOMIC_RELAXED);
		else if (rc != -ENOSPC)
			__atomic_add_fetch(&r->bad_alloc, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/*
 * Takes RACE_PASID in context @me (1 or 2) and frees it again; FREE is
 * also tried when ALLOC failed, when it must find nothing.
 */
static void race_cycle(struct race *r, int fd, int me)
{
	int expect = 0, rc;
	__u32 pasid;

	rc = pasid_alloc_range(fd, RACE_PASID, RACE_PASID, &pasid);
	if (!rc) {
		if (pasid != RACE_PASID ||
		    !__atomic_compare_exchange_n(&r->holder, &expect, me, false,
						 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			__atomic_add_fetch(&r->double_holder, 1, __ATOMIC_RELAXED);
		/* Hold it a moment, for the other context to try. */
		sched_yield();
		__atomic_store_n(&r->holder, 0, __ATOMIC_SEQ_CST);
		if (pasid_free(fd, RACE_PASID))
			__atomic_add_fetch(&r->bad_free, 1, __ATOMIC_RELAXED);
	} else {
		if (rc != -ENOSPC)
			__atomic_add_fetch(&r->bad_alloc, 1, __ATOMIC_RELAXED);
		/* Only context 1 can see thread A's record, and must not. */
		if (pasid_free(fd, RACE_PASID) != -ENOENT)
			__atomic_add_fetch(&r->bad_free, 1, __ATOMIC_RELAXED);
	}
	__atomic_add_fetch(&r->cycles, 1, __ATOMIC_RELAXED);
}

static void *race_ctx1(void *arg)
{
	struct race *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED))
		race_cycle(r, r->fd1, 1);
	return NULL;
}

static void *race_ctx2(void *arg)
{
	struct race *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED))
		race_cycle(r, r->fd2, 2);
	return NULL;
}

/*
 * An ALLOC whose answer faults must give back only what it took: FREE in
 * the same context must not find (and release) its PASID meanwhile, and
 * the PASID must never be held by two contexts at once.
 */
TEST(alloc_efault_races_free)
{
	struct race r = { .fd1 = -1 };
	pthread_t a, b, c;
	double end;
	__u32 pasid;
	void *page;

	page = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	r.ro = page;
	r.ro->size = sizeof(*r.ro);
	r.ro->min_pasid = RACE_PASID;
	r.ro->max_pasid = RACE_PASID;
	ASSERT_EQ(0, mprotect(page, getpagesize(), PROT_READ));
	r.fd1 = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, r.fd1);
	r.fd2 = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, r.fd2);

	ASSERT_EQ(0, pthread_create(&a, NULL, race_efault, &r));
	ASSERT_EQ(0, pthread_create(&b, NULL, race_ctx1, &r));
	ASSERT_EQ(0, pthread_create(&c, NULL, race_ctx2, &r));
	end = now_s() + RACE_SECONDS;
	while (now_s() < end && !r.bad_alloc && !r.bad_free &&
	       !r.double_holder)
		usleep(10000);
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	pthread_join(c, NULL);
	TH_LOG("%d cycles, %d faulting answers", r.cycles, r.efault_seen);

	EXPECT_NE(0, r.efault_seen);
	EXPECT_EQ(0, r.bad_alloc);
	EXPECT_EQ(0, r.bad_free);
	EXPECT_EQ(0, r.double_holder);

	/* Nothing stayed behind: a third context can take the PASID. */
	close(r.fd1);
	close(r.fd2);
	r.fd1 = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, r.fd1);
	EXPECT_EQ(0, pasid_alloc_range(r.fd1, RACE_PASID, RACE_PASID, &pasid));
	close(r.fd1);
	munmap(page, getpagesize());
}

/* ---- allocation failures injected with fail-nth (debug kernel) ---- */

#define FAILSLAB	"/sys/kernel/debug/failslab/"
#define FAILPAGE	"/sys/kernel/debug/fail_page_alloc/"

static int put_str(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (!f)
		return -errno;
	rc = fputs(val, f) < 0 ? -EIO : 0;
	if (fclose(f))
		rc = -errno;
	return rc;
}

static int get_str(const char *path, char *buf, int len)
{
	FILE *f = fopen(path, "r");
	int rc;

	if (!f)
		return -errno;
	rc = fgets(buf, len, f) ? 0 : -EIO;
	fclose(f);
	return rc;
}

/* Let fail-nth fail sleeping allocations too, quietly; undone by restore. */
static int inject_setup(char saved[4][16])
{
	static const char * const knob[4] = {
		FAILSLAB "ignore-gfp-wait", FAILSLAB "verbose",
		FAILPAGE "ignore-gfp-wait", FAILPAGE "verbose",
	};
	static const char * const val[4] = { "N", "0", "N", "0" };
	int i, rc;

	for (i = 0; i < 4; i++) {
		rc = get_str(knob[i], saved[i], 16);
		if (rc)
			return rc;
	}
	for (i = 0; i < 4; i++) {
		rc = put_str(knob[i], val[i]);
		if (rc)
			return rc;
	}
	return 0;
}

static void inject_restore(char saved[4][16])
{
	put_str(FAILSLAB "ignore-gfp-wait", saved[0]);
	put_str(FAILSLAB "verbose", saved[1]);
	put_str(FAILPAGE "ignore-gfp-wait", saved[2]);
	put_str(FAILPAGE "verbose", saved[3]);
}

/*
 * This thread's fail-nth file, opened once: opening it, or any stdio on
 * it, would itself allocate and so consume an armed count.
 */
static int fail_nth_open(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
	return open(path, O_RDWR);
}

static int fail_nth_set(int fd, unsigned int n)
{
	char num[16];
	int len = snprintf(num, sizeof(num), "%u", n);

	return pwrite(fd, num, len, 0) == len ? 0 : -errno;
}

/* The count left: 0 once the injected failure fired. */
static int fail_nth_left(int fd)
{
	char num[16] = "";

	if (pread(fd, num, sizeof(num) - 1, 0) <= 0)
		return -1;
	return atoi(num);
}

/*
 * Every allocation ALLOC makes, failed in turn: the call answers ENOMEM
 * (never ENOSPC, which means the quota or the range is used up), and
 * leaves the context as it was.
 */
TEST_F(pasid, alloc_failure_is_enomem)
{
	unsigned int n, fired = 0;
	char saved[4][16];
	int nth, rc, left;
	__u32 pasid;

	nth = fail_nth_open();
	if (nth < 0 || access(FAILSLAB "ignore-gfp-wait", W_OK))
		SKIP(return, "no fail-nth or failslab (kernel without fault injection)");
	ASSERT_EQ(0, inject_setup(saved));

	for (n = 1; n < 64; n++) {
		ASSERT_EQ(0, fail_nth_set(nth, n));
		rc = pasid_alloc(self->fd, &pasid);
		left = fail_nth_left(nth);
		fail_nth_set(nth, 0);
		ASSERT_LE(0, left);
		if (left) {
			/* No injected failure fired: the call ran through. */
			EXPECT_EQ(0, rc);
			if (!rc)
				EXPECT_EQ(0, pasid_free(self->fd, pasid));
			break;
		}
		fired++;
		/* Either the failure was absorbed, or the call says ENOMEM. */
		EXPECT_EQ(rc ? -ENOMEM : 0, rc) TH_LOG("failure %u injected", n);
		if (!rc)
			EXPECT_EQ(0, pasid_free(self->fd, pasid));
	}
	close(nth);
	inject_restore(saved);
	TH_LOG("%u injected failures", fired);
	EXPECT_NE(0U, fired);
	EXPECT_GT(64U, n);

	/* The whole quota is still there. */
	ASSERT_EQ(0, fill(self->fd, self->quota, self->ids));
	EXPECT_EQ(-ENOSPC, pasid_alloc(self->fd, &pasid));
}

TEST_HARNESS_MAIN
