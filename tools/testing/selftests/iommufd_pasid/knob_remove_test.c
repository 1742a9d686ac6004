// SPDX-License-Identifier: GPL-2.0
/*
 * vtd_sm's debug knobs (rid_pasid, pasid_bits) written and read while the
 * device they name is removed from the PCI bus and found again by a
 * rescan.  A knob must either act on the device before its release or
 * answer that it is gone, never use what the release freed.  Afterwards
 * the device comes back and can be handed to a context again.
 *
 * Debug kernel: KASAN reports a use-after-free; any kernel: the splat
 * check of the harness catches an oops.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "iommufd_utils.h"
#include "kselftest_harness.h"

#define REMOVE_SECONDS	4

struct knob_race {
	char bdf[64];
	int stop;
	unsigned long writes, refused;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void knob_write(struct knob_race *r, const char *knob, unsigned int v)
{
	char path[300];

	snprintf(path, sizeof(path), VTD_DEBUGFS "/%s/%s", r->bdf, knob);
	if (file_write(path, "%u\n", v))
		r->refused++;
	r->writes++;
}

static void knob_read(struct knob_race *r, const char *knob)
{
	char path[300], buf[32];

	snprintf(path, sizeof(path), VTD_DEBUGFS "/%s/%s", r->bdf, knob);
	file_read(path, buf, sizeof(buf));
}

static void *knob_thread(void *arg)
{
	struct knob_race *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		/* Grow the directory, move RID_PASID, and back. */
		knob_write(r, VTD_KNOB_PASID_BITS, 4);
		knob_write(r, VTD_KNOB_RID_PASID, 3);
		knob_read(r, VTD_KNOB_RID_PASID);
		knob_write(r, VTD_KNOB_RID_PASID, 0);
		knob_write(r, VTD_KNOB_PASID_BITS, 0);
		knob_read(r, VTD_KNOB_PASID_BITS);
	}
	return NULL;
}

static int dev_present(const char *bdf)
{
	char path[300];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	return !access(path, F_OK);
}

/* Removes @bdf and rescans until it is back; 0 or -errno. */
static int remove_rescan(const char *bdf)
{
	char path[300];
	int rc, i;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove", bdf);
	rc = file_write(path, "1\n");
	if (rc)
		return rc;
	if (dev_present(bdf))
		return -EEXIST;
	rc = file_write("/sys/bus/pci/rescan", "1\n");
	if (rc)
		return rc;
	for (i = 0; i < 500 && !dev_present(bdf); i++)
		usleep(10000);
	return dev_present(bdf) ? 0 : -ENODEV;
}

TEST(knobs_during_pci_remove)
{
	struct knob_race r = { 0 };
	char path[300];
	struct ifd_dev d;
	unsigned int cycles = 0;
	pthread_t t;
	double end;
	int rc;

	if (edu_find(r.bdf, sizeof(r.bdf)))
		SKIP(return, "no edu device");
	snprintf(path, sizeof(path), VTD_DEBUGFS "/%s/" VTD_KNOB_PASID_BITS,
		 r.bdf);
	if (access(path, W_OK))
		SKIP(return, "no vtd_sm knobs for %s", r.bdf);
	/* A device no driver holds: the release is the whole story. */
	edu_release(r.bdf);

	ASSERT_EQ(0, pthread_create(&t, NULL, knob_thread, &r));
	end = now_s() + REMOVE_SECONDS;
	rc = 0;
	while (!rc && now_s() < end) {
		rc = remove_rescan(r.bdf);
		cycles++;
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	TH_LOG("%u remove/rescan cycles, %lu knob writes (%lu refused)",
	       cycles, r.writes, r.refused);
	ASSERT_EQ(0, rc);
	EXPECT_LT(1U, cycles);
	EXPECT_NE(0UL, r.writes);

	/* The device is back as new, its knobs as the driver computes them. */
	rc = vtd_knob_set(r.bdf, VTD_KNOB_RID_PASID, 0);
	EXPECT_EQ(0, rc);
	rc = vtd_knob_set(r.bdf, VTD_KNOB_PASID_BITS, 0);
	EXPECT_EQ(0, rc);

	/* And it can be handed to a context and bound again. */
	memset(&d, 0, sizeof(d));
	rc = ifd_dev_setup(&d, 0);
	ASSERT_EQ(0, rc) TH_LOG("%s", d.err);
	ifd_dev_teardown(&d);
}

TEST_HARNESS_MAIN
