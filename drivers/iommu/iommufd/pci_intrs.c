// SPDX-License-Identifier: GPL-2.0
/*
 * iommufd_pci: the device's interrupts handed to userspace as eventfds,
 * with VFIO_DEVICE_GET_IRQ_INFO and VFIO_DEVICE_SET_IRQS of <linux/vfio.h>.
 *
 * One mode at a time, as with vfio-pci: INTx, MSI or MSI-X.
 *
 * INTx is level triggered, so the handler masks it before it signals the
 * eventfd (automask) and userspace unmasks it once it has served the
 * device.  Where the device implements INTx Disable (PCI 2.3) the line may
 * be shared and the mask is that bit; otherwise the line must be the
 * device's alone and the mask is disable_irq().
 *
 * MSI and MSI-X vectors are allocated when userspace first sets eventfds
 * (as many as the highest vector it names) and freed when it disables the
 * mode; the number cannot change while enabled (NORESIZE): a VMM that
 * needs more disables and enables again.
 *
 * The error and request indices keep an eventfd: the error one is
 * signalled by the PCI error recovery, the request one when the device is
 * about to leave the driver.
 *
 * Locking: everything runs under the node's @lock, except the INTx handler,
 * which shares @intx_trigger and @intx_masked under @intx_lock.
 */
#include <linux/eventfd.h>
#include <linux/interrupt.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <uapi/linux/vfio.h>

#include "iommufd_pci.h"

/**
 * iommufd_pci_intrs_probe() - find how INTx can be masked
 * @node: a node being probed
 */
void iommufd_pci_intrs_probe(struct iommufd_pci_node *node)
{
	spin_lock_init(&node->intx_lock);
	node->irq_type = IOMMUFD_PCI_IRQ_NONE;
	node->pci_2_3 = pci_intx_mask_supported(node->pdev);
}

static unsigned int iommufd_pci_irq_count(struct iommufd_pci_node *node,
					  unsigned int index)
{
	struct pci_dev *pdev = node->pdev;
	u16 flags;
	u8 pin;

	switch (index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		pci_read_config_byte(pdev, PCI_INTERRUPT_PIN, &pin);
		return pin && pdev->irq ? 1 : 0;
	case VFIO_PCI_MSI_IRQ_INDEX:
		if (!pdev->msi_cap)
			return 0;
		pci_read_config_word(pdev, pdev->msi_cap + PCI_MSI_FLAGS,
				     &flags);
		return 1 << ((flags & PCI_MSI_FLAGS_QMASK) >> 1);
	case VFIO_PCI_MSIX_IRQ_INDEX:
		if (!pdev->msix_cap)
			return 0;
		pci_read_config_word(pdev, pdev->msix_cap + PCI_MSIX_FLAGS,
				     &flags);
		return (flags & PCI_MSIX_FLAGS_QSIZE) + 1;
	case VFIO_PCI_ERR_IRQ_INDEX:
		return pci_is_pcie(pdev) ? 1 : 0;
	case VFIO_PCI_REQ_IRQ_INDEX:
		return 1;
	}
	return 0;
}

/**
 * iommufd_pci_ioctl_get_irq_info() - VFIO_DEVICE_GET_IRQ_INFO
 * @node: the node, not locked: the call locks it between its copies
 * @arg: struct vfio_irq_info in userspace
 *
 * Return: 0 or a negative errno.
 */
