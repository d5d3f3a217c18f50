//! One sample of every measured counter, and the series they form.

use crate::alloc::HeapStats;
use crate::census::HandleCounts;
use crate::model::{AllocationPerIteration, Resource};
use crate::native_heap;

/// Which counters a test samples. Heap is always sampled; the native heap
/// where it is measured (see [`native_heap::availability`]); each handle
/// count only where it could be read when the test started, tokio tasks only
/// for async tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampledResources {
    /// Sample the native (C) heap.
    pub native: bool,
    /// Sample open file descriptors.
    pub fds: bool,
    /// Sample threads.
    pub threads: bool,
    /// Sample unreaped child processes.
    pub children: bool,
    /// Sample alive tokio tasks.
    pub tasks: bool,
}

impl SampledResources {
    /// Heap, the native heap if `native`, and the handle counts that `probe`
    /// could read.
    pub fn readable_in(probe: &HandleCounts, native: bool, tasks: bool) -> Self {
        SampledResources {
            native,
            fds: probe.fds.is_some(),
            threads: probe.threads.is_some(),
            children: probe.children.is_some(),
            tasks,
        }
    }

    /// Whether any handle count is sampled (the census runs at all).
    pub fn census(self) -> bool {
        self.fds || self.threads || self.children
    }

    /// Whether `resource` is sampled.
    pub fn includes(self, resource: Resource) -> bool {
        match resource {
            Resource::HeapBytes | Resource::HeapBlocks => true,
            Resource::NativeHeapBytes => self.native,
            Resource::Fds => self.fds,
            Resource::Threads => self.threads,
            Resource::ChildProcesses => self.children,
            Resource::TokioTasks => self.tasks,
        }
    }

    /// The resources sampled, in report order. Allocates nothing, so it can be
    /// used while the heap is being measured.
    pub fn resources(self) -> impl Iterator<Item = Resource> {
        Resource::ALL
            .into_iter()
            .filter(move |&resource| self.includes(resource))
    }
}

/// One reading of every sampled counter (unsampled ones are 0), and of the
/// allocator's running totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sample {
    /// Live heap bytes.
    pub heap_bytes: i64,
    /// Live heap blocks.
    pub heap_blocks: i64,
    /// Live native heap bytes.
    pub native_heap_bytes: i64,
    /// Open file descriptors.
    pub fds: i64,
    /// Threads.
    pub threads: i64,
    /// Unreaped child processes.
    pub children: i64,
    /// Alive tokio tasks.
    pub tasks: i64,
    /// Allocator calls that handed out memory since the process started
    /// (allocations and reallocations): the churn, not a level.
    pub allocations: u64,
    /// Bytes handed out since the process started (growth by reallocation included).
    pub allocated_bytes: u64,
}

impl Sample {
    /// Reads the heap, the native heap, then the handle census. None of them
    /// allocates, so a sample
    /// leaves no trace in the next one; together they cost about 2 µs in a
    /// single-threaded process (see `BENCHMARKS.md`), so every iteration is
    /// sampled. A count that cannot be read this time (the program ran out of
    /// descriptors, say) keeps its value from `previous`: a made-up zero would
    /// pull the retained floor down and hide growth.
    pub fn take(which: SampledResources, alive_tasks: Option<i64>, previous: &Sample) -> Sample {
        let heap = HeapStats::now();
        let handles = if which.census() {
            HandleCounts::now()
        } else {
            HandleCounts::default()
        };
        Sample {
            heap_bytes: heap.live_bytes,
            heap_blocks: heap.live_blocks,
            native_heap_bytes: if which.native {
                native_heap::live_bytes()
            } else {
                0
            },
            fds: handles.fds.unwrap_or(previous.fds),
            threads: handles.threads.unwrap_or(previous.threads),
            children: handles.children.unwrap_or(previous.children),
            tasks: alive_tasks.unwrap_or(previous.tasks),
            allocations: heap
                .total_allocations
                .wrapping_add(heap.total_reallocations),
            allocated_bytes: heap.total_allocated_bytes,
        }
    }

    /// A sample whose value for each resource is `value(resource)` (and no
    /// allocator totals).
    pub fn from_fn(mut value: impl FnMut(Resource) -> i64) -> Sample {
        Sample {
            heap_bytes: value(Resource::HeapBytes),
            heap_blocks: value(Resource::HeapBlocks),
            native_heap_bytes: value(Resource::NativeHeapBytes),
            fds: value(Resource::Fds),
            threads: value(Resource::Threads),
            children: value(Resource::ChildProcesses),
            tasks: value(Resource::TokioTasks),
            allocations: 0,
            allocated_bytes: 0,
        }
    }

