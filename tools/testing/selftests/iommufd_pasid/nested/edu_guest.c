// SPDX-License-Identifier: GPL-2.0
/*
 * A bare-metal test program for a nested machine that has edu (1234:11e8)
 * assigned to it (qemu_vmm_test, nested_guest_dma).  QEMU loads it with
 * -kernel as a multiboot image; it runs in 32-bit protected mode, paging
 * off, so physical addresses are its pointers.
 *
 * It finds edu with PCI configuration cycles (ports 0xcf8/0xcfc), places
 * BAR 0, enables memory decoding and bus mastering, checks the ident,
 * liveness and factorial registers, writes a pattern in its RAM and has
 * edu copy it into edu's buffer and back to another RAM page, and compares.
 * Each check is one TAP line ("ok N - ..." or "not ok N - ...") on COM1;
 * the last line is "edu_guest: PASS" or "edu_guest: FAIL".  It then writes
 * the number of failed checks to isa-debug-exit (port 0xf4), so that QEMU
 * exits with status 2 * failed + 1.
 *
 * With "iommu" on its command line it then programs the machine's VT-d
 * unit (intel-iommu, found in the ACPI DMAR table) in legacy mode: a root
 * and a context table for edu's requester ID, a 3-level second-level page
 * table that maps two IOVAs outside RAM to the two RAM pages, register
 * based context-cache and IOTLB invalidation, translation on.  edu copies
 * by IOVA and the bytes must arrive.  Then the destination's PTE is
 * cleared and its IOTLB entry invalidated (page selective): a copy to that
 * IOVA must no longer reach RAM.
 *
 * Words on the multiboot command line (QEMU's -append):
 *   nomaster   leave bus mastering off: edu's DMA must then not reach RAM,
 *              so the copy check fails (the test shows it can fail)
 *   iommu      the VT-d part above
 *   pause      with iommu: after the IOVA copy and after the unmap, print
 *              "# pause mapped" / "# pause unmapped" and wait for a byte on
 *              COM1, so that the host can look at the mappings meanwhile
 */
#include <stdarg.h>
#include <stddef.h>

/* What <linux/types.h> and <linux/bits.h> would give */
typedef __UINT8_TYPE__ u8;
typedef __UINT16_TYPE__ u16;
typedef __UINT32_TYPE__ u32;
typedef __UINT64_TYPE__ u64;

#define BIT(n)			(1U << (n))
#define BIT_ULL(n)		(1ULL << (n))

#define MB_LOADER_MAGIC		0x2badb002
#define MB_INFO_CMDLINE		BIT(2)

#define COM1			0x3f8
#define DEBUG_EXIT		0xf4

#define PCI_ADDR		0xcf8
#define PCI_DATA		0xcfc
#define PCI_COMMAND		0x04
#define PCI_CMD_MEMORY		0x2
#define PCI_CMD_MASTER		0x4
#define PCI_BAR0		0x10

#define EDU_ID			0x11e81234U	/* device << 16 | vendor */
#define EDU_BAR0		0xc0000000U	/* in q35's 32-bit PCI hole */
#define EDU_REG_IDENT		0x00
#define EDU_IDENT		0x010000edU
#define EDU_REG_LIVE		0x04
#define EDU_REG_FACT		0x08
#define EDU_REG_STATUS		0x20
#define EDU_STATUS_COMPUTING	0x1
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_CNT		0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_DMA_START		0x1
#define EDU_DMA_TO_RAM		0x2
#define EDU_BUF			0x40000U	/* edu's buffer, as edu addresses it */

/* Two RAM pages above this image (at 1 MiB) and below 64 MiB */
#define SRC_PA			0x200000U
#define DST_PA			0x300000U
#define XFER_LEN		1024U

/*
 * Bounds on busy waits, in TSC cycles.  Under TCG the TSC follows the
 * host's (a few GHz) however deep the nesting: tens of seconds each, so
 * that a loaded CI machine does not turn a slow DMA into a failed check
 * (edu takes 100 ms of its machine's time per DMA).
 */
#define WAIT_CYCLES		BIT_ULL(36)
#define PAUSE_CYCLES		BIT_ULL(37)

