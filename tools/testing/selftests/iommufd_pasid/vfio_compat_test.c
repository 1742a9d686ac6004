// SPDX-License-Identifier: GPL-2.0
/*
 * The VFIO type1 container ioctls on /dev/iommu and IOMMU_VFIO_IOAS:
 * the compatibility IOAS they act on, VFIO_GET_API_VERSION,
 * VFIO_CHECK_EXTENSION, VFIO_SET_IOMMU, VFIO_IOMMU_GET_INFO with its
 * capability chain, VFIO_IOMMU_MAP_DMA and VFIO_IOMMU_UNMAP_DMA, with
 * the errnos of mainline's vfio_compat.c.
 */
#include <linux/vfio.h>

#include "iommufd_utils.h"

#include "kselftest_harness.h"

static int vfio_ioas(int fd, __u16 op, __u32 *id)
{
	struct iommu_vfio_ioas cmd = {
		.size = sizeof(cmd),
		.op = op,
		.ioas_id = *id,
	};
	int rc = xioctl(fd, IOMMU_VFIO_IOAS, &cmd);

	if (!rc)
		*id = cmd.ioas_id;
	return rc;
}

static int map_dma(int fd, __u32 flags, void *va, __u64 len, __u64 iova)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = flags,
		.vaddr = (uintptr_t)va,
		.iova = iova,
		.size = len,
	};

	return ioctl(fd, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
}

static int unmap_dma(int fd, __u32 flags, __u64 iova, __u64 *len)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.flags = flags,
		.iova = iova,
		.size = *len,
	};
	int rc = ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &unmap) ? -errno : 0;

	if (!rc)
		*len = unmap.size;
	return rc;
}

static int ioctl_ret(int fd, unsigned long cmd, unsigned long arg)
{
	int rc = ioctl(fd, cmd, arg);

	return rc < 0 ? -errno : rc;
}

FIXTURE(compat) {
	int fd;
	__u32 ioas;
	size_t psz;
	void *buf;
};

FIXTURE_SETUP(compat)
{
	self->psz = page_size();
	self->fd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas));
	self->buf = buf_alloc(8 * self->psz, 0x11);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(compat)
{
	close(self->fd);
	munmap(self->buf, 8 * self->psz);
}

TEST_F(compat, vfio_ioas)
{
	struct iommu_vfio_ioas cmd = { .size = sizeof(cmd), .__reserved = 1 };
	__u32 id = 0, other;

	EXPECT_EQ(-ENODEV, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_GET, &id));
	id = self->ioas + 100;
	EXPECT_EQ(-ENOENT, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_SET, &id));
	EXPECT_EQ(-EOPNOTSUPP, vfio_ioas(self->fd, 3, &id));
	EXPECT_EQ(-EOPNOTSUPP, xioctl(self->fd, IOMMU_VFIO_IOAS, &cmd));

	id = self->ioas;
	ASSERT_EQ(0, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_SET, &id));
	id = 0;
	ASSERT_EQ(0, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_GET, &id));
	EXPECT_EQ(self->ioas, id);
	/* the compatibility IOAS is no reference: it can be destroyed */
	ASSERT_EQ(0, ioas_alloc(self->fd, &other));
	ASSERT_EQ(0, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_SET, &other));
	ASSERT_EQ(0, obj_destroy(self->fd, other));
	EXPECT_EQ(-ENODEV, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_GET, &id));

	id = self->ioas;
	ASSERT_EQ(0, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_SET, &id));
	EXPECT_EQ(0, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_CLEAR, &id));
	EXPECT_EQ(-ENODEV, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_GET, &id));
	/* CLEAR does not destroy */
	EXPECT_EQ(0, obj_destroy(self->fd, self->ioas));
}

