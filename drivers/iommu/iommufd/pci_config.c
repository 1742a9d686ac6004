// SPDX-License-Identifier: GPL-2.0
/*
 * iommufd_pci: the config space region of a node, filtered.
 *
 * Userspace reads the device's config space, except for the fields the
 * host must keep to itself, which it reads from a virtual copy made at
 * bind time:
 *
 * - the BARs and the expansion ROM BAR: writes land in the copy, and
 *   reads return it sized like the real BAR (so a VMM can size BARs the
 *   usual way) with the real type bits; the device keeps the addresses the
 *   host gave it;
 * - INTx Disable of the command register, since the host masks INTx
 *   there itself (setting it masks the INTx handed to userspace);
 * - the interrupt line;
 * - the MSI capability after its header, and the enable and queue size
 *   bits of its control word, and MSI-X Enable and Function Mask: the host
 *   programs MSI and MSI-X when userspace asks with VFIO_DEVICE_SET_IRQS.
 *
 * Of the rest, userspace may write only the command register (I/O,
 * memory, bus master and the error reporting bits), the cache line size
 * and the latency timer.  Other writes are dropped without an error, as
 * vfio-pci drops writes to read-only fields; the bytes around a writable
 * field are not written back to the device, so a dword write of the
 * command register leaves the status register's error bits alone.  Extended config space is
 * read-only.
 */
#include <kunit/visibility.h>
#include <linux/pci.h>
#include <linux/uaccess.h>

#include "iommufd_pci.h"

static void cfg_mark(struct iommufd_pci_node *node, unsigned int off,
		     unsigned int len, u8 virt, u8 wmask)
{
	for (; len && off < PCI_CFG_SPACE_SIZE; off++, len--) {
		node->virt[off] = virt;
		node->wmask[off] = wmask;
	}
}

static u32 vcfg_get32(struct iommufd_pci_node *node, unsigned int off)
{
	return node->vconfig[off] | node->vconfig[off + 1] << 8 |
	       node->vconfig[off + 2] << 16 | (u32)node->vconfig[off + 3] << 24;
}

static void vcfg_put32(struct iommufd_pci_node *node, unsigned int off,
		       u32 val)
{
	int i;

	for (i = 0; i < 4; i++)
		node->vconfig[off + i] = val >> (8 * i);
}

/* Sizes the virtual BARs: the address bits a BAR of its size keeps. */
static void cfg_bar_fixup(struct iommufd_pci_node *node)
{
	struct pci_dev *pdev = node->pdev;
	unsigned int i = 0, off;
	unsigned long flags;
	u64 len, mask;
	u32 val;

	while (i < PCI_STD_NUM_BARS) {
		off = PCI_BASE_ADDRESS_0 + 4 * i;
		len = pci_resource_len(pdev, i);
		flags = pci_resource_flags(pdev, i);
		val = vcfg_get32(node, off);
		if (!len) {
			vcfg_put32(node, off, 0);
			i++;
			continue;
		}
		mask = ~(len - 1);
		if (flags & IORESOURCE_IO) {
			val = (val & (u32)mask & PCI_BASE_ADDRESS_IO_MASK) |
			      PCI_BASE_ADDRESS_SPACE_IO;
			vcfg_put32(node, off, val);
			i++;
			continue;
		}
		val &= (u32)mask & PCI_BASE_ADDRESS_MEM_MASK;
		if (flags & IORESOURCE_PREFETCH)
			val |= PCI_BASE_ADDRESS_MEM_PREFETCH;
		if (flags & IORESOURCE_MEM_64)
			val |= PCI_BASE_ADDRESS_MEM_TYPE_64;
		vcfg_put32(node, off, val);
		if ((flags & IORESOURCE_MEM_64) && i + 1 < PCI_STD_NUM_BARS) {
			val = vcfg_get32(node, off + 4) & (u32)(mask >> 32);
			vcfg_put32(node, off + 4, val);
			i += 2;
		} else {
			i++;
		}
	}

	len = pci_resource_len(pdev, PCI_ROM_RESOURCE);
	val = vcfg_get32(node, PCI_ROM_ADDRESS);
	if (len)
		val &= ((u32)~(len - 1) & PCI_ROM_ADDRESS_MASK) |
		       PCI_ROM_ADDRESS_ENABLE;
	else
		val = 0;
	vcfg_put32(node, PCI_ROM_ADDRESS, val);
}

