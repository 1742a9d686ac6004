// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the PCIe capabilities vtd_sm turns on in a device: the
 * PASID capability at probe.  QEMU emulates no device with one, so the
 * device here is a PCIe endpoint of its own, on a root bus of its own,
 * whose configuration space is an array the tests read back.
 */
#include <kunit/test.h>
#include <linux/pci.h>

#include "regs.h"
#include "vtd.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define FAKE_PCIE_CAP	0x40
#define FAKE_PASID_CAP	0x100
#define FAKE_ACS_CAP	0x110

struct fake_pci {
	struct pci_bus bus;
	struct pci_dev pdev;
	u8 cfg[PCI_CFG_SPACE_EXP_SIZE];
	unsigned int pasid_ctrl_writes;
};

static struct fake_pci *to_fake_pci(struct pci_bus *bus)
{
	return container_of(bus, struct fake_pci, bus);
}

static int fake_pci_read(struct pci_bus *bus, unsigned int devfn, int where,
			 int size, u32 *val)
{
	struct fake_pci *f = to_fake_pci(bus);
	u32 v = 0;
	int i;

	if (devfn != f->pdev.devfn || where < 0 ||
	    where + size > sizeof(f->cfg))
		return PCIBIOS_DEVICE_NOT_FOUND;
	for (i = 0; i < size; i++)
		v |= (u32)f->cfg[where + i] << (8 * i);
	*val = v;
	return PCIBIOS_SUCCESSFUL;
}

static int fake_pci_write(struct pci_bus *bus, unsigned int devfn, int where,
			  int size, u32 val)
{
	struct fake_pci *f = to_fake_pci(bus);
	int i;

	if (devfn != f->pdev.devfn || where < 0 ||
	    where + size > sizeof(f->cfg))
		return PCIBIOS_DEVICE_NOT_FOUND;
	if (where <= FAKE_PASID_CAP + PCI_PASID_CTRL &&
	    where + size > FAKE_PASID_CAP + PCI_PASID_CTRL)
		f->pasid_ctrl_writes++;
	for (i = 0; i < size; i++)
		f->cfg[where + i] = val >> (8 * i);
	return PCIBIOS_SUCCESSFUL;
}

static struct pci_ops fake_pci_ops = {
	.read = fake_pci_read,
	.write = fake_pci_write,
};

static void fake_pci_dev_release(struct device *dev)
{
	/* The fixture is test-managed memory. */
}

static void fake_put16(struct fake_pci *f, int where, u16 v)
{
	f->cfg[where] = v;
	f->cfg[where + 1] = v >> 8;
}

static u16 fake_get16(struct fake_pci *f, int where)
{
	return f->cfg[where] | f->cfg[where + 1] << 8;
}

/*
 * A single-function root-complex integrated endpoint whose PASID
 * capability offers 2^@width PASIDs and execute and privileged modes;
 * the PCI core's fields are those its enumeration would have set.
 */
static struct fake_pci *fake_pci_alloc(struct kunit *test, unsigned int width)
{
	struct fake_pci *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	INIT_LIST_HEAD(&f->bus.node);
	INIT_LIST_HEAD(&f->bus.children);
	INIT_LIST_HEAD(&f->bus.devices);
	f->bus.ops = &fake_pci_ops;
	f->bus.number = 0;

	device_initialize(&f->pdev.dev);
	f->pdev.dev.release = fake_pci_dev_release;
	KUNIT_ASSERT_EQ(test, dev_set_name(&f->pdev.dev, "vtd-kunit-pci"), 0);
	f->pdev.bus = &f->bus;
	f->pdev.devfn = PCI_DEVFN(3, 0);
	f->pdev.vendor = PCI_VENDOR_ID_REDHAT;
	f->pdev.device = 0x00ff;
	f->pdev.error_state = pci_channel_io_normal;
	f->pdev.pcie_cap = FAKE_PCIE_CAP;
	f->pdev.pcie_flags_reg = PCI_EXP_TYPE_RC_END << 4;
	f->pdev.eetlp_prefix_path = 1;
	f->pdev.pasid_cap = FAKE_PASID_CAP;
	fake_put16(f, FAKE_PASID_CAP + PCI_PASID_CAP,
		   FIELD_PREP(PCI_PASID_CAP_WIDTH, width) |
		   PCI_PASID_CAP_EXEC | PCI_PASID_CAP_PRIV);
	return f;
}

static void fake_pci_free(struct fake_pci *f)
{
	put_device(&f->pdev.dev);
}

/* A unit with PASID support of 2^@bits PASIDs and the ECAP bits @extra. */
static struct vtd_unit *fake_unit(struct kunit *test, unsigned int bits,
				  u64 extra)
{
	struct vtd_unit *unit = kunit_kzalloc(test, sizeof(*unit), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, unit);
	unit->ecap = extra;
	if (bits)
		unit->ecap |= VTD_ECAP_PASID |
			      FIELD_PREP(VTD_ECAP_PSS, bits - 1);
	return unit;
}

