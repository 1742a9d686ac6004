// SPDX-License-Identifier: GPL-2.0
/*
 * Page requests delivered to a fault queue (IOMMU_FAULT_QUEUE_ALLOC) and
 * answered through it.
 *
 * The requests come from the mock IOMMU (IOMMU_TEST_OP_TRIGGER_IOPF), which
 * reports them to the IOMMU core like a driver with page request support;
 * so the tests need the test build of iommufd_pasid.ko (IOMMUFD_PASID_TEST=y,
 * the iommu-upstream leg) and skip on any other.  The mock counts the
 * groups it reported and the answers it got, per response code, in
 * debugfs (MOCK_IOPF): every group must be answered exactly once, by
 * userspace or, when its HWPT is detached or replaced or its device goes
 * away, by the kernel with "invalid".
 */
#include <poll.h>

#include "mock_utils.h"

#include "kselftest_harness.h"

#define MOCK_IOPF	"/sys/kernel/debug/iommufd_pasid_mock/iopf"
#define REC		sizeof(struct iommu_hwpt_pgfault)
#define FAULT_ADDR	0xdeadb000ULL
#define RW		(IOMMU_PGFAULT_PERM_READ | IOMMU_PGFAULT_PERM_WRITE)

/* What the mock counted: groups reported, answers per code. */
struct iopf_counts {
	long long reported, success, invalid, failure;
};

static int iopf_counts(struct iopf_counts *c)
{
	char buf[256];
	int rc = file_read(MOCK_IOPF, buf, sizeof(buf));

	if (rc)
		return rc;
	if (sscanf(buf, "reported %lld success %lld invalid %lld failure %lld",
		   &c->reported, &c->success, &c->invalid, &c->failure) != 4)
		return -EINVAL;
	return 0;
}

static int mock_replace(int fd, __u32 stdev, __u32 pt_id)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = stdev,
		.mock_domain_replace.pt_id = pt_id,
	};

	return xioctl(fd, IOMMU_TEST_CMD, &cmd);
}

/* A page request group of one request; PASID 0 means none. */
static int trigger(int fd, __u32 idev, __u32 pasid, __u32 grpid)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_TRIGGER_IOPF,
		.trigger_iopf = {
			.dev_id = idev,
			.pasid = pasid,
			.grpid = grpid,
			.perm = RW,
			.addr = FAULT_ADDR + grpid * 0x1000,
		},
	};

	return xioctl(fd, IOMMU_TEST_CMD, &cmd);
}

static int fault_alloc(int fd, __u32 *id, int *qfd)
{
	struct iommu_fault_alloc cmd = { .size = sizeof(cmd) };
	int rc = xioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &cmd);

	if (!rc) {
		*id = cmd.out_fault_id;
		*qfd = cmd.out_fault_fd;
	}
	return rc;
}

/* A HWPT on @pt_id naming fault queue @fault (0: none). */
static int hwpt_alloc_fault(int fd, __u32 idev, __u32 pt_id, __u32 fault,
			    const void *data, __u32 data_len, __u32 *id)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = fault ? IOMMU_HWPT_FAULT_ID_VALID : 0,
		.dev_id = idev,
		.pt_id = pt_id,
		.fault_id = fault,
		.data_type = data ? IOMMU_HWPT_DATA_SELFTEST :
				    IOMMU_HWPT_DATA_NONE,
		.data_len = data_len,
		.data_uptr = (uintptr_t)data,
	};
	int rc = xioctl(fd, IOMMU_HWPT_ALLOC, &cmd);

	if (!rc)
		*id = cmd.out_hwpt_id;
	return rc;
}

static int respond(int qfd, __u32 cookie, __u32 code)
{
	struct iommu_hwpt_page_response r = { .cookie = cookie, .code = code };
	ssize_t n = write(qfd, &r, sizeof(r));

	if (n < 0)
		return -errno;
	return n == sizeof(r) ? 0 : -EIO;
}

/* The poll events of @qfd right now. */
static short events(int qfd)
{
	struct pollfd p = { .fd = qfd, .events = POLLIN | POLLOUT };

	if (poll(&p, 1, 0) < 0)
		return -1;
	return p.revents;
}

/*
 * A mock device on an IOAS, a nest parent, a nested HWPT and a paging HWPT
 * that both name the fault queue, and a nested HWPT without one.
 */
FIXTURE(iopf) {
	int fd, qfd;
	__u32 ioas, stdev, mock_hwpt, idev;
	__u32 fault, parent, nested, paging, plain_nested;
	struct iopf_counts base;
};

