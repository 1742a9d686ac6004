/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entry of the bare-metal edu guest: a multiboot (version 1) header, so
 * that QEMU's -kernel loads the ELF and enters it in 32-bit protected mode
 * with paging off, and the code that sets up a stack and calls the C
 * program with the multiboot magic and information pointer.
 */

#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0x00000003	/* modules page aligned, memory info */

	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.text
	.globl _start
_start:
	cli
	cld
	movl $stack_top, %esp
	pushl %ebx			/* multiboot information */
	pushl %eax			/* 0x2badb002 from the loader */
	call guest_main
1:	hlt
	jmp 1b

	.bss
	.align 16
	.space 16384
stack_top:

	.section .note.GNU-stack, "", @progbits
