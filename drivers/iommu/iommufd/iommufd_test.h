/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The iommufd test ABI: IOMMU_TEST_CMD on /dev/iommu, answered only by a
 * test build of iommufd_pasid.ko (IOMMUFD_PASID_TEST=y, see selftest.c).
 *
 * Linux's own kselftests (tools/testing/selftests/iommu/) drive a mock
 * IOMMU through this command.  The operation numbers, flags, constants
 * and structure layouts below are those of mainline's header of the same
 * name (6.12, plus the PASID-capable mock device and its PASID operations
 * of later kernels), so those tests run here unchanged; this is test ABI,
 * not stable uAPI.  Operations of this project only are numbered apart.
 */
#ifndef _UAPI_IOMMUFD_TEST_H
#define _UAPI_IOMMUFD_TEST_H

#include <linux/types.h>
#ifdef __KERNEL__
#include <uapi/linux/iommufd.h>
#else
#include <linux/iommufd.h>
#endif

/* Operations of IOMMU_TEST_CMD (&iommu_test_cmd.op). */
enum {
	IOMMU_TEST_OP_ADD_RESERVED = 1,
	IOMMU_TEST_OP_MOCK_DOMAIN,
	IOMMU_TEST_OP_MD_CHECK_MAP,
	IOMMU_TEST_OP_MD_CHECK_REFS,
	IOMMU_TEST_OP_CREATE_ACCESS,
	IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
	IOMMU_TEST_OP_ACCESS_PAGES,
	IOMMU_TEST_OP_ACCESS_RW,
	IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
	IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
	IOMMU_TEST_OP_ACCESS_REPLACE_IOAS,
	IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
	IOMMU_TEST_OP_DIRTY,
	IOMMU_TEST_OP_MD_CHECK_IOTLB,
	IOMMU_TEST_OP_TRIGGER_IOPF,
	/* 16 and 17 are mainline operations this mock does not have. */
	IOMMU_TEST_OP_PASID_ATTACH = 18,
	IOMMU_TEST_OP_PASID_REPLACE,
	IOMMU_TEST_OP_PASID_DETACH,
	IOMMU_TEST_OP_PASID_CHECK_HWPT,
};

/*
 * Operations of this project's mock only: far above mainline's numbers,
 * which grow by one from 1, so that neither takes the other's.
 */
enum {
	IOMMU_TEST_OP_MOCK_PASID_FAIL = 0x8000,
};

/* The IOVA window a mock paging domain translates. */
enum {
	MOCK_APERTURE_START = 1UL << 24,
	MOCK_APERTURE_LAST = (1UL << 31) - 1,
};

enum {
	MOCK_FLAGS_ACCESS_WRITE = 1 << 0,
	MOCK_FLAGS_ACCESS_SYZ = 1 << 16,
};

/* &iommu_test_cmd.access_rw.flags */
enum {
	MOCK_ACCESS_RW_WRITE = 1 << 0,
	MOCK_ACCESS_RW_SLOW_PATH = 1 << 2,
};

/* &iommu_test_cmd.create_access.flags */
enum {
	MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES = 1 << 0,
};

/* &iommu_test_cmd.mock_domain_flags.dev_flags */
enum {
	MOCK_FLAGS_DEVICE_NO_DIRTY = 1 << 0,
	MOCK_FLAGS_DEVICE_HUGE_IOVA = 1 << 1,
	MOCK_FLAGS_DEVICE_PASID = 1 << 2,
};

/* A mock nested domain keeps this many IOTLB entries. */
enum {
	MOCK_NESTED_DOMAIN_IOTLB_ID_MAX = 3,
	MOCK_NESTED_DOMAIN_IOTLB_NUM = 4,
};

/**
 * struct iommu_test_cmd - ioctl(IOMMU_TEST_CMD)
 * @size: sizeof(struct iommu_test_cmd)
 * @op: IOMMU_TEST_OP_*
 * @id: the object the operation works on (IOAS, HWPT, mock device or
 *	access, depending on @op; for the PASID operations the mock device,
 *	its stdev_id)
 * @__reserved: must be 0
 * @last: marks the end of the structure as first released
 *
 * The union holds each operation's arguments and results; its members
 * are named after the operations.  PASID_ATTACH, _REPLACE and _DETACH
 * change what the mock device has attached at @pasid (0: the RID) as a
 * driver's calls of iommufd_device_pasid_attach() and the like would;
 * PASID_CHECK_HWPT succeeds if the HWPT @hwpt_id (0: none) is what the
 * IOMMU core holds at @pasid (EINVAL if not) and what the mock device has
 * set there (EIO if not).  MOCK_PASID_FAIL makes the next @count calls of
 * the mock's set_dev_pasid() for @pasid of the device fail with EIO,
 * leaving the PASID blocked, as a driver whose invalidation failed.
 */
