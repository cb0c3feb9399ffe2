//! The plugins' memory allocator: small blocks from per-size free lists, everything else from the standard one.
//!
//! A segmenter run is millions of small allocations that live for one call: every profile becomes a
//! [`Profile`](crate::Profile) of strings and lists (on the 0.1.0 interface the host lowers each one as a separate
//! allocation; on 0.2.0 the SDK decodes them from a few columns), and every assignment is strings that are freed right
//! after the call. The standard wasm32 allocator (dlmalloc) splits, coalesces and bins every one of them; under fuel
//! metering that was a fifth of a large run. Here a block of at most [`MAX_SMALL`] bytes comes from the free list of
//! its size class and goes back onto it, a handful of instructions each way, and a class with an empty list carves its
//! next block from a [`CHUNK`]-byte chunk taken from the standard allocator. Blocks are never coalesced or returned:
//! the memory a class holds is the most it ever had in use at once, which for a plugin (one run, then the instance is
//! dropped) is what it needed anyway. Larger or over-aligned requests go straight to the standard allocator.
//!
//! Compiled into every wasm32 plugin unless the SDK's default feature `allocator` is turned off (a plugin that
//! brings its own global allocator turns it off). WebAssembly plugins are single-threaded (no `atomics` target
//! feature), which is what makes the unsynchronised global sound; natively only the tests use [`Classes`].
#![allow(unsafe_code)] // An allocator hands out raw memory by nature; this module is the only such code.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ptr;

/// Alignment of every small block, and the size granule of the classes.
const ALIGN: usize = 16;

/// Block size of each class, smallest first. Every size is a multiple of [`ALIGN`], so blocks carved one after
/// another from an aligned chunk stay aligned.
const CLASS_SIZES: [usize; 14] = [
    16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 256, 384, 512, 1024,
];

/// The largest request served from a class.
pub(crate) const MAX_SMALL: usize = CLASS_SIZES[CLASS_SIZES.len() - 1];

/// Bytes taken from the standard allocator each time a class needs room for a new block: one WebAssembly page.
pub(crate) const CHUNK: usize = 64 << 10;

/// The class of a request of `n` granules (`n` = size rounded up to [`ALIGN`], divided by it), for `n` in
/// `0..=MAX_SMALL / ALIGN`: the smallest class whose blocks hold it.
const CLASS_BY_GRANULES: [u8; MAX_SMALL / ALIGN + 1] = {
    let mut table = [0u8; MAX_SMALL / ALIGN + 1];
    let mut granules = 0;
    while granules < table.len() {
        let mut class = 0;
        while CLASS_SIZES[class] < granules * ALIGN {
            class += 1;
        }
        // At most 14 classes, so the index fits a u8.
        table[granules] = class as u8;
        granules += 1;
    }
    table
};

/// The class serving `layout`, or `None` when it is too large or too strictly aligned for one.
fn class_of(layout: Layout) -> Option<usize> {
    if layout.size() > MAX_SMALL || layout.align() > ALIGN {
        return None;
    }
    Some(usize::from(
        CLASS_BY_GRANULES[layout.size().div_ceil(ALIGN)],
    ))
}

/// The allocator's state: one free list per class, and the rest of the chunk that new blocks are carved from.
pub(crate) struct Classes {
    /// Head of each class's free list; a free block's first word points to the next one (null ends the list).
    free: [*mut u8; CLASS_SIZES.len()],
    /// Where the next carved block starts, and the end of its chunk (both null before the first chunk).
    bump: *mut u8,
    end: *mut u8,
}

impl Classes {
    /// An allocator that holds no memory yet.
    pub(crate) const fn new() -> Self {
        Self {
            free: [ptr::null_mut(); CLASS_SIZES.len()],
            bump: ptr::null_mut(),
            end: ptr::null_mut(),
        }
    }