int iommufd_pci_ioctl_get_irq_info(struct iommufd_pci_node *node,
				   void __user *arg)
{
	const size_t minsz = offsetofend(struct vfio_irq_info, count);
	struct vfio_irq_info info;
	int ret;

	if (copy_from_user(&info, arg, minsz))
		return iommufd_pci_bound_err(node, -EFAULT);
	if (info.argsz < minsz || info.index >= VFIO_PCI_NUM_IRQS)
		return iommufd_pci_bound_err(node, -EINVAL);
	ret = iommufd_pci_lock_bound(node);
	if (ret)
		return ret;
	/* The error index exists on PCI Express only. */
	if (info.index == VFIO_PCI_ERR_IRQ_INDEX && !pci_is_pcie(node->pdev)) {
		mutex_unlock(&node->lock);
		return -EINVAL;
	}

	info.flags = VFIO_IRQ_INFO_EVENTFD;
	info.count = iommufd_pci_irq_count(node, info.index);
	mutex_unlock(&node->lock);
	if (info.index == VFIO_PCI_INTX_IRQ_INDEX)
		info.flags |= VFIO_IRQ_INFO_MASKABLE |
			      VFIO_IRQ_INFO_AUTOMASKED;
	else
		info.flags |= VFIO_IRQ_INFO_NORESIZE;
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

/* ---- INTx ---- */

static irqreturn_t intx_handler(int irq, void *data)
{
	struct iommufd_pci_node *node = data;
	irqreturn_t ret = IRQ_NONE;
	unsigned long flags;

	spin_lock_irqsave(&node->intx_lock, flags);
	if (!node->pci_2_3) {
		disable_irq_nosync(irq);
		node->intx_masked = true;
		ret = IRQ_HANDLED;
	} else if (!node->intx_masked &&
		   pci_check_and_mask_intx(node->pdev)) {
		node->intx_masked = true;
		ret = IRQ_HANDLED;
	}
	if (ret == IRQ_HANDLED && node->intx_trigger)
		eventfd_signal(node->intx_trigger);
	spin_unlock_irqrestore(&node->intx_lock, flags);
	return ret;
}

static void intx_mask(struct iommufd_pci_node *node)
{
	unsigned long flags;

	spin_lock_irqsave(&node->intx_lock, flags);
	if (!node->intx_masked) {
		if (node->pci_2_3)
			pci_intx(node->pdev, 0);
		else
			disable_irq_nosync(node->pdev->irq);
		node->intx_masked = true;
	}
	spin_unlock_irqrestore(&node->intx_lock, flags);
}

static void intx_unmask(struct iommufd_pci_node *node)
{
	unsigned long flags;

	spin_lock_irqsave(&node->intx_lock, flags);
	if (node->intx_masked && !node->intx_virq_disabled) {
		if (!node->pci_2_3) {
			enable_irq(node->pdev->irq);
			node->intx_masked = false;
		} else if (pci_check_and_unmask_intx(node->pdev)) {
			node->intx_masked = false;
		} else if (node->intx_trigger) {
			/* Still asserted: it stays masked, and is signalled. */
			eventfd_signal(node->intx_trigger);
		}
	}
	spin_unlock_irqrestore(&node->intx_lock, flags);
}

/**
 * iommufd_pci_intx_virq_disable() - INTx Disable written in config space
 * @node: a bound node, locked
 * @disable: the bit's new value
 *
 * The bit is virtual; while it is set, the INTx handed to userspace stays
 * masked, as the bit would keep the device from asserting it.
 */
void iommufd_pci_intx_virq_disable(struct iommufd_pci_node *node, bool disable)
{
	unsigned long flags;

	lockdep_assert_held(&node->lock);
	spin_lock_irqsave(&node->intx_lock, flags);
	node->intx_virq_disabled = disable;
	spin_unlock_irqrestore(&node->intx_lock, flags);
	if (node->irq_type != VFIO_PCI_INTX_IRQ_INDEX)
		return;
	if (disable)
		intx_mask(node);
	else
		intx_unmask(node);
}

static void intx_set_trigger(struct iommufd_pci_node *node,
			     struct eventfd_ctx *trigger)
{
	struct eventfd_ctx *old;
	unsigned long flags;

	spin_lock_irqsave(&node->intx_lock, flags);
	old = node->intx_trigger;
	node->intx_trigger = trigger;
	spin_unlock_irqrestore(&node->intx_lock, flags);
	if (old)
		eventfd_ctx_put(old);
}

static int intx_enable(struct iommufd_pci_node *node,
		       struct eventfd_ctx *trigger)
{
	struct pci_dev *pdev = node->pdev;
	int ret;

	if (!pdev->irq)
		return -ENODEV;
	node->intx_masked = node->intx_virq_disabled;
	node->intx_trigger = trigger;
	if (node->pci_2_3)
		pci_intx(pdev, !node->intx_masked);
	ret = request_irq(pdev->irq, intx_handler,
			  node->pci_2_3 ? IRQF_SHARED : 0, dev_name(&node->dev),
			  node);
	if (ret) {
		if (node->pci_2_3)
			pci_intx(pdev, 0);
		node->intx_trigger = NULL;
		return ret;
	}
	if (!node->pci_2_3 && node->intx_masked)
		disable_irq_nosync(pdev->irq);
	node->irq_type = VFIO_PCI_INTX_IRQ_INDEX;
	return 0;
}

static void intx_disable(struct iommufd_pci_node *node)
{
	struct pci_dev *pdev = node->pdev;

	if (node->pci_2_3)
		pci_intx(pdev, 0);
	/* Freeing the last action shuts the line down, masked or not. */
	free_irq(pdev->irq, node);
	intx_set_trigger(node, NULL);
	node->intx_masked = false;
	node->irq_type = IOMMUFD_PCI_IRQ_NONE;
}

static bool data_set(u32 flags, const void *data, unsigned int i)
{
	if (flags & VFIO_IRQ_SET_DATA_BOOL)
		return ((const u8 *)data)[i];
	return true;
}

static int intx_set_mask(struct iommufd_pci_node *node, u32 flags,
			 unsigned int start, unsigned int count, void *data,
			 bool unmask)
{
	if (node->irq_type != VFIO_PCI_INTX_IRQ_INDEX || start || count != 1)
		return -EINVAL;
	/* No mask or unmask eventfd (KVM's resample fd): not implemented */
	if (flags & VFIO_IRQ_SET_DATA_EVENTFD)
		return -ENOTTY;
	if (!data_set(flags, data, 0))
		return 0;
	if (unmask)
		intx_unmask(node);
	else
		intx_mask(node);
	return 0;
}

static int intx_set_trigger_ioctl(struct iommufd_pci_node *node, u32 flags,
				  unsigned int start, unsigned int count,
				  void *data)
{
	bool is_intx = node->irq_type == VFIO_PCI_INTX_IRQ_INDEX;
	unsigned long irqflags;
	int ret;

	if (is_intx && !count && (flags & VFIO_IRQ_SET_DATA_NONE)) {
		intx_disable(node);
		return 0;
	}
	if ((!is_intx && node->irq_type != IOMMUFD_PCI_IRQ_NONE) || start ||
	    count != 1)
		return -EINVAL;

	if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		struct eventfd_ctx *trigger = NULL;
		s32 fd = *(s32 *)data;

		if (fd >= 0) {
			trigger = eventfd_ctx_fdget(fd);
			if (IS_ERR(trigger))
				return PTR_ERR(trigger);
		}
		if (is_intx) {
			intx_set_trigger(node, trigger);
			return 0;
		}
		ret = intx_enable(node, trigger);
		if (ret && trigger)
			eventfd_ctx_put(trigger);
		return ret;
	}

	if (!is_intx)
		return -EINVAL;
	/* Loopback: signal the eventfd as an interrupt would. */
	if (data_set(flags, data, 0)) {
		spin_lock_irqsave(&node->intx_lock, irqflags);
		if (node->intx_trigger)
			eventfd_signal(node->intx_trigger);
		spin_unlock_irqrestore(&node->intx_lock, irqflags);
	}
	return 0;
}