/* VT-d registers (offsets in the unit's register page) */
#define VTD_VER			0x00
#define VTD_CAP			0x08
#define VTD_CAP_CM		BIT(7)		/* caching mode */
#define VTD_CAP_SAGAW_39	BIT(9)		/* 3-level tables */
#define VTD_ECAP		0x10
#define VTD_ECAP_IRO(lo)	(((lo) >> 8) & 0x3ff)	/* IOTLB regs / 16 */
#define VTD_GCMD		0x18
#define VTD_GSTS		0x1c
#define VTD_GCMD_TE		BIT(31)
#define VTD_GCMD_SRTP		BIT(30)
#define VTD_GCMD_ONE_SHOT	0x69000000U		/* bits not to echo */
#define VTD_RTADDR		0x20
#define VTD_CCMD		0x28
#define VTD_CCMD_ICC_HI		BIT(31)
#define VTD_CCMD_GLOBAL_HI	BIT(29)
#define VTD_IOTLB_IVT_HI	BIT(31)
#define VTD_IOTLB_GLOBAL_HI	BIT(28)
#define VTD_IOTLB_PAGE_HI	(3U << 28)

/* Tables: a present bit, second-level read and write */
#define VTD_PRESENT		1U
#define VTD_SL_RW		3U
#define VTD_CTX_AW_39		1U	/* context entry: 3-level table */
#define DOMAIN_ID		1U

/* Where edu finds the two pages when translation is on: outside RAM */
#define IOVA_SRC		0x40000000U
#define IOVA_DST		0x40001000U

/* ---- port and memory access ---- */