TEST_F(compat, version_and_extensions)
{
	__u32 id = self->ioas;

	EXPECT_EQ(VFIO_API_VERSION,
		  ioctl_ret(self->fd, VFIO_GET_API_VERSION, 0));
	EXPECT_EQ(1, ioctl_ret(self->fd, VFIO_CHECK_EXTENSION,
			       VFIO_TYPE1_IOMMU));
	EXPECT_EQ(1, ioctl_ret(self->fd, VFIO_CHECK_EXTENSION,
			       VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(1, ioctl_ret(self->fd, VFIO_CHECK_EXTENSION,
			       VFIO_UNMAP_ALL));
	EXPECT_EQ(0, ioctl_ret(self->fd, VFIO_CHECK_EXTENSION,
			       VFIO_NOIOMMU_IOMMU));
	EXPECT_EQ(0, ioctl_ret(self->fd, VFIO_CHECK_EXTENSION,
			       VFIO_UPDATE_VADDR));
	EXPECT_EQ(0, ioctl_ret(self->fd, VFIO_CHECK_EXTENSION, 1000));
	/* coherency is a property of the compatibility IOAS */
	EXPECT_EQ(-ENODEV, ioctl_ret(self->fd, VFIO_CHECK_EXTENSION,
				     VFIO_DMA_CC_IOMMU));
	ASSERT_EQ(0, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_SET, &id));
	/* no HWPT: nothing that does not enforce it */
	EXPECT_EQ(1, ioctl_ret(self->fd, VFIO_CHECK_EXTENSION,
			       VFIO_DMA_CC_IOMMU));
}

TEST_F(compat, set_iommu)
{
	struct iommu_option huge = {
		.size = sizeof(huge),
		.option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = IOMMU_OPTION_OP_GET,
		.object_id = self->ioas,
	};
	__u32 id = self->ioas;

	EXPECT_EQ(-ENODEV, ioctl_ret(self->fd, VFIO_SET_IOMMU,
				     VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(0, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_SET, &id));
	EXPECT_EQ(-EINVAL, ioctl_ret(self->fd, VFIO_SET_IOMMU,
				     VFIO_NOIOMMU_IOMMU));
	EXPECT_EQ(-EINVAL, ioctl_ret(self->fd, VFIO_SET_IOMMU, 1000));
	EXPECT_EQ(0, ioctl_ret(self->fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(0, xioctl(self->fd, IOMMU_OPTION, &huge));
	EXPECT_EQ(1ULL, huge.val64);
	/* the original TYPE1 turns the IOAS's large pages off, as mainline */
	EXPECT_EQ(0, ioctl_ret(self->fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	ASSERT_EQ(0, xioctl(self->fd, IOMMU_OPTION, &huge));
	EXPECT_EQ(0ULL, huge.val64);
}

TEST_F(compat, get_info)
{
	struct vfio_iommu_type1_info *info;
	struct vfio_info_cap_header *hdr;
	struct vfio_iommu_type1_info_cap_iova_range *iova = NULL;
	struct vfio_iommu_type1_info_dma_avail *avail = NULL;
	static __u64 words[64];
	char *buf = (char *)words;
	__u32 id = self->ioas, full;

	info = (void *)buf;
	memset(words, 0, sizeof(words));
	info->argsz = sizeof(*info);
	EXPECT_EQ(-ENODEV, ioctl_ret(self->fd, VFIO_IOMMU_GET_INFO,
				     (unsigned long)info));
	ASSERT_EQ(0, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_SET, &id));
	info->argsz = 8;
	EXPECT_EQ(-EINVAL, ioctl_ret(self->fd, VFIO_IOMMU_GET_INFO,
				     (unsigned long)info));

	/* no room for capabilities: argsz tells how much is needed */
	info->argsz = sizeof(*info);
	ASSERT_EQ(0, ioctl_ret(self->fd, VFIO_IOMMU_GET_INFO,
			       (unsigned long)info));
	EXPECT_EQ((__u32)(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS),
		  info->flags);
	EXPECT_NE(0ULL, info->iova_pgsizes & self->psz);
	EXPECT_EQ(0ULL, info->iova_pgsizes & (self->psz - 1));
	EXPECT_EQ(0U, info->cap_offset);
	ASSERT_LT(sizeof(*info), info->argsz);
	ASSERT_GE(sizeof(words), info->argsz);
	full = info->argsz;

	memset(words, 0, sizeof(words));
	info->argsz = full;
	ASSERT_EQ(0, ioctl_ret(self->fd, VFIO_IOMMU_GET_INFO,
			       (unsigned long)info));
	EXPECT_EQ(full, info->argsz);
	ASSERT_EQ(sizeof(*info), info->cap_offset);
	hdr = (void *)(buf + info->cap_offset);
	while (hdr) {
		if (hdr->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE)
			iova = (void *)hdr;
		if (hdr->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL)
			avail = (void *)hdr;
		EXPECT_EQ(1U, hdr->version);
		ASSERT_GT(full, hdr->next);
		hdr = hdr->next ? (void *)(buf + hdr->next) : NULL;
	}
	ASSERT_NE(NULL, iova);
	ASSERT_NE(NULL, avail);
	EXPECT_EQ(~0U, avail->avail);
	/* an empty IOAS: the whole space in one range */
	ASSERT_EQ(1U, iova->nr_iovas);
	EXPECT_EQ(0ULL, iova->iova_ranges[0].start);
	EXPECT_EQ(~0ULL, iova->iova_ranges[0].end);
}

TEST_F(compat, map_unmap_dma)
{
	const __u32 rw = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	struct vfio_iommu_type1_dma_map small = { .argsz = 8 };
	__u64 iova = 0x400000, len;
	__u32 id = self->ioas;

	EXPECT_EQ(-ENODEV, map_dma(self->fd, rw, self->buf, self->psz, iova));
	ASSERT_EQ(0, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_SET, &id));
	EXPECT_EQ(-EINVAL, map_dma(self->fd, rw | VFIO_DMA_MAP_FLAG_VADDR,
				   self->buf, self->psz, iova));
	EXPECT_EQ(-EINVAL, ioctl_ret(self->fd, VFIO_IOMMU_MAP_DMA,
				     (unsigned long)&small));

	ASSERT_EQ(0, map_dma(self->fd, rw, self->buf, 4 * self->psz, iova));
	/* the mapping is in the IOAS, at the IOVA given */
	EXPECT_EQ(-EEXIST, map_dma(self->fd, rw, self->buf, self->psz,
				   iova + self->psz));
	ASSERT_EQ(0, map_dma(self->fd, VFIO_DMA_MAP_FLAG_READ, self->buf,
			     self->psz, iova + 8 * self->psz));

	/* a part of a mapping cannot be unmapped */
	len = self->psz;
	EXPECT_EQ(-ENOENT, unmap_dma(self->fd, 0, iova, &len));
	len = 4 * self->psz;
	ASSERT_EQ(0, unmap_dma(self->fd, 0, iova, &len));
	EXPECT_EQ(4 * self->psz, len);
	/* nothing left there: success, nothing unmapped (as VFIO type1) */
	len = 4 * self->psz;
	EXPECT_EQ(0, unmap_dma(self->fd, 0, iova, &len));
	EXPECT_EQ(0ULL, len);
	len = 0;
	EXPECT_EQ(-EINVAL, unmap_dma(self->fd, VFIO_DMA_UNMAP_FLAG_ALL, iova,
				     &len));
	EXPECT_EQ(-EINVAL, unmap_dma(self->fd,
				     VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, 0,
				     &len));
	len = 0;
	ASSERT_EQ(0, unmap_dma(self->fd, VFIO_DMA_UNMAP_FLAG_ALL, 0, &len));
	EXPECT_EQ(self->psz, len);
	/* and IOMMU_IOAS_UNMAP agrees that nothing is left */
	EXPECT_EQ(-ENOENT, ioas_unmap(self->fd, self->ioas, iova + 8 * self->psz,
				      self->psz));
}

/* Type1 v1 may unmap part of a mapping: the mapping is cut first. */
TEST_F(compat, type1v1_partial_unmap)
{
	const __u32 rw = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	__u64 iova = 0x400000, len;
	__u32 id = self->ioas;

	ASSERT_EQ(0, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_SET, &id));
	ASSERT_EQ(0, ioctl_ret(self->fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	ASSERT_EQ(0, map_dma(self->fd, rw, self->buf, 4 * self->psz, iova));

	/* inside a page: no cut */
	len = self->psz;
	EXPECT_EQ(-EINVAL, unmap_dma(self->fd, 0, iova + 1, &len));
	/* the second page, then the last: each removed alone */
	len = self->psz;
	ASSERT_EQ(0, unmap_dma(self->fd, 0, iova + self->psz, &len));
	EXPECT_EQ(self->psz, len);
	len = self->psz;
	ASSERT_EQ(0, unmap_dma(self->fd, 0, iova + 3 * self->psz, &len));
	EXPECT_EQ(self->psz, len);
	/* their IOVAs are free again, the others are not */
	EXPECT_EQ(-EEXIST, map_dma(self->fd, rw, self->buf, self->psz, iova));
	EXPECT_EQ(-EEXIST, map_dma(self->fd, rw, self->buf, self->psz,
				   iova + 2 * self->psz));
	ASSERT_EQ(0, map_dma(self->fd, rw, self->buf, self->psz,
			     iova + self->psz));
	/* a range over a mapping and a hole */
	len = 2 * self->psz;
	ASSERT_EQ(0, unmap_dma(self->fd, 0, iova + 2 * self->psz, &len));
	EXPECT_EQ(self->psz, len);
	len = 0;
	ASSERT_EQ(0, unmap_dma(self->fd, VFIO_DMA_UNMAP_FLAG_ALL, 0, &len));
	EXPECT_EQ(2 * self->psz, len);
}

TEST_HARNESS_MAIN