    /// Allocates a block for `layout`; null when memory is exhausted.
    ///
    /// # Safety
    ///
    /// As [`GlobalAlloc::alloc`].
    pub(crate) unsafe fn alloc(&mut self, layout: Layout) -> *mut u8 {
        let Some(class) = class_of(layout) else {
            // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which is the one `System` needs.
            return unsafe { System.alloc(layout) };
        };
        let head = self.free[class];
        if head.is_null() {
            return self.carve(class);
        }
        // SAFETY: `head` is a free block of this class (at least 16 bytes, 16-aligned) whose first word
        // `dealloc` set to the next free block.
        self.free[class] = unsafe { head.cast::<*mut u8>().read() };
        head
    }

    /// A new block of `class` from the current chunk, or from a new chunk when the current one has no room left
    /// (its tail, smaller than the block, stays unused).
    fn carve(&mut self, class: usize) -> *mut u8 {
        let size = CLASS_SIZES[class];
        if (self.end as usize) - (self.bump as usize) < size {
            // SAFETY: CHUNK is non-zero and a multiple of ALIGN, a power of two.
            let chunk = unsafe { System.alloc(Layout::from_size_align_unchecked(CHUNK, ALIGN)) };
            if chunk.is_null() {
                return chunk;
            }
            self.bump = chunk;
            // SAFETY: the chunk is CHUNK bytes long, so its end is in bounds of the same allocation.
            self.end = unsafe { chunk.add(CHUNK) };
        }
        let block = self.bump;
        // SAFETY: at least `size` bytes are left between `bump` and `end`, inside one chunk.
        self.bump = unsafe { block.add(size) };
        block
    }

    /// Frees a block.
    ///
    /// # Safety
    ///
    /// As [`GlobalAlloc::dealloc`]: `block` came from this allocator with this `layout`.
    pub(crate) unsafe fn dealloc(&mut self, block: *mut u8, layout: Layout) {
        match class_of(layout) {
            // SAFETY: the block is one of this class (the same layout chose it), at least 16 bytes and 16-aligned,
            // and no longer in use, so its first word can hold the list link.
            Some(class) => unsafe {
                block.cast::<*mut u8>().write(self.free[class]);
                self.free[class] = block;
            },
            // SAFETY: a request of this layout went to `System`, so the block is System's.
            None => unsafe { System.dealloc(block, layout) },
        }
    }

    /// Resizes a block to `new_size` bytes, keeping its contents up to the smaller size; null (and the old block
    /// untouched) when memory is exhausted.
    ///
    /// # Safety
    ///
    /// As [`GlobalAlloc::realloc`].
    pub(crate) unsafe fn realloc(
        &mut self,
        block: *mut u8,
        layout: Layout,
        new_size: usize,
    ) -> *mut u8 {
        // SAFETY: the caller guarantees that `new_size`, rounded up to the alignment, does not overflow.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (class_of(layout), class_of(new_layout)) {
            // Same block size: nothing to do (a string shrunk to fit stays where it is).
            (Some(old), Some(new)) if old == new => block,
            // SAFETY: both are System's: the caller's contract is System's.
            (None, None) => unsafe { System.realloc(block, layout, new_size) },
            _ => {
                // SAFETY: `new_layout` is valid and non-zero in size, as the caller guarantees.
                let moved = unsafe { self.alloc(new_layout) };
                if !moved.is_null() {
                    // SAFETY: both blocks hold at least the smaller size, and distinct blocks never overlap.
                    unsafe {
                        ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
                        self.dealloc(block, layout);
                    }
                }
                moved
            }
        }
    }
}

/// The global allocator of a wasm32 plugin: [`Classes`] behind a cell.
pub(crate) struct PluginAllocator(std::cell::UnsafeCell<Classes>);

impl PluginAllocator {
    /// An allocator that holds no memory yet.
    pub(crate) const fn new() -> Self {
        Self(std::cell::UnsafeCell::new(Classes::new()))
    }
}

