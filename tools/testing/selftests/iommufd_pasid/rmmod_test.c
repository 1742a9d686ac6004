// SPDX-License-Identifier: GPL-2.0
/*
 * Unloading and reloading the three modules in every order their
 * dependencies allow (ioasid under both vtd_sm and iommufd_pasid, which do
 * not depend on each other):
 *
 *  - refused while in use: ioasid while either user is loaded, vtd_sm
 *    while its units are registered (the IOMMU core's references) or a
 *    device is attached (the release is refused), iommufd_pasid while
 *    /dev/iommu or a bound device node is open; a refused unload changes
 *    nothing, edu DMA still goes through the HWPT attached;
 *  - vtd_sm or iommufd_pasid cannot be loaded without ioasid;
 *  - clean afterwards: a module's files are gone once it is unloaded
 *    (/sys/module/<name>, /dev/iommu, the iommufd_pci class, the vtd_sm
 *    platform driver and its debugfs);
 *  - after a reload, a device bound again does DMA through a HWPT.
 *
 * The modules are loaded from MODULE_DIR (default /modules, where the test
 * initramfs keeps them); every test ends with the three loaded again and
 * allow_unsafe_interrupts set, as the harness left them, so the tests run
 * after this one use the reloaded modules.  Leaks are left to the leg's
 * final kmemleak scan.
 */
#include <sys/syscall.h>

#include "iommufd_utils.h"

#include "kselftest_harness.h"

#define VTD_DRV		"/sys/bus/platform/drivers/vtd_sm"
#define UNSAFE_IRQ	"/sys/module/iommufd_pasid/parameters/allow_unsafe_interrupts"
#define XFER		256

static const char * const all_mods[] = { "ioasid", "vtd_sm", "iommufd_pasid" };

static int exists(const char *fmt, const char *arg)
{
	char path[300];

	snprintf(path, sizeof(path), fmt, arg);
	return access(path, F_OK) == 0;
}

static int mod_loaded(const char *name)
{
	return exists("/sys/module/%s/initstate", name);
}

static const char *mod_dir(void)
{
	const char *d = getenv("MODULE_DIR");

	return d && *d ? d : "/modules";
}

/* Loads @name from the module directory; 0 or -errno. */
static int mod_load(const char *name)
{
	char path[300];
	int fd, rc = 0;

	snprintf(path, sizeof(path), "%s/%s.ko", mod_dir(), name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, "", 0))
		rc = -errno;
	close(fd);
	if (!rc && !strcmp(name, "iommufd_pasid"))
		rc = file_write(UNSAFE_IRQ, "Y\n");
	return rc;
}

/* Lets go of every vtd_sm unit; 0 or the first -errno. */
static int release_units(void)
{
	glob_t g;
	size_t i;
	int rc = 0;

	if (glob(VTD_DRV "/vtd_sm.*", 0, NULL, &g))
		return 0;
	for (i = 0; i < g.gl_pathc && !rc; i++)
		rc = file_write(VTD_DRV "/release", "%s\n",
				strrchr(g.gl_pathv[i], '/') + 1);
	globfree(&g);
	return rc;
}

static int mod_unload(const char *name)
{
	if (syscall(SYS_delete_module, name, O_NONBLOCK))
		return -errno;
	return 0;
}

/* What each module leaves behind while loaded: none of it may stay. */
static int mod_gone(const char *name)
{
	if (exists("/sys/module/%s", name))
		return 0;
	if (!strcmp(name, "iommufd_pasid"))
		return !exists("%s", "/dev/iommu") &&
		       !exists("%s", "/sys/class/iommufd_pci") &&
		       !exists("%s", PCI_DRV);
	if (!strcmp(name, "vtd_sm"))
		return !exists("%s", VTD_DRV) &&
		       !exists("%s", VTD_DEBUGFS);
	return 1;
}

