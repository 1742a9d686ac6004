// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl surface of /dev/iommu against mainline v6.15: every mainline
 * ioctl is dispatched with mainline's size checks (too short: EINVAL;
 * unknown non-zero tail: E2BIG; never ENOTTY), and IOMMU_OPTION,
 * IOMMU_IOAS_MAP_FILE, IOMMU_IOAS_CHANGE_PROCESS, IOMMU_FAULT_QUEUE_ALLOC
 * and the ioctls of features no driver here has (dirty tracking, vIOMMU,
 * vDEVICE, vEVENTQ) answer as mainline does, in success and error paths.
 * The tests that need a HWPT use edu through iommufd_pci and skip
 * without it.
 */
#include <assert.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "iommufd_utils.h"

#include "kselftest_harness.h"

struct ioctl_size {
	const char *name;
	unsigned long cmd;
	size_t min;
	size_t full;
};

#define SZ(_cmd, _min, _full)	{ #_cmd, _cmd, _min, _full }

/*
 * mainline v6.15's sizes: the smallest accepted (the structure as first
 * released) and the whole structure
 */
static const struct ioctl_size sizes[] = {
	SZ(IOMMU_DESTROY, 8, 8),
	SZ(IOMMU_FAULT_QUEUE_ALLOC, 16, 16),
	SZ(IOMMU_GET_HW_INFO, 32, 40),
	SZ(IOMMU_HWPT_ALLOC, 24, 48),
	SZ(IOMMU_HWPT_GET_DIRTY_BITMAP, 48, 48),
	SZ(IOMMU_HWPT_INVALIDATE, 32, 32),
	SZ(IOMMU_HWPT_SET_DIRTY_TRACKING, 16, 16),
	SZ(IOMMU_IOAS_ALLOC, 12, 12),
	SZ(IOMMU_IOAS_ALLOW_IOVAS, 24, 24),
	SZ(IOMMU_IOAS_CHANGE_PROCESS, 8, 8),
	SZ(IOMMU_IOAS_COPY, 40, 40),
	SZ(IOMMU_IOAS_IOVA_RANGES, 32, 32),
	SZ(IOMMU_IOAS_MAP, 40, 40),
	SZ(IOMMU_IOAS_MAP_FILE, 40, 40),
	SZ(IOMMU_IOAS_UNMAP, 24, 24),
	SZ(IOMMU_OPTION, 24, 24),
	SZ(IOMMU_VDEVICE_ALLOC, 24, 24),
	SZ(IOMMU_VEVENTQ_ALLOC, 28, 32),
	SZ(IOMMU_VFIO_IOAS, 12, 12),
	/* v6.15 ends at out_viommu_id; later mainline adds data_uptr */
	SZ(IOMMU_VIOMMU_ALLOC, 24, 40),
	/* EXTENSION */
	SZ(IOMMU_PASID_ALLOC, 24, 24),
	SZ(IOMMU_PASID_FREE, 8, 8),
};

/* The full structures of the header are mainline's. */
static const size_t header_sizes[] = {
	sizeof(struct iommu_destroy), sizeof(struct iommu_fault_alloc),
	sizeof(struct iommu_hw_info), sizeof(struct iommu_hwpt_alloc),
	sizeof(struct iommu_hwpt_get_dirty_bitmap),
	sizeof(struct iommu_hwpt_invalidate),
	sizeof(struct iommu_hwpt_set_dirty_tracking),
	sizeof(struct iommu_ioas_alloc), sizeof(struct iommu_ioas_allow_iovas),
	sizeof(struct iommu_ioas_change_process),
	sizeof(struct iommu_ioas_copy), sizeof(struct iommu_ioas_iova_ranges),
	sizeof(struct iommu_ioas_map), sizeof(struct iommu_ioas_map_file),
	sizeof(struct iommu_ioas_unmap), sizeof(struct iommu_option),
	sizeof(struct iommu_vdevice_alloc), sizeof(struct iommu_veventq_alloc),
	sizeof(struct iommu_vfio_ioas), sizeof(struct iommu_viommu_alloc),
	sizeof(struct iommu_pasid_alloc), sizeof(struct iommu_pasid_free),
};

/* Records of the fault and vEVENT queues. */
static_assert(sizeof(struct iommu_hwpt_pgfault) == 40, "pgfault");
static_assert(sizeof(struct iommu_hwpt_page_response) == 8, "response");
static_assert(sizeof(struct iommufd_vevent_header) == 8, "vevent");
static_assert(sizeof(struct iommu_hw_info_arm_smmuv3) == 40, "smmuv3");

static int drop_caps(unsigned long long mask)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[0].effective &= ~(__u32)mask;
	data[1].effective &= ~(__u32)(mask >> 32);
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

#define CAP(n)	(1ULL << (n))

static int option(int fd, __u32 id, __u16 op, __u32 obj, __u64 *val)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = id,
		.op = op,
		.object_id = obj,
		.val64 = *val,
	};
	int rc = xioctl(fd, IOMMU_OPTION, &cmd);

	*val = cmd.val64;
	return rc;
}

