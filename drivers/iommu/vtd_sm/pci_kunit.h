/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fake PCIe function of pci_kunit.c, for the KUnit tests of the
 * same module that need a PCI device (prq_kunit.c: PRI and ATS).
 */
#ifndef _VTD_SM_PCI_KUNIT_H
#define _VTD_SM_PCI_KUNIT_H

#include <linux/pci.h>

struct kunit;

/**
 * struct fake_pci - a PCIe function whose configuration space is an array
 * @bus: its root bus, whose config accessors read and write @cfg
 * @pdev: the function
 * @cfg: its configuration space
 * @pasid_ctrl_writes: writes that touched the PASID Control register
 * @last_ext: offset of the last extended capability of the list
 * @pri_busy: the PRI capability never reports "stopped"
 */
struct fake_pci {
	struct pci_bus bus;
	struct pci_dev pdev;
	u8 cfg[PCI_CFG_SPACE_EXP_SIZE];
	unsigned int pasid_ctrl_writes;
	u16 last_ext;
	bool pri_busy;
};

struct fake_pci *fake_pci_alloc(struct kunit *test, unsigned int width);
void fake_pci_add_ats(struct fake_pci *f, unsigned int qdep);
void fake_pci_add_pri(struct fake_pci *f, u32 max_reqs, bool pasid_required);
u16 fake_pci_get16(struct fake_pci *f, int where);
u32 fake_pci_get32(struct fake_pci *f, int where);

#endif /* _VTD_SM_PCI_KUNIT_H */
