/*
 * Reset and board support for QEMU's mps2-an386 (Cortex-M4F): the vector table, a reset
 * handler that enables the FPU (CPACR), copies .data and clears .bss before main, semihosting
 * (bkpt 0xAB) to print and to exit with a code, SysTick as an instruction counter, and stack
 * painting for the stack's high-water mark. No newlib start-up code (its rdimon crt0 faults on
 * this board).
 */
#include "board.h"

#include <stddef.h>

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _sstack, _estack;
int main(void);

#define REG(addr) (*(volatile uint32_t *)(addr))
#define SCB_CPACR REG(0xE000ED88u)
#define SYST_CSR REG(0xE000E010u)
#define SYST_RVR REG(0xE000E014u)
#define SYST_CVR REG(0xE000E018u)
#define STACK_PAINT 0xC5C5C5C5u

static int semihost(int op, const void *arg) {
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void board_print(const char *text) {
    semihost(0x04, text); /* SYS_WRITE0 */
}

void board_exit(int code) {
    const uint32_t block[2] = {0x20026u, (uint32_t)code}; /* ADP_Stopped_ApplicationExit */
    semihost(0x20, block);                                 /* SYS_EXIT_EXTENDED */
    for (;;) {
    }
}

/* newlib's stdio (printf, fprintf) ends here: the C unit tests print through semihosting too */
int _write(int fd, const char *buf, int len);
int _write(int fd, const char *buf, int len) {
    char chunk[128];
    (void)fd;
    for (int done = 0; done < len;) {
        int n = len - done < (int)sizeof chunk - 1 ? len - done : (int)sizeof chunk - 1;
        for (int i = 0; i < n; ++i) {
            chunk[i] = buf[done + i];
        }
        chunk[n] = '\0';
        board_print(chunk);
        done += n;
    }
    return len;
}

static volatile uint32_t systick_wraps;

void SysTick_Handler(void) {
    ++systick_wraps;
}

uint64_t board_instructions(void) {
    uint32_t wraps, value;
    do {
        wraps = systick_wraps;
        value = SYST_CVR;
    } while (wraps != systick_wraps);
    const uint64_t ticks = (uint64_t)wraps * 0x1000000u + (0xFFFFFFu - value);
    return ticks * EK_INSTRUCTIONS_PER_TICK;
}

uint32_t board_clock_us(void *ctx) {
    (void)ctx;
    return (uint32_t)(board_instructions() / 1000u); /* 1 instruction = 1 ns of virtual time */
}

static uint32_t *paint_top;

void board_paint_stack(void) {
    uintptr_t sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    paint_top = (uint32_t *)sp; /* below this function's frame: free (interrupts included) */
    /* volatile: a plain loop becomes a call to memset, whose own frame would be painted over */
    for (volatile uint32_t *p = &_sstack; p < paint_top; ++p) {
        *p = STACK_PAINT;
    }
}

uint32_t board_stack_used(void) {
    const uint32_t *p = &_sstack;
    while (p < paint_top && *p == STACK_PAINT) {
        ++p;
    }
    return (uint32_t)((const uint8_t *)paint_top - (const uint8_t *)p);
}

static void fault(void) {
    board_print("fault: HardFault/MemManage/BusFault/UsageFault\n");
    board_exit(3);
}

void Reset_Handler(void) {
    SCB_CPACR |= 0xFu << 20; /* CP10 and CP11: full access to the FPU */
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    for (uint32_t *src = &_sidata, *dst = &_sdata; dst < &_edata;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = &_sbss; dst < &_ebss;) {
        *dst++ = 0u;
    }
    SYST_RVR = 0xFFFFFFu;
    SYST_CVR = 0u;
    SYST_CSR = 0x7u; /* processor clock, interrupt on wrap, enabled */
    board_exit(main());
}

typedef void (*vector)(void);
__attribute__((section(".isr_vector"), used)) static const vector vectors[16] = {
    (vector)(uintptr_t)&_estack, Reset_Handler, fault, fault, fault, fault, fault,
    NULL, NULL, NULL, NULL, fault, fault, NULL, fault, SysTick_Handler,
};
