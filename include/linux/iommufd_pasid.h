/* SPDX-License-Identifier: GPL-2.0 */
/*
 * In-kernel API of iommufd_pasid.ko for drivers that hand a device to an
 * iommufd context (as iommufd_pci does): bind, then attach, replace and
 * detach a HW pagetable on the device's RID or on one of its PASIDs.
 * See Documentation/userspace-api/iommufd.rst for the rules.
 *
 * Access objects (iommufd_access_*) let a driver without an IOMMU of its
 * own, e.g. an emulated or mediated device, read, write and pin the memory
 * an IOAS maps, as mainline iommufd's access API does.  They are exported
 * in the IOMMUFD_PASID symbol namespace.
 */
#ifndef _LINUX_IOMMUFD_PASID_H
#define _LINUX_IOMMUFD_PASID_H

#include <linux/types.h>

struct device;
struct file;
struct iommufd_access;
struct iommufd_ctx;
struct iommufd_device;
struct page;

struct iommufd_ctx *iommufd_ctx_from_file(struct file *file);
void iommufd_ctx_put(struct iommufd_ctx *ictx);

struct iommufd_device *iommufd_device_bind(struct iommufd_ctx *ictx,
					   struct device *dev, u32 *id);
void iommufd_device_unbind(struct iommufd_device *idev);

int iommufd_device_pasid_attach(struct iommufd_device *idev, u32 pasid,
				u32 *pt_id);
int iommufd_device_pasid_replace(struct iommufd_device *idev, u32 pasid,
				 u32 *pt_id);
void iommufd_device_pasid_detach(struct iommufd_device *idev, u32 pasid);
bool iommufd_device_pasid_attached(struct iommufd_device *idev, u32 pasid);

/**
 * struct iommufd_access_ops - the driver side of an access object
 * @needs_pin_pages: the driver calls iommufd_access_pin_pages(); mappings
 *		     of the IOAS must then be whole pages (PAGE_SIZE
 *		     alignment)
 * @unmap: userspace unmaps [@iova, @iova + @length) (or the access is
 *	   detached: 0, ULONG_MAX); the driver must unpin every range it
 *	   pinned there before returning, and the unmap waits for it.
 *	   Called without locks of iommufd_pasid held; may sleep.
 */
struct iommufd_access_ops {
	u8 needs_pin_pages : 1;
	void (*unmap)(void *data, unsigned long iova, unsigned long length);
};

/* Flags of iommufd_access_rw() and iommufd_access_pin_pages(). */
enum {
	IOMMUFD_ACCESS_RW_READ = 0,
	IOMMUFD_ACCESS_RW_WRITE = 1 << 0,
	/* The caller does not run in the address space that mapped. */
	IOMMUFD_ACCESS_RW_KTHREAD = 1 << 1,
};

struct iommufd_access *
iommufd_access_create(struct iommufd_ctx *ictx,
		      const struct iommufd_access_ops *ops, void *data,
		      u32 *id);
void iommufd_access_destroy(struct iommufd_access *access);
int iommufd_access_attach(struct iommufd_access *access, u32 ioas_id);
int iommufd_access_replace(struct iommufd_access *access, u32 ioas_id);
void iommufd_access_detach(struct iommufd_access *access);
int iommufd_access_pin_pages(struct iommufd_access *access,
			     unsigned long iova, unsigned long length,
			     struct page **out_pages, unsigned int flags);
void iommufd_access_unpin_pages(struct iommufd_access *access,
				unsigned long iova, unsigned long length);
int iommufd_access_rw(struct iommufd_access *access, unsigned long iova,
		      void *data, size_t length, unsigned int flags);

#endif /* _LINUX_IOMMUFD_PASID_H */
