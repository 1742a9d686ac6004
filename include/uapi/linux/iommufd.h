/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /dev/iommu: the iommufd user API.
 *
 * The binary interface (ioctl numbers, structure layouts, flag and enum
 * values) is the one of the mainline Linux iommufd uAPI header, v6.15
 * and later, for every ioctl listed here; a program written for
 * mainline works unchanged.  The text is this project's own.  Anything that
 * mainline does not have is marked "EXTENSION" below.
 *
 * Include guard: this file deliberately uses the same guard as the 6.12
 * kernel's own, older copy of this header.  The module's Kbuild
 * force-includes this file first, so the older copy, if anything pulls it
 * in, compiles to nothing and every definition comes from here.
 */
#ifndef _UAPI_IOMMUFD_H
#define _UAPI_IOMMUFD_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define IOMMUFD_TYPE (';')

/**
 * DOC: Calling convention
 *
 * Every ioctl takes a pointer to a structure whose first __u32 is the size
 * of that structure as userspace knows it.  The kernel reads the bytes it
 * understands and requires any bytes past them to be zero, so a newer,
 * larger structure keeps working on an older kernel as long as the new
 * fields are left zero.
 *
 * Errors that mean the same thing for every ioctl:
 *
 *  - ENOTTY: the ioctl number is not known;
 *  - E2BIG: the structure is larger than the kernel knows and the extra
 *    bytes are not zero;
 *  - EOPNOTSUPP: a known field (usually flags or a reserved field) holds a
 *    value the kernel does not support;
 *  - EINVAL: the request is understood but a value is not acceptable
 *    (also: size smaller than the smallest known version);
 *  - ENOENT: an object ID or an IOVA does not exist;
 *  - ENOMEM: out of memory, or over the caller's RLIMIT_MEMLOCK;
 *  - EOVERFLOW: an address or length computation overflows.
 */
enum {
	IOMMUFD_CMD_BASE = 0x80,
	IOMMUFD_CMD_DESTROY = IOMMUFD_CMD_BASE,
	IOMMUFD_CMD_IOAS_ALLOC = 0x81,
	IOMMUFD_CMD_IOAS_ALLOW_IOVAS = 0x82,
	IOMMUFD_CMD_IOAS_COPY = 0x83,
	IOMMUFD_CMD_IOAS_IOVA_RANGES = 0x84,
	IOMMUFD_CMD_IOAS_MAP = 0x85,
	IOMMUFD_CMD_IOAS_UNMAP = 0x86,
	IOMMUFD_CMD_OPTION = 0x87,
	IOMMUFD_CMD_VFIO_IOAS = 0x88,
	IOMMUFD_CMD_HWPT_ALLOC = 0x89,
	IOMMUFD_CMD_GET_HW_INFO = 0x8a,
	IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING = 0x8b,
	IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP = 0x8c,
	IOMMUFD_CMD_HWPT_INVALIDATE = 0x8d,
	IOMMUFD_CMD_FAULT_QUEUE_ALLOC = 0x8e,
	IOMMUFD_CMD_IOAS_MAP_FILE = 0x8f,
	IOMMUFD_CMD_VIOMMU_ALLOC = 0x90,
	IOMMUFD_CMD_VDEVICE_ALLOC = 0x91,
	IOMMUFD_CMD_IOAS_CHANGE_PROCESS = 0x92,
	IOMMUFD_CMD_VEVENTQ_ALLOC = 0x93,
	/*
	 * 0x93 is the last command of v6.15; later mainline kernels go on
	 * from 0x94.  EXTENSION commands of this project take numbers far
	 * above them.
	 */

	/*
	 * EXTENSION, NOT mainline: PASID allocation.  IOMMUFD_CMD_BASE + 0x40
	 * leaves mainline room for 0x2c more commands after v6.15's last one
	 * (0x93), so a mainline kernel does not give these numbers another
	 * meaning in the foreseeable future, and answers them with ENOTTY.
	 */
	IOMMUFD_CMD_EXT_PASID_ALLOC = IOMMUFD_CMD_BASE + 0x40,
	IOMMUFD_CMD_EXT_PASID_FREE = IOMMUFD_CMD_BASE + 0x41,
};

/**
 * struct iommu_destroy - ioctl(IOMMU_DESTROY)
 * @size: sizeof(struct iommu_destroy)
 * @id: ID of the object to destroy, of any type
 *
 * Destroys one object of this iommufd.  Fails with EBUSY while another
 * object (or an in-flight operation) still uses it, and with ENOENT if the
 * ID does not name an object of this file descriptor.
 */
struct iommu_destroy {
	__u32 size;
	__u32 id;
};

#define IOMMU_DESTROY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY)

/**
 * struct iommu_ioas_alloc - ioctl(IOMMU_IOAS_ALLOC)
 * @size: sizeof(struct iommu_ioas_alloc)
 * @flags: must be 0
 * @out_ioas_id: returns the ID of the new IOAS
 *
 * Creates an I/O address space (IOAS): a set of mappings from I/O virtual
 * addresses (IOVA) to user memory, which the kernel keeps in sync with
 * every page table (HWPT) built from it.
 */
struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioas_id;
};

#define IOMMU_IOAS_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC)

/**
 * struct iommu_iova_range - an inclusive IOVA interval
 * @start: first IOVA of the interval
 * @last: last IOVA of the interval (inclusive)
 */
struct iommu_iova_range {
	__aligned_u64 start;
	__aligned_u64 last;
};

