// SPDX-License-Identifier: GPL-2.0
/*
 * Binding a device whose MSIs the platform cannot isolate: refused with
 * EPERM unless iommufd_pasid's allow_unsafe_interrupts parameter is set,
 * and then bound with the reason in the kernel log.  The test machine has
 * no interrupt remapping (QEMU's intel-iommu without intremap, and
 * vtd_sm does not remap interrupts), so its devices are such devices.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "iommufd_utils.h"
#include "kselftest_harness.h"

#define UNSAFE_PARAM \
	"/sys/module/iommufd_pasid/parameters/allow_unsafe_interrupts"

/* Any interrupt of the machine delivered through interrupt remapping? */
static int have_irq_remapping(void)
{
	char line[512];
	int found = 0;
	FILE *f = fopen("/proc/interrupts", "r");

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = !!strstr(line, "IR-");
	fclose(f);
	return found;
}

/* Has the kernel logged @what since @fd (of /dev/kmsg) was opened? */
static int kmsg_has(int fd, const char *what)
{
	char rec[1024];
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (n <= 0)
			return 0;
		rec[n] = 0;
		if (strstr(rec, what))
			return 1;
	}
}

FIXTURE(msi) {
	char bdf[64];
	char orig[8];
	int iommufd;
	int devfd;
};

FIXTURE_SETUP(msi)
{
	char path[300];

	self->iommufd = -1;
	self->devfd = -1;
	if (edu_find(self->bdf, sizeof(self->bdf)))
		SKIP(return, "no edu device");
	if (have_irq_remapping())
		SKIP(return, "this machine remaps interrupts: MSIs are isolated");
	ASSERT_EQ(0, file_read(UNSAFE_PARAM, self->orig, sizeof(self->orig)))
		TH_LOG("no %s", UNSAFE_PARAM);
	ASSERT_EQ(0, edu_to_iommufd_pci(self->bdf));
	self->iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->iommufd);
	snprintf(path, sizeof(path), DEVNODE_DIR "/%s", self->bdf);
	self->devfd = open(path, O_RDWR);
	ASSERT_LE(0, self->devfd);
}

FIXTURE_TEARDOWN(msi)
{
	if (self->devfd >= 0)
		close(self->devfd);
	if (self->iommufd >= 0)
		close(self->iommufd);
	if (self->orig[0])
		file_write(UNSAFE_PARAM, "%s", self->orig);
	if (self->bdf[0])
		edu_release(self->bdf);
}

TEST_F(msi, refused_without_parameter)
{
	__u32 dev_id;

	ASSERT_EQ(0, file_write(UNSAFE_PARAM, "N\n"));
	EXPECT_EQ(-EPERM, dev_bind(self->devfd, self->iommufd, &dev_id));
	/* Nothing was taken: allowed again, the same node binds. */
	ASSERT_EQ(0, file_write(UNSAFE_PARAM, "Y\n"));
	EXPECT_EQ(0, dev_bind(self->devfd, self->iommufd, &dev_id));
}

TEST_F(msi, allowed_with_parameter_and_logged)
{
	__u32 dev_id;
	int kmsg;

	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, kmsg);
	ASSERT_LE(0, lseek(kmsg, 0, SEEK_END));
	ASSERT_EQ(0, file_write(UNSAFE_PARAM, "Y\n"));
	EXPECT_EQ(0, dev_bind(self->devfd, self->iommufd, &dev_id));
	EXPECT_TRUE(kmsg_has(kmsg, "allow_unsafe_interrupts"));
	close(kmsg);
}

TEST_HARNESS_MAIN
