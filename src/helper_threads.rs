//! A process-wide budget of helper threads for spreading one render's CPU work over the cores
//! (template parsing, manifest heads). The budget is one thread per core beyond the caller's
//! own, shared by every render in the process: concurrent reconciles in the operator then
//! share the cores instead of each starting a full set of threads. A caller that gets no
//! helpers does the work on its own thread.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Helper threads currently granted, process-wide.
static IN_USE: AtomicUsize = AtomicUsize::new(0);

/// Helper threads granted to one caller; they return to the budget when this is dropped, so
/// hold it until the helpers have finished.
#[derive(Debug)]
pub struct HelperGrant {
    count: usize,
}

impl HelperGrant {
    /// How many helper threads the caller may start (0 when the budget is used up).
    pub fn count(&self) -> usize {
        self.count
    }
}

impl Drop for HelperGrant {
    fn drop(&mut self) {
        IN_USE.fetch_sub(self.count, Ordering::SeqCst);
    }
}

/// The budget: the available cores (`std::thread::available_parallelism`, which honours CPU
/// affinity and cgroup quotas) minus one; 0 when that is unknown.
pub fn budget() -> usize {
    std::thread::available_parallelism().map_or(0, |n| n.get() - 1)
}

/// Grants up to `wanted` helper threads from the part of the budget not in use (possibly
/// none).
pub fn grant(wanted: usize) -> HelperGrant {
    let limit = budget();
    let mut granted = 0;
    // The closure may run again when another caller got in first; the last run counts.
    let _ = IN_USE.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
        granted = wanted.min(limit.saturating_sub(used));
        Some(used + granted)
    });
    HelperGrant { count: granted }
}

/// Set by [`leave_teardown_to_exit`].
static TEARDOWN_LEFT_TO_EXIT: AtomicBool = AtomicBool::new(false);

/// Declares that this process exits once its one render is printed (`wheelhouse
/// template`): from now on [`drop_in_background`] leaves its values to the OS instead of
/// freeing them, as compilers skip freeing before exit. The frees happen after the peak of
/// memory, so this does not raise it; on two cores a thread freeing a large template set
/// competed with the last steps of the render (argo-cd: 53.3 to 47.0 ms median, interleaved
/// runs of 21, same peak RSS). Never call it in a long-running process: the memory would be
/// lost for good.
pub fn leave_teardown_to_exit() {
    TEARDOWN_LEFT_TO_EXIT.store(true, Ordering::Relaxed);
}

/// Drops `value` on a new thread named `name`, so that the caller does not wait for a large
/// teardown (parsed templates, a loaded chart; a process about to exit never pays it). Such
/// threads do not count against the budget: they only free memory. Drops here when no thread
/// can be started. Left to the OS once [`leave_teardown_to_exit`] has been called.
pub fn drop_in_background<T: Send + 'static>(name: &str, value: T) {
    if TEARDOWN_LEFT_TO_EXIT.load(Ordering::Relaxed) {
        // The process exits right after its render, and the OS reclaims the memory at once.
        std::mem::forget(value);
        return;
    }
    let spawned = std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || drop(value));
    // On failure the closure, and with it the value, was dropped by `spawn`.
    drop(spawned);
}

/// Grows the calling thread's malloc heap by about `bytes` up front, then frees it again.
///
/// glibc gives each new thread an arena of its own, whose heap grows as the thread allocates
/// with one `mprotect` call per extension, usually a single page (`grow_heap` in glibc's
/// `malloc/arena.c`; `M_TOP_PAD` only pads the main arena). A thread parsing a large chart's
/// templates made about 1,600 such calls. Growing the heap in blocks of 96 KiB (below the
/// 128 KiB mmap threshold, so they come from the arena) makes one call per block; freeing them
/// trims the heap again (`madvise`, so no resident memory is kept) but leaves the pages
/// writable, so later growth costs no system call. Under strict overcommit
/// (`vm.overcommit_memory=2`) glibc revokes the access when trimming, and this only costs
/// the time it takes. Other allocators just allocate and free the blocks.
pub fn reserve_thread_heap(bytes: usize) {
    const BLOCK: usize = 96 * 1024;
    let blocks: Vec<Vec<u8>> = (0..bytes / BLOCK)
        .map(|_| Vec::with_capacity(BLOCK))
        .collect();
    // Keeps the allocations from being optimised away.
    std::hint::black_box(&blocks);
    // Freed in allocation order, the blocks merge into one free chunk and then into the top
    // of the heap, which is trimmed once.
    drop(blocks);
}

/// For tests of helper-thread users: calls `start` until it returns something (a helper was
/// granted), for up to a second, since other tests hold helpers for moments. `None` only when
/// the budget is 0 (one core); panics when no helper came within the second.
#[cfg(test)]
pub fn start_when_granted<T>(mut start: impl FnMut() -> Option<T>) -> Option<T> {
    for _ in 0..200 {
        if let Some(started) = start() {
            return Some(started);
        }
        if budget() == 0 {
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    panic!("no helper thread was granted within a second");
}

/// Applies `work` to every item on the caller's thread and `helpers` scoped helper threads.
/// Each thread claims the next unclaimed item, largest `size` first, until none is left, so
/// that the threads finish at about the same time however unevenly the cost of items varies
/// (fixed shares leave one thread idle while another still works). Each thread has its own
/// `state` from `new_state` (an interner, say). Results are in item order; an item is `None`
/// only when the helper that claimed it panicked, for the caller to redo it on its own thread
/// where the panic then surfaces.
pub fn map_claimed<T, S, R>(
    items: &[T],
    helpers: usize,
    size: impl Fn(&T) -> usize,
    new_state: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, &T) -> R + Sync,
) -> Vec<Option<R>>
where
    T: Sync,
    R: Send,
{
    let mut by_size: Vec<usize> = (0..items.len()).collect();
    by_size.sort_by_key(|&i| std::cmp::Reverse(size(&items[i])));
    let next = AtomicUsize::new(0);
    let claim_all = || {
        let mut state = new_state();
        let mut done = Vec::new();
        while let Some(&i) = by_size.get(next.fetch_add(1, Ordering::Relaxed)) {
            done.push((i, work(&mut state, &items[i])));
        }
        done
    };
    let mut results: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    std::thread::scope(|scope| {
        let spawned: Vec<_> = (0..helpers).map(|_| scope.spawn(claim_all)).collect();
        let mut done = claim_all();
        for helper in spawned {
            if let Ok(theirs) = helper.join() {
                done.extend(theirs);
            }
        }
        for (i, result) in done {
            results[i] = Some(result);
        }
    });
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    // Other tests render concurrently and hold grants of their own, so only bounds that hold
    // whatever they do are checked.
    #[test]
    fn claimed_work_keeps_item_order() {
        let items: Vec<usize> = (0..100).map(|i| (i * 37) % 101).collect();
        for helpers in [0, 1, 3] {
            let results = map_claimed(
                &items,
                helpers,
                |&n| n,
                || 0usize,
                |calls, &n| {
                    *calls += 1;
                    n * 2
                },
            );
            let doubled: Vec<usize> = items.iter().map(|n| n * 2).collect();
            assert_eq!(results, doubled.into_iter().map(Some).collect::<Vec<_>>());
        }
    }

    #[test]
    fn grants_never_exceed_the_budget() {
        let first = grant(usize::MAX);
        let second = grant(usize::MAX);
        assert!(first.count() + second.count() <= budget());
        assert_eq!(grant(0).count(), 0);
        drop(first);
        drop(second);
        assert!(IN_USE.load(Ordering::SeqCst) <= budget());
    }
}
