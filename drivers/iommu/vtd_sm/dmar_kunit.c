// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of what vtd_sm takes from the DMAR table besides the units:
 * RMRRs reported as direct-mapped reserved regions of the devices their
 * scope names, malformed RMRRs left out, and DRHD scopes with an ACPI
 * namespace device refused.  The RMRRs are built here, for a device of
 * the machine the suite runs on (QEMU's table has none).
 */
#include <kunit/test.h>
#include <linux/acpi.h>
#include <linux/iommu.h>
#include <linux/pci.h>

#include "vtd.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define RMRR_BASE	0x7f000000ULL
#define RMRR_SIZE	0x10000ULL

/* An RMRR with one endpoint scope entry naming root-bus device @devfn. */
struct fake_rmrr {
	struct acpi_dmar_reserved_memory rmrr;
	struct acpi_dmar_device_scope scope;
	struct acpi_dmar_pci_path path;
} __packed;

static void fake_rmrr_init(struct fake_rmrr *f, u16 segment, u8 bus,
			   u8 devfn, u64 base, u64 last)
{
	memset(f, 0, sizeof(*f));
	f->rmrr.header.type = ACPI_DMAR_TYPE_RESERVED_MEMORY;
	f->rmrr.header.length = sizeof(*f);
	f->rmrr.segment = segment;
	f->rmrr.base_address = base;
	f->rmrr.end_address = last;
	f->scope.entry_type = ACPI_DMAR_SCOPE_TYPE_ENDPOINT;
	f->scope.length = sizeof(f->scope) + sizeof(f->path);
	f->scope.bus = bus;
	f->path.device = PCI_SLOT(devfn);
	f->path.function = PCI_FUNC(devfn);
}

/* Two devices of a root bus that are neither USB nor display, or skip. */
static void two_root_devices(struct kunit *test, struct pci_dev **a,
			     struct pci_dev **b)
{
	struct pci_dev *pdev = NULL;

	*a = NULL;
	*b = NULL;
	for_each_pci_dev(pdev) {
		if (!pci_is_root_bus(pdev->bus) ||
		    (pdev->class >> 8) == PCI_CLASS_SERIAL_USB ||
		    (pdev->class >> 16) == PCI_BASE_CLASS_DISPLAY)
			continue;
		if (!*a) {
			*a = pci_dev_get(pdev);
		} else if (pdev->bus == (*a)->bus) {
			*b = pci_dev_get(pdev);
			pci_dev_put(pdev);
			return;
		}
	}
	pci_dev_put(*a);
	kunit_skip(test, "no two devices on one root bus");
}

static unsigned int count_direct(struct kunit *test, struct pci_dev *pdev,
				 u64 base, u64 size)
{
	struct iommu_resv_region *reg, *next;
	unsigned int n = 0;
	LIST_HEAD(head);

	vtd_dmar_rmrr_regions(&pdev->dev, &head);
	list_for_each_entry_safe(reg, next, &head, list) {
		if (reg->start == base) {
			KUNIT_EXPECT_EQ(test, reg->length, size);
			KUNIT_EXPECT_EQ(test, reg->type, IOMMU_RESV_DIRECT);
			KUNIT_EXPECT_EQ(test, reg->prot, IOMMU_READ | IOMMU_WRITE);
			n++;
		}
		list_del(&reg->list);
		kfree(reg);
	}
	return n;
}

static void rmrr_test_scoped_device_only(struct kunit *test)
{
	struct pci_dev *a, *b;
	struct fake_rmrr f;
	struct vtd_rmrr *rmrr;

	two_root_devices(test, &a, &b);
	fake_rmrr_init(&f, pci_domain_nr(a->bus), a->bus->number, a->devfn,
		       RMRR_BASE, RMRR_BASE + RMRR_SIZE - 1);
	rmrr = vtd_dmar_add_rmrr(&f.rmrr);
	KUNIT_ASSERT_FALSE(test, IS_ERR(rmrr));
	KUNIT_EXPECT_EQ(test, count_direct(test, a, RMRR_BASE, RMRR_SIZE), 1);
	KUNIT_EXPECT_EQ(test, count_direct(test, b, RMRR_BASE, RMRR_SIZE), 0);
	vtd_dmar_remove_rmrr(rmrr);
	/* Gone with its entry. */
	KUNIT_EXPECT_EQ(test, count_direct(test, a, RMRR_BASE, RMRR_SIZE), 0);
	pci_dev_put(a);
	pci_dev_put(b);
}

static void rmrr_test_other_segment(struct kunit *test)
{
	struct pci_dev *a, *b;
	struct fake_rmrr f;
	struct vtd_rmrr *rmrr;

	two_root_devices(test, &a, &b);
	fake_rmrr_init(&f, pci_domain_nr(a->bus) + 1, a->bus->number,
		       a->devfn, RMRR_BASE, RMRR_BASE + RMRR_SIZE - 1);
	rmrr = vtd_dmar_add_rmrr(&f.rmrr);
	KUNIT_ASSERT_FALSE(test, IS_ERR(rmrr));
	KUNIT_EXPECT_EQ(test, count_direct(test, a, RMRR_BASE, RMRR_SIZE), 0);
	vtd_dmar_remove_rmrr(rmrr);
	pci_dev_put(a);
	pci_dev_put(b);
}

static void rmrr_test_malformed_left_out(struct kunit *test)
{
	static const struct {
		u64 base, last;
	} bad[] = {
		{ RMRR_BASE, RMRR_BASE },			/* empty */
		{ RMRR_BASE, RMRR_BASE - 1 },			/* backwards */
		{ RMRR_BASE + 0x10, RMRR_BASE + RMRR_SIZE - 1 },	/* base */
		{ RMRR_BASE, RMRR_BASE + RMRR_SIZE - 2 },	/* end */
	};
	struct fake_rmrr f;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		fake_rmrr_init(&f, 0, 0, 0, bad[i].base, bad[i].last);
		KUNIT_EXPECT_EQ(test, PTR_ERR(vtd_dmar_add_rmrr(&f.rmrr)),
				-EINVAL);
	}
	/* A scope entry running past the structure. */
	fake_rmrr_init(&f, 0, 0, 0, RMRR_BASE, RMRR_BASE + RMRR_SIZE - 1);
	f.scope.length += 8;
	KUNIT_EXPECT_EQ(test, PTR_ERR(vtd_dmar_add_rmrr(&f.rmrr)), -EINVAL);
}