/**
 * struct iommu_ioas_iova_ranges - ioctl(IOMMU_IOAS_IOVA_RANGES)
 * @size: sizeof(struct iommu_ioas_iova_ranges)
 * @ioas_id: the IOAS to query
 * @num_iovas: in: number of entries in the @allowed_iovas array;
 *             out: number of usable ranges the IOAS has
 * @__reserved: must be 0
 * @allowed_iovas: user pointer to an array of struct iommu_iova_range
 * @out_iova_alignment: returns the alignment every IOVA and length given to
 *                      IOMMU_IOAS_MAP and IOMMU_IOAS_COPY must have
 *
 * Reports the IOVA ranges in which mappings may be placed: the whole
 * address space minus what is reserved (by the attached hardware, for
 * instance).  The ranges can shrink when a device is attached and grow
 * when it is detached.
 *
 * The array is filled as far as it has room.  If @num_iovas on input was
 * smaller than the number of ranges, the ioctl still writes back
 * @num_iovas (the number needed) and @out_iova_alignment, and fails with
 * EMSGSIZE; the caller retries with a larger array.
 *
 * @out_iova_alignment is a power of two no larger than the CPU page size.
 */
struct iommu_ioas_iova_ranges {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;
	__aligned_u64 out_iova_alignment;
};

#define IOMMU_IOAS_IOVA_RANGES _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_IOVA_RANGES)

/**
 * struct iommu_ioas_allow_iovas - ioctl(IOMMU_IOAS_ALLOW_IOVAS)
 * @size: sizeof(struct iommu_ioas_allow_iovas)
 * @ioas_id: the IOAS to change
 * @num_iovas: number of entries in @allowed_iovas (0 clears the list)
 * @__reserved: must be 0
 * @allowed_iovas: user pointer to an array of struct iommu_iova_range
 *
 * Replaces the IOAS's list of allowed ranges.  While the list is not
 * empty, IOMMU_IOAS_MAP and IOMMU_IOAS_COPY without
 * IOMMU_IOAS_MAP_FIXED_IOVA only pick IOVAs inside it, and no attachment
 * may reserve IOVA inside it.  Mappings made at a fixed IOVA are not
 * restricted by it.  Fails with EINVAL if a range has @start not below
 * @last or overlaps another range of the list, and with EADDRINUSE if a
 * range is already reserved.
 */
struct iommu_ioas_allow_iovas {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;
};

#define IOMMU_IOAS_ALLOW_IOVAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOW_IOVAS)

/**
 * enum iommufd_ioas_map_flags - flags of IOMMU_IOAS_MAP and IOMMU_IOAS_COPY
 * @IOMMU_IOAS_MAP_FIXED_IOVA: map at the given IOVA; without it the kernel
 *                             chooses the IOVA and returns it
 * @IOMMU_IOAS_MAP_WRITEABLE: devices may write through the mapping
 * @IOMMU_IOAS_MAP_READABLE: devices may read through the mapping
 */
enum iommufd_ioas_map_flags {
	IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0,
	IOMMU_IOAS_MAP_WRITEABLE = 1 << 1,
	IOMMU_IOAS_MAP_READABLE = 1 << 2,
};

/**
 * struct iommu_ioas_map - ioctl(IOMMU_IOAS_MAP)
 * @size: sizeof(struct iommu_ioas_map)
 * @flags: enum iommufd_ioas_map_flags; at least one of READABLE and
 *         WRITEABLE
 * @ioas_id: the IOAS to map into
 * @__reserved: must be 0
 * @user_va: start of the user memory to map
 * @length: number of bytes to map
 * @iova: the IOVA to map at (with IOMMU_IOAS_MAP_FIXED_IOVA), or returns
 *        the IOVA the kernel chose
 *
 * Pins the user memory and maps it at an IOVA.  A fixed IOVA range must
 * be free (EEXIST otherwise) and must not touch a reserved range (EINVAL).
 * The pinned pages are charged to the caller's RLIMIT_MEMLOCK unless it
 * has CAP_IPC_LOCK.
 */
struct iommu_ioas_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};

#define IOMMU_IOAS_MAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP)

/**
 * struct iommu_ioas_map_file - ioctl(IOMMU_IOAS_MAP_FILE)
 * @size: sizeof(struct iommu_ioas_map_file)
 * @flags: enum iommufd_ioas_map_flags, as for IOMMU_IOAS_MAP
 * @ioas_id: the IOAS to map into
 * @fd: a memfd whose pages are mapped
 * @start: offset in bytes into the file of the first byte to map
 * @length: number of bytes to map
 * @iova: as for IOMMU_IOAS_MAP
 *
 * IOMMU_IOAS_MAP with the memory taken from a file instead of the
 * caller's address space: the same flags, errors and accounting.  Only
 * memfds (shmem, hugetlbfs) can be mapped.  The memory belongs to no
 * address space, so its charge can move to another process
 * (IOMMU_IOAS_CHANGE_PROCESS).
 */
struct iommu_ioas_map_file {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__s32 fd;
	__aligned_u64 start;
	__aligned_u64 length;
	__aligned_u64 iova;
};

#define IOMMU_IOAS_MAP_FILE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP_FILE)

/**
 * struct iommu_ioas_copy - ioctl(IOMMU_IOAS_COPY)
 * @size: sizeof(struct iommu_ioas_copy)
 * @flags: enum iommufd_ioas_map_flags, as for IOMMU_IOAS_MAP
 * @dst_ioas_id: the IOAS to map into
 * @src_ioas_id: the IOAS to copy from
 * @length: number of bytes to copy
 * @dst_iova: the IOVA to map at (with IOMMU_IOAS_MAP_FIXED_IOVA), or
 *            returns the IOVA the kernel chose
 * @src_iova: the IOVA in the source IOAS to start at
 *
 * Maps into the destination the same memory that the source IOAS maps at
 * [@src_iova, @src_iova + @length).  The source range must be entirely
 * mapped.  No pages are pinned again: the pinned memory is shared.
 */