FIXTURE_SETUP(iopf)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };

	self->fd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->fd);
	if (!mock_test_abi(self->fd))
		SKIP(return, MOCK_NO_TEST_ABI);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas));
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas, &self->stdev,
				 &self->mock_hwpt, &self->idev));
	ASSERT_EQ(0, fault_alloc(self->fd, &self->fault, &self->qfd));
	ASSERT_EQ(0, hwpt_alloc(self->fd, IOMMU_HWPT_ALLOC_NEST_PARENT,
				self->idev, self->ioas, &self->parent));
	ASSERT_EQ(0, hwpt_alloc_fault(self->fd, self->idev, self->parent,
				      self->fault, &data, sizeof(data),
				      &self->nested));
	ASSERT_EQ(0, hwpt_alloc_fault(self->fd, self->idev, self->parent, 0,
				      &data, sizeof(data),
				      &self->plain_nested));
	ASSERT_EQ(0, hwpt_alloc_fault(self->fd, self->idev, self->ioas,
				      self->fault, NULL, 0, &self->paging));
	ASSERT_EQ(0, iopf_counts(&self->base));
}

FIXTURE_TEARDOWN(iopf)
{
	struct iopf_counts c;

	if (self->qfd > 0)
		close(self->qfd);
	close(self->fd);
	/* Whatever a test left outstanding went with the context. */
	if (!iopf_counts(&c))
		EXPECT_EQ(c.reported, c.success + c.invalid + c.failure);
}

/* Counts since the fixture was set up. */
static struct iopf_counts delta(struct __test_metadata *_metadata,
				const struct iopf_counts *base)
{
	struct iopf_counts c = { 0 };

	EXPECT_EQ(0, iopf_counts(&c));
	c.reported -= base->reported;
	c.success -= base->success;
	c.invalid -= base->invalid;
	c.failure -= base->failure;
	return c;
}

/* Trigger, poll, read one record, answer it. */
TEST_F(iopf, deliver_and_respond)
{
	struct iommu_hwpt_pgfault pgf[2];
	struct iopf_counts c;

	ASSERT_EQ(0, mock_replace(self->fd, self->stdev, self->nested));
	/* nothing queued: writable, not readable, read gives 0 */
	EXPECT_EQ(POLLOUT, events(self->qfd));
	EXPECT_EQ(0, read(self->qfd, pgf, sizeof(pgf)));

	ASSERT_EQ(0, trigger(self->fd, self->idev, 1, 2));
	EXPECT_EQ(POLLIN | POLLOUT, events(self->qfd));
	memset(pgf, 0xa5, sizeof(pgf));
	ASSERT_EQ((ssize_t)REC, read(self->qfd, pgf, sizeof(pgf)));
	EXPECT_EQ((__u32)(IOMMU_PGFAULT_FLAGS_PASID_VALID |
			  IOMMU_PGFAULT_FLAGS_LAST_PAGE), pgf[0].flags);
	EXPECT_EQ(self->idev, pgf[0].dev_id);
	EXPECT_EQ(1U, pgf[0].pasid);
	EXPECT_EQ(2U, pgf[0].grpid);
	EXPECT_EQ((__u32)RW, pgf[0].perm);
	EXPECT_EQ(0U, pgf[0].__reserved);
	EXPECT_EQ(FAULT_ADDR + 0x2000, pgf[0].addr);
	EXPECT_EQ(0U, pgf[0].length);
	EXPECT_NE(0U, pgf[0].cookie);
	/* read, so no longer readable; the second record was not written */
	EXPECT_EQ(POLLOUT, events(self->qfd));
	EXPECT_EQ(0xa5a5a5a5U, pgf[1].flags);
	EXPECT_EQ(0, read(self->qfd, pgf, sizeof(pgf)));

	c = delta(_metadata, &self->base);
	EXPECT_EQ(1, c.reported);
	EXPECT_EQ(0, c.success + c.invalid + c.failure);
	EXPECT_EQ(0, respond(self->qfd, pgf[0].cookie,
			     IOMMUFD_PAGE_RESP_SUCCESS));
	c = delta(_metadata, &self->base);
	EXPECT_EQ(1, c.success);
	EXPECT_EQ(0, c.invalid + c.failure);
	/* answered: the cookie is gone */
	EXPECT_EQ(-EINVAL, respond(self->qfd, pgf[0].cookie,
				   IOMMUFD_PAGE_RESP_SUCCESS));
}

