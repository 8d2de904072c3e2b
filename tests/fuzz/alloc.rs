//! The harness's allocator: the system's, counting the bytes live on the
//! heap, so that a forked child can be given a memory budget and report
//! its peak. Past the budget the child says so on its result pipe and
//! exits at once: a memory blow-up is a finding, not a dead machine.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static LIMIT: AtomicUsize = AtomicUsize::new(usize::MAX);
static BASE: AtomicUsize = AtomicUsize::new(0);

/// The exit status of a child that went over its memory budget.
pub const EXIT_MEMORY: i32 = 77;

fn grew(by: usize) {
    let now = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
    if now > LIMIT.load(Ordering::Relaxed) {
        over_budget(now);
    }
}

#[cold]
fn over_budget(now: usize) -> ! {
    // No allocation here: the digits go into a buffer on the stack.
    let used = now - BASE.load(Ordering::Relaxed);
    let mut buf = [0u8; 64];
    let head = b"\x1eRESULT memory ";
    buf[..head.len()].copy_from_slice(head);
    let mut digits = [0u8; 20];
    let mut n = used;
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let mut at = head.len();
    for d in digits[..len].iter().rev() {
        buf[at] = *d;
        at += 1;
    }
    buf[at] = b'\n';
    // SAFETY: writing a buffer that lives for the call to fd 2, then
    // leaving the process without unwinding or running destructors.
    unsafe {
        libc::write(2, buf.as_ptr().cast(), at + 1);
        libc::_exit(EXIT_MEMORY);
    }
}

// SAFETY: every call is forwarded to the system allocator unchanged; the
// counters are only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded with the caller's pointer and layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            grew(new_size - layout.size());
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        // SAFETY: forwarded with the caller's pointer, layout and size.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// In a freshly forked child: allow `budget` bytes more than are live now.
pub fn arm(budget: usize) {
    let now = LIVE.load(Ordering::Relaxed);
    BASE.store(now, Ordering::Relaxed);
    PEAK.store(now, Ordering::Relaxed);
    LIMIT.store(now.saturating_add(budget), Ordering::Relaxed);
}

/// The most bytes live at once since [`arm`], beyond what was live then.
pub fn peak() -> usize {
    PEAK.load(Ordering::Relaxed)
        .saturating_sub(BASE.load(Ordering::Relaxed))
}