struct iommu_ioas_copy {
	__u32 size;
	__u32 flags;
	__u32 dst_ioas_id;
	__u32 src_ioas_id;
	__aligned_u64 length;
	__aligned_u64 dst_iova;
	__aligned_u64 src_iova;
};

#define IOMMU_IOAS_COPY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_COPY)

/**
 * struct iommu_ioas_unmap - ioctl(IOMMU_IOAS_UNMAP)
 * @size: sizeof(struct iommu_ioas_unmap)
 * @ioas_id: the IOAS to change
 * @iova: first IOVA to unmap
 * @length: in: number of bytes; out: number of bytes actually unmapped
 *
 * Removes every mapping that lies inside the range.  A mapping made by one
 * IOMMU_IOAS_MAP or IOMMU_IOAS_COPY is removed whole or not at all: a range
 * that cuts one fails with ENOENT, and so does a range with no mapping in
 * it.  @iova 0 with @length U64_MAX removes everything (and succeeds on an
 * empty IOAS).
 */
struct iommu_ioas_unmap {
	__u32 size;
	__u32 ioas_id;
	__aligned_u64 iova;
	__aligned_u64 length;
};

#define IOMMU_IOAS_UNMAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_UNMAP)

/**
 * enum iommufd_option - the options of IOMMU_OPTION
 * @IOMMU_OPTION_RLIMIT_MODE: how pinned memory is charged against
 *	RLIMIT_MEMLOCK, for the whole context (@object_id 0): 0 (the
 *	default) charges the user, 1 charges the process.  Setting it needs
 *	CAP_SYS_RESOURCE and a context without objects.
 * @IOMMU_OPTION_HUGE_PAGES: per IOAS (@object_id is its ID): 1 (the
 *	default) lets the kernel map physically contiguous pages with
 *	large IOMMU pages, 0 maps every CPU page on its own.
 */
enum iommufd_option {
	IOMMU_OPTION_RLIMIT_MODE = 0,
	IOMMU_OPTION_HUGE_PAGES = 1,
};

/**
 * enum iommufd_option_ops - what IOMMU_OPTION does with the option
 * @IOMMU_OPTION_OP_SET: store @val64 as the option's value
 * @IOMMU_OPTION_OP_GET: return the option's value in @val64
 */
enum iommufd_option_ops {
	IOMMU_OPTION_OP_SET = 0,
	IOMMU_OPTION_OP_GET = 1,
};

/**
 * struct iommu_option - ioctl(IOMMU_OPTION)
 * @size: sizeof(struct iommu_option)
 * @option_id: enum iommufd_option
 * @op: enum iommufd_option_ops
 * @__reserved: must be 0
 * @object_id: the object the option belongs to, or 0 for a context-wide
 *	option
 * @val64: the value to set, or the value read
 *
 * Reads or changes one option.  Errors: EOPNOTSUPP for an unknown option
 * or operation, a non-zero reserved field or an @object_id the option
 * does not take; EINVAL for a value out of range; ENOENT for an unknown
 * IOAS; EPERM and EBUSY as described for the option.
 */
struct iommu_option {
	__u32 size;
	__u32 option_id;
	__u16 op;
	__u16 __reserved;
	__u32 object_id;
	__aligned_u64 val64;
};

#define IOMMU_OPTION _IO(IOMMUFD_TYPE, IOMMUFD_CMD_OPTION)

/**
 * enum iommufd_vfio_ioas_op - operations of IOMMU_VFIO_IOAS
 * @IOMMU_VFIO_IOAS_GET: return the IOAS the VFIO type1 ioctls act on
 * @IOMMU_VFIO_IOAS_SET: make @ioas_id that IOAS
 * @IOMMU_VFIO_IOAS_CLEAR: forget it (the IOAS itself is not destroyed)
 */
enum iommufd_vfio_ioas_op {
	IOMMU_VFIO_IOAS_GET = 0,
	IOMMU_VFIO_IOAS_SET = 1,
	IOMMU_VFIO_IOAS_CLEAR = 2,
};

/**
 * struct iommu_vfio_ioas - ioctl(IOMMU_VFIO_IOAS)
 * @size: sizeof(struct iommu_vfio_ioas)
 * @ioas_id: input of SET, output of GET
 * @op: enum iommufd_vfio_ioas_op
 * @__reserved: must be 0
 *
 * The VFIO type1 ioctls on /dev/iommu (VFIO_IOMMU_MAP_DMA and friends)
 * name no IOAS, so they act on one "compatibility" IOAS of the context,
 * chosen here.  GET fails with ENODEV while none is set.  The context
 * holds no reference on that IOAS: destroying it clears the choice.
 */
struct iommu_vfio_ioas {
	__u32 size;
	__u32 ioas_id;
	__u16 op;
	__u16 __reserved;
};

#define IOMMU_VFIO_IOAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VFIO_IOAS)

/**
 * enum iommufd_hwpt_alloc_flags - flags of IOMMU_HWPT_ALLOC
 * @IOMMU_HWPT_ALLOC_NEST_PARENT: the HWPT may be the parent (second stage)
 *                                of nested HWPTs
 * @IOMMU_HWPT_ALLOC_DIRTY_TRACKING: the HWPT must support dirty tracking
 * @IOMMU_HWPT_FAULT_ID_VALID: @fault_id of struct iommu_hwpt_alloc is valid
 * @IOMMU_HWPT_ALLOC_PASID: the HWPT may be attached to PASIDs of a device.
 *                          While any PASID of a device is attached, its
 *                          RID may only hold HWPTs with this flag.
 */