/* Without a PASID, through a paging HWPT on the RID. */
TEST_F(iopf, rid_paging)
{
	struct iommu_hwpt_pgfault pgf;
	struct iopf_counts c;

	ASSERT_EQ(0, mock_replace(self->fd, self->stdev, self->paging));
	ASSERT_EQ(0, trigger(self->fd, self->idev, 0, 7));
	ASSERT_EQ((ssize_t)REC, read(self->qfd, &pgf, sizeof(pgf)));
	EXPECT_EQ((__u32)IOMMU_PGFAULT_FLAGS_LAST_PAGE, pgf.flags);
	EXPECT_EQ(self->idev, pgf.dev_id);
	EXPECT_EQ(7U, pgf.grpid);
	EXPECT_EQ(0, respond(self->qfd, pgf.cookie, IOMMUFD_PAGE_RESP_INVALID));
	c = delta(_metadata, &self->base);
	EXPECT_EQ(1, c.reported);
	EXPECT_EQ(1, c.invalid);
	EXPECT_EQ(0, c.success + c.failure);
}

/*
 * Requests nothing handles are answered "invalid" at once and never
 * queued: no fault queue on the RID's HWPT, or a PASID the device has no
 * attachment at while the RID holds a paging (not nested) HWPT.
 */
TEST_F(iopf, unhandled)
{
	struct iommu_hwpt_pgfault pgf;
	struct iopf_counts c;

	ASSERT_EQ(0, trigger(self->fd, self->idev, 0, 1));
	ASSERT_EQ(0, mock_replace(self->fd, self->stdev, self->plain_nested));
	ASSERT_EQ(0, trigger(self->fd, self->idev, 1, 2));
	ASSERT_EQ(0, mock_replace(self->fd, self->stdev, self->paging));
	ASSERT_EQ(0, trigger(self->fd, self->idev, 1, 3));
	EXPECT_EQ(POLLOUT, events(self->qfd));
	EXPECT_EQ(0, read(self->qfd, &pgf, sizeof(pgf)));
	c = delta(_metadata, &self->base);
	EXPECT_EQ(3, c.reported);
	EXPECT_EQ(3, c.invalid);
	EXPECT_EQ(0, c.success + c.failure);
	/* no such device */
	EXPECT_EQ(-ENOENT, trigger(self->fd, self->ioas + 1000, 0, 1));
}

/* Cookies name outstanding groups only; bad records change nothing. */
TEST_F(iopf, bad_responses)
{
	struct iommu_hwpt_page_response r[2];
	struct iommu_hwpt_pgfault pgf;
	struct iopf_counts c;

	ASSERT_EQ(0, mock_replace(self->fd, self->stdev, self->nested));
	ASSERT_EQ(0, trigger(self->fd, self->idev, 1, 2));
	ASSERT_EQ((ssize_t)REC, read(self->qfd, &pgf, sizeof(pgf)));
	EXPECT_EQ(-EINVAL, respond(self->qfd, pgf.cookie + 1,
				   IOMMUFD_PAGE_RESP_SUCCESS));
	EXPECT_EQ(-EINVAL, respond(self->qfd, 0, IOMMUFD_PAGE_RESP_SUCCESS));
	/* an unknown response code */
	EXPECT_EQ(-EINVAL, respond(self->qfd, pgf.cookie, 2));
	/* part of a record, or at a position */
	r[0] = (struct iommu_hwpt_page_response){ .cookie = pgf.cookie };
	EXPECT_EQ(-1, write(self->qfd, r, sizeof(r[0]) - 1));
	EXPECT_EQ(ESPIPE, errno);
	EXPECT_EQ(-1, pwrite(self->qfd, r, sizeof(r[0]), 8));
	EXPECT_EQ(ESPIPE, errno);
	c = delta(_metadata, &self->base);
	EXPECT_EQ(0, c.success + c.invalid + c.failure);
	/* a good record then a bad one: the good one is taken */
	r[1] = (struct iommu_hwpt_page_response){ .cookie = pgf.cookie + 1 };
	EXPECT_EQ((ssize_t)sizeof(r[0]), write(self->qfd, r, sizeof(r)));
	c = delta(_metadata, &self->base);
	EXPECT_EQ(1, c.success);
	EXPECT_EQ(0, c.invalid + c.failure);
}

