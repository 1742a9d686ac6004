// SPDX-License-Identifier: GPL-2.0
/*
 * Smoke test of the test machine itself: the guest must see the emulated
 * VT-d (a DMAR table with at least one remapping unit), the edu device, and
 * the project's modules loaded.  If any of this is missing, every other
 * test would prove nothing.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"

#define ACPI_DMAR "/sys/firmware/acpi/tables/DMAR"
#define DMAR_HEADER_LEN 48	/* ACPI header (36) + width, flags, reserved */
#define DMAR_TYPE_DRHD 0

static int read_hex(const char *path, unsigned long *val)
{
	FILE *f = fopen(path, "r");
	int ret;

	if (!f)
		return -1;
	ret = fscanf(f, "%lx", val) == 1 ? 0 : -1;
	fclose(f);
	return ret;
}

TEST(dmar_has_remapping_unit)
{
	unsigned char buf[4096];
	int drhd = 0;
	ssize_t len;
	size_t off;
	int fd;

	fd = open(ACPI_DMAR, O_RDONLY);
	ASSERT_LE(0, fd) TH_LOG("no DMAR table: is intel-iommu on the QEMU command line?");
	len = read(fd, buf, sizeof(buf));
	close(fd);
	ASSERT_LT(DMAR_HEADER_LEN, len);
	ASSERT_EQ(0, memcmp(buf, "DMAR", 4));

	/* Remapping structures follow the header: u16 type, u16 length. */
	for (off = DMAR_HEADER_LEN; off + 4 <= (size_t)len;) {
		uint16_t type = buf[off] | buf[off + 1] << 8;
		uint16_t slen = buf[off + 2] | buf[off + 3] << 8;

		ASSERT_LE(4, slen);
		if (type == DMAR_TYPE_DRHD)
			drhd++;
		off += slen;
	}
	ASSERT_LE(1, drhd);
}

TEST(edu_device_present)
{
	struct dirent *de;
	char path[512];
	int found = 0;
	DIR *d;

	d = opendir("/sys/bus/pci/devices");
	ASSERT_NE(NULL, d);
	while ((de = readdir(d))) {
		unsigned long vendor, device;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor",
			 de->d_name);
		if (read_hex(path, &vendor))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device",
			 de->d_name);
		if (read_hex(path, &device))
			continue;
		if (vendor == 0x1234 && device == 0x11e8)
			found++;
	}
	closedir(d);
	/* check.sh adds two behind a PCI bridge for group_test */
	ASSERT_LE(1, found);
}

TEST(modules_loaded)
{
	static const char * const mods[] = {
		"ioasid", "vtd_sm", "iommufd_pasid",
	};
	char path[128];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(mods); i++) {
		snprintf(path, sizeof(path), "/sys/module/%s/initstate", mods[i]);
		EXPECT_EQ(0, access(path, R_OK)) TH_LOG("%s is not loaded", mods[i]);
	}
}

TEST_HARNESS_MAIN
