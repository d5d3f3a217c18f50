//! One sample of every measured counter, and the series they form.

use crate::alloc::HeapStats;
use crate::census::HandleCounts;
use crate::model::{AllocationPerIteration, Resource};
use crate::native_heap;
use crate::series::{PointSeries, MAX_POINTS};

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

/// The samples of a run, in memory that does not grow with its iterations:
/// each resource's series at a bounded resolution (see [`crate::series`]),
/// the latest sample, the sample that ends the warm-up, and a systematic
/// sample of what the judged iterations allocated. Room is reserved up
/// front, so that recording a sample never allocates inside the measured run
/// (which would look like growth).
#[derive(Debug)]
pub struct SampleLog {
    series: [PointSeries; Resource::ALL.len()],
    latest: Option<Sample>,
    warmup: u64,
    warmup_end: Option<Sample>,
    allocations: SystematicSample,
}

impl SampleLog {
    /// A log for a run of up to `iterations` samples whose first `warmup`
    /// are not judged.
    pub fn new(warmup: u64, iterations: u64) -> Self {
        SampleLog {
            series: Resource::ALL.map(|_| PointSeries::with_capacity(iterations)),
            latest: None,
            warmup,
            warmup_end: None,
            allocations: SystematicSample::with_capacity(MAX_POINTS),
        }
    }

    /// Appends the sample after the next iteration; never allocates.
    pub fn push(&mut self, sample: Sample) {
        let iteration = self.sample_count();
        for (series, resource) in self.series.iter_mut().zip(Resource::ALL) {
            series.push(sample.get(resource));
        }
        if let Some(previous) = self.latest {
            if iteration >= self.warmup.max(1) {
                self.allocations.push(AllocationDelta {
                    bytes: sample
                        .allocated_bytes
                        .wrapping_sub(previous.allocated_bytes),
                    count: sample.allocations.wrapping_sub(previous.allocations),
                });
            }
        }
        if iteration + 1 == self.warmup.max(1) {
            self.warmup_end = Some(sample);
        }
        self.latest = Some(sample);
    }

    /// How many samples were recorded.
    pub fn sample_count(&self) -> u64 {
        self.series[0].sample_count()
    }

    /// The sample that ended the warm-up (after iteration `warmup - 1`; the
    /// first one when there is no warm-up), once taken.
    pub fn warmup_end(&self) -> Option<&Sample> {
        self.warmup_end.as_ref()
    }

    /// The last sample, if any.
    pub fn last(&self) -> Option<&Sample> {
        self.latest.as_ref()
    }

    /// Replaces the resource levels of the last sample with the settled
    /// reading. Its allocator totals stay: what the settle window allocates
    /// is not the churn of an iteration.
    pub fn settle_last(&mut self, levels: Sample) {
        if let Some(last) = &mut self.latest {
            *last = Sample {
                allocations: last.allocations,
                allocated_bytes: last.allocated_bytes,
                ..levels
            };
            for (series, resource) in self.series.iter_mut().zip(Resource::ALL) {
                series.replace_latest(levels.get(resource));
            }
        }
    }

    /// The series of one resource.
    pub fn series(&self, resource: Resource) -> &PointSeries {
        let index = Resource::ALL
            .iter()
            .position(|&r| r == resource)
            .unwrap_or(0);
        &self.series[index]
    }

    /// What one judged iteration allocated: the median of the bytes and of
    /// the calls, over the judged iterations (over an evenly spaced sample of
    /// them, in a run longer than 2048 iterations). `None` without at least
    /// one judged iteration (the last warm-up sample is the first one's
    /// baseline).
    pub fn allocation_per_iteration(&self) -> Option<AllocationPerIteration> {
        let deltas = self.allocations.values();
        if deltas.is_empty() {
            return None;
        }
        Some(AllocationPerIteration::new(
            median(deltas.iter().map(|delta| delta.bytes).collect()),
            median(deltas.iter().map(|delta| delta.count).collect()),
        ))
    }
}

