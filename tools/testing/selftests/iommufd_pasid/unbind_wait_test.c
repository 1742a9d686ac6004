// SPDX-License-Identifier: GPL-2.0
/*
 * Unbinding a device must not wait on userspace.  IOMMU_GET_HW_INFO
 * copies its answer into a buffer whose page a userfaultfd never fills;
 * meanwhile the device node is closed (the unbind that sysfs unbind and
 * hot-unplug also run, under the device lock).  The unbind must complete
 * while the copy is still stuck, not when userspace lets it go.
 *
 * IOMMU_HWPT_ALLOC of a nested HWPT holds the device while vtd_sm copies
 * struct iommu_hwpt_vtd_s1 from userspace, so there the unbind waits, but
 * only up to iommufd_pasid's remove_timeout_ms (shortened here), whether
 * the node is closed or iommufd_pci is unbound in sysfs: then it
 * completes, the device can be bound again at once, and the ioctl, once
 * userspace lets its copy go, fails with ENODEV (the data was valid) or
 * the driver's EINVAL (it read zeros) and leaves nothing behind: the nest
 * parent and the IOAS can be destroyed.  kmemleak at the end of the run
 * checks the rest.  The bound cannot be set below 1 s: with 0 an unbind
 * would not wait at all for an ioctl still using the device's IOMMU data,
 * which a hot-unplug frees right after the unbind.
 *
 * The device node's own calls copy their arguments in before they lock
 * the node and their answers out after, so the device's removal (sysfs
 * unbind of iommufd_pci here), which takes that lock, never waits on a
 * copy that userspace stalls: a pwrite() of a BAR, a pread() of config
 * space and an IOMMUFD_PCI_ATTACH, each with its buffer in a
 * userfaultfd page.  The removal starts once the userfaultfd reports the
 * call's fault and the page is let go once the removal returned, so
 * each call has one result: the read had read config space before, the
 * write and the attach find the node removed after.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <linux/vfio.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "iommufd_utils.h"
#include "kselftest_harness.h"

/* How long userspace keeps the copy stuck before letting it go. */
#define STUCK_MS	3000

#define REMOVE_TIMEOUT	"/sys/module/iommufd_pasid/parameters/remove_timeout_ms"
/*
 * The bound the HWPT_ALLOC tests set, and how long they keep it stuck.
 * BOUND_MS is also the smallest bound iommufd_pasid accepts.
 */
#define BOUND_MS	1000
#define HWPT_STUCK_MS	8000
#define GPA_TABLE	0x80000000ULL

struct stuck_info {
	int iommufd;
	__u32 dev_id;
	void *buf;		/* in the userfaultfd-registered page */
	int rc;
	int done;
};

static void *hw_info_thread(void *arg)
{
	struct stuck_info *s = arg;
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.dev_id = s->dev_id,
		.data_len = sizeof(struct iommu_hw_info_vtd),
		.data_uptr = (__u64)(unsigned long)s->buf,
	};

	s->rc = xioctl(s->iommufd, IOMMU_GET_HW_INFO, &cmd);
	__atomic_store_n(&s->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Lets the copy go after STUCK_MS: closing the userfaultfd fails it. */
static void *watchdog_thread(void *arg)
{
	usleep(STUCK_MS * 1000);
	close(*(int *)arg);
	return NULL;
}

static int uffd_open(void *page, size_t len)
{
	struct uffdio_register reg = {
		.range = { .start = (unsigned long)page, .len = len },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	struct uffdio_api api = { .api = UFFD_API };
	int fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, UFFDIO_API, &api) || ioctl(fd, UFFDIO_REGISTER, &reg)) {
		close(fd);
		return -errno;
	}
	return fd;
}