/* Loads whatever is missing, in dependency order. */
static int restore_all(void)
{
	unsigned int i;
	int rc;

	for (i = 0; i < ARRAY_SIZE(all_mods); i++) {
		if (mod_loaded(all_mods[i]))
			continue;
		rc = mod_load(all_mods[i]);
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * A device given to iommufd_pci and bound, an IOAS mapping a source and a
 * destination buffer attached to its RID: 1 if edu's copy lands.
 */
static int dma_works(char *err, size_t len)
{
	size_t psz = page_size();
	char *src = buf_alloc(psz, 0), *dst = buf_alloc(psz, 0);
	struct ifd_dev d;
	__u32 ioas;
	int ok = 0;

	if (!src || !dst) {
		snprintf(err, len, "no memory");
		return 0;
	}
	if (ifd_dev_setup(&d, 0)) {
		snprintf(err, len, "%s", d.err);
		return 0;
	}
	pattern_fill(src, XFER, 77);
	if (ioas_alloc(d.iommufd, &ioas) ||
	    ioas_map(d.iommufd, ioas, src, psz, IOVA_SRC) ||
	    ioas_map(d.iommufd, ioas, dst, psz, IOVA_DST) ||
	    dev_attach(d.devfd, RID, ioas, NULL))
		snprintf(err, len, "IOAS setup or attach failed");
	else if (edu_copy(&d, IOVA_SRC, IOVA_DST, XFER))
		snprintf(err, len, "edu DMA timed out");
	else if (!pattern_check(dst, XFER, 77))
		snprintf(err, len, "edu's copy did not land");
	else
		ok = 1;
	ifd_dev_teardown(&d);
	munmap(src, psz);
	munmap(dst, psz);
	return ok;
}

FIXTURE(rm) {
	char err[160];
};

FIXTURE_SETUP(rm)
{
	unsigned int i;
	char path[300];

	for (i = 0; i < ARRAY_SIZE(all_mods); i++) {
		snprintf(path, sizeof(path), "%s/%s.ko", mod_dir(),
			 all_mods[i]);
		if (!mod_loaded(all_mods[i]) || access(path, R_OK))
			SKIP(return, "%s is not loaded from %s", all_mods[i],
			     mod_dir());
	}
	if (edu_find(self->err, sizeof(self->err)))
		SKIP(return, "no edu device (1234:11e8)");
}

FIXTURE_TEARDOWN(rm)
{
	/* Whatever failed, leave the modules as the harness expects them. */
	if (mod_loaded("vtd_sm") && !exists("%s", VTD_DRV "/vtd_sm.0")) {
		TH_LOG("vtd_sm is loaded without units: not reloaded");
		return;
	}
	EXPECT_EQ(0, restore_all());
}

TEST_F_TIMEOUT(rm, refused_while_in_use, 120)
{
	size_t psz = page_size();
	char *src = buf_alloc(psz, 0), *dst = buf_alloc(psz, 0);
	struct ifd_dev d;
	__u32 ioas, hwpt;
	int fd;

	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, dst);
	/* The users of ioasid, and the IOMMU core's references on vtd_sm */
	ASSERT_EQ(-EWOULDBLOCK, mod_unload("ioasid"));
	ASSERT_EQ(-EWOULDBLOCK, mod_unload("vtd_sm"));

	/* An open /dev/iommu, nothing in it */
	fd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-EWOULDBLOCK, mod_unload("iommufd_pasid"));
	close(fd);

	/*
	 * A bound node with a HWPT on the RID and PASID 1; /dev/iommu is
	 * closed, the binding holds the context.
	 */
	ASSERT_EQ(0, ifd_dev_setup(&d, 1)) TH_LOG("%s", d.err);
	pattern_fill(src, XFER, 5);
	ASSERT_EQ(0, ioas_alloc(d.iommufd, &ioas));
	ASSERT_EQ(0, ioas_map(d.iommufd, ioas, src, psz, IOVA_SRC));
	ASSERT_EQ(0, ioas_map(d.iommufd, ioas, dst, psz, IOVA_DST));
	ASSERT_EQ(0, hwpt_alloc(d.iommufd, IOMMU_HWPT_ALLOC_PASID, d.dev_id,
				ioas, &hwpt));
	ASSERT_EQ(0, dev_attach(d.devfd, 1, hwpt, NULL));
	ASSERT_EQ(0, dev_attach(d.devfd, RID, hwpt, NULL));
	close(d.iommufd);
	d.iommufd = -1;

	ASSERT_EQ(-EWOULDBLOCK, mod_unload("iommufd_pasid"));
	ASSERT_EQ(-EBUSY, release_units());
	ASSERT_EQ(-EWOULDBLOCK, mod_unload("vtd_sm"));
	ASSERT_EQ(-EWOULDBLOCK, mod_unload("ioasid"));
	/* Nothing changed: the RID still translates through the HWPT. */
	ASSERT_EQ(0, edu_copy(&d, IOVA_SRC, IOVA_DST, XFER));
	ASSERT_TRUE(pattern_check(dst, XFER, 5));
	ASSERT_TRUE(mod_loaded("iommufd_pasid"));
	ASSERT_TRUE(exists("%s", VTD_DRV "/vtd_sm.0"));

	/* Closed, the node lets the module go. */
	ifd_dev_teardown(&d);
	ASSERT_EQ(0, mod_unload("iommufd_pasid"));
	ASSERT_TRUE(mod_gone("iommufd_pasid"));
	ASSERT_EQ(0, mod_load("iommufd_pasid"));
	ASSERT_TRUE(dma_works(self->err, sizeof(self->err)))
		TH_LOG("%s", self->err);
	munmap(src, psz);
	munmap(dst, psz);
}

