// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the PCIe capabilities vtd_sm turns on in a device: the
 * PASID capability at probe.  QEMU emulates no device with one, so the
 * device here is a PCIe endpoint of its own, on a root bus of its own,
 * whose configuration space is an array the tests read back.  The same
 * function can carry the ATS and PRI capabilities, for the tests of
 * prq_kunit.c (built into this module with it).
 */
#include <kunit/test.h>
#include <linux/pci.h>

#include "pci_kunit.h"
#include "regs.h"
#include "vtd.h"

#define FAKE_PCIE_CAP	0x40
#define FAKE_PASID_CAP	0x100
#define FAKE_ACS_CAP	0x110
#define FAKE_ATS_CAP	0x120
#define FAKE_PRI_CAP	0x130

/* Extended capability header: ID 15:0, version 19:16, next 31:20. */
#define EXT_HDR(id, ver)	((u32)(id) | (u32)(ver) << 16)
#define EXT_NEXT(off)		((u32)(off) << 20)

static void fake_put16(struct fake_pci *f, int where, u16 v)
{
	f->cfg[where] = v;
	f->cfg[where + 1] = v >> 8;
}

static void fake_put32(struct fake_pci *f, int where, u32 v)
{
	fake_put16(f, where, v);
	fake_put16(f, where + 2, v >> 16);
}

u16 fake_pci_get16(struct fake_pci *f, int where)
{
	return f->cfg[where] | f->cfg[where + 1] << 8;
}

u32 fake_pci_get32(struct fake_pci *f, int where)
{
	return fake_pci_get16(f, where) | (u32)fake_pci_get16(f, where + 2) << 16;
}

/*
 * After a write to the PRI Control register (and maybe Status, which
 * keeps @status: its bits are read-only or write-1-to-clear, none set
 * here): Reset reads as 0, and the interface is stopped while Enable is
 * clear (no request is ever outstanding), unless the test keeps it busy.
 */
static void fake_pri_written(struct fake_pci *f, u16 status)
{
	int pri = f->pdev.pri_cap;
	u16 ctrl = fake_pci_get16(f, pri + PCI_PRI_CTRL) & PCI_PRI_CTRL_ENABLE;

	fake_put16(f, pri + PCI_PRI_CTRL, ctrl);
	if (ctrl || f->pri_busy)
		status &= ~PCI_PRI_STATUS_STOPPED;
	else
		status |= PCI_PRI_STATUS_STOPPED;
	fake_put16(f, pri + PCI_PRI_STATUS, status);
}

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
	u16 status = 0;
	int i, pri;

	if (devfn != f->pdev.devfn || where < 0 ||
	    where + size > sizeof(f->cfg))
		return PCIBIOS_DEVICE_NOT_FOUND;
	if (where <= FAKE_PASID_CAP + PCI_PASID_CTRL &&
	    where + size > FAKE_PASID_CAP + PCI_PASID_CTRL)
		f->pasid_ctrl_writes++;
	pri = f->pdev.pri_cap;
	if (pri && where < pri + PCI_PRI_STATUS + 2 &&
	    where + size > pri + PCI_PRI_CTRL)
		status = fake_pci_get16(f, pri + PCI_PRI_STATUS);
	else
		pri = 0;
	for (i = 0; i < size; i++)
		f->cfg[where + i] = val >> (8 * i);
	if (pri)
		fake_pri_written(f, status);
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

static void fake_pci_put(void *data)
{
	struct fake_pci *f = data;

	put_device(&f->pdev.dev);
}

/* Append an extended capability at @off to the list; Return: its offset. */
static u16 fake_pci_add_ext(struct fake_pci *f, int off, u16 id)
{
	if (f->last_ext)
		fake_put32(f, f->last_ext,
			   fake_pci_get32(f, f->last_ext) | EXT_NEXT(off));
	fake_put32(f, off, EXT_HDR(id, 1));
	f->last_ext = off;
	/* Found as the PCI core's enumeration finds it. */
	return pci_find_ext_capability(&f->pdev, id);
}

/**
 * fake_pci_alloc() - a PCIe function of the test
 * @test: the test, which owns it
 * @width: its PASID capability offers 2^@width PASIDs
 *
 * A single-function root-complex integrated endpoint on a root bus of its
 * own, whose PASID capability offers execute and privileged modes too;
 * the PCI core's fields are those its enumeration would have set.
 *
 * Return: the function.
 */