static inline void io_out8(u16 port, u8 v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline u8 io_in8(u16 port)
{
	u8 v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void io_out32(u16 port, u32 v)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline u32 io_in32(u16 port)
{
	u32 v;

	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u64 rdtsc(void)
{
	u64 v;

	asm volatile("rdtsc" : "=A"(v));
	return v;
}

/*
 * Device registers.  The memory clobber also orders the plain accesses to
 * DMA buffers around them.
 */
static inline u32 mmio_rd32(u32 addr)
{
	u32 v;

	asm volatile("movl %1, %0" : "=r"(v) : "m"(*(u32 *)addr) :
		     "memory");
	return v;
}

static inline void mmio_wr32(u32 addr, u32 v)
{
	asm volatile("movl %1, %0" : "=m"(*(u32 *)addr) : "r"(v) :
		     "memory");
}

/* GCC may emit calls to these for loops and struct copies. */
void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;

	while (n--)
		*p++ = c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

/* ---- COM1 ---- */

static void serial_init(void)
{
	io_out8(COM1 + 1, 0x00);	/* no interrupts */
	io_out8(COM1 + 3, 0x80);	/* divisor latch */
	io_out8(COM1 + 0, 0x01);	/* 115200 baud */
	io_out8(COM1 + 1, 0x00);
	io_out8(COM1 + 3, 0x03);	/* 8n1 */
	io_out8(COM1 + 2, 0x07);	/* FIFOs on and cleared */
	io_out8(COM1 + 4, 0x03);	/* DTR, RTS */
}

static void serial_putc(char c)
{
	u64 end = rdtsc() + WAIT_CYCLES;

	while (!(io_in8(COM1 + 5) & 0x20) && rdtsc() < end)
		;
	io_out8(COM1, c);
}

static void puts_raw(const char *s)
{
	while (*s) {
		if (*s == '\n')
			serial_putc('\r');
		serial_putc(*s++);
	}
}

static void put_num(u32 v, unsigned int base, int digits)
{
	char buf[12];
	int i = 0;

	do {
		buf[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v || i < digits);
	while (i)
		serial_putc(buf[--i]);
}

/* A small printf: %s, %u, %x, %X (%x with 8 digits) and %%. */
static void print(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			if (*fmt == '\n')
				serial_putc('\r');
			serial_putc(*fmt);
			continue;
		}
		switch (*++fmt) {
		case 's':
			puts_raw(va_arg(ap, const char *));
			break;
		case 'u':
			put_num(va_arg(ap, u32), 10, 1);
			break;
		case 'x':
			put_num(va_arg(ap, u32), 16, 1);
			break;
		case 'X':
			put_num(va_arg(ap, u32), 16, 8);
			break;
		case '%':
			serial_putc('%');
			break;
		default:
			va_end(ap);
			return;
		}
	}
	va_end(ap);
}

/* ---- TAP ---- */

static unsigned int checks, failed;

static int check(int ok, const char *what)
{
	checks++;
	if (!ok)
		failed++;
	print("%sok %u - %s\n", ok ? "" : "not ", checks, what);
	return ok;
}

static void finish(void)
{
	print("edu_guest: %s (%u checks, %u failed)\n",
	      failed ? "FAIL" : "PASS", checks, failed);
	/* isa-debug-exit: QEMU exits with status 2 * value + 1. */
	io_out8(DEBUG_EXIT, failed > 127 ? 127 : failed);
	/* No isa-debug-exit: stop here, the test times out. */
	for (;;)
		asm volatile("cli; hlt");
}

/* ---- the command line ---- */

static int has_word(const char *s, const char *w)
{
	const char *p, *q;

	while (s && *s) {
		while (*s == ' ')
			s++;
		for (p = s, q = w; *q && *p == *q; p++, q++)
			;
		if (!*q && (!*p || *p == ' '))
			return 1;
		while (*s && *s != ' ')
			s++;
	}
	return 0;
}

/* ---- PCI configuration mechanism #1, bus 0 ---- */

static u32 cfg_addr(unsigned int slot, unsigned int off)
{
	return 0x80000000U | slot << 11 | (off & 0xfc);
}

static u32 cfg_rd32(unsigned int slot, unsigned int off)
{
	io_out32(PCI_ADDR, cfg_addr(slot, off));
	return io_in32(PCI_DATA);
}

static void cfg_wr32(unsigned int slot, unsigned int off, u32 v)
{
	io_out32(PCI_ADDR, cfg_addr(slot, off));
	io_out32(PCI_DATA, v);
}

/* Reads one byte from COM1 within @cycles; -1 if none came. */
static int serial_getc(u64 cycles)
{
	u64 end = rdtsc() + cycles;

	while (!(io_in8(COM1 + 5) & 0x01))
		if (rdtsc() > end)
			return -1;
	return io_in8(COM1);
}

/* ---- edu ---- */

static u32 edu_rd(unsigned int reg)
{
	return mmio_rd32(EDU_BAR0 + reg);
}

static void edu_wr(unsigned int reg, u32 v)
{
	mmio_wr32(EDU_BAR0 + reg, v);
}

/* Waits while @reg & @busy; 0 when clear, -1 on timeout. */
static int edu_wait(unsigned int reg, u32 busy)
{
	u64 end = rdtsc() + WAIT_CYCLES;

	while (edu_rd(reg) & busy)
		if (rdtsc() > end)
			return -1;
	return 0;
}

/*
 * One edu DMA between bus address @addr and edu's buffer (32-bit writes:
 * edu takes the written value as the whole 64-bit register).
 */
static int edu_dma(u32 addr, u32 len, int to_ram)
{
	edu_wr(EDU_REG_DMA_SRC, to_ram ? EDU_BUF : addr);
	edu_wr(EDU_REG_DMA_DST, to_ram ? addr : EDU_BUF);
	edu_wr(EDU_REG_DMA_CNT, len);
	edu_wr(EDU_REG_DMA_CMD, EDU_DMA_START | (to_ram ? EDU_DMA_TO_RAM : 0));
	return edu_wait(EDU_REG_DMA_CMD, EDU_DMA_START);
}

static void pattern(u8 *p, u32 len, u32 seed)
{
	u32 x = seed * 2654435761U + 1, i;

	for (i = 0; i < len; i++) {
		x = x * 1103515245U + 12345U;
		p[i] = x >> 16;
	}
}

/* Index of the first byte where @a and @b differ, or @len. */
static u32 mismatch(const u8 *a, const u8 *b, u32 len)
{
	u32 i;

	for (i = 0; i < len && a[i] == b[i]; i++)
		;
	return i;
}

static u8 expect[XFER_LEN];

/*
 * Writes a pattern at @src_pa, clears @dst_pa, has edu copy @src_bus ->
 * its buffer -> @dst_bus, and checks that @dst_pa holds the pattern.
 */
static void copy_check(u32 src_pa, u32 dst_pa, u32 src_bus,
		       u32 dst_bus, u32 seed, const char *what)
{
	u8 *dst = (u8 *)dst_pa;
	u32 bad, i;

	pattern(expect, XFER_LEN, seed);
	memcpy((void *)src_pa, expect, XFER_LEN);
	for (i = 0; i < XFER_LEN; i++)
		dst[i] = 0;
	if (!check(!edu_dma(src_bus, XFER_LEN, 0) &&
		   !edu_dma(dst_bus, XFER_LEN, 1), "DMA commands complete")) {
		check(0, what);
		return;
	}
	bad = mismatch(dst, expect, XFER_LEN);
	if (bad < XFER_LEN)
		print("# byte %u of 0x%x is 0x%x, want 0x%x\n", bad, dst_pa,
		      dst[bad], expect[bad]);
	check(bad == XFER_LEN, what);
}

/* ---- VT-d ---- */

static u32 vtd;		/* register base */
static unsigned int iotlb;	/* offset of the IOTLB invalidate register */

/*
 * The tables, one 4 KiB page each at fixed RAM addresses: root and context
 * entries are 128 bits (two u64 here), second-level entries 64 bits.
 */
#define root_tbl		((u64 *)0x400000)
#define ctx_tbl			((u64 *)0x401000)
#define sl3			((u64 *)0x402000)
#define sl2			((u64 *)0x403000)
#define sl1			((u64 *)0x404000)
#define TBL_SIZE		4096

static u32 vtd_rd(unsigned int reg)
{
	return mmio_rd32(vtd + reg);
}

static void vtd_wr(unsigned int reg, u32 v)
{
	mmio_wr32(vtd + reg, v);
}

/* A 64-bit register, low half first: the high half's write acts. */
static void vtd_wr64(unsigned int reg, u32 hi, u32 lo)
{
	vtd_wr(reg, lo);
	vtd_wr(reg + 4, hi);
}

/* Waits until (@reg & @mask) == @want; 0, or -1 on timeout. */
static int vtd_wait(unsigned int reg, u32 mask, u32 want)
{
	u64 end = rdtsc() + WAIT_CYCLES;

	while ((vtd_rd(reg) & mask) != want)
		if (rdtsc() > end)
			return -1;
	return 0;
}

/* A global command: the persistent status bits echoed, plus @cmd. */
static int vtd_gcmd(u32 cmd, u32 status)
{
	vtd_wr(VTD_GCMD, (vtd_rd(VTD_GSTS) & ~VTD_GCMD_ONE_SHOT) | cmd);
	return vtd_wait(VTD_GSTS, status, status);
}

static int sum_ok(const u8 *p, u32 len)
{
	u8 sum = 0;

	while (len--)
		sum += *p++;
	return !sum;
}

static int sig_is(const u8 *p, const char *sig, int n)
{
	while (n--)
		if (*p++ != (u8)*sig++)
			return 0;
	return 1;
}

/*
 * The register base of the first DRHD of the ACPI DMAR table: RSDP in the
 * BIOS area, its RSDT, the table with signature "DMAR", whose remapping
 * structures follow a 48-byte header.  0 if there is none.
 */
static u32 dmar_find(void)
{
	const u8 *p, *rsdp = NULL, *t, *e;
	u32 rsdt, n, i, len;

	for (p = (const u8 *)0xe0000; p < (const u8 *)0x100000;
	     p += 16)
		if (sig_is(p, "RSD PTR ", 8) && sum_ok(p, 20)) {
			rsdp = p;
			break;
		}
	if (!rsdp)
		return 0;
	rsdt = *(const u32 *)(rsdp + 16);
	len = *(const u32 *)(rsdt + 4);
	if (!sig_is((const u8 *)rsdt, "RSDT", 4) || len < 36)
		return 0;
	n = (len - 36) / 4;
	for (i = 0; i < n; i++) {
		t = (const u8 *)*(const u32 *)(rsdt + 36 + 4 * i);
		if (!sig_is(t, "DMAR", 4))
			continue;
		e = t + *(const u32 *)(t + 4);
		for (p = t + 48; p + 16 <= e;
		     p += *(const u16 *)(p + 2)) {
			if (*(const u16 *)(p + 2) < 4)
				break;
			if (*(const u16 *)p == 0)	/* DRHD */
				return *(const u32 *)(p + 8);
		}
	}
	return 0;
}

/* Context-cache invalidation, global; 0 when done. */
static int vtd_inval_ctx(void)
{
	vtd_wr64(VTD_CCMD, VTD_CCMD_ICC_HI | VTD_CCMD_GLOBAL_HI, 0);
	return vtd_wait(VTD_CCMD + 4, VTD_CCMD_ICC_HI, 0);
}

/*
 * IOTLB invalidation: global (@iova ~0), or of the page at @iova in
 * DOMAIN_ID (address mask 0); 0 when done.
 */
static int vtd_inval_iotlb(u32 iova)
{
	u32 hi = VTD_IOTLB_IVT_HI | VTD_IOTLB_GLOBAL_HI;

	if (iova != ~0U) {
		vtd_wr64(iotlb, 0, iova);	/* IVA: address, AM 0 */
		hi = VTD_IOTLB_IVT_HI | VTD_IOTLB_PAGE_HI | DOMAIN_ID;
	}
	vtd_wr64(iotlb + 8, hi, 0);
	return vtd_wait(iotlb + 12, VTD_IOTLB_IVT_HI, 0);
}

/*
 * Root entry for bus 0 -> context table; context entry for @devfn ->
 * second-level table sl3 (3 levels, DOMAIN_ID); IOVA_SRC and IOVA_DST
 * -> SRC_PA and DST_PA, read and write.
 */
static void vtd_tables(unsigned int devfn)
{
	memset(root_tbl, 0, TBL_SIZE);
	memset(ctx_tbl, 0, TBL_SIZE);
	memset(sl3, 0, TBL_SIZE);
	memset(sl2, 0, TBL_SIZE);
	memset(sl1, 0, TBL_SIZE);
	root_tbl[0] = (u32)ctx_tbl | VTD_PRESENT;
	ctx_tbl[2 * devfn] = (u32)sl3 | VTD_PRESENT;
	ctx_tbl[2 * devfn + 1] = DOMAIN_ID << 8 | VTD_CTX_AW_39;
	sl3[(IOVA_SRC >> 30) & 511] = (u32)sl2 | VTD_SL_RW;
	sl2[(IOVA_SRC >> 21) & 511] = (u32)sl1 | VTD_SL_RW;
	sl1[(IOVA_SRC >> 12) & 511] = SRC_PA | VTD_SL_RW;
	sl1[(IOVA_DST >> 12) & 511] = DST_PA | VTD_SL_RW;
}

/* "# pause <what>", then waits for the host's byte on COM1. */
static void pause_for_host(int pause, const char *what)
{
	if (!pause)
		return;
	print("# pause %s\n", what);
	check(serial_getc(PAUSE_CYCLES) >= 0, "the host answered the pause");
}

static void iommu_part(unsigned int slot, int pause)
{
	u8 *dst = (u8 *)DST_PA;
	u32 cap, ecap, i, bad;

	vtd = dmar_find();
	if (!check(vtd != 0, "VT-d unit in the ACPI DMAR table"))
		return;
	cap = vtd_rd(VTD_CAP);
	ecap = vtd_rd(VTD_ECAP);
	iotlb = VTD_ECAP_IRO(ecap) * 16;
	print("# VT-d at 0x%x: version 0x%x, cap 0x%x%X, ecap 0x%x%X\n",
	      vtd, vtd_rd(VTD_VER), vtd_rd(VTD_CAP + 4), cap,
	      vtd_rd(VTD_ECAP + 4), ecap);
	if (!check((cap & VTD_CAP_CM) && (cap & VTD_CAP_SAGAW_39),
		   "caching mode, 3-level second-level tables"))
		return;

	vtd_tables(slot << 3);
	vtd_wr64(VTD_RTADDR, 0, (u32)root_tbl);	/* legacy mode */
	if (!check(!vtd_gcmd(VTD_GCMD_SRTP, VTD_GCMD_SRTP),
		   "root table pointer set") ||
	    !check(!vtd_inval_ctx(), "context cache invalidated (global)") ||
	    !check(!vtd_inval_iotlb(~0U), "IOTLB invalidated (global)") ||
	    !check(!vtd_gcmd(VTD_GCMD_TE, VTD_GCMD_TE),
		   "translation enabled"))
		return;

	copy_check(SRC_PA, DST_PA, IOVA_SRC, IOVA_DST, 23,
		   "IOVA 0x40000000 -> edu -> IOVA 0x40001000, 1024 bytes match");
	pause_for_host(pause, "mapped");

	/* Unmap the destination: edu's writes there must stop. */
	sl1[(IOVA_DST >> 12) & 511] = 0;
	if (!check(!vtd_inval_iotlb(IOVA_DST),
		   "IOTLB invalidated (page 0x40001000, domain 1)"))
		return;
	for (i = 0; i < XFER_LEN; i++)
		dst[i] = 0;
	check(!edu_dma(IOVA_DST, XFER_LEN, 1), "DMA command completes");
	for (bad = 0; bad < XFER_LEN && !dst[bad]; bad++)
		;
	check(bad == XFER_LEN,
	      "edu -> unmapped IOVA 0x40001000: RAM 0x300000 unchanged");
	pause_for_host(pause, "unmapped");
}

static int edu_find(void)
{
	unsigned int slot;

	for (slot = 0; slot < 32; slot++)
		if (cfg_rd32(slot, 0) == EDU_ID)
			return slot;
	return -1;
}

void guest_main(u32 magic, const u32 *mbi)
{
	const char *cmdline = NULL;
	u32 v, cmd;
	int slot, master;

	serial_init();
	if (magic == MB_LOADER_MAGIC && (mbi[0] & MB_INFO_CMDLINE))
		cmdline = (const char *)mbi[4];
	master = !has_word(cmdline, "nomaster");
	print("# edu_guest: command line \"%s\"\n", cmdline ? cmdline : "");

	slot = edu_find();
	if (!check(slot >= 0, "edu (1234:11e8) on bus 0"))
		finish();
	print("# edu at 00:%s%x.0\n", slot < 16 ? "0" : "", slot);

	/* BAR 0 placed with decoding off, then memory (and mastering) on */
	cmd = cfg_rd32(slot, PCI_COMMAND) & 0xffff;
	cfg_wr32(slot, PCI_COMMAND, cmd & ~(PCI_CMD_MEMORY | PCI_CMD_MASTER));
	cfg_wr32(slot, PCI_BAR0, EDU_BAR0);
	v = cfg_rd32(slot, PCI_BAR0) & ~0xfU;
	cmd |= PCI_CMD_MEMORY;
	if (master)
		cmd |= PCI_CMD_MASTER;
	else
		cmd &= ~PCI_CMD_MASTER;
	cfg_wr32(slot, PCI_COMMAND, cmd);
	print("# BAR 0 reads 0x%x, command 0x%x\n", v,
	      cfg_rd32(slot, PCI_COMMAND) & 0xffff);
	if (!check(v == EDU_BAR0, "BAR 0 placed at 0xc0000000"))
		finish();

	v = edu_rd(EDU_REG_IDENT);
	print("# ident 0x%x\n", v);
	if (!check(v == EDU_IDENT, "ident register reads 0x010000ed"))
		finish();

	edu_wr(EDU_REG_LIVE, 0x12345678);
	v = edu_rd(EDU_REG_LIVE);
	print("# liveness 0x%x\n", v);
	check(v == ~0x12345678U, "liveness register inverts 0x12345678");

	edu_wr(EDU_REG_FACT, 10);
	v = edu_wait(EDU_REG_STATUS, EDU_STATUS_COMPUTING) ? 0 :
	    edu_rd(EDU_REG_FACT);
	print("# 10! reads %u\n", v);
	check(v == 3628800, "factorial register: 10! = 3628800");

	copy_check(SRC_PA, DST_PA, SRC_PA, DST_PA, 11,
		   "RAM 0x200000 -> edu -> RAM 0x300000, 1024 bytes match");
	if (has_word(cmdline, "iommu"))
		iommu_part(slot, has_word(cmdline, "pause"));
	finish();
}