/// What one iteration allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct AllocationDelta {
    bytes: u64,
    count: u64,
}

/// An evenly spaced sample of a stream of values, in bounded room: every
/// value while they fit, then every second, every fourth, ...
#[derive(Debug)]
struct SystematicSample {
    kept: Vec<AllocationDelta>,
    capacity: usize,
    stride: u64,
    seen: u64,
}

impl SystematicSample {
    fn with_capacity(capacity: usize) -> Self {
        SystematicSample {
            kept: Vec::with_capacity(capacity),
            capacity: capacity.max(2),
            stride: 1,
            seen: 0,
        }
    }

    /// Offers the next value; allocates nothing past the reserved room.
    fn push(&mut self, value: AllocationDelta) {
        let position = self.seen;
        self.seen += 1;
        if !position.is_multiple_of(self.stride) {
            return;
        }
        if self.kept.len() == self.capacity {
            let mut index = 0;
            self.kept.retain(|_| {
                index += 1;
                index % 2 == 1
            });
            self.stride *= 2;
            if !position.is_multiple_of(self.stride) {
                return;
            }
        }
        self.kept.push(value);
    }

    fn values(&self) -> &[AllocationDelta] {
        &self.kept
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
        let mut log = SampleLog::new(2, 8);
        // Warm-up allocates a lot; then 3, 5, 4 and a 40-call outlier.
        for (calls, bytes) in [(100, 10_000), (200, 20_000), (203, 20_300), (208, 20_800)] {
            log.push(with_totals(calls, bytes));
        }
        log.push(with_totals(212, 21_200));
        log.push(with_totals(252, 25_200));
        assert_eq!(
            log.allocation_per_iteration(),
            Some(AllocationPerIteration::new(400, 4))
        );
        let mut short = SampleLog::new(6, 8);
        for calls in [1, 2, 3, 4, 5, 6] {
            short.push(with_totals(calls, calls));
        }
        assert_eq!(short.allocation_per_iteration(), None);
    }

    #[test]
    fn settling_keeps_the_totals_of_the_last_iteration() {
        let mut log = SampleLog::new(1, 2);
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
        assert_eq!(log.series(Resource::HeapBytes).latest(), Some(500));
    }

    #[test]
    fn the_warmup_end_is_kept() {
        let mut log = SampleLog::new(3, 10);
        for heap_bytes in [10, 20, 30, 40, 50] {
            log.push(Sample {
                heap_bytes,
                ..Sample::default()
            });
        }
        assert_eq!(log.warmup_end().map(|s| s.heap_bytes), Some(30));
        assert_eq!(log.sample_count(), 5);
    }

    #[test]
    fn a_long_run_is_held_in_bounded_room() {
        let mut log = SampleLog::new(10, u64::MAX);
        let reserved = log.allocations.kept.capacity();
        for i in 0..20 * MAX_POINTS as u64 {
            log.push(Sample {
                heap_bytes: i as i64,
                ..with_totals(3 * i, 48 * i)
            });
        }
        assert_eq!(log.allocations.kept.capacity(), reserved);
        assert!(log.allocations.kept.len() <= MAX_POINTS);
        assert!(log.series(Resource::HeapBytes).to_points().len() <= MAX_POINTS + 1);
        assert_eq!(
            log.allocation_per_iteration(),
            Some(AllocationPerIteration::new(48, 3))
        );
    }

    #[test]
    fn a_systematic_sample_keeps_evenly_spaced_values() {
        let mut sample = SystematicSample::with_capacity(4);
        for i in 0..16 {
            sample.push(AllocationDelta { bytes: i, count: i });
        }
        let kept: Vec<u64> = sample.values().iter().map(|delta| delta.bytes).collect();
        assert_eq!(kept, [0, 4, 8, 12]);
    }

    #[test]
    fn a_median_of_nothing_is_zero() {
        assert_eq!(median(Vec::new()), 0);
        assert_eq!(median(vec![5, 1, 3, 2]), 2);
    }
}