struct fake_pci *fake_pci_alloc(struct kunit *test, unsigned int width)
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
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, fake_pci_put, f), 0);
	KUNIT_ASSERT_EQ(test, dev_set_name(&f->pdev.dev, "vtd-kunit-pci"), 0);
	f->pdev.dev.bus = &pci_bus_type;
	f->pdev.bus = &f->bus;
	f->pdev.devfn = PCI_DEVFN(3, 0);
	f->pdev.vendor = PCI_VENDOR_ID_REDHAT;
	f->pdev.device = 0x00ff;
	f->pdev.error_state = pci_channel_io_normal;
	f->pdev.cfg_size = PCI_CFG_SPACE_EXP_SIZE;
	f->pdev.pcie_cap = FAKE_PCIE_CAP;
	f->pdev.pcie_flags_reg = PCI_EXP_TYPE_RC_END << 4;
	f->pdev.eetlp_prefix_path = 1;
	f->pdev.pasid_cap = fake_pci_add_ext(f, FAKE_PASID_CAP,
					     PCI_EXT_CAP_ID_PASID);
	KUNIT_ASSERT_EQ(test, f->pdev.pasid_cap, FAKE_PASID_CAP);
	fake_put16(f, FAKE_PASID_CAP + PCI_PASID_CAP,
		   FIELD_PREP(PCI_PASID_CAP_WIDTH, width) |
		   PCI_PASID_CAP_EXEC | PCI_PASID_CAP_PRIV);
	return f;
}

/**
 * fake_pci_add_ats() - give the function an ATS capability
 * @f: the function
 * @qdep: its Invalidate Queue Depth field (0 means 32)
 */
void fake_pci_add_ats(struct fake_pci *f, unsigned int qdep)
{
	f->pdev.ats_cap = fake_pci_add_ext(f, FAKE_ATS_CAP, PCI_EXT_CAP_ID_ATS);
	fake_put16(f, FAKE_ATS_CAP + PCI_ATS_CAP, PCI_ATS_CAP_QDEP(qdep));
}

/**
 * fake_pci_add_pri() - give the function a Page Request Interface
 * @f: the function
 * @max_reqs: its Outstanding Page Request Capacity
 * @pasid_required: it wants the PASID in PRG responses to requests with one
 *
 * The interface starts disabled and stopped.
 */
void fake_pci_add_pri(struct fake_pci *f, u32 max_reqs, bool pasid_required)
{
	u16 status = PCI_PRI_STATUS_STOPPED;

	if (pasid_required)
		status |= PCI_PRI_STATUS_PASID;
	fake_put32(f, FAKE_PRI_CAP + PCI_PRI_MAX_REQ, max_reqs);
	fake_put16(f, FAKE_PRI_CAP + PCI_PRI_STATUS, status);
	f->pdev.pri_cap = fake_pci_add_ext(f, FAKE_PRI_CAP, PCI_EXT_CAP_ID_PRI);
	/* Enumeration takes it from the status register. */
	f->pdev.pasid_required = !!(fake_pci_get16(f, f->pdev.pri_cap +
						   PCI_PRI_STATUS) &
				    PCI_PRI_STATUS_PASID);
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
	KUNIT_EXPECT_EQ(test, fake_pci_get16(f, FAKE_PASID_CAP + PCI_PASID_CTRL),
			PCI_PASID_CTRL_ENABLE | PCI_PASID_CTRL_PRIV);

	vtd_dev_disable_pasid(&f->pdev);
	KUNIT_EXPECT_FALSE(test, f->pdev.pasid_enabled);
	KUNIT_EXPECT_EQ(test, fake_pci_get16(f, FAKE_PASID_CAP + PCI_PASID_CTRL),
			0);
	KUNIT_EXPECT_EQ(test, f->pasid_ctrl_writes, 2U);
	/* A second disable (error path after release) touches nothing. */
	vtd_dev_disable_pasid(&f->pdev);
	KUNIT_EXPECT_EQ(test, f->pasid_ctrl_writes, 2U);
}

static void pasid_test_unit_width(struct kunit *test)
{
	struct vtd_unit *unit = fake_unit(test, 4, VTD_ECAP_ERS |
					  VTD_ECAP_SRS);
	struct fake_pci *f = fake_pci_alloc(test, 20);

	KUNIT_EXPECT_EQ(test, vtd_dev_enable_pasid(unit, &f->pdev), 16U);
	KUNIT_EXPECT_EQ(test, fake_pci_get16(f, FAKE_PASID_CAP + PCI_PASID_CTRL),
			PCI_PASID_CTRL_ENABLE | PCI_PASID_CTRL_EXEC |
			PCI_PASID_CTRL_PRIV);
	vtd_dev_disable_pasid(&f->pdev);
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