static int map_file(int fd, __u32 ioas, int mfd, __u64 start, __u64 len,
		    __u32 flags, __u64 *iova)
{
	struct iommu_ioas_map_file cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas,
		.fd = mfd,
		.start = start,
		.length = len,
		.iova = *iova,
	};
	int rc = xioctl(fd, IOMMU_IOAS_MAP_FILE, &cmd);

	if (!rc)
		*iova = cmd.iova;
	return rc;
}

static int change_process(int fd)
{
	struct iommu_ioas_change_process cmd = { .size = sizeof(cmd) };

	return xioctl(fd, IOMMU_IOAS_CHANGE_PROCESS, &cmd);
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

/*
 * A "Vm..:" line of a process's status in kB, or -errno: VmPin is the
 * pages charged to its mm->pinned_vm, VmLck its mm->locked_vm.
 */
static long vm_kb(pid_t pid, const char *key)
{
	char path[64], buf[4096], *p;
	int rc;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	rc = file_read(path, buf, sizeof(buf));
	if (rc)
		return rc;
	p = strstr(buf, key);
	return p ? strtol(p + strlen(key), NULL, 10) : -ENOENT;
}

static long vm_pin_kb(pid_t pid)
{
	return vm_kb(pid, "VmPin:");
}

static long vm_lck_kb(pid_t pid)
{
	return vm_kb(pid, "VmLck:");
}

/*
 * Runs @fn in a child process (for tests that drop capabilities or need a
 * second process) and returns its exit status, 0 for success.
 */
static int in_child(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (!pid)
		_exit(fn(arg));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -ECHILD;
	return WEXITSTATUS(status);
}

static int memfd_of(size_t len)
{
	int mfd = memfd_create("uapi_test", 0);

	if (mfd < 0)
		return -errno;
	if (ftruncate(mfd, len)) {
		close(mfd);
		return -errno;
	}
	return mfd;
}

FIXTURE(uapi) {
	int fd;
	__u32 ioas;
	size_t psz;
	void *buf;
};

FIXTURE_SETUP(uapi)
{
	self->psz = page_size();
	self->fd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas));
	self->buf = buf_alloc(16 * self->psz, 0x5a);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(uapi)
{
	close(self->fd);
	munmap(self->buf, 16 * self->psz);
}

/* mainline's cmd_length: short is EINVAL, a non-zero tail E2BIG */
TEST_F(uapi, cmd_length)
{
	unsigned char arg[128];
	size_t i;

	ASSERT_EQ(ARRAY_SIZE(sizes), ARRAY_SIZE(header_sizes));
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		const struct ioctl_size *s = &sizes[i];
		__u32 size;

		EXPECT_EQ(s->full, header_sizes[i]) TH_LOG("%s", s->name);

		ASSERT_LE(s->full + 8, sizeof(arg));
		memset(arg, 0, sizeof(arg));
		size = s->min - 1;
		memcpy(arg, &size, sizeof(size));
		EXPECT_EQ(-EINVAL, xioctl(self->fd, s->cmd, arg))
			TH_LOG("%s: size %u", s->name, size);

		memset(arg, 0, sizeof(arg));
		size = s->full + 8;
		memcpy(arg, &size, sizeof(size));
		arg[s->full + 7] = 0xaa;
		EXPECT_EQ(-E2BIG, xioctl(self->fd, s->cmd, arg))
			TH_LOG("%s: size %u, tail not zero", s->name, size);
	}
}

/* Numbers nothing defines, or defined ones with wrong bits: ENOTTY. */
TEST_F(uapi, unknown_ioctl)
{
	__u32 arg[16] = { sizeof(arg) };

	/* the first number after v6.15's (a later mainline's) */
	EXPECT_EQ(-ENOTTY, xioctl(self->fd, _IO(';', 0x94), arg));
	EXPECT_EQ(-ENOTTY, xioctl(self->fd, _IO(';', 0xbf), arg));
	EXPECT_EQ(-ENOTTY, xioctl(self->fd, _IO(';', 0xc2), arg));
	/* IOMMU_DESTROY's number with a direction and size */
	EXPECT_EQ(-ENOTTY, xioctl(self->fd, _IOW(';', 0x80, __u64), arg));
	/* below VFIO_BASE, and VFIO ioctls /dev/iommu does not emulate */
	EXPECT_EQ(-ENOTTY, xioctl(self->fd, _IO(';', 0x63), arg));
	EXPECT_EQ(-ENOTTY, xioctl(self->fd, _IO(';', 100 + 17), arg));
}

