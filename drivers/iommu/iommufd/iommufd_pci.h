/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iommufd_pci internals shared by iommufd_pci.c (the node, binding,
 * regions, reset), pci_config.c (the filtered config space) and
 * pci_intrs.c (INTx, MSI and MSI-X through eventfds).
 */
#ifndef __IOMMUFD_PCI_PRIV_H
#define __IOMMUFD_PCI_PRIV_H

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/xarray.h>

struct eventfd_ctx;
struct iommufd_device;

/* Region index N starts at N << 40 of the file, as vfio-pci lays it out. */
#define IOMMUFD_PCI_OFFSET_SHIFT	40
#define IOMMUFD_PCI_OFFSET_MASK		((1ULL << IOMMUFD_PCI_OFFSET_SHIFT) - 1)
#define IOMMUFD_PCI_INDEX_TO_OFFSET(i)	((u64)(i) << IOMMUFD_PCI_OFFSET_SHIFT)

/* The interrupt mode in use: a VFIO_PCI_*_IRQ_INDEX, or none. */
#define IOMMUFD_PCI_IRQ_NONE		(-1)

/**
 * struct iommufd_pci_vec - one MSI or MSI-X vector handed to userspace
 * @trigger: the eventfd signalled by the vector, or NULL (no handler)
 * @irq: the Linux IRQ number of the vector
 * @name: the handler's name in /proc/interrupts
 */
struct iommufd_pci_vec {
	struct eventfd_ctx *trigger;
	int irq;
	char name[32];
};

/**
 * struct iommufd_pci_node - a PCI device handed to userspace
 * @dev: the node's device; the last reference frees the node
 * @cdev: the character device, /dev/iommufd/<BDF>; holds @dev while open
 * @pdev: the PCI device (a reference)
 * @lock: serializes ioctls, region accesses, open, release and removal;
 *	  protects every field below but those of @memory_lock and @intx_lock
 * @file: the file open on the node, or NULL (one at a time)
 * @removed: the driver has let go of @pdev; the node is dead
 * @idev: the binding, or NULL before IOMMUFD_PCI_BIND
 * @attached: the PASIDs (IOMMU_NO_PASID: the RID) that hold a HWPT,
 *	      which tells an attach from a replace; the value entry says
 *	      whether the attach came with IOMMUFD_PCI_ATTACH_PASID, which
 *	      matters for PASID 0 only (see iommufd_pci_attach_locked())
 * @memory_lock: protects @mappable and @mem_enabled; held for reading
 *		 by every access to a memory BAR (fault, region read or
 *		 write), for writing (after the BARs' user mappings are
 *		 zapped) while either may turn false or the device resets
 * @mappable: the BARs may be mapped: the device is bound
 * @mem_enabled: Memory Space Enable as the owner last wrote it in the
 *		 command register (or as the device had it at bind time):
 *		 the memory BARs decode only while it is set
 * @bar_io: kernel mappings of the BARs, for region reads and writes
 * @bar_mmap: the BAR is memory, page aligned and at least a page long
 * @msix_bar: the BAR holding the MSI-X table, or -1
 * @msix_start: offset of the MSI-X table in @msix_bar
 * @msix_end: end of the MSI-X table in @msix_bar
 * @saved: the device's config state when the driver took it, restored
 *	   whenever an owner comes or goes
 * @reset_works: the PCI core has a function reset method for the device
 * @pci_2_3: INTx can be masked in the command register (shared INTx)
 * @vconfig: the virtualised bytes of the standard config header and of
 *	     the MSI and MSI-X capabilities
 * @virt: per byte of config space, the bits read from @vconfig
 * @wmask: per byte of config space, the bits userspace may write
 * @irq_type: the VFIO_PCI_*_IRQ_INDEX in use, or IOMMUFD_PCI_IRQ_NONE
 * @intx_lock: protects @intx_trigger and @intx_masked against the handler
 * @intx_trigger: INTx's eventfd, or NULL
 * @intx_masked: INTx is masked (automatically on an interrupt, or by
 *		 userspace)
 * @intx_virq_disabled: userspace set INTx Disable in the command register
 * @vecs: the MSI or MSI-X vectors, @nvec of them
 * @nvec: the number of vectors allocated
 * @err_trigger: the eventfd of VFIO_PCI_ERR_IRQ_INDEX, or NULL
 * @req_trigger: the eventfd of VFIO_PCI_REQ_IRQ_INDEX, or NULL: signalled
 *		 when the device is about to leave the driver
 */
struct iommufd_pci_node {
	struct device dev;
	struct cdev cdev;
	struct pci_dev *pdev;
	struct mutex lock; /* see above */
	struct file *file;
	bool removed;
	struct iommufd_device *idev;
	struct xarray attached;
	struct rw_semaphore memory_lock; /* see above */
	bool mappable;
	bool mem_enabled;

	void __iomem *bar_io[PCI_STD_NUM_BARS];
	bool bar_mmap[PCI_STD_NUM_BARS];
	int msix_bar;
	u32 msix_start;
	u32 msix_end;
	struct pci_saved_state *saved;
	bool reset_works;
	bool pci_2_3;

	u8 vconfig[PCI_CFG_SPACE_SIZE];
	u8 virt[PCI_CFG_SPACE_SIZE];
	u8 wmask[PCI_CFG_SPACE_SIZE];

	int irq_type;
	spinlock_t intx_lock; /* see above */
	struct eventfd_ctx *intx_trigger;
	bool intx_masked;
	bool intx_virq_disabled;
	struct iommufd_pci_vec *vecs;
	unsigned int nvec;
	struct eventfd_ctx *err_trigger;
	struct eventfd_ctx *req_trigger;
};

/* iommufd_pci.c */
int iommufd_pci_lock_bound(struct iommufd_pci_node *node);
int iommufd_pci_bound_err(struct iommufd_pci_node *node, int err);
void iommufd_pci_memory_lock(struct iommufd_pci_node *node, bool zap);
void iommufd_pci_memory_unlock(struct iommufd_pci_node *node);

/* pci_config.c */
void iommufd_pci_config_init(struct iommufd_pci_node *node);
ssize_t iommufd_pci_config_rw(struct iommufd_pci_node *node, u8 *buf,
			      size_t count, loff_t pos, bool write);

/* pci_intrs.c */
void iommufd_pci_intrs_probe(struct iommufd_pci_node *node);
int iommufd_pci_ioctl_get_irq_info(struct iommufd_pci_node *node,
				   void __user *arg);
int iommufd_pci_ioctl_set_irqs(struct iommufd_pci_node *node,
			       void __user *arg);
void iommufd_pci_intrs_release(struct iommufd_pci_node *node);
void iommufd_pci_intx_virq_disable(struct iommufd_pci_node *node,
				   bool disable);
void iommufd_pci_signal_req(struct iommufd_pci_node *node);
void iommufd_pci_signal_err(struct iommufd_pci_node *node);

#endif /* __IOMMUFD_PCI_PRIV_H */