enum iommufd_hwpt_alloc_flags {
	IOMMU_HWPT_ALLOC_NEST_PARENT = 1 << 0,
	IOMMU_HWPT_ALLOC_DIRTY_TRACKING = 1 << 1,
	IOMMU_HWPT_FAULT_ID_VALID = 1 << 2,
	IOMMU_HWPT_ALLOC_PASID = 1 << 3,
};

/**
 * enum iommu_hwpt_vtd_s1_flags - attributes of a VT-d first-stage table
 * @IOMMU_VTD_S1_SRE: supervisor requests are allowed
 * @IOMMU_VTD_S1_EAFE: extended access flag enable
 * @IOMMU_VTD_S1_WPE: write protect enable
 */
enum iommu_hwpt_vtd_s1_flags {
	IOMMU_VTD_S1_SRE = 1 << 0,
	IOMMU_VTD_S1_EAFE = 1 << 1,
	IOMMU_VTD_S1_WPE = 1 << 2,
};

/**
 * struct iommu_hwpt_vtd_s1 - VT-d first-stage (guest) page table
 *                            (IOMMU_HWPT_DATA_VTD_S1)
 * @flags: enum iommu_hwpt_vtd_s1_flags
 * @pgtbl_addr: address of the first-stage page table root, an IOVA of the
 *              parent HWPT
 * @addr_width: input address width of the first-stage table
 * @__reserved: must be 0
 */
struct iommu_hwpt_vtd_s1 {
	__aligned_u64 flags;
	__aligned_u64 pgtbl_addr;
	__u32 addr_width;
	__u32 __reserved;
};

/**
 * struct iommu_hwpt_arm_smmuv3 - ARM SMMUv3 nested stream table entry
 *				  (IOMMU_HWPT_DATA_ARM_SMMUV3)
 * @ste: the first two 64-bit words of the guest's STE, little endian
 *
 * Defined for ABI compatibility; no driver here takes it.
 */
struct iommu_hwpt_arm_smmuv3 {
	__aligned_le64 ste[2];
};

/**
 * enum iommu_hwpt_data_type - format of the data of IOMMU_HWPT_ALLOC
 * @IOMMU_HWPT_DATA_NONE: no data: a kernel-managed page table
 * @IOMMU_HWPT_DATA_VTD_S1: struct iommu_hwpt_vtd_s1
 * @IOMMU_HWPT_DATA_ARM_SMMUV3: ARM SMMUv3 (not supported here)
 */
enum iommu_hwpt_data_type {
	IOMMU_HWPT_DATA_NONE = 0,
	IOMMU_HWPT_DATA_VTD_S1 = 1,
	IOMMU_HWPT_DATA_ARM_SMMUV3 = 2,
};

/**
 * struct iommu_hwpt_alloc - ioctl(IOMMU_HWPT_ALLOC)
 * @size: sizeof(struct iommu_hwpt_alloc)
 * @flags: enum iommufd_hwpt_alloc_flags
 * @dev_id: the bound device the HWPT is made for
 * @pt_id: an IOAS (for a kernel-managed HWPT) or a nesting parent HWPT (for
 *         a nested HWPT)
 * @out_hwpt_id: returns the ID of the new HWPT
 * @__reserved: must be 0
 * @data_type: enum iommu_hwpt_data_type
 * @data_len: length of the data at @data_uptr
 * @data_uptr: user pointer to the type-specific data
 * @fault_id: ID of a fault object, used with IOMMU_HWPT_FAULT_ID_VALID
 * @__reserved2: padding to 64-bit alignment; set it to 0, the kernel does
 *               not check it
 *
 * Creates a hardware page table (an IOMMU domain).  From an IOAS with
 * @data_type IOMMU_HWPT_DATA_NONE and no data, it is a page table the
 * kernel fills from the IOAS mappings and keeps in sync with them.  From a
 * nesting parent HWPT with a driver @data_type, it is a first-stage table
 * owned by userspace and translated through the parent.
 */
struct iommu_hwpt_alloc {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 pt_id;
	__u32 out_hwpt_id;
	__u32 __reserved;
	__u32 data_type;
	__u32 data_len;
	__aligned_u64 data_uptr;
	__u32 fault_id;
	__u32 __reserved2;
};

#define IOMMU_HWPT_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_ALLOC)

/**
 * enum iommu_hw_info_vtd_flags - flags of struct iommu_hw_info_vtd
 * @IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17: read-only mappings must not be
 *                                         used in a nesting parent (Intel
 *                                         erratum 772415)
 */
enum iommu_hw_info_vtd_flags {
	IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17 = 1 << 0,
};

/**
 * struct iommu_hw_info_vtd - VT-d unit information (IOMMU_HW_INFO_TYPE_INTEL_VTD)
 * @flags: enum iommu_hw_info_vtd_flags
 * @__reserved: must be 0
 * @cap_reg: the unit's Capability Register
 * @ecap_reg: the unit's Extended Capability Register
 *
 * The register values are as the VT-d specification defines them, with
 * only the bits a virtual unit may advertise left set.
 */
struct iommu_hw_info_vtd {
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 cap_reg;
	__aligned_u64 ecap_reg;
};