/* Reads take whole records and whole groups, in the order they came. */
TEST_F(iopf, reads)
{
	struct iommu_hwpt_pgfault pgf[3];
	void *bad;

	ASSERT_EQ(0, mock_replace(self->fd, self->stdev, self->nested));
	ASSERT_EQ(0, trigger(self->fd, self->idev, 1, 2));
	ASSERT_EQ(0, trigger(self->fd, self->idev, 1, 3));
	ASSERT_EQ(0, trigger(self->fd, self->idev, 1, 4));
	/* part of a record, or at a position: nothing is taken */
	EXPECT_EQ(-1, read(self->qfd, pgf, REC - 1));
	EXPECT_EQ(ESPIPE, errno);
	EXPECT_EQ(-1, read(self->qfd, pgf, REC + 1));
	EXPECT_EQ(ESPIPE, errno);
	EXPECT_EQ(-1, pread(self->qfd, pgf, REC, REC));
	EXPECT_EQ(ESPIPE, errno);
	/* one record, then the two left */
	ASSERT_EQ((ssize_t)REC, read(self->qfd, pgf, REC));
	EXPECT_EQ(2U, pgf[0].grpid);
	ASSERT_EQ((ssize_t)(2 * REC), read(self->qfd, &pgf[1], 2 * REC));
	EXPECT_EQ(3U, pgf[1].grpid);
	EXPECT_EQ(4U, pgf[2].grpid);
	EXPECT_NE(pgf[0].cookie, pgf[1].cookie);
	EXPECT_NE(pgf[1].cookie, pgf[2].cookie);
	EXPECT_NE(pgf[0].cookie, pgf[2].cookie);
	/* answered in another order, two in one write */
	EXPECT_EQ(0, respond(self->qfd, pgf[1].cookie,
			     IOMMUFD_PAGE_RESP_SUCCESS));
	{
		struct iommu_hwpt_page_response r[2] = {
			{ .cookie = pgf[2].cookie },
			{ .cookie = pgf[0].cookie },
		};

		EXPECT_EQ((ssize_t)sizeof(r), write(self->qfd, r, sizeof(r)));
	}
	EXPECT_EQ(3, delta(_metadata, &self->base).success);
	/* a buffer the user cannot write: nothing is taken */
	ASSERT_EQ(0, trigger(self->fd, self->idev, 1, 5));
	bad = mmap(NULL, page_size(), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	ASSERT_NE(MAP_FAILED, bad);
	EXPECT_EQ(-1, read(self->qfd, bad, REC));
	EXPECT_EQ(EFAULT, errno);
	munmap(bad, page_size());
	EXPECT_EQ(POLLIN | POLLOUT, events(self->qfd));
	ASSERT_EQ((ssize_t)REC, read(self->qfd, pgf, REC));
	EXPECT_EQ(5U, pgf[0].grpid);
	EXPECT_EQ(0, respond(self->qfd, pgf[0].cookie,
			     IOMMUFD_PAGE_RESP_SUCCESS));
	EXPECT_EQ(4, delta(_metadata, &self->base).success);
}

/*
 * Replacing the HWPT answers the groups it had outstanding, read or not,
 * with "invalid"; their cookies are gone.
 */
TEST_F(iopf, replace_answers)
{
	struct iommu_hwpt_pgfault pgf;
	struct iopf_counts c;

	ASSERT_EQ(0, mock_replace(self->fd, self->stdev, self->nested));
	ASSERT_EQ(0, trigger(self->fd, self->idev, 1, 2));
	ASSERT_EQ((ssize_t)REC, read(self->qfd, &pgf, sizeof(pgf)));
	ASSERT_EQ(0, trigger(self->fd, self->idev, 1, 3));
	/* to another HWPT of the same queue */
	ASSERT_EQ(0, mock_replace(self->fd, self->stdev, self->paging));
	c = delta(_metadata, &self->base);
	EXPECT_EQ(2, c.reported);
	EXPECT_EQ(2, c.invalid);
	EXPECT_EQ(0, c.success + c.failure);
	EXPECT_EQ(POLLOUT, events(self->qfd));
	EXPECT_EQ(0, read(self->qfd, &pgf, sizeof(pgf)));
	EXPECT_EQ(-EINVAL, respond(self->qfd, pgf.cookie,
				   IOMMUFD_PAGE_RESP_SUCCESS));
	/* the new HWPT delivers; replacing with a HWPT without a queue */
	ASSERT_EQ(0, trigger(self->fd, self->idev, 0, 4));
	ASSERT_EQ(0, mock_replace(self->fd, self->stdev, self->ioas));
	c = delta(_metadata, &self->base);
	EXPECT_EQ(3, c.invalid);
	EXPECT_EQ(0, read(self->qfd, &pgf, sizeof(pgf)));
	/* the HWPTs are free to go, then the queue */
	EXPECT_EQ(0, obj_destroy(self->fd, self->nested));
	EXPECT_EQ(0, obj_destroy(self->fd, self->paging));
	close(self->qfd);
	self->qfd = -1;
	EXPECT_EQ(0, obj_destroy(self->fd, self->fault));
}

/*
 * The device goes away with groups outstanding, the queue's descriptor
 * closed: each is answered "invalid", and the objects go.
 */
TEST_F(iopf, destroy_outstanding)
{
	struct iommu_hwpt_pgfault pgf;
	struct iopf_counts c;

	ASSERT_EQ(0, mock_replace(self->fd, self->stdev, self->nested));
	ASSERT_EQ(0, trigger(self->fd, self->idev, 1, 2));
	ASSERT_EQ((ssize_t)REC, read(self->qfd, &pgf, sizeof(pgf)));
	ASSERT_EQ(0, trigger(self->fd, self->idev, 1, 3));
	close(self->qfd);
	self->qfd = -1;
	/* attached: the HWPT holds the queue */
	EXPECT_EQ(-EBUSY, obj_destroy(self->fd, self->nested));
	EXPECT_EQ(-EBUSY, obj_destroy(self->fd, self->fault));
	c = delta(_metadata, &self->base);
	EXPECT_EQ(0, c.success + c.invalid + c.failure);
	ASSERT_EQ(0, obj_destroy(self->fd, self->stdev));
	c = delta(_metadata, &self->base);
	EXPECT_EQ(2, c.reported);
	EXPECT_EQ(2, c.invalid);
	EXPECT_EQ(0, c.success + c.failure);
	EXPECT_EQ(0, obj_destroy(self->fd, self->nested));
	EXPECT_EQ(0, obj_destroy(self->fd, self->paging));
	EXPECT_EQ(0, obj_destroy(self->fd, self->fault));
}

/* Closing the context with groups outstanding answers them too. */
TEST_F(iopf, close_outstanding)
{
	struct iommu_hwpt_pgfault pgf;
	struct iopf_counts c;

	ASSERT_EQ(0, mock_replace(self->fd, self->stdev, self->nested));
	ASSERT_EQ(0, trigger(self->fd, self->idev, 1, 2));
	ASSERT_EQ((ssize_t)REC, read(self->qfd, &pgf, sizeof(pgf)));
	ASSERT_EQ(0, trigger(self->fd, self->idev, 1, 3));
	/* the descriptor first, then the context */
	close(self->qfd);
	self->qfd = -1;
	close(self->fd);
	self->fd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->fd);
	c = delta(_metadata, &self->base);
	EXPECT_EQ(2, c.reported);
	EXPECT_EQ(2, c.invalid);
	EXPECT_EQ(0, c.success + c.failure);
}

