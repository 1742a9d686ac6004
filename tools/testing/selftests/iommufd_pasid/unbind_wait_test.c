// SPDX-License-Identifier: GPL-2.0
/*
 * Unbinding a device must not wait on userspace.  IOMMU_GET_HW_INFO
 * copies its answer into a buffer whose page a userfaultfd never fills;
 * meanwhile the device node is closed (the unbind that sysfs unbind and
 * hot-unplug also run, under the device lock).  The unbind must complete
 * while the copy is still stuck, not when userspace lets it go.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdio.h>
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
	/* The copy failed (the page never came), or it ran after the unbind. */
	EXPECT_TRUE(s.rc == -EFAULT || s.rc == 0 || s.rc == -ENOENT);

	munmap(page, psz);
	ifd_dev_teardown(&d);
}

TEST_HARNESS_MAIN