/**
 * struct iommu_hw_info_arm_smmuv3 - ARM SMMUv3 unit information
 *				     (IOMMU_HW_INFO_TYPE_ARM_SMMUV3)
 * @flags: 0
 * @__reserved: 0
 * @idr: the SMMU_IDR0..5 registers
 * @iidr: the SMMU_IIDR register
 * @aidr: the SMMU_AIDR register
 *
 * Defined for ABI compatibility; no driver here reports it.
 */
struct iommu_hw_info_arm_smmuv3 {
	__u32 flags;
	__u32 __reserved;
	__u32 idr[6];
	__u32 iidr;
	__u32 aidr;
};

/**
 * enum iommu_hw_info_type - format of the data of IOMMU_GET_HW_INFO
 * @IOMMU_HW_INFO_TYPE_NONE: the driver reports no data
 * @IOMMU_HW_INFO_TYPE_DEFAULT: (input) the driver's default type
 * @IOMMU_HW_INFO_TYPE_INTEL_VTD: struct iommu_hw_info_vtd
 * @IOMMU_HW_INFO_TYPE_ARM_SMMUV3: struct iommu_hw_info_arm_smmuv3
 */
enum iommu_hw_info_type {
	IOMMU_HW_INFO_TYPE_NONE = 0,
	IOMMU_HW_INFO_TYPE_DEFAULT = 0,
	IOMMU_HW_INFO_TYPE_INTEL_VTD = 1,
	IOMMU_HW_INFO_TYPE_ARM_SMMUV3 = 2,
};

/**
 * enum iommufd_hw_capabilities - generic capabilities of IOMMU_GET_HW_INFO
 * @IOMMU_HW_CAP_DIRTY_TRACKING: the IOMMU can track dirty IOVAs
 * @IOMMU_HW_CAP_PCI_PASID_EXEC: the device may send PASID-tagged requests
 *                               with the Execute bit (only meaningful when
 *                               out_max_pasid_log2 is not 0)
 * @IOMMU_HW_CAP_PCI_PASID_PRIV: the device may send PASID-tagged requests
 *                               with the Privileged bit (likewise)
 */
enum iommufd_hw_capabilities {
	IOMMU_HW_CAP_DIRTY_TRACKING = 1 << 0,
	IOMMU_HW_CAP_PCI_PASID_EXEC = 1 << 1,
	IOMMU_HW_CAP_PCI_PASID_PRIV = 1 << 2,
};

/**
 * enum iommufd_hw_info_flags - flags of struct iommu_hw_info
 * @IOMMU_HW_INFO_FLAG_INPUT_TYPE: @in_data_type selects the data type
 */
enum iommufd_hw_info_flags {
	IOMMU_HW_INFO_FLAG_INPUT_TYPE = 1 << 0,
};

/**
 * struct iommu_hw_info - ioctl(IOMMU_GET_HW_INFO)
 * @size: sizeof(struct iommu_hw_info)
 * @flags: enum iommufd_hw_info_flags
 * @dev_id: the bound device to ask about
 * @data_len: in: size of the buffer at @data_uptr; out: size of the data
 *            the kernel has
 * @data_uptr: user pointer to a buffer for the type-specific data
 * @in_data_type: with IOMMU_HW_INFO_FLAG_INPUT_TYPE, the data type wanted
 * @out_data_type: returns the type of the data written (enum
 *                 iommu_hw_info_type)
 * @out_max_pasid_log2: returns the PASID width of the device; 0 means the
 *                      device cannot use PASIDs
 * @__reserved: must be 0
 * @out_capabilities: returns enum iommufd_hw_capabilities
 *
 * Describes the IOMMU behind a device so that a VMM can model a matching
 * virtual IOMMU.  The data is truncated to @data_len bytes, or the rest of
 * the buffer is zeroed if it is larger.
 */
struct iommu_hw_info {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 data_len;
	__aligned_u64 data_uptr;
	union {
		__u32 in_data_type;
		__u32 out_data_type;
	};
	__u8 out_max_pasid_log2;
	__u8 __reserved[3];
	__aligned_u64 out_capabilities;
};

#define IOMMU_GET_HW_INFO _IO(IOMMUFD_TYPE, IOMMUFD_CMD_GET_HW_INFO)

/**
 * enum iommufd_hwpt_set_dirty_tracking_flags - flags of
 *	IOMMU_HWPT_SET_DIRTY_TRACKING
 * @IOMMU_HWPT_DIRTY_TRACKING_ENABLE: start tracking; without it, stop
 */
enum iommufd_hwpt_set_dirty_tracking_flags {
	IOMMU_HWPT_DIRTY_TRACKING_ENABLE = 1,
};

/**
 * struct iommu_hwpt_set_dirty_tracking - ioctl(IOMMU_HWPT_SET_DIRTY_TRACKING)
 * @size: sizeof(struct iommu_hwpt_set_dirty_tracking)
 * @flags: enum iommufd_hwpt_set_dirty_tracking_flags
 * @hwpt_id: a paging HWPT allocated with IOMMU_HWPT_ALLOC_DIRTY_TRACKING
 * @__reserved: must be 0
 *
 * Starts or stops the recording of device writes in the HWPT's page
 * table.  A HWPT whose domain cannot track gives EOPNOTSUPP; an ID of
 * something else than a paging HWPT gives ENOENT.
 */
struct iommu_hwpt_set_dirty_tracking {
	__u32 size;
	__u32 flags;
	__u32 hwpt_id;
	__u32 __reserved;
};

#define IOMMU_HWPT_SET_DIRTY_TRACKING _IO(IOMMUFD_TYPE, \
					  IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING)