struct iommu_test_cmd {
	__u32 size;
	__u32 op;
	__u32 id;
	__u32 __reserved;
	union {
		struct {
			__aligned_u64 start;
			__aligned_u64 length;
		} add_reserved;
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;
		} mock_domain;
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;
			__u32 dev_flags;
		} mock_domain_flags;
		struct {
			__u32 pt_id;
		} mock_domain_replace;
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} check_map;
		struct {
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 refs;
		} check_refs;
		struct {
			__u32 out_access_fd;
			__u32 flags;
		} create_access;
		struct {
			__u32 access_pages_id;
		} destroy_access_pages;
		struct {
			__u32 flags;
			__u32 out_access_pages_id;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} access_pages;
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 flags;
		} access_rw;
		struct {
			__u32 limit;
		} memory_limit;
		struct {
			__u32 ioas_id;
		} access_replace_ioas;
		struct {
			__u32 flags;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 page_size;
			__aligned_u64 uptr;
			__aligned_u64 out_nr_dirty;
		} dirty;
		struct {
			__u32 id;
			__u32 iotlb;
		} check_iotlb;
		struct {
			__u32 dev_id;
			__u32 pasid;
			__u32 grpid;
			__u32 perm;
			__u64 addr;
		} trigger_iopf;
		struct {
			__u32 pasid;
			__u32 pt_id;
		} pasid_attach;
		struct {
			__u32 pasid;
			__u32 pt_id;
		} pasid_replace;
		struct {
			__u32 pasid;
		} pasid_detach;
		struct {
			__u32 pasid;
			__u32 hwpt_id;
		} pasid_check;
		struct {
			__u32 pasid;
			__u32 count;
		} mock_pasid_fail;
	};
	__u32 last;
};

#define IOMMU_TEST_CMD _IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE + 32)

/* PASID width of a mock device made with MOCK_FLAGS_DEVICE_PASID. */
#define MOCK_PASID_WIDTH 20

/* IOMMU_GET_HW_INFO of a mock device: data type and register value. */
#define IOMMU_HW_INFO_TYPE_SELFTEST	0xfeedbeef
#define IOMMU_HW_INFO_SELFTEST_REGVAL	0xdeadbeef

/**
 * struct iommu_test_hw_info - IOMMU_HW_INFO_TYPE_SELFTEST data
 * @flags: 0
 * @test_reg: IOMMU_HW_INFO_SELFTEST_REGVAL
 */
struct iommu_test_hw_info {
	__u32 flags;
	__u32 test_reg;
};

/* Data type of a mock nested HWPT; no real enum iommu_hwpt_data_type. */
#define IOMMU_HWPT_DATA_SELFTEST 0xdead
#define IOMMU_TEST_IOTLB_DEFAULT 0xbadbeef

/**
 * struct iommu_hwpt_selftest - IOMMU_HWPT_DATA_SELFTEST
 * @iotlb: initial value of every IOTLB entry; must be
 *	   IOMMU_TEST_IOTLB_DEFAULT
 */
struct iommu_hwpt_selftest {
	__u32 iotlb;
};

/* Invalidation data types of a mock nested HWPT. */
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST 0xdeadbeef
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeef

/**
 * struct iommu_hwpt_invalidate_selftest - IOMMU_HWPT_INVALIDATE_DATA_SELFTEST
 * @flags: IOMMU_TEST_INVALIDATE_FLAG_ALL or 0
 * @iotlb_id: the IOTLB entry to clear (ignored with
 *	      IOMMU_TEST_INVALIDATE_FLAG_ALL)
 */
#define IOMMU_TEST_INVALIDATE_FLAG_ALL	0x1
struct iommu_hwpt_invalidate_selftest {
	__u32 flags;
	__u32 iotlb_id;
};

#endif /* _UAPI_IOMMUFD_TEST_H */