/* Enabled on the device, the narrower width wins, and disabled again. */
static void pasid_test_enabled(struct kunit *test)
{
	struct vtd_unit *unit = fake_unit(test, 20, VTD_ECAP_SRS);
	struct fake_pci *f = fake_pci_alloc(test, 8);

	KUNIT_EXPECT_EQ(test, vtd_dev_enable_pasid(unit, &f->pdev), 256U);
	KUNIT_EXPECT_TRUE(test, f->pdev.pasid_enabled);
	KUNIT_EXPECT_EQ(test, f->pasid_ctrl_writes, 1U);
	/* No ECAP.ERS: execute-requested DMA stays off. */
	KUNIT_EXPECT_EQ(test, fake_get16(f, FAKE_PASID_CAP + PCI_PASID_CTRL),
			PCI_PASID_CTRL_ENABLE | PCI_PASID_CTRL_PRIV);

	vtd_dev_disable_pasid(&f->pdev);
	KUNIT_EXPECT_FALSE(test, f->pdev.pasid_enabled);
	KUNIT_EXPECT_EQ(test, fake_get16(f, FAKE_PASID_CAP + PCI_PASID_CTRL),
			0);
	KUNIT_EXPECT_EQ(test, f->pasid_ctrl_writes, 2U);
	/* A second disable (error path after release) touches nothing. */
	vtd_dev_disable_pasid(&f->pdev);
	KUNIT_EXPECT_EQ(test, f->pasid_ctrl_writes, 2U);
	fake_pci_free(f);
}

static void pasid_test_unit_width(struct kunit *test)
{
	struct vtd_unit *unit = fake_unit(test, 4, VTD_ECAP_ERS |
					  VTD_ECAP_SRS);
	struct fake_pci *f = fake_pci_alloc(test, 20);

	KUNIT_EXPECT_EQ(test, vtd_dev_enable_pasid(unit, &f->pdev), 16U);
	KUNIT_EXPECT_EQ(test, fake_get16(f, FAKE_PASID_CAP + PCI_PASID_CTRL),
			PCI_PASID_CTRL_ENABLE | PCI_PASID_CTRL_EXEC |
			PCI_PASID_CTRL_PRIV);
	vtd_dev_disable_pasid(&f->pdev);
	fake_pci_free(f);
}

/* Neither a unit without PASID support nor a device without the cap. */
static void pasid_test_not_offered(struct kunit *test)
{
	struct vtd_unit *no_pasid = fake_unit(test, 0, VTD_ECAP_SRS);
	struct vtd_unit *unit = fake_unit(test, 20, VTD_ECAP_SRS);
	struct fake_pci *f = fake_pci_alloc(test, 8);

	KUNIT_EXPECT_EQ(test, vtd_dev_enable_pasid(no_pasid, &f->pdev), 0U);
	KUNIT_EXPECT_FALSE(test, f->pdev.pasid_enabled);

	f->pdev.pasid_cap = 0;
	KUNIT_EXPECT_EQ(test, vtd_dev_enable_pasid(unit, &f->pdev), 0U);
	KUNIT_EXPECT_FALSE(test, f->pdev.pasid_enabled);
	KUNIT_EXPECT_EQ(test, f->pasid_ctrl_writes, 0U);
	fake_pci_free(f);
}

/*
 * The PCI core's refusals leave the device without PASIDs: a function of
 * a multi-function device whose ACS does not redirect peer requests, and
 * a device below a bridge that does not carry the PASID prefix.
 */
static void pasid_test_refused(struct kunit *test)
{
	struct vtd_unit *unit = fake_unit(test, 20, VTD_ECAP_SRS);
	struct fake_pci *f = fake_pci_alloc(test, 8);

	f->pdev.multifunction = 1;
	KUNIT_EXPECT_EQ(test, vtd_dev_enable_pasid(unit, &f->pdev), 0U);
	KUNIT_EXPECT_FALSE(test, f->pdev.pasid_enabled);

	/* With ACS redirecting peer requests it is allowed. */
	f->pdev.acs_cap = FAKE_ACS_CAP;
	fake_put16(f, FAKE_ACS_CAP + PCI_ACS_CAP, PCI_ACS_RR | PCI_ACS_UF);
	fake_put16(f, FAKE_ACS_CAP + PCI_ACS_CTRL, PCI_ACS_RR | PCI_ACS_UF);
	KUNIT_EXPECT_EQ(test, vtd_dev_enable_pasid(unit, &f->pdev), 256U);
	vtd_dev_disable_pasid(&f->pdev);

	f->pdev.eetlp_prefix_path = 0;
	KUNIT_EXPECT_EQ(test, vtd_dev_enable_pasid(unit, &f->pdev), 0U);
	KUNIT_EXPECT_FALSE(test, f->pdev.pasid_enabled);
	KUNIT_EXPECT_EQ(test, f->pasid_ctrl_writes, 2U);
	fake_pci_free(f);
}

static struct kunit_case pci_test_cases[] = {
	KUNIT_CASE(pasid_test_enabled),
	KUNIT_CASE(pasid_test_unit_width),
	KUNIT_CASE(pasid_test_not_offered),
	KUNIT_CASE(pasid_test_refused),
	{}
};

static struct kunit_suite pci_test_suite = {
	.name = "vtd_sm_pci",
	.test_cases = pci_test_cases,
};

kunit_test_suite(pci_test_suite);

MODULE_DESCRIPTION("KUnit tests of the PCIe capabilities vtd_sm enables");
MODULE_LICENSE("GPL");