/**
 * enum iommufd_hwpt_get_dirty_bitmap_flags - flags of
 *	IOMMU_HWPT_GET_DIRTY_BITMAP
 * @IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR: report the dirty bits but leave
 *	them set (for a read just before an unmap)
 */
enum iommufd_hwpt_get_dirty_bitmap_flags {
	IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR = 1,
};

/**
 * struct iommu_hwpt_get_dirty_bitmap - ioctl(IOMMU_HWPT_GET_DIRTY_BITMAP)
 * @size: sizeof(struct iommu_hwpt_get_dirty_bitmap)
 * @hwpt_id: the paging HWPT to read
 * @flags: enum iommufd_hwpt_get_dirty_bitmap_flags
 * @__reserved: must be 0
 * @iova: first IOVA of the range, the IOVA of bit 0
 * @length: length of the range in bytes
 * @page_size: bytes of IOVA per bit, a power of two
 * @data: user pointer to the bitmap, an array of __u64
 *
 * Sets bit n of the bitmap (bit n % 64 of word n / 64) when the page at
 * @iova + n * @page_size was written by a device since the last read, and
 * clears the HWPT's dirty bits unless NO_CLEAR is given.  Errors as for
 * IOMMU_HWPT_SET_DIRTY_TRACKING, and EINVAL for a bad range or page size.
 */
struct iommu_hwpt_get_dirty_bitmap {
	__u32 size;
	__u32 hwpt_id;
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 page_size;
	__aligned_u64 data;
};

#define IOMMU_HWPT_GET_DIRTY_BITMAP _IO(IOMMUFD_TYPE, \
					IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP)

/**
 * enum iommu_hwpt_invalidate_data_type - format of IOMMU_HWPT_INVALIDATE
 *                                        entries
 * @IOMMU_HWPT_INVALIDATE_DATA_VTD_S1: struct iommu_hwpt_vtd_s1_invalidate
 * @IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3: ARM SMMUv3 (not supported here)
 */
enum iommu_hwpt_invalidate_data_type {
	IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 = 0,
	IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 = 1,
};

/**
 * enum iommu_hwpt_vtd_s1_invalidate_flags - flags of a VT-d invalidation
 * @IOMMU_VTD_INV_FLAGS_LEAF: only leaf entries changed: the paging
 *                            structure caches may be kept
 */
enum iommu_hwpt_vtd_s1_invalidate_flags {
	IOMMU_VTD_INV_FLAGS_LEAF = 1 << 0,
};

/**
 * struct iommu_hwpt_vtd_s1_invalidate - one VT-d first-stage invalidation
 *                                       (IOMMU_HWPT_INVALIDATE_DATA_VTD_S1)
 * @addr: first address to invalidate, 4 KiB aligned
 * @npages: number of 4 KiB pages; @addr 0 with @npages U64_MAX means all
 * @flags: enum iommu_hwpt_vtd_s1_invalidate_flags
 * @__reserved: must be 0
 *
 * Sent after userspace changed a nested first-stage table; the device TLB
 * is invalidated too when ATS is enabled.
 */
struct iommu_hwpt_vtd_s1_invalidate {
	__aligned_u64 addr;
	__aligned_u64 npages;
	__u32 flags;
	__u32 __reserved;
};

/**
 * struct iommu_viommu_arm_smmuv3_invalidate - one ARM SMMUv3 invalidation
 *	(IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3)
 * @cmd: a 128-bit SMMUv3 command queue entry, little endian
 *
 * Defined for ABI compatibility; no driver here takes it.
 */
struct iommu_viommu_arm_smmuv3_invalidate {
	__aligned_le64 cmd[2];
};

/**
 * struct iommu_hwpt_invalidate - ioctl(IOMMU_HWPT_INVALIDATE)
 * @size: sizeof(struct iommu_hwpt_invalidate)
 * @hwpt_id: the nested HWPT whose caches to invalidate
 * @data_uptr: user pointer to an array of invalidation entries
 * @data_type: enum iommu_hwpt_invalidate_data_type of every entry
 * @entry_len: size of one entry in bytes
 * @entry_num: in: number of entries; out: number of entries handled
 * @__reserved: must be 0
 *
 * With @entry_num 0 nothing is done, which tells whether @data_type is
 * supported.
 */
struct iommu_hwpt_invalidate {
	__u32 size;
	__u32 hwpt_id;
	__aligned_u64 data_uptr;
	__u32 data_type;
	__u32 entry_len;
	__u32 entry_num;
	__u32 __reserved;
};

#define IOMMU_HWPT_INVALIDATE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_INVALIDATE)

/**
 * enum iommu_hwpt_pgfault_flags - flags of struct iommu_hwpt_pgfault
 * @IOMMU_PGFAULT_FLAGS_PASID_VALID: @pasid holds the request's PASID
 * @IOMMU_PGFAULT_FLAGS_LAST_PAGE: the last request of its group; the
 *	group is answered by responding to this one
 */
enum iommu_hwpt_pgfault_flags {
	IOMMU_PGFAULT_FLAGS_PASID_VALID = (1 << 0),
	IOMMU_PGFAULT_FLAGS_LAST_PAGE = (1 << 1),
};

/**
 * enum iommu_hwpt_pgfault_perm - access a page request asks for
 * @IOMMU_PGFAULT_PERM_READ: read
 * @IOMMU_PGFAULT_PERM_WRITE: write
 * @IOMMU_PGFAULT_PERM_EXEC: the PASID prefix had Execute Requested set
 * @IOMMU_PGFAULT_PERM_PRIV: the PASID prefix had Privileged Mode
 *	Requested set
 */