TEST_F(uapi, option_rlimit_mode)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_GET,
	};
	__u64 val = 0;
	int fd;

	fd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, option(fd, IOMMU_OPTION_RLIMIT_MODE,
			    IOMMU_OPTION_OP_GET, 0, &val));
	EXPECT_EQ(0ULL, val);
	val = 2;
	EXPECT_EQ(-EINVAL, option(fd, IOMMU_OPTION_RLIMIT_MODE,
				  IOMMU_OPTION_OP_SET, 0, &val));
	val = 1;
	EXPECT_EQ(-EOPNOTSUPP, option(fd, IOMMU_OPTION_RLIMIT_MODE,
				      IOMMU_OPTION_OP_SET, 1, &val));
	EXPECT_EQ(-EOPNOTSUPP, option(fd, IOMMU_OPTION_RLIMIT_MODE, 2, 0,
				      &val));
	EXPECT_EQ(-EOPNOTSUPP, option(fd, 2, IOMMU_OPTION_OP_GET, 0, &val));
	cmd.__reserved = 1;
	EXPECT_EQ(-EOPNOTSUPP, xioctl(fd, IOMMU_OPTION, &cmd));

	val = 1;
	ASSERT_EQ(0, option(fd, IOMMU_OPTION_RLIMIT_MODE,
			    IOMMU_OPTION_OP_SET, 0, &val));
	val = 0;
	ASSERT_EQ(0, option(fd, IOMMU_OPTION_RLIMIT_MODE,
			    IOMMU_OPTION_OP_GET, 0, &val));
	EXPECT_EQ(1ULL, val);
	/* a context with objects keeps its mode */
	val = 0;
	EXPECT_EQ(-EBUSY, option(self->fd, IOMMU_OPTION_RLIMIT_MODE,
				 IOMMU_OPTION_OP_SET, 0, &val));
	close(fd);
}

static int rlimit_mode_unprivileged(void *arg)
{
	__u64 val = 1;
	int fd = open("/dev/iommu", O_RDWR);

	if (fd < 0 || drop_caps(CAP(CAP_SYS_RESOURCE)))
		return 10;
	if (option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0,
		   &val) != -EPERM)
		return 11;
	/* reading needs no privilege */
	if (option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0,
		   &val) || val != 0)
		return 12;
	return 0;
}

TEST_F(uapi, option_rlimit_mode_needs_cap_sys_resource)
{
	EXPECT_EQ(0, in_child(rlimit_mode_unprivileged, NULL));
}

TEST_F(uapi, option_huge_pages)
{
	__u32 fault_id;
	__u64 val = 0;
	int qfd;

	ASSERT_EQ(0, option(self->fd, IOMMU_OPTION_HUGE_PAGES,
			    IOMMU_OPTION_OP_GET, self->ioas, &val));
	EXPECT_EQ(1ULL, val);
	val = 0;
	ASSERT_EQ(0, option(self->fd, IOMMU_OPTION_HUGE_PAGES,
			    IOMMU_OPTION_OP_SET, self->ioas, &val));
	val = 1;
	ASSERT_EQ(0, option(self->fd, IOMMU_OPTION_HUGE_PAGES,
			    IOMMU_OPTION_OP_GET, self->ioas, &val));
	EXPECT_EQ(0ULL, val);
	/* off: the IOAS needs CPU page alignment, without any domain */
	EXPECT_EQ(self->psz, iova_alignment(self->fd, self->ioas));
	EXPECT_EQ(-EINVAL, ioas_map(self->fd, self->ioas, self->buf + 8,
				    self->psz, 0x100000));
	/* a page-aligned mapping without a domain does not stop it changing */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, self->buf, self->psz,
			      0x100000));
	val = 1;
	EXPECT_EQ(0, option(self->fd, IOMMU_OPTION_HUGE_PAGES,
			    IOMMU_OPTION_OP_SET, self->ioas, &val));
	EXPECT_EQ(1ULL, iova_alignment(self->fd, self->ioas));
	/* a byte-granular one does: it would not fit the alignment */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, self->buf + 8, 100,
			      0x200008));
	val = 0;
	EXPECT_EQ(-EADDRINUSE, option(self->fd, IOMMU_OPTION_HUGE_PAGES,
				      IOMMU_OPTION_OP_SET, self->ioas, &val));
	EXPECT_EQ(0, option(self->fd, IOMMU_OPTION_HUGE_PAGES,
			    IOMMU_OPTION_OP_GET, self->ioas, &val));
	EXPECT_EQ(1ULL, val);
	val = 2;
	EXPECT_EQ(-EINVAL, option(self->fd, IOMMU_OPTION_HUGE_PAGES,
				  IOMMU_OPTION_OP_SET, self->ioas, &val));
	EXPECT_EQ(-EOPNOTSUPP, option(self->fd, IOMMU_OPTION_HUGE_PAGES, 2,
				      self->ioas, &val));
	EXPECT_EQ(-ENOENT, option(self->fd, IOMMU_OPTION_HUGE_PAGES,
				  IOMMU_OPTION_OP_GET, 0, &val));
	EXPECT_EQ(-ENOENT, option(self->fd, IOMMU_OPTION_HUGE_PAGES,
				  IOMMU_OPTION_OP_GET, self->ioas + 100, &val));
	/* an object of another type */
	ASSERT_EQ(0, fault_alloc(self->fd, &fault_id, &qfd));
	EXPECT_EQ(-ENOENT, option(self->fd, IOMMU_OPTION_HUGE_PAGES,
				  IOMMU_OPTION_OP_GET, fault_id, &val));
	close(qfd);
}

