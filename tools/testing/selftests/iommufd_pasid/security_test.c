// SPDX-License-Identifier: GPL-2.0
/*
 * Who may do what:
 *
 *  - /dev/iommu and /dev/iommufd/<BDF> are character devices of root,
 *    mode 0600;
 *  - a process that dropped root (setuid to nobody, without any of them
 *    open) cannot open either, nor change the PASID quota;
 *  - one context cannot name the objects of another: IDs are per context,
 *    a bound node resolves IDs in its own context only, PASIDs are freed
 *    only by the context that holds them;
 *  - the PASID quota holds, per context, as it was when it was opened;
 *  - a device given to iommufd_pci cannot be claimed by a kernel driver
 *    at the same time, through driver_override, bind or drivers_probe.
 */
#include <grp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "iommufd_utils.h"

#include "kselftest_harness.h"

#define NOBODY		65534
#define QUOTA_PARAM	"/sys/module/iommufd_pasid/parameters/pasid_quota"
#define PCI_DRIVERS	"/sys/bus/pci/drivers"
/* A kernel driver of edu that the VM carries (vtd_sm's end-to-end test) */
#define EDU_KMOD	"/modules/vtd_sm_edu_test.ko"
#define EDU_KDRV	"vtd_sm_edu_test"

static int check_mode(struct __test_metadata *_metadata, const char *path)
{
	struct stat st;

	if (stat(path, &st)) {
		TH_LOG("stat %s: %s", path, strerror(errno));
		return 0;
	}
	if (!S_ISCHR(st.st_mode) || (st.st_mode & 07777) != 0600 ||
	    st.st_uid != 0 || st.st_gid != 0) {
		TH_LOG("%s: mode %o, owner %u:%u", path, st.st_mode,
		       st.st_uid, st.st_gid);
		return 0;
	}
	return 1;
}

/*
 * Runs @fn(@arg) in a child that became nobody:nogroup without
 * capabilities and with nothing of ours open but stdio; returns what
 * @fn returned (0 good), or -1 if the child could not get there.
 */
static int as_nobody(int (*fn)(const void *arg), const void *arg)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (!pid) {
		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(100);
		if (!setuid(0))		/* no way back */
			_exit(101);
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* 0 if opening @arg (a path) is refused with EACCES, for read and write. */
static int refused_open(const void *arg)
{
	static const int modes[] = { O_RDWR, O_RDONLY, O_WRONLY };
	unsigned int i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		fd = open(arg, modes[i]);
		if (fd >= 0 || errno != EACCES)
			return 10 + i;
	}
	return 0;
}

static int refused_write(const void *arg)
{
	int rc = file_write(arg, "1000\n");

	return rc == -EACCES ? 0 : 20;
}

TEST(dev_iommu_mode)
{
	ASSERT_TRUE(check_mode(_metadata, "/dev/iommu"));
}

TEST(unprivileged_refused)
{
	ASSERT_EQ(0, as_nobody(refused_open, "/dev/iommu"));
	ASSERT_EQ(0, as_nobody(refused_write, QUOTA_PARAM));
	/* root still can: the refusal was about who asked */
	ASSERT_EQ(0, access("/dev/iommu", R_OK | W_OK));
}

static int pasid_alloc(int fd, __u32 *out)
{
	struct iommu_pasid_alloc cmd = {
		.size = sizeof(cmd), .max_pasid = (1U << 20) - 1,
	};
	int rc = xioctl(fd, IOMMU_PASID_ALLOC, &cmd);

	if (!rc && out)
		*out = cmd.out_pasid;
	return rc;
}

static int pasid_free(int fd, __u32 pasid)
{
	struct iommu_pasid_free cmd = { .size = sizeof(cmd), .pasid = pasid };

	return xioctl(fd, IOMMU_PASID_FREE, &cmd);
}

FIXTURE(quota) {
	unsigned long long old;
	int fds[3];
};

FIXTURE_SETUP(quota)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(self->fds); i++)
		self->fds[i] = -1;
	ASSERT_EQ(0, file_read_ull(QUOTA_PARAM, &self->old));
}