enum iommu_hwpt_pgfault_perm {
	IOMMU_PGFAULT_PERM_READ = (1 << 0),
	IOMMU_PGFAULT_PERM_WRITE = (1 << 1),
	IOMMU_PGFAULT_PERM_EXEC = (1 << 2),
	IOMMU_PGFAULT_PERM_PRIV = (1 << 3),
};

/**
 * struct iommu_hwpt_pgfault - one page request, read from a fault queue
 * @flags: enum iommu_hwpt_pgfault_flags
 * @dev_id: the device (its iommufd object ID) that sent it
 * @pasid: the PASID, if @flags says so
 * @grpid: the page request group index
 * @perm: enum iommu_hwpt_pgfault_perm
 * @__reserved: 0
 * @addr: the faulting address
 * @length: how many bytes the device expects to access from @addr, a hint
 *	(0 when it gave none)
 * @cookie: names the request's group in a response
 */
struct iommu_hwpt_pgfault {
	__u32 flags;
	__u32 dev_id;
	__u32 pasid;
	__u32 grpid;
	__u32 perm;
	__u32 __reserved;
	__aligned_u64 addr;
	__u32 length;
	__u32 cookie;
};

/**
 * enum iommufd_page_response_code - answer to a page request group
 * @IOMMUFD_PAGE_RESP_SUCCESS: the pages are mapped: retry (PCIe "Success")
 * @IOMMUFD_PAGE_RESP_INVALID: the request cannot be served (PCIe
 *	"Invalid Request")
 */
enum iommufd_page_response_code {
	IOMMUFD_PAGE_RESP_SUCCESS = 0,
	IOMMUFD_PAGE_RESP_INVALID = 1,
};

/**
 * struct iommu_hwpt_page_response - a response, written to a fault queue
 * @cookie: the @cookie of the group's last struct iommu_hwpt_pgfault
 * @code: enum iommufd_page_response_code
 */
struct iommu_hwpt_page_response {
	__u32 cookie;
	__u32 code;
};

/**
 * struct iommu_fault_alloc - ioctl(IOMMU_FAULT_QUEUE_ALLOC)
 * @size: sizeof(struct iommu_fault_alloc)
 * @flags: must be 0
 * @out_fault_id: returns the ID of the new fault queue object
 * @out_fault_fd: returns a file descriptor: read() gives struct
 *	iommu_hwpt_pgfault records, write() takes struct
 *	iommu_hwpt_page_response records
 *
 * Creates a queue that page requests of HWPTs allocated with
 * IOMMU_HWPT_FAULT_ID_VALID and this queue's ID are delivered to.
 */
struct iommu_fault_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_fault_id;
	__u32 out_fault_fd;
};

#define IOMMU_FAULT_QUEUE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_FAULT_QUEUE_ALLOC)

/**
 * enum iommu_viommu_type - kinds of virtual IOMMU
 * @IOMMU_VIOMMU_TYPE_DEFAULT: reserved
 * @IOMMU_VIOMMU_TYPE_ARM_SMMUV3: ARM SMMUv3
 */
enum iommu_viommu_type {
	IOMMU_VIOMMU_TYPE_DEFAULT = 0,
	IOMMU_VIOMMU_TYPE_ARM_SMMUV3 = 1,
};

/**
 * struct iommu_viommu_alloc - ioctl(IOMMU_VIOMMU_ALLOC)
 * @size: sizeof(struct iommu_viommu_alloc)
 * @flags: must be 0
 * @type: enum iommu_viommu_type
 * @dev_id: a device behind the physical IOMMU the vIOMMU is a slice of
 * @hwpt_id: the nest parent HWPT the vIOMMU uses as second stage
 * @out_viommu_id: returns the ID of the new vIOMMU
 * @data_len: length of the type-specific data at @data_uptr (later
 *	mainline; v6.15's structure ends at @out_viommu_id)
 * @__reserved: must be 0
 * @data_uptr: user pointer to type-specific data
 *
 * Creates a virtual IOMMU: the per-VM part of a physical IOMMU's
 * virtualization support.  The driver must support @type; otherwise the
 * call fails with EOPNOTSUPP (as with every type on this project's
 * vtd_sm, which has no vIOMMU).
 */
struct iommu_viommu_alloc {
	__u32 size;
	__u32 flags;
	__u32 type;
	__u32 dev_id;
	__u32 hwpt_id;
	__u32 out_viommu_id;
	__u32 data_len;
	__u32 __reserved;
	__aligned_u64 data_uptr;
};

#define IOMMU_VIOMMU_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VIOMMU_ALLOC)

/**
 * struct iommu_vdevice_alloc - ioctl(IOMMU_VDEVICE_ALLOC)
 * @size: sizeof(struct iommu_vdevice_alloc)
 * @viommu_id: the vIOMMU
 * @dev_id: the bound device the virtual device stands for
 * @out_vdevice_id: returns the ID of the new virtual device
 * @virt_id: the device's ID as the guest's IOMMU sees it (a virtual
 *	stream ID, device ID or RID)
 *
 * Creates the guest's view of a device on a vIOMMU.  Without a vIOMMU
 * object no ID can name one: ENOENT.
 */
struct iommu_vdevice_alloc {
	__u32 size;
	__u32 viommu_id;
	__u32 dev_id;
	__u32 out_vdevice_id;
	__aligned_u64 virt_id;
};

#define IOMMU_VDEVICE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VDEVICE_ALLOC)