TEST_F(uapi, map_file)
{
	size_t len = 4 * self->psz;
	__u64 iova = 0;
	int mfd, nfd;

	mfd = memfd_of(len);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, map_file(self->fd, self->ioas, mfd, self->psz,
			      2 * self->psz, RW_MAP, &iova));
	EXPECT_NE(0ULL, iova);
	/* the mapping is there: unmapping it gives its length back */
	EXPECT_EQ(0, ioas_unmap(self->fd, self->ioas, iova, 2 * self->psz));
	iova = 0x200000;
	ASSERT_EQ(0, map_file(self->fd, self->ioas, mfd, 0, len,
			      RW_MAP | IOMMU_IOAS_MAP_FIXED_IOVA, &iova));
	EXPECT_EQ(0x200000ULL, iova);
	EXPECT_EQ(-EEXIST, map_file(self->fd, self->ioas, mfd, 0, len,
				    RW_MAP | IOMMU_IOAS_MAP_FIXED_IOVA, &iova));

	iova = 0;
	EXPECT_EQ(-EOPNOTSUPP, map_file(self->fd, self->ioas, mfd, 0, len,
					RW_MAP | (1 << 3), &iova));
	EXPECT_EQ(-EINVAL, map_file(self->fd, self->ioas, mfd, 0, len,
				    IOMMU_IOAS_MAP_FIXED_IOVA, &iova));
	EXPECT_EQ(-EINVAL, map_file(self->fd, self->ioas, mfd, 0, 0,
				    RW_MAP, &iova));
	EXPECT_EQ(-EOVERFLOW, map_file(self->fd, self->ioas, mfd, 0, ~0ULL,
				       RW_MAP, &iova));
	EXPECT_EQ(-ENOENT, map_file(self->fd, self->ioas + 100, mfd, 0, len,
				    RW_MAP, &iova));
	EXPECT_EQ(-EBADF, map_file(self->fd, self->ioas, -1, 0, len, RW_MAP,
				   &iova));
	/*
	 * Without a domain nothing is pinned, so, as in mainline, a byte
	 * offset, a range beyond the end of the file and a file that is no
	 * memfd are all accepted here (uapi_dev.map_file_pins refuses the
	 * last two when a domain pins them).
	 */
	iova = 0x400001;
	EXPECT_EQ(0, map_file(self->fd, self->ioas, mfd, 1, 100,
			      RW_MAP | IOMMU_IOAS_MAP_FIXED_IOVA, &iova));
	EXPECT_EQ(0, ioas_unmap(self->fd, self->ioas, 0x400001, 100));
	iova = 0;
	EXPECT_EQ(0, map_file(self->fd, self->ioas, mfd, len, len, RW_MAP,
			      &iova));
	EXPECT_EQ(0, ioas_unmap(self->fd, self->ioas, iova, len));
	nfd = open("/dev/zero", O_RDWR);
	ASSERT_LE(0, nfd);
	iova = 0;
	EXPECT_EQ(0, map_file(self->fd, self->ioas, nfd, 0, len, RW_MAP,
			      &iova));
	EXPECT_EQ(0, ioas_unmap(self->fd, self->ioas, iova, len));
	close(nfd);
	close(mfd);
}

/* Devices may write through a writeable file mapping: the file must allow it. */
TEST_F(uapi, map_file_write_permission)
{
	size_t len = 2 * self->psz;
	__u64 iova = 0;
	char path[64];
	int mfd, rfd;

	mfd = memfd_create("uapi_test", MFD_ALLOW_SEALING);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, len));
	/* a descriptor open for reading only: read-only mappings */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	rfd = open(path, O_RDONLY);
	ASSERT_LE(0, rfd);
	EXPECT_EQ(-EPERM, map_file(self->fd, self->ioas, rfd, 0, len, RW_MAP,
				   &iova));
	ASSERT_EQ(0, map_file(self->fd, self->ioas, rfd, 0, len,
			      IOMMU_IOAS_MAP_READABLE, &iova));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, iova, len));

	/* a writeable mapping keeps F_SEAL_WRITE off while it exists ... */
	iova = 0;
	ASSERT_EQ(0, map_file(self->fd, self->ioas, mfd, 0, len, RW_MAP,
			      &iova));
	EXPECT_EQ(-1, fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE));
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, iova, len));
	/* ... and a sealed memfd cannot be mapped writeable */
	ASSERT_EQ(0, fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE));
	EXPECT_EQ(-EPERM, map_file(self->fd, self->ioas, mfd, 0, len, RW_MAP,
				   &iova));
	EXPECT_EQ(0, map_file(self->fd, self->ioas, mfd, 0, len,
			      IOMMU_IOAS_MAP_READABLE, &iova));
	close(rfd);
	close(mfd);
}