/*
 * The queue's descriptor keeps the context: with it open, closing
 * /dev/iommu answers nothing, the queue still works, and its close then
 * takes the context, and the device, with it.
 */
TEST_F(iopf, close_context_first)
{
	struct iommu_hwpt_pgfault pgf[2];
	struct iopf_counts c;

	ASSERT_EQ(0, mock_replace(self->fd, self->stdev, self->nested));
	ASSERT_EQ(0, trigger(self->fd, self->idev, 1, 2));
	ASSERT_EQ(0, trigger(self->fd, self->idev, 1, 3));
	ASSERT_EQ((ssize_t)REC, read(self->qfd, &pgf[0], REC));
	close(self->fd);
	self->fd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->fd);
	c = delta(_metadata, &self->base);
	EXPECT_EQ(2, c.reported);
	EXPECT_EQ(0, c.success + c.invalid + c.failure);
	ASSERT_EQ((ssize_t)REC, read(self->qfd, &pgf[1], REC));
	EXPECT_EQ(3U, pgf[1].grpid);
	EXPECT_EQ(0, respond(self->qfd, pgf[0].cookie,
			     IOMMUFD_PAGE_RESP_SUCCESS));
	close(self->qfd);
	self->qfd = -1;
	c = delta(_metadata, &self->base);
	EXPECT_EQ(1, c.success);
	EXPECT_EQ(1, c.invalid);
	EXPECT_EQ(0, c.failure);
}

TEST_HARNESS_MAIN