/**
 * struct iommu_ioas_change_process - ioctl(IOMMU_IOAS_CHANGE_PROCESS)
 * @size: sizeof(struct iommu_ioas_change_process)
 * @__reserved: must be 0
 *
 * Moves the pinned-memory charge of every mapping of every IOAS of the
 * context to the calling process, e.g. when a new process takes a device
 * over during a live update.  Only mappings made with IOMMU_IOAS_MAP_FILE
 * can move; any other mapping makes the call fail with EINVAL, and then
 * nothing changes.
 */
struct iommu_ioas_change_process {
	__u32 size;
	__u32 __reserved;
};

#define IOMMU_IOAS_CHANGE_PROCESS \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_CHANGE_PROCESS)

/**
 * enum iommu_veventq_flag - flags of struct iommufd_vevent_header
 * @IOMMU_VEVENTQ_FLAG_LOST_EVENTS: events were dropped because the queue
 *	was full; no data follows this header
 */
enum iommu_veventq_flag {
	IOMMU_VEVENTQ_FLAG_LOST_EVENTS = (1U << 0),
};

/**
 * struct iommufd_vevent_header - header of every record of a vEVENTQ
 * @flags: enum iommu_veventq_flag
 * @sequence: number of the event, counting from 0 and wrapping from
 *	INT_MAX back to 0; a gap between two headers tells how many events
 *	were lost
 *
 * A read() of a vEVENTQ returns headers each followed by the type's event
 * data, except a LOST_EVENTS header, which ends the queue's contents.
 */
struct iommufd_vevent_header {
	__u32 flags;
	__u32 sequence;
};

/**
 * enum iommu_veventq_type - kinds of virtual event queue
 * @IOMMU_VEVENTQ_TYPE_DEFAULT: reserved
 * @IOMMU_VEVENTQ_TYPE_ARM_SMMUV3: struct iommu_vevent_arm_smmuv3 records
 */
enum iommu_veventq_type {
	IOMMU_VEVENTQ_TYPE_DEFAULT = 0,
	IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 = 1,
};

/**
 * struct iommu_vevent_arm_smmuv3 - an ARM SMMUv3 event for a guest
 *				    (IOMMU_VEVENTQ_TYPE_ARM_SMMUV3)
 * @evt: the 256-bit event record, little endian, with the guest's stream
 *	ID
 */
struct iommu_vevent_arm_smmuv3 {
	__aligned_le64 evt[4];
};

/**
 * struct iommu_veventq_alloc - ioctl(IOMMU_VEVENTQ_ALLOC)
 * @size: sizeof(struct iommu_veventq_alloc)
 * @flags: must be 0
 * @viommu_id: the vIOMMU whose events are queued
 * @type: enum iommu_veventq_type, at most one queue per type and vIOMMU
 * @veventq_depth: number of events the queue holds before it drops some
 * @out_veventq_id: returns the ID of the new queue
 * @out_veventq_fd: returns the file descriptor to read events from
 * @__reserved: must be 0
 *
 * Without a vIOMMU object no ID can name one: ENOENT.
 */
struct iommu_veventq_alloc {
	__u32 size;
	__u32 flags;
	__u32 viommu_id;
	__u32 type;
	__u32 veventq_depth;
	__u32 out_veventq_id;
	__u32 out_veventq_fd;
	__u32 __reserved;
};

#define IOMMU_VEVENTQ_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VEVENTQ_ALLOC)

/*
 * EXTENSION, NOT mainline: global PASID allocation.
 *
 * A device that issues ENQCMD(S) puts the PASID from the IA32_PASID MSR
 * on the bus, and the VMM makes a guest's ENQCMD use a host PASID through
 * the CPU's PASID translation.  Such a PASID must be unique in the whole
 * host, not only per device, so the VMM draws it from the global IOASID
 * space through its iommufd.  Every context may hold at most the number
 * of PASIDs given by the pasid_quota parameter of iommufd_pasid.ko at the
 * time the context was opened; closing the context returns all of them.
 * Mainline kernels fail these ioctls with ENOTTY.
 */

/**
 * struct iommu_pasid_alloc - ioctl(IOMMU_PASID_ALLOC) (EXTENSION)
 * @size: sizeof(struct iommu_pasid_alloc)
 * @flags: must be 0
 * @min_pasid: lowest acceptable PASID; 0 is taken as 1 because PASID 0
 *	stands for requests without a PASID and is never allocated
 * @max_pasid: highest acceptable PASID (inclusive), below 2^20
 * @out_pasid: the PASID allocated, unique in the host until freed
 * @__reserved: must be 0
 *
 * Errors: EOPNOTSUPP for non-zero @flags or @__reserved; EINVAL if
 * @max_pasid is 2^20 or more or the range is empty; ENOSPC if the context
 * already holds its quota of PASIDs or no PASID of the range is free.
 */
struct iommu_pasid_alloc {
	__u32 size;
	__u32 flags;
	__u32 min_pasid;
	__u32 max_pasid;
	__u32 out_pasid;
	__u32 __reserved;
};

#define IOMMU_PASID_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_EXT_PASID_ALLOC)

/**
 * struct iommu_pasid_free - ioctl(IOMMU_PASID_FREE) (EXTENSION)
 * @size: sizeof(struct iommu_pasid_free)
 * @pasid: a PASID this context allocated with IOMMU_PASID_ALLOC
 *
 * Returns the PASID to the host.  Fails with ENOENT if this context does
 * not hold @pasid: never allocated, already freed, or held by another
 * context.
 */
struct iommu_pasid_free {
	__u32 size;
	__u32 pasid;
};

#define IOMMU_PASID_FREE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_EXT_PASID_FREE)

#endif /* _UAPI_IOMMUFD_H */