TEST_F(uapi, change_process)
{
	struct iommu_ioas_change_process cmd = {
		.size = sizeof(cmd),
		.__reserved = 1,
	};
	size_t len = 4 * self->psz;
	__u64 iova = 0;
	int mfd;

	EXPECT_EQ(-EOPNOTSUPP, xioctl(self->fd, IOMMU_IOAS_CHANGE_PROCESS,
				      &cmd));
	/* nothing mapped: nothing to move */
	EXPECT_EQ(0, change_process(self->fd));
	mfd = memfd_of(len);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, map_file(self->fd, self->ioas, mfd, 0, len, RW_MAP,
			      &iova));
	EXPECT_EQ(0, change_process(self->fd));
	/* one mapping of user memory makes it refuse, changing nothing */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, self->buf, self->psz,
			      0x100000));
	EXPECT_EQ(-EINVAL, change_process(self->fd));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, 0x100000, self->psz));
	EXPECT_EQ(0, change_process(self->fd));
	close(mfd);
}

TEST_F(uapi, fault_queue)
{
	struct iommu_hwpt_page_response resp = { .cookie = 1 };
	struct iommu_fault_alloc cmd = { .size = sizeof(cmd), .flags = 1 };
	struct iommu_hwpt_pgfault pgf[2];
	__u32 id;
	int qfd;

	EXPECT_EQ(-EOPNOTSUPP, xioctl(self->fd, IOMMU_FAULT_QUEUE_ALLOC, &cmd));
	ASSERT_EQ(0, fault_alloc(self->fd, &id, &qfd));
	ASSERT_LE(0, qfd);
	/* nothing queued */
	EXPECT_EQ(0, read(qfd, pgf, sizeof(pgf)));
	EXPECT_EQ(-1, read(qfd, pgf, sizeof(pgf[0]) - 1));
	EXPECT_EQ(ESPIPE, errno);
	/* no request is outstanding: no cookie is valid */
	EXPECT_EQ(-1, write(qfd, &resp, sizeof(resp)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, write(qfd, &resp, 3));
	EXPECT_EQ(ESPIPE, errno);
	/* the descriptor keeps the object */
	EXPECT_EQ(-EBUSY, obj_destroy(self->fd, id));
	close(qfd);
	EXPECT_EQ(0, obj_destroy(self->fd, id));
	EXPECT_EQ(-ENOENT, obj_destroy(self->fd, id));
}

/* vIOMMU objects never exist: vDEVICE and vEVENTQ find none. */
TEST_F(uapi, viommu_family)
{
	struct iommu_viommu_alloc va = {
		.size = sizeof(va),
		.type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
		.dev_id = self->ioas,
	};
	struct iommu_vdevice_alloc vd = {
		.size = sizeof(vd),
		.viommu_id = self->ioas,
	};
	struct iommu_veventq_alloc vq = {
		.size = sizeof(vq),
		.viommu_id = self->ioas,
		.type = IOMMU_VEVENTQ_TYPE_ARM_SMMUV3,
		.veventq_depth = 8,
	};

	/* dev_id names no device */
	EXPECT_EQ(-ENOENT, xioctl(self->fd, IOMMU_VIOMMU_ALLOC, &va));
	va.type = IOMMU_VIOMMU_TYPE_DEFAULT;
	EXPECT_EQ(-EOPNOTSUPP, xioctl(self->fd, IOMMU_VIOMMU_ALLOC, &va));
	va.type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3;
	va.flags = 1;
	EXPECT_EQ(-EOPNOTSUPP, xioctl(self->fd, IOMMU_VIOMMU_ALLOC, &va));

	EXPECT_EQ(-ENOENT, xioctl(self->fd, IOMMU_VDEVICE_ALLOC, &vd));

	EXPECT_EQ(-ENOENT, xioctl(self->fd, IOMMU_VEVENTQ_ALLOC, &vq));
	vq.veventq_depth = 0;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, IOMMU_VEVENTQ_ALLOC, &vq));
	vq.veventq_depth = 8;
	vq.type = IOMMU_VEVENTQ_TYPE_DEFAULT;
	EXPECT_EQ(-EOPNOTSUPP, xioctl(self->fd, IOMMU_VEVENTQ_ALLOC, &vq));
	vq.type = IOMMU_VEVENTQ_TYPE_ARM_SMMUV3;
	vq.__reserved = 1;
	EXPECT_EQ(-EOPNOTSUPP, xioctl(self->fd, IOMMU_VEVENTQ_ALLOC, &vq));
}