FIXTURE_TEARDOWN(quota)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(self->fds); i++)
		if (self->fds[i] >= 0)
			close(self->fds[i]);
	file_write(QUOTA_PARAM, "%llu\n", self->old);
}

TEST_F(quota, holds_per_context)
{
	__u32 p[4], q;
	unsigned int i;

	ASSERT_LE(4ULL, self->old);
	/* opened before the change: keeps the quota it was opened with */
	self->fds[0] = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->fds[0]);
	ASSERT_EQ(-EINVAL, file_write(QUOTA_PARAM, "0\n"));
	ASSERT_EQ(-EINVAL, file_write(QUOTA_PARAM, "%u\n", 1U << 20));
	ASSERT_EQ(0, file_write(QUOTA_PARAM, "3\n"));
	self->fds[1] = open("/dev/iommu", O_RDWR);
	self->fds[2] = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->fds[1]);
	ASSERT_LE(0, self->fds[2]);

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, pasid_alloc(self->fds[1], &p[i]));
	ASSERT_EQ(-ENOSPC, pasid_alloc(self->fds[1], &q));
	/* a failed free of somebody else's PASID does not make room */
	ASSERT_EQ(0, pasid_alloc(self->fds[2], &q));
	ASSERT_EQ(-ENOENT, pasid_free(self->fds[1], q));
	ASSERT_EQ(-ENOSPC, pasid_alloc(self->fds[1], &p[3]));
	/* a free does */
	ASSERT_EQ(0, pasid_free(self->fds[1], p[1]));
	ASSERT_EQ(-ENOENT, pasid_free(self->fds[1], p[1]));
	ASSERT_EQ(0, pasid_alloc(self->fds[1], &p[1]));
	ASSERT_EQ(-ENOSPC, pasid_alloc(self->fds[1], &p[3]));
	/* the other context has a quota of its own */
	ASSERT_EQ(0, pasid_alloc(self->fds[2], &q));
	ASSERT_EQ(0, pasid_alloc(self->fds[2], &q));
	ASSERT_EQ(-ENOSPC, pasid_alloc(self->fds[2], &q));
	/* and the older context the quota of its time */
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, pasid_alloc(self->fds[0], &q));
	/* closing a context gives its PASIDs back: a new one may take 3 */
	close(self->fds[1]);
	self->fds[1] = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->fds[1]);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, pasid_alloc(self->fds[1], &p[i]));
	ASSERT_EQ(-ENOSPC, pasid_alloc(self->fds[1], &q));
}

/* ---- two contexts and edu ---- */

FIXTURE(iso) {
	struct ifd_dev d;	/* bound to context A (d.iommufd) */
	int b;			/* context B */
	char *buf;
	size_t psz;
	__u32 ioas_a, hwpt_a;
};

FIXTURE_SETUP(iso)
{
	int rc;

	self->b = -1;
	self->psz = page_size();
	self->buf = buf_alloc(4 * self->psz, 0x33);
	ASSERT_NE(NULL, self->buf);
	rc = ifd_dev_setup(&self->d, 0);
	if (rc == -ENODEV)
		SKIP(return, "%s", self->d.err);
	ASSERT_EQ(0, rc) TH_LOG("%s", self->d.err);
	self->b = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->b);
	ASSERT_EQ(0, ioas_alloc(self->d.iommufd, &self->ioas_a));
	ASSERT_EQ(0, ioas_map(self->d.iommufd, self->ioas_a, self->buf,
			      4 * self->psz, IOVA_DST));
	ASSERT_EQ(0, hwpt_alloc(self->d.iommufd, 0, self->d.dev_id,
				self->ioas_a, &self->hwpt_a));
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, self->hwpt_a, NULL));
}

FIXTURE_TEARDOWN(iso)
{
	if (self->b >= 0)
		close(self->b);
	ifd_dev_teardown(&self->d);
}