/* An unload order, then a load order, as module names (NULL-ended). */
struct cycle {
	const char *unload[4];
	const char *load[4];
};

static const struct cycle cycles[] = {
	{ { "iommufd_pasid" }, { "iommufd_pasid" } },
	{ { "vtd_sm" }, { "vtd_sm" } },
	{ { "iommufd_pasid", "vtd_sm", "ioasid" },
	  { "ioasid", "vtd_sm", "iommufd_pasid" } },
	{ { "vtd_sm", "iommufd_pasid", "ioasid" },
	  { "ioasid", "iommufd_pasid", "vtd_sm" } },
	{ { "iommufd_pasid", "vtd_sm", "ioasid" },
	  { "ioasid", "iommufd_pasid", "vtd_sm" } },
	{ { "vtd_sm", "iommufd_pasid", "ioasid" },
	  { "ioasid", "vtd_sm", "iommufd_pasid" } },
};

TEST_F_TIMEOUT(rm, every_order, 600)
{
	const struct cycle *c;
	const char *m;
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(cycles); i++) {
		c = &cycles[i];
		TH_LOG("cycle %u: unload %s %s %s, load %s %s %s", i,
		       c->unload[0], c->unload[1] ?: "", c->unload[2] ?: "",
		       c->load[0], c->load[1] ?: "", c->load[2] ?: "");
		for (j = 0; (m = c->unload[j]); j++) {
			/* ioasid goes last: refused while a user is left. */
			if (strcmp(m, "ioasid") && mod_loaded("ioasid"))
				ASSERT_EQ(-EWOULDBLOCK, mod_unload("ioasid"));
			if (!strcmp(m, "vtd_sm"))
				ASSERT_EQ(0, release_units());
			ASSERT_EQ(0, mod_unload(m))
				TH_LOG("rmmod %s", c->unload[j]);
			ASSERT_TRUE(mod_gone(m))
				TH_LOG("%s left files", c->unload[j]);
		}
		if (!mod_loaded("ioasid")) {
			/* Neither user loads without it. */
			ASSERT_EQ(-ENOENT, mod_load("vtd_sm"));
			ASSERT_EQ(-ENOENT, mod_load("iommufd_pasid"));
			ASSERT_FALSE(mod_loaded("vtd_sm"));
			ASSERT_FALSE(mod_loaded("iommufd_pasid"));
		}
		for (j = 0; c->load[j]; j++)
			ASSERT_EQ(0, mod_load(c->load[j]))
				TH_LOG("insmod %s", c->load[j] ?: "");
		ASSERT_TRUE(exists("%s", VTD_DRV "/vtd_sm.0"));
		ASSERT_TRUE(dma_works(self->err, sizeof(self->err)))
			TH_LOG("after cycle %u: %s", i, self->err);
	}
}

TEST_HARNESS_MAIN
