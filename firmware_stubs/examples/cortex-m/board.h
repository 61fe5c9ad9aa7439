/* The emulated board (QEMU mps2-an386, Cortex-M4F): semihosting output and exit, the SysTick
 * instruction counter, stack painting. */
#ifndef EK_BOARD_H
#define EK_BOARD_H

#include <stdint.h>

/* Under `qemu-system-arm -icount shift=0` every instruction advances virtual time by 1 ns and
 * SysTick counts the board's 25 MHz clock: one tick = 40 instructions. */
#define EK_INSTRUCTIONS_PER_TICK 40u

void board_print(const char *text);      /* semihosting SYS_WRITE0 */
void board_exit(int code);               /* semihosting SYS_EXIT_EXTENDED: QEMU's exit code */
uint64_t board_instructions(void);       /* since reset, in steps of 40 */
uint32_t board_clock_us(void *ctx);      /* virtual microseconds (an ek_clock_us_fn) */
void board_paint_stack(void);            /* fill the unused stack below the caller's frame */
uint32_t board_stack_used(void);         /* bytes below the painting call's frame touched since */

#endif