TEST_F(uapi, dirty_tracking_without_hwpt)
{
	struct iommu_hwpt_set_dirty_tracking set = {
		.size = sizeof(set),
		.hwpt_id = self->ioas,
	};
	struct iommu_hwpt_get_dirty_bitmap get = {
		.size = sizeof(get),
		.hwpt_id = self->ioas,
		.length = self->psz,
		.page_size = self->psz,
	};

	/* an IOAS is no paging HWPT */
	EXPECT_EQ(-ENOENT, xioctl(self->fd, IOMMU_HWPT_SET_DIRTY_TRACKING,
				  &set));
	EXPECT_EQ(-ENOENT, xioctl(self->fd, IOMMU_HWPT_GET_DIRTY_BITMAP,
				  &get));
	set.flags = 2;
	EXPECT_EQ(-EOPNOTSUPP, xioctl(self->fd, IOMMU_HWPT_SET_DIRTY_TRACKING,
				      &set));
	set.flags = 0;
	set.__reserved = 1;
	EXPECT_EQ(-EOPNOTSUPP, xioctl(self->fd, IOMMU_HWPT_SET_DIRTY_TRACKING,
				      &set));
	get.flags = 2;
	EXPECT_EQ(-EOPNOTSUPP, xioctl(self->fd, IOMMU_HWPT_GET_DIRTY_BITMAP,
				      &get));
}

/* The same with a device and a paging HWPT (edu via iommufd_pci). */
FIXTURE(uapi_dev) {
	struct ifd_dev d;
	int fd;
	__u32 ioas;
	__u32 hwpt;
};

FIXTURE_SETUP(uapi_dev)
{
	int rc;

	rc = ifd_dev_setup(&self->d, 0);
	if (rc == -ENODEV)
		SKIP(return, "%s", self->d.err);
	ASSERT_EQ(0, rc) TH_LOG("%s", self->d.err);
	self->fd = self->d.iommufd;
	rc = ioas_alloc(self->fd, &self->ioas);
	if (!rc)
		rc = hwpt_alloc(self->fd, 0, self->d.dev_id, self->ioas,
				&self->hwpt);
	if (rc)
		ifd_dev_teardown(&self->d);
	ASSERT_EQ(0, rc);
}

FIXTURE_TEARDOWN(uapi_dev)
{
	ifd_dev_teardown(&self->d);
}

TEST_F(uapi_dev, dirty_tracking_unsupported)
{
	struct iommu_hwpt_set_dirty_tracking set = {
		.size = sizeof(set),
		.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE,
		.hwpt_id = self->hwpt,
	};
	__u64 bitmap = 0;
	struct iommu_hwpt_get_dirty_bitmap get = {
		.size = sizeof(get),
		.hwpt_id = self->hwpt,
		.iova = 0x100000,
		.length = 64 * page_size(),
		.page_size = page_size(),
		.data = (uintptr_t)&bitmap,
	};
	__u32 id;

	/* vtd_sm has no dirty tracking: a HWPT cannot ask for it ... */
	EXPECT_EQ(-EOPNOTSUPP, hwpt_alloc(self->fd,
					  IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
					  self->d.dev_id, self->ioas, &id));
	/* ... and one without it cannot track */
	EXPECT_EQ(-EOPNOTSUPP, xioctl(self->fd, IOMMU_HWPT_SET_DIRTY_TRACKING,
				      &set));
	EXPECT_EQ(-EOPNOTSUPP, xioctl(self->fd, IOMMU_HWPT_GET_DIRTY_BITMAP,
				      &get));
	/* the range is checked first */
	get.page_size = 0;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, IOMMU_HWPT_GET_DIRTY_BITMAP,
				  &get));
	get.page_size = page_size();
	get.iova = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, IOMMU_HWPT_GET_DIRTY_BITMAP,
				  &get));
	get.iova = ~0ULL - page_size() + 1;
	EXPECT_EQ(-EOVERFLOW, xioctl(self->fd, IOMMU_HWPT_GET_DIRTY_BITMAP,
				     &get));
}

TEST_F(uapi_dev, viommu_unsupported)
{
	struct iommu_viommu_alloc va = {
		.size = sizeof(va),
		.type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
		.dev_id = self->d.dev_id,
		.hwpt_id = self->hwpt,
	};

	/* the driver has no vIOMMU of any type */
	EXPECT_EQ(-EOPNOTSUPP, xioctl(self->fd, IOMMU_VIOMMU_ALLOC, &va));
}

