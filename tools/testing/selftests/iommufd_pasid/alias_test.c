// SPDX-License-Identifier: GPL-2.0
/*
 * A DMA alias shared by two devices: the two edu behind a PCIe-to-PCI
 * bridge (check.sh puts them there) both issue DMA with the requester ID
 * of the bridge's secondary bus and devfn 0, which no device has, so the
 * unit translates both through the one context entry of that ID, which
 * vtd_sm points at the PASID directory of the first of them to be probed
 * (the lower BDF, at boot).  Removing that device from the PCI bus
 * releases it; the other one must go on translating: the entry moves to
 * its directory instead of being cleared under it.  (Behind a
 * conventional PCI bridge the alias is the bridge's own ID, whose entry
 * the bridge itself owns, so releasing an edu there proves nothing.)
 *
 * The test binds the second edu to a context, attaches a paging HWPT and
 * checks a copy lands, removes the first edu, checks a second copy lands
 * and that no fault was recorded, and gives the first edu back with a PCI
 * rescan.  Without two edu behind one PCIe-to-PCI bridge it skips.
 */
#include "iommufd_utils.h"

#include "kselftest_harness.h"

#define SENTINEL	0x3c
#define XFER		512

/*
 * 1 if the bridge right above @bdf is a PCIe-to-PCI bridge (PCIe
 * capability, device/port type 7), else 0.
 */
static int behind_pcie_pci_bridge(const char *bdf)
{
	char path[300], link[300], *slash, *parent;
	unsigned char cfg[256];
	int fd, pos, guard;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = 0;
	slash = strrchr(link, '/');
	if (!slash)
		return 0;
	*slash = 0;
	parent = strrchr(link, '/');
	if (!parent || strncmp(parent + 1, "0000:", 5))
		return 0;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config",
		 parent + 1);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = pread(fd, cfg, sizeof(cfg), 0);
	close(fd);
	/* Status: capabilities list. */
	if (n != sizeof(cfg) || !(cfg[6] & 0x10))
		return 0;
	pos = cfg[0x34] & ~3;
	for (guard = 0; guard < 48 && pos >= 0x40; guard++) {
		if (cfg[pos] == 0x10)
			return ((cfg[pos + 2] >> 4) & 0xf) == 0x7;
		pos = cfg[pos + 1] & ~3;
	}
	return 0;
}

static int pci_present(const char *bdf)
{
	char path[300];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	return !access(path, F_OK);
}

/* Rescans the PCI bus until @bdf is back (at most 5 s); 0 or -errno. */
static int pci_rescan_for(const char *bdf)
{
	int i;

	for (i = 0; i < 50; i++) {
		if (pci_present(bdf))
			return 0;
		if (file_write("/sys/bus/pci/rescan", "1\n"))
			return -EIO;
		usleep(100 * 1000);
	}
	return pci_present(bdf) ? 0 : -ETIMEDOUT;
}

FIXTURE(alias) {
	struct ifd_dev d;	/* the second edu, bound */
	char first[32];		/* the first edu, removed by the test */
	int removed;
	size_t psz;
	char *src, *dst;
};

FIXTURE_SETUP(alias)
{
	char bdf[2][32];
	unsigned short cmd;
	int rc;

	memset(&self->d, 0, sizeof(self->d));
	self->d.devfd = -1;
	self->d.iommufd = -1;
	self->psz = page_size();
	self->src = buf_alloc(self->psz, 0);
	self->dst = buf_alloc(self->psz, SENTINEL);
	ASSERT_NE(NULL, self->src);
	ASSERT_NE(NULL, self->dst);
	if (edu_group_pair(bdf, behind_pcie_pci_bridge))
		SKIP(return, "no two edu devices behind a PCIe-to-PCI bridge");
	snprintf(self->first, sizeof(self->first), "%s", bdf[0]);
	snprintf(self->d.bdf, sizeof(self->d.bdf), "%s", bdf[1]);

	self->d.iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->d.iommufd);
	rc = pci_cmd_rw(self->d.bdf, &self->d.cmd_orig, 0);
	ASSERT_EQ(0, rc);
	rc = edu_to_iommufd_pci(self->d.bdf);
	if (!rc)
		rc = ifd_dev_bind(&self->d);
	/* Memory space and bus mastering for edu's BAR and DMA. */
	if (!rc)
		rc = pci_cmd_rw(self->d.bdf, &cmd, 0);
	cmd |= 0x6;
	if (!rc)
		rc = pci_cmd_rw(self->d.bdf, &cmd, 1);
	if (rc)
		ifd_dev_teardown(&self->d);
	ASSERT_EQ(0, rc) TH_LOG("%s", self->d.err);
}

FIXTURE_TEARDOWN(alias)
{
	ifd_dev_teardown(&self->d);
	if (self->removed)
		EXPECT_EQ(0, pci_rescan_for(self->first));
}

/* A copy through the attached HWPT: 1 if exactly the pattern arrived. */
static int copy_lands(struct __test_metadata *_metadata,
		      FIXTURE_DATA(alias) * self, unsigned int seed)
{
	int err;

	memset(self->dst, SENTINEL, self->psz);
	pattern_fill(self->src, XFER, seed);
	err = edu_copy(&self->d, IOVA_SRC, IOVA_DST, XFER);
	if (err) {
		TH_LOG("edu: %s", strerror(-err));
		return 0;
	}
	if (pattern_check(self->dst, XFER, seed) &&
	    all_bytes(self->dst + XFER, self->psz - XFER, SENTINEL))
		return 1;
	TH_LOG("the copy did not land: dst[0] %#x", (unsigned char)self->dst[0]);
	return 0;
}

TEST_F(alias, release_of_alias_owner_keeps_other_translating)
{
	int fd = self->d.iommufd;
	long long faults;
	char path[300];
	__u32 ioas, hwpt;

	ASSERT_EQ(0, ioas_alloc(fd, &ioas));
	ASSERT_EQ(0, ioas_map(fd, ioas, self->src, self->psz, IOVA_SRC));
	ASSERT_EQ(0, ioas_map(fd, ioas, self->dst, self->psz, IOVA_DST));
	ASSERT_EQ(0, hwpt_alloc(fd, 0, self->d.dev_id, ioas, &hwpt));
	ASSERT_EQ(0, dev_attach(self->d.devfd, RID, hwpt, NULL));
	ASSERT_TRUE(copy_lands(_metadata, self, 1));

	/* The first edu, whose directory the alias entry names, goes. */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove",
		 self->first);
	ASSERT_EQ(0, file_write(path, "1\n"));
	self->removed = 1;
	ASSERT_FALSE(pci_present(self->first));

	faults = vtd_fault_count();
	ASSERT_LE(0, faults);
	EXPECT_TRUE(copy_lands(_metadata, self, 2))
		TH_LOG("DMA of %s stopped translating when %s was released",
		       self->d.bdf, self->first);
	/* Polled fault reporting: give a fault time to show. */
	usleep(200 * 1000);
	EXPECT_EQ(faults, vtd_fault_count());
}

TEST_HARNESS_MAIN