// SAFETY: a WebAssembly module without the `atomics` feature runs on one thread, and an allocator call never
// re-enters the allocator (the standard allocator under it is a different one), so no two `&mut Classes` ever
// coexist. Anywhere else the type is not `Sync` and cannot be a global.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
unsafe impl Sync for PluginAllocator {}

// SAFETY: each method forwards to `Classes`, which keeps the `GlobalAlloc` contracts; see `Sync` above for why the
// mutable access is exclusive.
unsafe impl GlobalAlloc for PluginAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { (*self.0.get()).alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if class_of(layout).is_none() {
            // Large blocks often come straight from `memory.grow`, which the standard allocator knows is zeroed.
            return unsafe { System.alloc_zeroed(layout) };
        }
        let block = unsafe { (*self.0.get()).alloc(layout) };
        if !block.is_null() {
            unsafe { ptr::write_bytes(block, 0, layout.size()) };
        }
        block
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        unsafe { (*self.0.get()).dealloc(block, layout) }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        unsafe { (*self.0.get()).realloc(block, layout, new_size) }
    }
}

#[cfg(all(
    target_arch = "wasm32",
    not(target_feature = "atomics"),
    feature = "allocator"
))]
#[global_allocator]
static ALLOCATOR: PluginAllocator = PluginAllocator::new();

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_small_size_gets_the_smallest_class_that_holds_it() {
        for size in 0..=MAX_SMALL {
            for align in [1, 2, 4, 8, 16] {
                let class = class_of(Layout::from_size_align(size, align).unwrap()).unwrap();
                assert!(CLASS_SIZES[class] >= size, "size {size} in class {class}");
                assert!(
                    class == 0 || CLASS_SIZES[class - 1] < size,
                    "size {size} fits class {} already",
                    class - 1
                );
            }
        }
        assert_eq!(
            class_of(Layout::from_size_align(MAX_SMALL + 1, 8).unwrap()),
            None
        );
        assert_eq!(class_of(Layout::from_size_align(16, 32).unwrap()), None);
        assert!(CLASS_SIZES.iter().all(|size| size % ALIGN == 0));
    }

    #[test]
    fn a_freed_block_is_the_next_one_of_its_class() {
        let mut classes = Classes::new();
        let layout = Layout::from_size_align(9, 1).unwrap();
        unsafe {
            let a = classes.alloc(layout);
            let b = classes.alloc(layout);
            assert_ne!(a, b);
            classes.dealloc(a, layout);
            // 16 bytes is the same class as 9: the freed block serves it.
            assert_eq!(classes.alloc(Layout::from_size_align(16, 8).unwrap()), a);
            // Growing within the class keeps the block; past it, the block moves.
            assert_eq!(classes.realloc(b, layout, 16), b);
            let moved = classes.realloc(b, Layout::from_size_align(16, 1).unwrap(), 17);
            assert_ne!(moved, b);
            assert_eq!(
                classes.alloc(layout),
                b,
                "the old block went back to its list"
            );
        }
    }

    /// One step of a random allocation sequence.
    #[derive(Debug, Clone)]
    enum Op {
        Alloc { size: usize, align_log2: u32 },
        Free { index: usize },
        Realloc { index: usize, size: usize },
    }

    fn op() -> impl Strategy<Value = Op> {
        // Sizes cross the small/large boundary and every class edge; alignments go past ALIGN.
        let size =
            prop_oneof![8 => 0usize..=64, 8 => 0usize..=(MAX_SMALL + 64), 1 => 0usize..=2 * CHUNK];
        prop_oneof![
            4 => (size.clone(), 0u32..=6).prop_map(|(size, align_log2)| Op::Alloc { size, align_log2 }),
            3 => any::<usize>().prop_map(|index| Op::Free { index }),
            2 => (any::<usize>(), size).prop_map(|(index, size)| Op::Realloc { index, size }),
        ]
    }

    #[test]
    fn blocks_carved_across_many_chunks_are_distinct_and_aligned() {
        let mut classes = Classes::new();
        let layout = Layout::from_size_align(100, 8).unwrap(); // class 112
        let mut blocks: Vec<usize> = (0..3 * CHUNK / 112)
            .map(|_| unsafe { classes.alloc(layout) } as usize)
            .collect();
        blocks.sort_unstable();
        assert!(
            blocks.windows(2).all(|w| w[1] - w[0] >= 112),
            "blocks overlap"
        );
        assert!(blocks.iter().all(|b| b % ALIGN == 0));
        for block in blocks {
            unsafe { classes.dealloc(block as *mut u8, layout) };
        }
    }

    #[test]
    fn the_global_allocator_zeroes_small_and_large_blocks() {
        let allocator = PluginAllocator::new();
        for size in [1, 40, MAX_SMALL, MAX_SMALL + 1, 3 * CHUNK] {
            let layout = Layout::from_size_align(size, 8).unwrap();
            unsafe {
                // Dirty a block of the same class first, so that zeroing is what makes it zero.
                let dirty = allocator.alloc(layout);
                ptr::write_bytes(dirty, 0xa5, size);
                allocator.dealloc(dirty, layout);
                let block = allocator.alloc_zeroed(layout);
                assert!((0..size).all(|i| block.add(i).read() == 0), "size {size}");
                let grown = allocator.realloc(block, layout, size + 1);
                assert!((0..size).all(|i| grown.add(i).read() == 0), "size {size}");
                allocator.dealloc(grown, Layout::from_size_align(size + 1, 8).unwrap());
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Live blocks are aligned, never overlap, and keep their contents through other allocations, frees and
        /// their own reallocation, whatever the sequence.
        #[test]
        fn blocks_keep_their_bytes_and_never_overlap(ops in proptest::collection::vec(op(), 1..200)) {
            let mut classes = Classes::new();
            // (block, layout, fill byte)
            let mut live: Vec<(*mut u8, Layout, u8)> = Vec::new();
            let check = |block: *mut u8, size: usize, fill: u8| -> bool {
                (0..size).all(|i| unsafe { block.add(i).read() } == fill)
            };
            for (step, op) in ops.into_iter().enumerate() {
                let fill = (step % 251) as u8;
                match op {
                    Op::Alloc { size, align_log2 } => {
                        // GlobalAlloc is never asked for zero bytes; neither is this.
                        let layout = Layout::from_size_align(size.max(1), 1 << align_log2).unwrap();
                        let block = unsafe { classes.alloc(layout) };
                        prop_assert!(!block.is_null());
                        prop_assert_eq!(block as usize % layout.align(), 0);
                        unsafe { ptr::write_bytes(block, fill, layout.size()) };
                        live.push((block, layout, fill));
                    }
                    Op::Free { index } if !live.is_empty() => {
                        let (block, layout, old) = live.swap_remove(index % live.len());
                        prop_assert!(check(block, layout.size(), old));
                        unsafe { classes.dealloc(block, layout) };
                    }
                    Op::Realloc { index, size } if !live.is_empty() => {
                        let i = index % live.len();
                        let (block, layout, old) = live[i];
                        let size = size.max(1);
                        let moved = unsafe { classes.realloc(block, layout, size) };
                        prop_assert!(!moved.is_null());
                        prop_assert_eq!(moved as usize % layout.align(), 0);
                        prop_assert!(check(moved, layout.size().min(size), old), "contents kept");
                        unsafe { ptr::write_bytes(moved, fill, size) };
                        live[i] = (moved, Layout::from_size_align(size, layout.align()).unwrap(), fill);
                    }
                    Op::Free { .. } | Op::Realloc { .. } => {}
                }
                // Every other live block still holds its own byte: nothing overlapped what was just written.
                for (block, layout, fill) in &live {
                    prop_assert!(check(*block, layout.size(), *fill));
                }
            }
            for (block, layout, _) in live {
                unsafe { classes.dealloc(block, layout) };
            }
        }
    }
}