TEST_F(uapi_dev, hwpt_fault_id)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_HWPT_FAULT_ID_VALID,
		.dev_id = self->d.dev_id,
		.pt_id = self->ioas,
	};
	__u32 fault_id;
	int qfd;

	/* fault_id must name a fault queue */
	cmd.fault_id = self->ioas;
	EXPECT_EQ(-ENOENT, xioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	ASSERT_EQ(0, fault_alloc(self->fd, &fault_id, &qfd));
	cmd.fault_id = fault_id;
	ASSERT_EQ(0, xioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	close(qfd);
	/* the HWPT holds the queue */
	EXPECT_EQ(-EBUSY, obj_destroy(self->fd, fault_id));
	EXPECT_EQ(0, obj_destroy(self->fd, cmd.out_hwpt_id));
	EXPECT_EQ(0, obj_destroy(self->fd, fault_id));
	/* a nest parent never faults to userspace */
	cmd.flags |= IOMMU_HWPT_ALLOC_NEST_PARENT;
	EXPECT_EQ(-EOPNOTSUPP, xioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
}

/* Rebinds edu to a fresh context whose RLIMIT_MODE is @mode. */
static int rebind_mode(struct ifd_dev *d, __u64 mode)
{
	int rc;

	ifd_dev_close_node(d);
	close(d->iommufd);
	d->iommufd = open("/dev/iommu", O_RDWR);
	if (d->iommufd < 0)
		return -errno;
	rc = option(d->iommufd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET,
		    0, &mode);
	return rc ? rc : ifd_dev_bind(d);
}

/*
 * Pages are charged when the domain pins them: in mode 1 to the process's
 * locked_vm (VmLck), in mode 0 to the user's, and in both to its
 * pinned_vm (VmPin).  Mode 1 applies RLIMIT_MEMLOCK to VmLck.  Without
 * CAP_IPC_LOCK, which would bypass the limit.
 */
TEST_F(uapi_dev, rlimit_mode_charges)
{
	size_t psz = page_size(), len = 16 * psz;
	long kb = (long)len / 1024;
	void *buf = buf_alloc(len, 1);
	struct rlimit rl, small;
	int mode;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, getrlimit(RLIMIT_MEMLOCK, &rl));
	ASSERT_EQ(0, drop_caps(CAP(CAP_IPC_LOCK)));
	for (mode = 1; mode >= 0; mode--) {
		int fd, devfd;
		long pin, lck;
		__u32 ioas;

		ASSERT_EQ(0, rebind_mode(&self->d, mode));
		fd = self->d.iommufd;
		devfd = self->d.devfd;
		ASSERT_EQ(0, ioas_alloc(fd, &ioas));
		pin = vm_pin_kb(getpid());
		lck = vm_lck_kb(getpid());
		ASSERT_LE(0, pin);
		ASSERT_LE(0, lck);
		ASSERT_EQ(0, ioas_map(fd, ioas, buf, len, 0x100000));
		/* nothing is pinned without a domain */
		EXPECT_EQ(pin, vm_pin_kb(getpid()));
		EXPECT_EQ(lck, vm_lck_kb(getpid()));
		ASSERT_EQ(0, dev_attach(devfd, RID, ioas, NULL));
		EXPECT_EQ(pin + kb, vm_pin_kb(getpid())) TH_LOG("mode %d", mode);
		EXPECT_EQ(lck + (mode ? kb : 0), vm_lck_kb(getpid()))
			TH_LOG("mode %d", mode);
		ASSERT_EQ(0, dev_detach(devfd, RID));
		EXPECT_EQ(pin, vm_pin_kb(getpid()));
		EXPECT_EQ(lck, vm_lck_kb(getpid()));
		if (!mode)
			continue;
		/* room for half of it in VmLck: the attach fails, no charge */
		small = rl;
		small.rlim_cur = lck * 1024 + len / 2;
		ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &small));
		EXPECT_EQ(-ENOMEM, dev_attach(devfd, RID, ioas, NULL));
		EXPECT_EQ(pin, vm_pin_kb(getpid()));
		EXPECT_EQ(lck, vm_lck_kb(getpid()));
		ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &rl));
	}
	munmap(buf, len);
}

/* HUGE_PAGES cannot be turned off once a domain holds mappings. */
TEST_F(uapi_dev, huge_pages_with_domain)
{
	size_t psz = page_size();
	void *buf = buf_alloc(4 * psz, 1);
	__u64 val = 0;

	ASSERT_NE(NULL, buf);
	/* a domain but no mapping yet */
	ASSERT_EQ(0, option(self->fd, IOMMU_OPTION_HUGE_PAGES,
			    IOMMU_OPTION_OP_SET, self->ioas, &val));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, buf, 4 * psz, 0x100000));
	val = 1;
	ASSERT_EQ(0, option(self->fd, IOMMU_OPTION_HUGE_PAGES,
			    IOMMU_OPTION_OP_SET, self->ioas, &val));
	val = 0;
	EXPECT_EQ(-EINVAL, option(self->fd, IOMMU_OPTION_HUGE_PAGES,
				  IOMMU_OPTION_OP_SET, self->ioas, &val));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas, 0x100000, 4 * psz));
	EXPECT_EQ(0, option(self->fd, IOMMU_OPTION_HUGE_PAGES,
			    IOMMU_OPTION_OP_SET, self->ioas, &val));
	munmap(buf, 4 * psz);
}

#define FILE_IOVA	0x200000ULL
#define USER_IOVA	0x400000ULL

/*
 * edu DMA goes to and from memfd pages mapped with IOMMU_IOAS_MAP_FILE;
 * the domain pins them at map time, so a file that cannot be pinned is
 * refused there.
 */