    /// The value of one resource.
    pub fn get(&self, resource: Resource) -> i64 {
        match resource {
            Resource::HeapBytes => self.heap_bytes,
            Resource::HeapBlocks => self.heap_blocks,
            Resource::NativeHeapBytes => self.native_heap_bytes,
            Resource::Fds => self.fds,
            Resource::Threads => self.threads,
            Resource::ChildProcesses => self.children,
            Resource::TokioTasks => self.tasks,
        }
    }
}

/// Samples in iteration order, with room reserved up front so that recording a
/// sample never allocates inside the measured run (which would look like growth).
#[derive(Debug)]
pub struct SampleLog {
    samples: Vec<Sample>,
}

impl SampleLog {
    /// A log with room for `capacity` samples.
    pub fn with_capacity(capacity: usize) -> Self {
        SampleLog {
            samples: Vec::with_capacity(capacity),
        }
    }

    /// Appends a sample; allocates only past the reserved capacity.
    pub fn push(&mut self, sample: Sample) {
        self.samples.push(sample);
    }

    /// The sample after iteration `index`, if taken.
    pub fn at(&self, index: usize) -> Option<&Sample> {
        self.samples.get(index)
    }

    /// The last sample, if any.
    pub fn last(&self) -> Option<&Sample> {
        self.samples.last()
    }

    /// Replaces the resource levels of the last sample with the settled
    /// reading. Its allocator totals stay: what the settle window allocates
    /// is not the churn of an iteration.
    pub fn settle_last(&mut self, levels: Sample) {
        if let Some(last) = self.samples.last_mut() {
            *last = Sample {
                allocations: last.allocations,
                allocated_bytes: last.allocated_bytes,
                ..levels
            };
        }
    }

    /// The series of one resource.
    pub fn series(&self, resource: Resource) -> Vec<i64> {
        self.samples.iter().map(|s| s.get(resource)).collect()
    }

    /// What one iteration after `warmup` allocated: the median, over those
    /// iterations, of the bytes and of the calls. `None` without at least one
    /// such iteration (the last warm-up sample is the first one's baseline).
    pub fn allocation_per_iteration(&self, warmup: usize) -> Option<AllocationPerIteration> {
        let judged = self.samples.get(warmup.saturating_sub(1)..)?;
        if judged.len() < 2 {
            return None;
        }
        let deltas = |total: fn(&Sample) -> u64| -> Vec<u64> {
            judged
                .windows(2)
                .map(|pair| total(&pair[1]).wrapping_sub(total(&pair[0])))
                .collect()
        };
        Some(AllocationPerIteration::new(
            median(deltas(|sample| sample.allocated_bytes)),
            median(deltas(|sample| sample.allocations)),
        ))
    }
}

/// The median of `values` (the lower middle one of an even count); 0 when empty.
fn median(mut values: Vec<u64>) -> u64 {
    if values.is_empty() {
        return 0;
    }
    let middle = (values.len() - 1) / 2;
    *values.select_nth_unstable(middle).1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_totals(allocations: u64, allocated_bytes: u64) -> Sample {
        Sample {
            allocations,
            allocated_bytes,
            ..Sample::default()
        }
    }

    #[test]
    fn allocation_per_iteration_is_the_median_after_warmup() {
        let mut log = SampleLog::with_capacity(8);
        // Warm-up allocates a lot; then 3, 5, 4 and a 40-call outlier.
        for (calls, bytes) in [(100, 10_000), (200, 20_000), (203, 20_300), (208, 20_800)] {
            log.push(with_totals(calls, bytes));
        }
        log.push(with_totals(212, 21_200));
        log.push(with_totals(252, 25_200));
        assert_eq!(
            log.allocation_per_iteration(2),
            Some(AllocationPerIteration::new(400, 4))
        );
        assert_eq!(log.allocation_per_iteration(6), None);
    }

    #[test]
    fn settling_keeps_the_totals_of_the_last_iteration() {
        let mut log = SampleLog::with_capacity(2);
        log.push(Sample {
            heap_bytes: 900,
            ..with_totals(7, 70)
        });
        log.settle_last(Sample {
            heap_bytes: 500,
            ..with_totals(99, 990)
        });
        assert_eq!(
            log.last(),
            Some(&Sample {
                heap_bytes: 500,
                ..with_totals(7, 70)
            })
        );
    }

    #[test]
    fn a_median_of_nothing_is_zero() {
        assert_eq!(median(Vec::new()), 0);
        assert_eq!(median(vec![5, 1, 3, 2]), 2);
    }
}