static void drhd_scope_test_namespace_refused(struct kunit *test)
{
	struct {
		struct acpi_dmar_device_scope ep;
		struct acpi_dmar_pci_path ep_path;
		struct acpi_dmar_device_scope ns;
		struct acpi_dmar_pci_path ns_path;
	} __packed scope = {
		.ep = {
			.entry_type = ACPI_DMAR_SCOPE_TYPE_ENDPOINT,
			.length = sizeof(scope.ep) + sizeof(scope.ep_path),
		},
		.ns = {
			.entry_type = ACPI_DMAR_SCOPE_TYPE_NAMESPACE,
			.length = sizeof(scope.ns) + sizeof(scope.ns_path),
		},
	};

	/* Endpoints alone are fine; an empty scope too. */
	KUNIT_EXPECT_EQ(test, vtd_dmar_check_scope(&scope, scope.ep.length), 0);
	KUNIT_EXPECT_EQ(test, vtd_dmar_check_scope(&scope, 0), 0);
	KUNIT_EXPECT_EQ(test, vtd_dmar_check_scope(&scope, sizeof(scope)),
			-EOPNOTSUPP);
	/* Truncated entries. */
	KUNIT_EXPECT_EQ(test, vtd_dmar_check_scope(&scope, 3), -EINVAL);
	KUNIT_EXPECT_EQ(test, vtd_dmar_check_scope(&scope, scope.ep.length - 1),
			-EINVAL);
	scope.ep.length = 1;
	KUNIT_EXPECT_EQ(test, vtd_dmar_check_scope(&scope, sizeof(scope)),
			-EINVAL);
}

static struct kunit_case dmar_test_cases[] = {
	KUNIT_CASE(rmrr_test_scoped_device_only),
	KUNIT_CASE(rmrr_test_other_segment),
	KUNIT_CASE(rmrr_test_malformed_left_out),
	KUNIT_CASE(drhd_scope_test_namespace_refused),
	{}
};

static struct kunit_suite dmar_test_suite = {
	.name = "vtd_sm_dmar",
	.test_cases = dmar_test_cases,
};

kunit_test_suite(dmar_test_suite);

MODULE_DESCRIPTION("KUnit tests of vtd_sm's RMRR and DRHD scope handling");
MODULE_LICENSE("GPL");
