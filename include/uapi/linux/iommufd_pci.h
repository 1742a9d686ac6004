/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Device nodes of iommufd_pci: /dev/iommufd/<domain:bus:dev.fn>.
 *
 * Binding a device to an iommufd and attaching its RID or a PASID follow
 * the VFIO device cdev ABI of mainline Linux (v6.15 and later): the ioctl
 * numbers, structure layouts and flags below are those of
 * VFIO_DEVICE_BIND_IOMMUFD, VFIO_DEVICE_ATTACH_IOMMUFD_PT and
 * VFIO_DEVICE_DETACH_IOMMUFD_PT, so a VMM's code for a VFIO cdev works on
 * these nodes.  The names carry an IOMMUFD_PCI_ prefix so that this file
 * and <linux/vfio.h> can be included together.
 *
 * Once bound, the node also answers the VFIO device ioctls of vfio-pci
 * with the numbers and structures of <linux/vfio.h> (VFIO_DEVICE_GET_INFO,
 * VFIO_DEVICE_GET_REGION_INFO, VFIO_DEVICE_GET_IRQ_INFO,
 * VFIO_DEVICE_SET_IRQS, VFIO_DEVICE_RESET,
 * VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, VFIO_DEVICE_FEATURE), and pread(),
 * pwrite() and mmap() reach the regions at the offsets
 * VFIO_DEVICE_GET_REGION_INFO gives (region N at N << 40, so BAR 0 at 0).
 */
#ifndef _UAPI_IOMMUFD_PCI_H
#define _UAPI_IOMMUFD_PCI_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* VFIO_TYPE and VFIO_BASE of <linux/vfio.h> */
#define IOMMUFD_PCI_VFIO_TYPE	(';')
#define IOMMUFD_PCI_VFIO_BASE	100

/**
 * struct iommufd_pci_bind - ioctl(IOMMUFD_PCI_BIND), VFIO_DEVICE_BIND_IOMMUFD
 * @argsz: sizeof(struct iommufd_pci_bind)
 * @flags: must be 0
 * @iommufd: file descriptor of an open /dev/iommu
 * @out_devid: the device's object ID in that iommufd context
 *
 * Claims the device's DMA ownership for the context: its RID is blocked
 * until something is attached.  A node is bound at most once (EBUSY).
 */
struct iommufd_pci_bind {
	__u32 argsz;
	__u32 flags;
	__s32 iommufd;
	__u32 out_devid;
};

#define IOMMUFD_PCI_BIND	_IO(IOMMUFD_PCI_VFIO_TYPE, IOMMUFD_PCI_VFIO_BASE + 18)

/* VFIO_DEVICE_ATTACH_PASID */
#define IOMMUFD_PCI_ATTACH_PASID	(1 << 0)

/**
 * struct iommufd_pci_attach - ioctl(IOMMUFD_PCI_ATTACH),
 *			       VFIO_DEVICE_ATTACH_IOMMUFD_PT
 * @argsz: size of the structure userspace passes; 12 without @pasid
 * @flags: 0 for the RID, or IOMMUFD_PCI_ATTACH_PASID
 * @pt_id: in: an IOAS or HWPT ID; out: the HWPT attached (an IOAS gets
 *	   an automatically allocated HWPT)
 * @pasid: the PASID, if @flags has IOMMUFD_PCI_ATTACH_PASID
 *
 * Attaching an RID or PASID that holds a HWPT replaces it.
 */
struct iommufd_pci_attach {
	__u32 argsz;
	__u32 flags;
	__u32 pt_id;
	__u32 pasid;
};

#define IOMMUFD_PCI_ATTACH	_IO(IOMMUFD_PCI_VFIO_TYPE, IOMMUFD_PCI_VFIO_BASE + 19)

/* VFIO_DEVICE_DETACH_PASID */
#define IOMMUFD_PCI_DETACH_PASID	(1 << 0)

/**
 * struct iommufd_pci_detach - ioctl(IOMMUFD_PCI_DETACH),
 *			       VFIO_DEVICE_DETACH_IOMMUFD_PT
 * @argsz: size of the structure userspace passes; 8 without @pasid
 * @flags: 0 for the RID, or IOMMUFD_PCI_DETACH_PASID
 * @pasid: the PASID, if @flags has IOMMUFD_PCI_DETACH_PASID
 */
struct iommufd_pci_detach {
	__u32 argsz;
	__u32 flags;
	__u32 pasid;
};

#define IOMMUFD_PCI_DETACH	_IO(IOMMUFD_PCI_VFIO_TYPE, IOMMUFD_PCI_VFIO_BASE + 20)

#endif /* _UAPI_IOMMUFD_PCI_H */