/* ---- MSI and MSI-X ---- */

static irqreturn_t msi_handler(int irq, void *data)
{
	struct iommufd_pci_vec *vec = data;

	eventfd_signal(vec->trigger);
	return IRQ_HANDLED;
}

static int msi_set_vector(struct iommufd_pci_node *node, unsigned int i,
			  s32 fd)
{
	struct iommufd_pci_vec *vec = &node->vecs[i];
	struct eventfd_ctx *trigger;
	int ret;

	if (vec->trigger) {
		free_irq(vec->irq, vec);
		eventfd_ctx_put(vec->trigger);
		vec->trigger = NULL;
	}
	if (fd < 0)
		return 0;

	trigger = eventfd_ctx_fdget(fd);
	if (IS_ERR(trigger))
		return PTR_ERR(trigger);
	vec->trigger = trigger;
	ret = request_irq(vec->irq, msi_handler, 0, vec->name, vec);
	if (ret) {
		vec->trigger = NULL;
		eventfd_ctx_put(trigger);
	}
	return ret;
}

static int msi_set_block(struct iommufd_pci_node *node, unsigned int start,
			 unsigned int count, const s32 *fds)
{
	unsigned int i;
	int ret = 0;

	if (start >= node->nvec || count > node->nvec - start)
		return -EINVAL;
	for (i = 0; i < count; i++) {
		ret = msi_set_vector(node, start + i, fds ? fds[i] : -1);
		if (ret)
			break;
	}
	if (ret) {
		while (i--)
			msi_set_vector(node, start + i, -1);
	}
	return ret;
}

static void msi_disable(struct iommufd_pci_node *node)
{
	unsigned int i;

	for (i = 0; i < node->nvec; i++)
		msi_set_vector(node, i, -1);
	pci_free_irq_vectors(node->pdev);
	kfree(node->vecs);
	node->vecs = NULL;
	node->nvec = 0;
	node->irq_type = IOMMUFD_PCI_IRQ_NONE;
}