static void cfg_init_msi(struct iommufd_pci_node *node)
{
	struct pci_dev *pdev = node->pdev;
	unsigned int pos = pdev->msi_cap, data, mask;
	u16 flags;

	if (!pos || pos + PCI_MSI_FLAGS + 2 > PCI_CFG_SPACE_SIZE)
		return;
	pci_read_config_word(pdev, pos + PCI_MSI_FLAGS, &flags);
	/* Control: MSI Enable and Multiple Message Enable are the VMM's. */
	cfg_mark(node, pos + PCI_MSI_FLAGS, 1, 0xff,
		 PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
	cfg_mark(node, pos + PCI_MSI_FLAGS + 1, 1, 0xff, 0);
	flags &= ~(PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
	node->vconfig[pos + PCI_MSI_FLAGS] = flags;
	node->vconfig[pos + PCI_MSI_FLAGS + 1] = flags >> 8;

	cfg_mark(node, pos + PCI_MSI_ADDRESS_LO, 1, 0xff, 0xfc);
	cfg_mark(node, pos + PCI_MSI_ADDRESS_LO + 1, 3, 0xff, 0xff);
	if (flags & PCI_MSI_FLAGS_64BIT) {
		cfg_mark(node, pos + PCI_MSI_ADDRESS_HI, 4, 0xff, 0xff);
		data = pos + PCI_MSI_DATA_64;
		mask = pos + PCI_MSI_MASK_64;
	} else {
		data = pos + PCI_MSI_DATA_32;
		mask = pos + PCI_MSI_MASK_32;
	}
	/* Message data, then the extended message data (read as 0) */
	cfg_mark(node, data, 2, 0xff, 0xff);
	cfg_mark(node, data + 2, 2, 0xff, 0);
	if (flags & PCI_MSI_FLAGS_MASKBIT) {
		cfg_mark(node, mask, 4, 0xff, 0xff);
		cfg_mark(node, mask + 4, 4, 0xff, 0);	/* pending bits */
	}
}

static void cfg_init_msix(struct iommufd_pci_node *node)
{
	unsigned int pos = node->pdev->msix_cap;
	u8 bits = (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8;

	if (!pos || pos + PCI_MSIX_FLAGS + 2 > PCI_CFG_SPACE_SIZE)
		return;
	cfg_mark(node, pos + PCI_MSIX_FLAGS + 1, 1, bits, bits);
}

/**
 * iommufd_pci_config_init() - start a new owner's virtual config space
 * @node: the node, with the device's config state just restored
 *
 * Copies the fields the owner sees virtualised from the device (MSI and
 * MSI-X disabled, INTx not disabled) and sets which bits it may write.
 */
void iommufd_pci_config_init(struct iommufd_pci_node *node)
{
	struct pci_dev *pdev = node->pdev;
	unsigned int off;
	u32 val;

	lockdep_assert_held(&node->lock);
	memset(node->vconfig, 0, sizeof(node->vconfig));
	memset(node->virt, 0, sizeof(node->virt));
	memset(node->wmask, 0, sizeof(node->wmask));

	cfg_mark(node, PCI_COMMAND, 1, 0, 0xff);
	cfg_mark(node, PCI_COMMAND + 1, 1, PCI_COMMAND_INTX_DISABLE >> 8,
		 (PCI_COMMAND_SERR | PCI_COMMAND_FAST_BACK |
		  PCI_COMMAND_INTX_DISABLE) >> 8);
	cfg_mark(node, PCI_CACHE_LINE_SIZE, 1, 0, 0xff);
	cfg_mark(node, PCI_LATENCY_TIMER, 1, 0, 0xff);

	if (pdev->hdr_type == PCI_HEADER_TYPE_NORMAL) {
		for (off = PCI_BASE_ADDRESS_0; off <= PCI_BASE_ADDRESS_5;
		     off += 4) {
			pci_read_config_dword(pdev, off, &val);
			vcfg_put32(node, off, val);
		}
		cfg_mark(node, PCI_BASE_ADDRESS_0, 24, 0xff, 0xff);
		pci_read_config_dword(pdev, PCI_ROM_ADDRESS, &val);
		vcfg_put32(node, PCI_ROM_ADDRESS, val);
		cfg_mark(node, PCI_ROM_ADDRESS, 4, 0xff, 0xff);
		cfg_bar_fixup(node);
	}
	pci_read_config_byte(pdev, PCI_INTERRUPT_LINE,
			     &node->vconfig[PCI_INTERRUPT_LINE]);
	cfg_mark(node, PCI_INTERRUPT_LINE, 1, 0xff, 0xff);

	cfg_init_msi(node);
	cfg_init_msix(node);
}
EXPORT_SYMBOL_IF_KUNIT(iommufd_pci_config_init);

static int cfg_hw_read(struct pci_dev *pdev, unsigned int pos,
		       unsigned int size, u32 *val)
{
	u16 w;
	u8 b;
	int ret;

	switch (size) {
	case 4:
		ret = pci_user_read_config_dword(pdev, pos, val);
		break;
	case 2:
		ret = pci_user_read_config_word(pdev, pos, &w);
		*val = w;
		break;
	default:
		ret = pci_user_read_config_byte(pdev, pos, &b);
		*val = b;
		break;
	}
	return ret ? pcibios_err_to_errno(ret) : 0;
}

static int cfg_hw_write(struct pci_dev *pdev, unsigned int pos,
			unsigned int size, u32 val)
{
	int ret;

	switch (size) {
	case 4:
		ret = pci_user_write_config_dword(pdev, pos, val);
		break;
	case 2:
		ret = pci_user_write_config_word(pdev, pos, val);
		break;
	default:
		ret = pci_user_write_config_byte(pdev, pos, val);
		break;
	}
	return ret ? pcibios_err_to_errno(ret) : 0;
}

static int cfg_read_chunk(struct iommufd_pci_node *node, u8 *bytes,
			  unsigned int pos, unsigned int size)
{
	unsigned int i, off;
	u32 hw;
	int ret;

	ret = cfg_hw_read(node->pdev, pos, size, &hw);
	if (ret)
		return ret;
	for (i = 0; i < size; i++) {
		off = pos + i;
		bytes[i] = hw >> (8 * i);
		if (off < PCI_CFG_SPACE_SIZE)
			bytes[i] = (bytes[i] & ~node->virt[off]) |
				   (node->vconfig[off] & node->virt[off]);
	}
	return 0;
}

/*
 * The hardware part of a write: the bits of @hwmask from @val, the others
 * as the device has them.  Bytes without a bit of @hwmask are not written
 * at all: writing back what they read would clear the write-1-to-clear
 * error bits of the status register (a command register write as a dword
 * with it) and restart BIST.  So a piece that has such bytes is split in
 * halves.
 */
static int cfg_hw_write_masked(struct pci_dev *pdev, unsigned int pos,
			       unsigned int size, u32 val, u32 hwmask)
{
	unsigned int i, half = size / 2;
	u32 hw;
	int ret;

	if (!hwmask)
		return 0;
	for (i = 0; i < size; i++) {
		if ((hwmask >> (8 * i)) & 0xff)
			continue;
		ret = cfg_hw_write_masked(pdev, pos, half, val, hwmask &
					  (u32)GENMASK(8 * half - 1, 0));
		if (ret)
			return ret;
		return cfg_hw_write_masked(pdev, pos + half, half,
					   val >> (8 * half),
					   hwmask >> (8 * half));
	}
	ret = cfg_hw_read(pdev, pos, size, &hw);
	if (ret)
		return ret;
	return cfg_hw_write(pdev, pos, size, (hw & ~hwmask) | (val & hwmask));
}

static int cfg_write_chunk(struct iommufd_pci_node *node, const u8 *bytes,
			   unsigned int pos, unsigned int size)
{
	unsigned int i, off;
	u32 hwmask = 0, val = 0;
	bool cmd, mem = false;
	u8 vbits, old_cmd;
	int ret;

	old_cmd = node->vconfig[PCI_COMMAND + 1];
	for (i = 0; i < size; i++) {
		off = pos + i;
		if (off >= PCI_CFG_SPACE_SIZE)
			break;
		vbits = node->wmask[off] & node->virt[off];
		node->vconfig[off] = (node->vconfig[off] & ~vbits) |
				     (bytes[i] & vbits);
		hwmask |= (u32)(node->wmask[off] & ~node->virt[off]) << (8 * i);
		val |= (u32)bytes[i] << (8 * i);
	}

	/*
	 * Memory Space Enable: no BAR access while it changes, and none at
	 * all (mappings zapped) once it is clear.
	 */
	cmd = pos <= PCI_COMMAND && pos + size > PCI_COMMAND;
	if (cmd) {
		mem = bytes[PCI_COMMAND - pos] & PCI_COMMAND_MEMORY;
		iommufd_pci_memory_lock(node, !mem);
	}
	ret = cfg_hw_write_masked(node->pdev, pos, size, val, hwmask);
	if (cmd) {
		if (!ret)
			node->mem_enabled = mem;
		iommufd_pci_memory_unlock(node);
	}
	if (ret)
		return ret;

	if (pos < PCI_ROM_ADDRESS + 4 && pos + size > PCI_BASE_ADDRESS_0)
		cfg_bar_fixup(node);
	if ((old_cmd ^ node->vconfig[PCI_COMMAND + 1]) &
	    (PCI_COMMAND_INTX_DISABLE >> 8))
		iommufd_pci_intx_virq_disable(node,
					      node->vconfig[PCI_COMMAND + 1] &
					      (PCI_COMMAND_INTX_DISABLE >> 8));
	return 0;
}

/**
 * iommufd_pci_config_rw() - read or write the config space region
 * @node: a bound node, locked
 * @buf: kernel buffer (the caller copies from or to userspace without
 *	 the node's lock, so the removal of the device never waits on a copy)
 * @count: bytes to access
 * @pos: offset in config space
 * @write: write @buf to config space rather than read into it
 *
 * Accesses the device in naturally aligned pieces of up to 4 bytes.
 *
 * Return: the number of bytes accessed or a negative errno (if nothing
 * was).
 */
ssize_t iommufd_pci_config_rw(struct iommufd_pci_node *node, u8 *buf,
			      size_t count, loff_t pos, bool write)
{
	unsigned int size, cfg_size = node->pdev->cfg_size;
	ssize_t done = 0;
	int ret = 0;

	lockdep_assert_held(&node->lock);
	if (pos < 0 || pos >= cfg_size)
		return -EINVAL;
	count = min_t(size_t, count, cfg_size - pos);
	while (count) {
		if (count >= 4 && !(pos % 4))
			size = 4;
		else if (count >= 2 && !(pos % 2))
			size = 2;
		else
			size = 1;
		if (write)
			ret = cfg_write_chunk(node, buf, pos, size);
		else
			ret = cfg_read_chunk(node, buf, pos, size);
		if (ret)
			break;
		count -= size;
		done += size;
		pos += size;
		buf += size;
	}
	return done ? done : ret;
}
EXPORT_SYMBOL_IF_KUNIT(iommufd_pci_config_rw);