TEST_F(iso, node_mode)
{
	char path[128];

	snprintf(path, sizeof(path), DEVNODE_DIR "/%s", self->d.bdf);
	ASSERT_TRUE(check_mode(_metadata, path));
	/* and nobody cannot open it (it is open here: EACCES comes first) */
	ASSERT_EQ(0, as_nobody(refused_open, path));
}

TEST_F(iso, foreign_ids_are_unknown)
{
	struct iommu_hw_info_vtd vtd;
	struct iommu_hwpt_vtd_s1_invalidate inv = { .npages = 1 };
	int a = self->d.iommufd, b = self->b;
	__u32 n = 1, id;

	/* B has no objects: A's IDs name nothing there */
	ASSERT_EQ(-ENOENT, ioas_map(b, self->ioas_a, self->buf, self->psz,
				    IOVA_SRC));
	ASSERT_EQ(-ENOENT, ioas_unmap(b, self->ioas_a, IOVA_DST,
				      4 * self->psz));
	ASSERT_EQ(-ENOENT, hwpt_alloc(b, 0, self->d.dev_id, self->ioas_a,
				      &id));
	ASSERT_EQ(-ENOENT, hw_info_vtd(b, self->d.dev_id, &vtd));
	ASSERT_EQ(-ENOENT, hwpt_invalidate(b, self->hwpt_a, &inv, sizeof(inv),
					   &n));
	ASSERT_EQ(-ENOENT, obj_destroy(b, self->hwpt_a));
	ASSERT_EQ(-ENOENT, obj_destroy(b, self->ioas_a));
	ASSERT_EQ(-ENOENT, obj_destroy(b, self->d.dev_id));

	/* B's objects with the same numbers are B's own */
	do {
		ASSERT_EQ(0, ioas_alloc(b, &id));
	} while (id < self->ioas_a);
	ASSERT_EQ(self->ioas_a, id);
	ASSERT_EQ(-ENOENT, ioas_unmap(b, id, IOVA_DST, 4 * self->psz));
	ASSERT_EQ(0, obj_destroy(b, id));
	/* A's are untouched */
	ASSERT_EQ(0, ioas_unmap(a, self->ioas_a, IOVA_DST, 4 * self->psz));
	ASSERT_EQ(-EBUSY, obj_destroy(a, self->hwpt_a));
}

/* 0 if the node opened (and was closed again), else -errno */
static int open_node(const char *bdf)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), DEVNODE_DIR "/%s", bdf);
	fd = open(path, O_RDWR);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

TEST_F(iso, node_resolves_in_its_own_context)
{
	__u32 id, dev_b, max = self->hwpt_a;

	if (self->d.dev_id > max)
		max = self->d.dev_id;
	/* an IOAS of B whose number A does not use */
	do {
		ASSERT_EQ(0, ioas_alloc(self->b, &id));
	} while (id <= max);
	ASSERT_EQ(-ENOENT, dev_attach(self->d.devfd, RID, id, NULL));
	/* the failed attach left A's HWPT in place */
	ASSERT_EQ(-EBUSY, obj_destroy(self->d.iommufd, self->hwpt_a));
	/* a bound node cannot be bound to B as well */
	ASSERT_EQ(-EBUSY, dev_bind(self->d.devfd, self->b, &dev_b));
	/* nor opened a second time, by anyone */
	ASSERT_EQ(-EBUSY, open_node(self->d.bdf));
}

TEST_F(iso, pasids_belong_to_their_context)
{
	__u32 p;

	ASSERT_EQ(0, pasid_alloc(self->d.iommufd, &p));
	ASSERT_EQ(-ENOENT, pasid_free(self->b, p));
	ASSERT_EQ(0, pasid_free(self->d.iommufd, p));
	ASSERT_EQ(-ENOENT, pasid_free(self->d.iommufd, p));
}

/* ---- a kernel driver cannot take the device ---- */

static void driver_of(const char *bdf, char *name, size_t len)
{
	pci_driver_name(bdf, name, len);
}

/*
 * Every PCI driver but iommufd_pci is asked to bind edu; all must refuse
 * and edu must stay with iommufd_pci.  Returns the number asked.
 */