static int msi_enable(struct iommufd_pci_node *node, unsigned int nvec,
		      unsigned int index)
{
	bool msix = index == VFIO_PCI_MSIX_IRQ_INDEX;
	unsigned int i;
	int ret;

	if (!nvec)
		return -EINVAL;
	node->vecs = kcalloc(nvec, sizeof(*node->vecs), GFP_KERNEL_ACCOUNT);
	if (!node->vecs)
		return -ENOMEM;
	ret = pci_alloc_irq_vectors(node->pdev, nvec, nvec,
				    msix ? PCI_IRQ_MSIX : PCI_IRQ_MSI);
	if (ret < 0) {
		kfree(node->vecs);
		node->vecs = NULL;
		return ret;
	}
	for (i = 0; i < nvec; i++) {
		node->vecs[i].irq = pci_irq_vector(node->pdev, i);
		snprintf(node->vecs[i].name, sizeof(node->vecs[i].name),
			 "iommufd-%s[%u](%s)", msix ? "msix" : "msi", i,
			 pci_name(node->pdev));
	}
	node->nvec = nvec;
	node->irq_type = index;
	return 0;
}

static int msi_set_trigger(struct iommufd_pci_node *node, unsigned int index,
			   u32 flags, unsigned int start, unsigned int count,
			   void *data)
{
	bool is_this = node->irq_type == index;
	unsigned int i;
	int ret;

	if (is_this && !count && (flags & VFIO_IRQ_SET_DATA_NONE)) {
		msi_disable(node);
		return 0;
	}
	if (!is_this && node->irq_type != IOMMUFD_PCI_IRQ_NONE)
		return -EINVAL;

	if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		if (is_this)
			return msi_set_block(node, start, count, data);
		ret = msi_enable(node, start + count, index);
		if (ret)
			return ret;
		ret = msi_set_block(node, start, count, data);
		if (ret)
			msi_disable(node);
		return ret;
	}

	if (!is_this)
		return -EINVAL;
	/* Loopback */
	for (i = start; i < start + count && i < node->nvec; i++) {
		if (node->vecs[i].trigger && data_set(flags, data, i - start))
			eventfd_signal(node->vecs[i].trigger);
	}
	return 0;
}

/* ---- error and request ---- */

static int set_trigger_single(struct eventfd_ctx **ctx, unsigned int start,
			      unsigned int count, u32 flags, void *data)
{
	struct eventfd_ctx *trigger;
	s32 fd;

	if (start || count > 1)
		return -EINVAL;
	if (flags & VFIO_IRQ_SET_DATA_NONE) {
		if (!*ctx)
			return -EINVAL;
		if (count) {
			eventfd_signal(*ctx);
		} else {
			eventfd_ctx_put(*ctx);
			*ctx = NULL;
		}
		return 0;
	}
	if (!count)
		return -EINVAL;
	if (flags & VFIO_IRQ_SET_DATA_BOOL) {
		if (*(u8 *)data && *ctx)
			eventfd_signal(*ctx);
		return 0;
	}
	fd = *(s32 *)data;
	if (fd < -1)
		return -EINVAL;
	trigger = NULL;
	if (fd >= 0) {
		trigger = eventfd_ctx_fdget(fd);
		if (IS_ERR(trigger))
			return PTR_ERR(trigger);
	}
	if (*ctx)
		eventfd_ctx_put(*ctx);
	*ctx = trigger;
	return 0;
}

/**
 * iommufd_pci_signal_req() - ask the owner to let the device go
 * @node: the node, locked
 */
void iommufd_pci_signal_req(struct iommufd_pci_node *node)
{
	lockdep_assert_held(&node->lock);
	if (node->req_trigger)
		eventfd_signal(node->req_trigger);
}

/**
 * iommufd_pci_signal_err() - tell the owner of an uncorrectable error
 * @node: the node, locked
 */
void iommufd_pci_signal_err(struct iommufd_pci_node *node)
{
	lockdep_assert_held(&node->lock);
	if (node->err_trigger)
		eventfd_signal(node->err_trigger);
}

