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
 * Words on the multiboot command line (QEMU's -append):
 *   nomaster   leave bus mastering off: edu's DMA must then not reach RAM,
 *              so the copy check fails (the test shows it can fail)
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

/* Bounds on busy waits, in TSC cycles (a few seconds at least) */
#define WAIT_CYCLES		BIT_ULL(34)

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
	finish();
}