TEST(unbind_while_hw_info_copy_is_stuck)
{
	struct stuck_info s = { 0 };
	long long t0, unbind_ms, waited;
	struct ifd_dev d;
	size_t psz = page_size();
	pthread_t t, w;
	void *page;
	int uffd, rc;

	rc = ifd_dev_setup(&d, 0);
	if (rc == -ENODEV)
		SKIP(return, "%s", d.err);
	ASSERT_EQ(0, rc) TH_LOG("%s", d.err);

	page = mmap(NULL, psz, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	uffd = uffd_open(page, psz);
	if (uffd < 0) {
		ifd_dev_teardown(&d);
		SKIP(return, "no userfaultfd: %s", strerror(-uffd));
	}

	s.iommufd = d.iommufd;
	s.dev_id = d.dev_id;
	s.buf = page;
	ASSERT_EQ(0, pthread_create(&t, NULL, hw_info_thread, &s));
	/* Let the copy reach the missing page. */
	usleep(300 * 1000);
	ASSERT_EQ(0, __atomic_load_n(&s.done, __ATOMIC_SEQ_CST))
		TH_LOG("HW_INFO returned %d without touching the page", s.rc);

	/*
	 * The watchdog lets the copy go after STUCK_MS: an unbind that waits
	 * for the ioctl finishes only then, one that does not before.
	 */
	t0 = now_ms();
	ASSERT_EQ(0, pthread_create(&w, NULL, watchdog_thread, &uffd));
	ifd_dev_close_node(&d);
	unbind_ms = now_ms() - t0;
	pthread_join(w, NULL);
	pthread_join(t, NULL);
	waited = now_ms() - t0;
	TH_LOG("unbind took %lld ms; HW_INFO ended after %lld ms with %d",
	       unbind_ms, waited, s.rc);
	EXPECT_GT(STUCK_MS / 2, unbind_ms);
	/*
	 * The ioctl put the device before its copy, so the unbind cannot
	 * change its answer; closing the userfaultfd lets the missing page
	 * fault in (as zeros), and the copy then succeeds.
	 */
	EXPECT_EQ(0, s.rc);

	munmap(page, psz);
	ifd_dev_teardown(&d);
}

/* ---- IOMMU_HWPT_ALLOC: the driver's own copy, under the bound ---- */

struct hwpt_stuck {
	int iommufd;
	__u32 dev_id;
	__u32 parent;
	void *page;		/* the userfaultfd-registered page */
	int uffd;
	int fill;		/* let the copy go by filling the page */
	struct iommu_hwpt_vtd_s1 s1;
	__u32 hwpt_id;
	int rc;
	int done;
};

static void *hwpt_alloc_thread(void *arg)
{
	struct hwpt_stuck *s = arg;

	s->rc = hwpt_alloc_data(s->iommufd, 0, s->dev_id, s->parent,
				IOMMU_HWPT_DATA_VTD_S1, s->page, sizeof(s->s1),
				&s->hwpt_id);
	__atomic_store_n(&s->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/*
 * After HWPT_STUCK_MS, let the copy go: fill the page with valid data, or
 * close the userfaultfd (the page then faults in as zeros).
 */
static void *hwpt_watchdog_thread(void *arg)
{
	struct hwpt_stuck *s = arg;
	size_t psz = page_size();
	struct uffdio_copy copy = {
		.dst = (unsigned long)s->page,
		.len = psz,
	};
	void *src;

	usleep(HWPT_STUCK_MS * 1000);
	src = calloc(1, psz);
	if (s->fill && src) {
		memcpy(src, &s->s1, sizeof(s->s1));
		copy.src = (unsigned long)src;
		ioctl(s->uffd, UFFDIO_COPY, &copy);
	}
	close(s->uffd);
	free(src);
	return NULL;
}

FIXTURE(hwpt_stuck) {
	struct ifd_dev d;
	struct iommu_hw_info_vtd vtd;
	char *gpa_page;
	__u32 ioas;
	__u32 parent;
	char timeout_orig[32];
	int timeout_set;
	int zero_rc;
};

FIXTURE_VARIANT(hwpt_stuck) {
	int fill;
	int sysfs;	/* unbind iommufd_pci in sysfs instead of closing */
	int zero;	/* try to set the bound to 0 after BOUND_MS */
};

FIXTURE_VARIANT_ADD(hwpt_stuck, copy_succeeds_late) {
	.fill = 1,
};

FIXTURE_VARIANT_ADD(hwpt_stuck, copy_reads_zeros_late) {
	.fill = 0,
};

/* The driver's remove: under the device lock, as a hot-unplug. */
FIXTURE_VARIANT_ADD(hwpt_stuck, sysfs_unbind) {
	.fill = 1,
	.sysfs = 1,
};

/* A bound of 0 is refused: the unbind still waits BOUND_MS. */
FIXTURE_VARIANT_ADD(hwpt_stuck, zero_bound_refused) {
	.fill = 1,
	.zero = 1,
};

FIXTURE_SETUP(hwpt_stuck)
{
	size_t psz = page_size();
	const char *what = "";
	int rc;

	self->gpa_page = buf_alloc(psz, 0);
	ASSERT_NE(NULL, self->gpa_page);
	rc = ifd_dev_setup(&self->d, 0);
	if (rc == -ENODEV)
		SKIP(return, "%s", self->d.err);
	ASSERT_EQ(0, rc) TH_LOG("%s", self->d.err);
	rc = hw_info_vtd(self->d.iommufd, self->d.dev_id, &self->vtd);
	what = "GET_HW_INFO";
	if (!rc && !(self->vtd.ecap_reg & VTD_ECAP_SLTS)) {
		ifd_dev_teardown(&self->d);
		SKIP(return, "no nest parent: unit without second-level translation");
	}
	if (!rc) {
		rc = ifd_dev_debug_nesting(&self->d, self->vtd.ecap_reg);
		what = "vtd_sm debug_nesting";
	}
	if (!rc) {
		rc = ioas_alloc(self->d.iommufd, &self->ioas);
		what = "IOAS_ALLOC";
	}
	if (!rc) {
		rc = ioas_map(self->d.iommufd, self->ioas, self->gpa_page, psz,
			      GPA_TABLE);
		what = "IOAS_MAP";
	}
	if (!rc) {
		rc = hwpt_alloc(self->d.iommufd, IOMMU_HWPT_ALLOC_NEST_PARENT,
				self->d.dev_id, self->ioas, &self->parent);
		what = "HWPT_ALLOC nest parent";
	}
	/*
	 * Without the parameter (a stack whose unbind waits without bound)
	 * the test goes on: the unbind then takes until userspace lets go.
	 */
	if (!rc && !file_read(REMOVE_TIMEOUT, self->timeout_orig,
			      sizeof(self->timeout_orig))) {
		rc = file_write(REMOVE_TIMEOUT, "%d\n", BOUND_MS);
		what = "set " REMOVE_TIMEOUT;
		self->timeout_set = !rc;
	}
	/* Judged by the test: the write must fail and leave BOUND_MS. */
	if (!rc && variant->zero)
		self->zero_rc = file_write(REMOVE_TIMEOUT, "0\n");
	if (rc)
		ifd_dev_teardown(&self->d);
	ASSERT_EQ(0, rc) TH_LOG("%s: %s", what, strerror(-rc));
}

FIXTURE_TEARDOWN(hwpt_stuck)
{
	if (self->timeout_set)
		file_write(REMOVE_TIMEOUT, "%s", self->timeout_orig);
	ifd_dev_teardown(&self->d);
}

TEST_F(hwpt_stuck, unbind_is_bounded)
{
	struct hwpt_stuck s = {
		.iommufd = self->d.iommufd,
		.dev_id = self->d.dev_id,
		.parent = self->parent,
		.fill = variant->fill,
		.s1 = {
			.pgtbl_addr = GPA_TABLE,
			.addr_width = 48,
		},
	};
	long long t0, unbind_ms, waited;
	struct iommu_hw_info_vtd vtd;
	__u32 old_id = self->d.dev_id;
	size_t psz = page_size();
	pthread_t t, w;
	int rc;

	if (!self->timeout_set)
		TH_LOG("no %s: the unbind waits without a bound", REMOVE_TIMEOUT);
	if (variant->zero)
		EXPECT_EQ(-EINVAL, self->zero_rc);
	s.page = mmap(NULL, psz, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, s.page);
	s.uffd = uffd_open(s.page, psz);
	if (s.uffd < 0)
		SKIP(return, "no userfaultfd: %s", strerror(-s.uffd));

	ASSERT_EQ(0, pthread_create(&t, NULL, hwpt_alloc_thread, &s));
	/* Let the driver's copy reach the missing page. */
	usleep(300 * 1000);
	ASSERT_EQ(0, __atomic_load_n(&s.done, __ATOMIC_SEQ_CST))
		TH_LOG("HWPT_ALLOC returned %d without touching the page", s.rc);

	t0 = now_ms();
	ASSERT_EQ(0, pthread_create(&w, NULL, hwpt_watchdog_thread, &s));
	if (variant->sysfs) {
		EXPECT_EQ(0, file_write(PCI_DRV "/unbind", "%s\n",
					self->d.bdf));
	} else {
		ifd_dev_close_node(&self->d);
	}
	unbind_ms = now_ms() - t0;
	TH_LOG("unbind took %lld ms (bound %d ms)", unbind_ms, BOUND_MS);
	/* Within the bound and some slack, long before userspace lets go. */
	EXPECT_GT(BOUND_MS + 2000, unbind_ms);
	/* But not before the bound: the ioctl still holds the device. */
	if (self->timeout_set)
		EXPECT_LE(BOUND_MS - 100, unbind_ms);

	/* The device is the kernel's again: it binds while the ioctl waits. */
	if (variant->sysfs) {
		ifd_dev_close_node(&self->d);
		EXPECT_EQ(0, edu_to_iommufd_pci(self->d.bdf));
	}
	rc = ifd_dev_bind(&self->d);
	EXPECT_EQ(0, rc) TH_LOG("%s", self->d.err);
	EXPECT_EQ(0, __atomic_load_n(&s.done, __ATOMIC_SEQ_CST));

	pthread_join(w, NULL);
	pthread_join(t, NULL);
	waited = now_ms() - t0;
	TH_LOG("HWPT_ALLOC ended after %lld ms with %d", waited, s.rc);
	/*
	 * Filled, the copy succeeds and finds the device gone; with the
	 * userfaultfd closed it reads zeros, which vtd_sm refuses.
	 */
	EXPECT_EQ(variant->fill ? -ENODEV : -EINVAL, s.rc);

	/*
	 * Nothing left: no nested HWPT holds the parent, and the old ID
	 * names nothing (unless the new binding got it again).
	 */
	if (!rc && old_id != self->d.dev_id)
		EXPECT_EQ(-ENOENT, obj_destroy(self->d.iommufd, old_id));
	EXPECT_EQ(0, obj_destroy(self->d.iommufd, self->parent));
	EXPECT_EQ(0, ioas_unmap(self->d.iommufd, self->ioas, GPA_TABLE, psz));
	EXPECT_EQ(0, obj_destroy(self->d.iommufd, self->ioas));
	/* The new binding works. */
	if (!rc) {
		EXPECT_EQ(0, hw_info_vtd(self->d.iommufd, self->d.dev_id,
					 &vtd));
	}
	munmap(s.page, psz);
}

/*
 * The bound has a floor: below BOUND_MS the write fails with EINVAL and
 * the bound stays as it was; BOUND_MS itself is taken.
 */
TEST(remove_timeout_floor)
{
	char orig[32], now[32];

	ASSERT_EQ(0, file_read(REMOVE_TIMEOUT, orig, sizeof(orig)));
	EXPECT_EQ(-EINVAL, file_write(REMOVE_TIMEOUT, "0\n"));
	EXPECT_EQ(-EINVAL, file_write(REMOVE_TIMEOUT, "%d\n", BOUND_MS - 1));
	ASSERT_EQ(0, file_read(REMOVE_TIMEOUT, now, sizeof(now)));
	EXPECT_STREQ(orig, now);
	EXPECT_EQ(0, file_write(REMOVE_TIMEOUT, "%d\n", BOUND_MS));
	ASSERT_EQ(0, file_read(REMOVE_TIMEOUT, now, sizeof(now)));
	EXPECT_EQ(BOUND_MS, atoi(now));
	ASSERT_EQ(0, file_write(REMOVE_TIMEOUT, "%s", orig));
}

/* ---- the device node's calls, against the device's removal ---- */

enum node_call { NODE_BAR_WRITE, NODE_CONFIG_READ, NODE_ATTACH };

struct node_stuck {
	int devfd;
	enum node_call call;
	void *page;
	long rc;
	int done;
};

/*
 * Wait up to @ms for the first fault the userfaultfd @uffd reports: the
 * faulting thread then sleeps in the kernel until the page is let go.
 * Reading the report does not wake it.  0, or -ETIMEDOUT or -errno.
 */
static int uffd_wait_fault(int uffd, int ms)
{
	struct pollfd p = { .fd = uffd, .events = POLLIN };
	struct uffd_msg msg;
	ssize_t n;

	if (poll(&p, 1, ms) != 1)
		return -ETIMEDOUT;
	n = read(uffd, &msg, sizeof(msg));
	if (n < 0)
		return -errno;
	return n == sizeof(msg) && msg.event == UFFD_EVENT_PAGEFAULT ?
	       0 : -EIO;
}

/*
 * Lets the page go (closes the userfaultfd) once the removal has returned
 * (a byte on @done[0]), or after STUCK_MS if it has not by then: a removal
 * that waits for the call finishes only then, and fails the test.
 */
struct node_release {
	int uffd;
	int done[2];
};

static void *node_release_thread(void *arg)
{
	struct node_release *r = arg;
	struct pollfd p = { .fd = r->done[0], .events = POLLIN };

	poll(&p, 1, STUCK_MS);
	close(r->uffd);
	return NULL;
}

static void *node_call_thread(void *arg)
{
	struct node_stuck *s = arg;
	/* Config space from its start: vendor and device ID */
	const off_t cfg = (off_t)VFIO_PCI_CONFIG_REGION_INDEX << 40;

	switch (s->call) {
	case NODE_BAR_WRITE:
		s->rc = pwrite(s->devfd, s->page, 4, EDU_LIVE_REG);
		break;
	case NODE_CONFIG_READ:
		s->rc = pread(s->devfd, s->page, 4, cfg);
		break;
	case NODE_ATTACH:
		s->rc = ioctl(s->devfd, IOMMUFD_PCI_ATTACH, s->page);
		break;
	}
	if (s->rc < 0)
		s->rc = -errno;
	__atomic_store_n(&s->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

FIXTURE(node_stuck) {
	struct ifd_dev d;
};

/* @rc: what the call returns, its page let go after the removal */
FIXTURE_VARIANT(node_stuck) {
	enum node_call call;
	long rc;
};

/*
 * Stuck copying the value in, before it locks the node: the page reads
 * as zeros once let go, and the node is removed by then.
 */
FIXTURE_VARIANT_ADD(node_stuck, bar_write) {
	.call = NODE_BAR_WRITE,
	.rc = -ENODEV,
};

/*
 * Stuck copying its answer out, after it read config space under the
 * node's lock: the copy succeeds once the page is let go, with the IDs
 * read before the removal.
 */
FIXTURE_VARIANT_ADD(node_stuck, config_read) {
	.call = NODE_CONFIG_READ,
	.rc = 4,
};

/*
 * Stuck copying struct iommufd_pci_attach in: zeros once let go (argsz
 * 0, EINVAL), but the node's state wins and it is removed by then.
 */
FIXTURE_VARIANT_ADD(node_stuck, attach) {
	.call = NODE_ATTACH,
	.rc = -ENODEV,
};

FIXTURE_SETUP(node_stuck)
{
	int rc = ifd_dev_setup(&self->d, 0);

	if (rc == -ENODEV)
		SKIP(return, "%s", self->d.err);
	ASSERT_EQ(0, rc) TH_LOG("%s", self->d.err);
}

FIXTURE_TEARDOWN(node_stuck)
{
	ifd_dev_teardown(&self->d);
}

TEST_F(node_stuck, removal_does_not_wait)
{
	struct node_stuck s = {
		.devfd = self->d.devfd,
		.call = variant->call,
	};
	struct node_release r;
	long long t0, unbind_ms;
	size_t psz = page_size();
	pthread_t t, w;
	int rc;

	s.page = mmap(NULL, psz, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, s.page);
	r.uffd = uffd_open(s.page, psz);
	if (r.uffd < 0)
		SKIP(return, "no userfaultfd: %s", strerror(-r.uffd));
	ASSERT_EQ(0, pipe(r.done));

	ASSERT_EQ(0, pthread_create(&t, NULL, node_call_thread, &s));
	/* The call is stuck on its page: all before that copy is done. */
	rc = uffd_wait_fault(r.uffd, STUCK_MS);
	ASSERT_EQ(0, rc)
		TH_LOG("no fault on the page (%d); the call %s with %ld", rc,
		       __atomic_load_n(&s.done, __ATOMIC_SEQ_CST) ?
		       "returned" : "is still running", s.rc);
	ASSERT_EQ(0, __atomic_load_n(&s.done, __ATOMIC_SEQ_CST));

	t0 = now_ms();
	ASSERT_EQ(0, pthread_create(&w, NULL, node_release_thread, &r));
	EXPECT_EQ(0, file_write(PCI_DRV "/unbind", "%s\n", self->d.bdf));
	unbind_ms = now_ms() - t0;
	EXPECT_EQ(1, write(r.done[1], "", 1));
	pthread_join(w, NULL);
	pthread_join(t, NULL);
	TH_LOG("removal took %lld ms; the call ended after %lld ms with %ld",
	       unbind_ms, now_ms() - t0, s.rc);
	EXPECT_GT(STUCK_MS / 2, unbind_ms);
	EXPECT_EQ(variant->rc, s.rc);
	/* Vendor and device ID, little endian, as read before the removal */
	if (variant->call == NODE_CONFIG_READ)
		EXPECT_EQ((__u32)EDU_DEVICE << 16 | EDU_VENDOR,
			  *(__u32 *)s.page);

	/* The device is iommufd_pci's again and binds. */
	ifd_dev_close_node(&self->d);
	EXPECT_EQ(0, edu_to_iommufd_pci(self->d.bdf));
	EXPECT_EQ(0, ifd_dev_bind(&self->d)) TH_LOG("%s", self->d.err);
	close(r.done[0]);
	close(r.done[1]);
	munmap(s.page, psz);
}

TEST_HARNESS_MAIN