static int set_irqs(struct iommufd_pci_node *node, u32 flags,
		    unsigned int index, unsigned int start,
		    unsigned int count, void *data)
{
	u32 action = flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;

	switch (index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		if (action == VFIO_IRQ_SET_ACTION_MASK)
			return intx_set_mask(node, flags, start, count, data,
					     false);
		if (action == VFIO_IRQ_SET_ACTION_UNMASK)
			return intx_set_mask(node, flags, start, count, data,
					     true);
		if (action == VFIO_IRQ_SET_ACTION_TRIGGER)
			return intx_set_trigger_ioctl(node, flags, start, count,
						      data);
		break;
	case VFIO_PCI_MSI_IRQ_INDEX:
	case VFIO_PCI_MSIX_IRQ_INDEX:
		if (action == VFIO_IRQ_SET_ACTION_TRIGGER)
			return msi_set_trigger(node, index, flags, start,
					       count, data);
		break;
	case VFIO_PCI_ERR_IRQ_INDEX:
		if (action == VFIO_IRQ_SET_ACTION_TRIGGER &&
		    pci_is_pcie(node->pdev))
			return set_trigger_single(&node->err_trigger, start,
						  count, flags, data);
		break;
	case VFIO_PCI_REQ_IRQ_INDEX:
		if (action == VFIO_IRQ_SET_ACTION_TRIGGER)
			return set_trigger_single(&node->req_trigger, start,
						  count, flags, data);
		break;
	}
	return -ENOTTY;
}

/**
 * iommufd_pci_ioctl_set_irqs() - VFIO_DEVICE_SET_IRQS
 * @node: the node, not locked: the call locks it after copying the data
 * @arg: struct vfio_irq_set in userspace, followed by its data
 *
 * Return: 0 or a negative errno.
 */
int iommufd_pci_ioctl_set_irqs(struct iommufd_pci_node *node,
			       void __user *arg)
{
	const size_t minsz = offsetofend(struct vfio_irq_set, count);
	struct vfio_irq_set hdr;
	unsigned int max;
	size_t size = 0;
	void *data = NULL;
	int ret;

	if (copy_from_user(&hdr, arg, minsz))
		return iommufd_pci_bound_err(node, -EFAULT);
	if (hdr.argsz < minsz || hdr.index >= VFIO_PCI_NUM_IRQS ||
	    hdr.count >= U32_MAX - hdr.start ||
	    hdr.flags & ~(VFIO_IRQ_SET_DATA_TYPE_MASK |
			  VFIO_IRQ_SET_ACTION_TYPE_MASK))
		return iommufd_pci_bound_err(node, -EINVAL);
	/* The count comes from the device's capabilities, fixed at probe. */
	ret = iommufd_pci_lock_bound(node);
	if (ret)
		return ret;
	max = iommufd_pci_irq_count(node, hdr.index);
	mutex_unlock(&node->lock);
	if (hdr.start >= max || hdr.start + hdr.count > max)
		return -EINVAL;

	switch (hdr.flags & VFIO_IRQ_SET_DATA_TYPE_MASK) {
	case VFIO_IRQ_SET_DATA_NONE:
		break;
	case VFIO_IRQ_SET_DATA_BOOL:
		size = sizeof(u8);
		break;
	case VFIO_IRQ_SET_DATA_EVENTFD:
		size = sizeof(s32);
		break;
	default:
		return -EINVAL;
	}
	if (size) {
		if (hdr.argsz - minsz < (size_t)hdr.count * size)
			return -EINVAL;
		size *= hdr.count;
		if (size) {
			/* Copied before the lock: a copy may stall. */
			data = memdup_user(arg + minsz, size);
			if (IS_ERR(data))
				return iommufd_pci_bound_err(node,
							     PTR_ERR(data));
		}
	}

	ret = iommufd_pci_lock_bound(node);
	if (!ret) {
		ret = set_irqs(node, hdr.flags, hdr.index, hdr.start,
			       hdr.count, data);
		mutex_unlock(&node->lock);
	}
	kfree(data);
	return ret;
}

/**
 * iommufd_pci_intrs_release() - take every interrupt back from the owner
 * @node: the node, locked, of an owner that goes
 */
void iommufd_pci_intrs_release(struct iommufd_pci_node *node)
{
	lockdep_assert_held(&node->lock);
	if (node->irq_type == VFIO_PCI_INTX_IRQ_INDEX)
		intx_disable(node);
	else if (node->irq_type != IOMMUFD_PCI_IRQ_NONE)
		msi_disable(node);
	if (node->err_trigger)
		eventfd_ctx_put(node->err_trigger);
	node->err_trigger = NULL;
	if (node->req_trigger)
		eventfd_ctx_put(node->req_trigger);
	node->req_trigger = NULL;
	node->intx_virq_disabled = false;
}