TEST_F(uapi_dev, map_file_dma)
{
	size_t psz = page_size(), len = 2 * psz;
	unsigned char *user, *got;
	__u64 iova = FILE_IOVA;
	int mfd, nfd;

	user = buf_alloc(psz, 0);
	got = buf_alloc(psz, 0);
	ASSERT_NE(NULL, user);
	ASSERT_NE(NULL, got);
	mfd = memfd_of(2 * len);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, map_file(self->fd, self->ioas, mfd, len, len,
			      RW_MAP | IOMMU_IOAS_MAP_FIXED_IOVA, &iova));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas, user, psz, USER_IOVA));
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, self->hwpt, NULL));

	/* user memory -> the file's second page at its offset len + psz */
	pattern_fill(user, 512, 7);
	ASSERT_EQ(0, edu_copy(&self->d, USER_IOVA, FILE_IOVA + psz, 512));
	ASSERT_EQ(512, pread(mfd, got, 512, len + psz));
	EXPECT_TRUE(pattern_check(got, 512, 7));
	/* the file -> user memory */
	pattern_fill(got, 512, 9);
	ASSERT_EQ(512, pwrite(mfd, got, 512, len));
	ASSERT_EQ(0, edu_copy(&self->d, FILE_IOVA, USER_IOVA, 512));
	EXPECT_TRUE(pattern_check(user, 512, 9));

	/* beyond the end of the file, or not a memfd: EINVAL when pinned */
	iova = 0;
	EXPECT_EQ(-EINVAL, map_file(self->fd, self->ioas, mfd, 2 * len, len,
				    RW_MAP, &iova));
	nfd = open("/dev/zero", O_RDWR);
	ASSERT_LE(0, nfd);
	EXPECT_EQ(-EINVAL, map_file(self->fd, self->ioas, nfd, 0, len, RW_MAP,
				    &iova));
	close(nfd);
	ASSERT_EQ(0, dev_detach(self->d.devfd, RID));
	close(mfd);
	munmap(user, psz);
	munmap(got, psz);
}

/* Run by the child of change_process_moves: take the charge over. */
static int change_process_take(int fd, int to_parent, int to_child, long kb)
{
	struct rlimit rl, none = { 0, 0 };
	long before = vm_pin_kb(getpid());
	char c = 0;

	if (getrlimit(RLIMIT_MEMLOCK, &rl))
		return 1;
	none.rlim_max = rl.rlim_max;
	/* over the limit: nothing moves */
	if (setrlimit(RLIMIT_MEMLOCK, &none) || change_process(fd) != -ENOMEM)
		return 2;
	if (vm_pin_kb(getpid()) != before)
		return 3;
	if (write(to_parent, &c, 1) != 1 || read(to_child, &c, 1) != 1)
		return 4;
	if (setrlimit(RLIMIT_MEMLOCK, &rl) || change_process(fd))
		return 5;
	if (vm_pin_kb(getpid()) - before != kb)
		return 6;
	if (write(to_parent, &c, 1) != 1)
		return 7;
	/* stay until the parent has looked */
	if (read(to_child, &c, 1) != 1)
		return 8;
	return 0;
}

/*
 * The charge of pinned file pages moves to the process that asks: this
 * process's VmPin falls by the mapping and the child's grows by it; a
 * child over its RLIMIT_MEMLOCK moves nothing.
 */
TEST_F(uapi_dev, change_process_moves)
{
	size_t len = 4 * page_size();
	long kb = (long)len / 1024, before;
	int up[2], down[2], status, mfd;
	__u64 iova = 0;
	pid_t child;
	char c = 0;

	mfd = memfd_of(len);
	ASSERT_LE(0, mfd);
	/* charged: the mapper lacks CAP_IPC_LOCK */
	ASSERT_EQ(0, drop_caps(CAP(CAP_IPC_LOCK)));
	before = vm_pin_kb(getpid());
	ASSERT_LE(0, before);
	/* the IOAS has a domain (the fixture's HWPT): pinned at once */
	ASSERT_EQ(0, map_file(self->fd, self->ioas, mfd, 0, len, RW_MAP,
			      &iova));
	ASSERT_EQ(before + kb, vm_pin_kb(getpid()));
	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	child = fork();
	ASSERT_LE(0, child);
	if (!child)
		_exit(change_process_take(self->fd, up[1], down[0], kb));
	ASSERT_EQ(1, read(up[0], &c, 1));
	EXPECT_EQ(before + kb, vm_pin_kb(getpid()));
	ASSERT_EQ(1, write(down[1], &c, 1));
	ASSERT_EQ(1, read(up[0], &c, 1));
	/* the charge left this process */
	EXPECT_EQ(before, vm_pin_kb(getpid()));
	ASSERT_EQ(1, write(down[1], &c, 1));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* the owner is gone; the pages are still mapped and unmap */
	EXPECT_EQ(0, ioas_unmap(self->fd, self->ioas, iova, len));
	close(mfd);
}

TEST_HARNESS_MAIN
