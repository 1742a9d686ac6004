// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the config space filter of iommufd_pci, on a fake
 * device whose config space lives in memory and whose status register
 * has the write-1-to-clear error bits of real hardware.
 */
#include <kunit/test.h>
#include <linux/pci.h>
#include <linux/unaligned.h>

#include "iommufd_pci.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/* The error bits of the status register, all write-1-to-clear */
#define STATUS_W1C	(PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT | \
			 PCI_STATUS_REC_TARGET_ABORT |			    \
			 PCI_STATUS_REC_MASTER_ABORT |			    \
			 PCI_STATUS_SIG_SYSTEM_ERROR |			    \
			 PCI_STATUS_DETECTED_PARITY)

static u8 fake_cfg[PCI_CFG_SPACE_SIZE];

static int fake_read(struct pci_bus *bus, unsigned int devfn, int where,
		     int size, u32 *val)
{
	int i;

	*val = 0;
	for (i = 0; i < size; i++)
		*val |= (u32)fake_cfg[where + i] << (8 * i);
	return PCIBIOS_SUCCESSFUL;
}

static int fake_write(struct pci_bus *bus, unsigned int devfn, int where,
		      int size, u32 val)
{
	u8 b, w1c;
	int i, off;

	for (i = 0; i < size; i++) {
		off = where + i;
		b = val >> (8 * i);
		if (off == PCI_STATUS || off == PCI_STATUS + 1) {
			w1c = STATUS_W1C >> (8 * (off - PCI_STATUS));
			fake_cfg[off] &= ~(b & w1c);
		} else {
			fake_cfg[off] = b;
		}
	}
	return PCIBIOS_SUCCESSFUL;
}

static struct pci_ops fake_ops = {
	.read = fake_read,
	.write = fake_write,
};

static u16 fake_get16(unsigned int off)
{
	return fake_cfg[off] | fake_cfg[off + 1] << 8;
}

/*
 * A VMM's read-modify-write of the command register as a dword (command
 * and status) changes the command register and leaves the device's error
 * bits set; so does a write of ones to the status register itself.
 */
static void status_w1c_kept(struct kunit *test)
{
	struct iommufd_pci_node *node;
	struct pci_dev *pdev;
	struct pci_bus *bus;
	u16 status = PCI_STATUS_CAP_LIST | PCI_STATUS_REC_MASTER_ABORT |
		     PCI_STATUS_DETECTED_PARITY;
	__le32 dw;

	bus = kunit_kzalloc(test, sizeof(*bus), GFP_KERNEL);
	pdev = kunit_kzalloc(test, sizeof(*pdev), GFP_KERNEL);
	node = kunit_kzalloc(test, sizeof(*node), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, bus && pdev && node);
	bus->ops = &fake_ops;
	pdev->bus = bus;
	pdev->cfg_size = PCI_CFG_SPACE_SIZE;
	pdev->hdr_type = PCI_HEADER_TYPE_NORMAL;
	node->pdev = pdev;
	mutex_init(&node->lock);
	init_rwsem(&node->memory_lock);
	spin_lock_init(&node->intx_lock);
	node->irq_type = IOMMUFD_PCI_IRQ_NONE;

	memset(fake_cfg, 0, sizeof(fake_cfg));
	fake_cfg[PCI_COMMAND] = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	put_unaligned_le16(status, &fake_cfg[PCI_STATUS]);

	mutex_lock(&node->lock);
	iommufd_pci_config_init(node);
	KUNIT_EXPECT_EQ(test, iommufd_pci_config_rw(node, (u8 *)&dw, 4,
						    PCI_COMMAND, false), 4);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(dw) >> 16, (u32)status);
	dw = cpu_to_le32(le32_to_cpu(dw) | PCI_COMMAND_SERR);
	KUNIT_EXPECT_EQ(test, iommufd_pci_config_rw(node, (u8 *)&dw, 4,
						    PCI_COMMAND, true), 4);
	KUNIT_EXPECT_EQ(test, fake_get16(PCI_COMMAND),
			(u16)(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
			      PCI_COMMAND_SERR));
	KUNIT_EXPECT_EQ(test, fake_get16(PCI_STATUS), status);

	/* The status register is read-only to the owner */
	dw = cpu_to_le32(0xffffU);
	KUNIT_EXPECT_EQ(test, iommufd_pci_config_rw(node, (u8 *)&dw, 2,
						    PCI_STATUS, true), 2);
	KUNIT_EXPECT_EQ(test, fake_get16(PCI_STATUS), status);
	mutex_unlock(&node->lock);
	mutex_destroy(&node->lock);
}

static struct kunit_case pci_config_cases[] = {
	KUNIT_CASE(status_w1c_kept),
	{}
};

static struct kunit_suite pci_config_suite = {
	.name = "iommufd_pci_config",
	.test_cases = pci_config_cases,
};

kunit_test_suite(pci_config_suite);

MODULE_DESCRIPTION("KUnit tests of the iommufd_pci config space filter");
MODULE_LICENSE("GPL");
