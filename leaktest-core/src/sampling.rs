//! One sample of every measured counter, and the series they form.

use crate::alloc::HeapStats;
use crate::census::HandleCounts;
use crate::model::Resource;

/// Which counters a test samples. Heap is always sampled; each handle count
/// only where it could be read when the test started, tokio tasks only for
/// async tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampledResources {
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
    /// Heap, and the handle counts that `probe` could read.
    pub fn readable_in(probe: &HandleCounts, tasks: bool) -> Self {
        SampledResources {
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

/// One reading of every sampled counter (unsampled ones are 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sample {
    /// Live heap bytes.
    pub heap_bytes: i64,
    /// Live heap blocks.
    pub heap_blocks: i64,
    /// Open file descriptors.
    pub fds: i64,
    /// Threads.
    pub threads: i64,
    /// Unreaped child processes.
    pub children: i64,
    /// Alive tokio tasks.
    pub tasks: i64,
}

impl Sample {
    /// Reads the heap, then the handle census. Neither allocates, so a sample
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
            fds: handles.fds.unwrap_or(previous.fds),
            threads: handles.threads.unwrap_or(previous.threads),
            children: handles.children.unwrap_or(previous.children),
            tasks: alive_tasks.unwrap_or(previous.tasks),
        }
    }

    /// A sample whose value for each resource is `value(resource)`.
    pub fn from_fn(mut value: impl FnMut(Resource) -> i64) -> Sample {
        Sample {
            heap_bytes: value(Resource::HeapBytes),
            heap_blocks: value(Resource::HeapBlocks),
            fds: value(Resource::Fds),
            threads: value(Resource::Threads),
            children: value(Resource::ChildProcesses),
            tasks: value(Resource::TokioTasks),
        }
    }

    /// The value of one resource.
    pub fn get(&self, resource: Resource) -> i64 {
        match resource {
            Resource::HeapBytes => self.heap_bytes,
            Resource::HeapBlocks => self.heap_blocks,
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

    /// Replaces the last sample (with the settled reading).
    pub fn replace_last(&mut self, sample: Sample) {
        if let Some(last) = self.samples.last_mut() {
            *last = sample;
        }
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// True when no sample was taken.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// The series of one resource.
    pub fn series(&self, resource: Resource) -> Vec<i64> {
        self.samples.iter().map(|s| s.get(resource)).collect()
    }
}