static int bind_all_others(struct __test_metadata *_metadata,
			   const char *bdf, int *refused)
{
	char path[300], drv[64];
	struct dirent *de;
	int asked = 0, rc;
	DIR *d;

	*refused = 0;
	d = opendir(PCI_DRIVERS);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "iommufd_pci"))
			continue;
		snprintf(path, sizeof(path), PCI_DRIVERS "/%s/bind",
			 de->d_name);
		asked++;
		rc = file_write(path, "%s\n", bdf);
		if (rc)
			(*refused)++;
		else
			TH_LOG("%s took %s", de->d_name, bdf);
		driver_of(bdf, drv, sizeof(drv));
		if (strcmp(drv, "iommufd_pci")) {
			TH_LOG("after %s/bind, %s is with \"%s\"",
			       de->d_name, bdf, drv);
			(*refused)--;
		}
	}
	closedir(d);
	return asked;
}

FIXTURE(claim) {
	struct ifd_dev d;
	int kmod;
};

FIXTURE_SETUP(claim)
{
	int rc = ifd_dev_setup(&self->d, 0);

	self->kmod = 0;
	if (rc == -ENODEV)
		SKIP(return, "%s", self->d.err);
	ASSERT_EQ(0, rc) TH_LOG("%s", self->d.err);
	/* A driver of edu that would take it if it could. */
	if (!access(EDU_KMOD, R_OK)) {
		ASSERT_EQ(0, system("insmod " EDU_KMOD));
		self->kmod = 1;
	}
}

FIXTURE_TEARDOWN(claim)
{
	char path[300];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 self->d.bdf);
	file_write(path, "iommufd_pci\n");
	/* unload the kernel driver before edu is let go */
	if (self->kmod && system("rmmod " EDU_KDRV))
		TH_LOG("rmmod " EDU_KDRV " failed");
	ifd_dev_teardown(&self->d);
}

static void try_claims(struct __test_metadata *_metadata,
		       FIXTURE_DATA(claim) * self)
{
	char path[300], drv[64];
	int asked, refused;

	/* bind through every other PCI driver */
	asked = bind_all_others(_metadata, self->d.bdf, &refused);
	ASSERT_EQ(asked, refused);
	if (self->kmod)
		ASSERT_LE(1, asked);
	/* iommufd_pci itself again */
	ASSERT_EQ(-EBUSY, file_write(PCI_DRV "/bind", "%s\n", self->d.bdf));

	/* an override naming the kernel driver, then a probe */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 self->d.bdf);
	ASSERT_EQ(0, file_write(path, "%s\n", EDU_KDRV));
	file_write("/sys/bus/pci/drivers_probe", "%s\n", self->d.bdf);
	if (self->kmod)
		ASSERT_EQ(-EBUSY, file_write(PCI_DRIVERS "/" EDU_KDRV "/bind",
					     "%s\n", self->d.bdf));
	driver_of(self->d.bdf, drv, sizeof(drv));
	ASSERT_STREQ("iommufd_pci", drv);
	ASSERT_EQ(0, file_write(path, "iommufd_pci\n"));
	if (!self->kmod)
		ksft_print_msg("no %s: only the drivers built in were asked (%d)\n",
			       EDU_KMOD, asked);
}

TEST_F(claim, while_bound_to_a_context)
{
	__u32 ioas;

	ASSERT_EQ(0, ioas_alloc(self->d.iommufd, &ioas));
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, ioas, NULL));
	try_claims(_metadata, self);
	/* the context still owns it */
	ASSERT_EQ(-EBUSY, obj_destroy(self->d.iommufd, ioas));
	ASSERT_EQ(0, dev_detach(self->d.devfd, RID));
}

TEST_F(claim, while_only_given_to_iommufd_pci)
{
	ifd_dev_close_node(&self->d);
	try_claims(_metadata, self);
	/* and it can still be opened and bound */
	ASSERT_EQ(0, ifd_dev_bind(&self->d)) TH_LOG("%s", self->d.err);
}

TEST_HARNESS_MAIN
