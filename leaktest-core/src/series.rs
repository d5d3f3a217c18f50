//! A resource's series at a bounded resolution: what the verdict needs of
//! every sample, in memory that does not grow with the iterations.
//!
//! Up to [`MAX_POINTS`] samples a series keeps one point per sample. Past
//! that, neighbouring points are merged in pairs (each point then stands for
//! twice as many iterations), so a run of ten million iterations is held in
//! at most [`MAX_POINTS`] points. A merged point keeps its lowest and highest
//! sample and the largest fall inside it: the retained floor at a point's
//! start is then exact, and so is the largest rise of a sample above its floor
//! (see [`crate::analysis`]), so merging never hides a leak or invents noise.
//! The last sample, the settled one the verdict rests on, is always a point of
//! its own.

/// Most points a series holds (the last sample aside). A run of up to this
/// many iterations keeps every sample.
pub const MAX_POINTS: usize = 2048;

/// One point of a series: one sample, or consecutive samples merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    /// Iteration of the point's first sample.
    pub first_iteration: u64,
    /// Its lowest sample.
    pub lowest: i64,
    /// Its highest sample.
    pub highest: i64,
    /// The largest fall from one of its samples to a later one of its samples
    /// (0 for a single sample).
    pub largest_fall: i64,
}

impl Point {
    /// The point of one sample.
    pub fn sample(iteration: u64, value: i64) -> Point {
        Point {
            first_iteration: iteration,
            lowest: value,
            highest: value,
            largest_fall: 0,
        }
    }

    /// Adds a later sample to the point.
    fn push(&mut self, value: i64) {
        self.largest_fall = self.largest_fall.max(self.highest.saturating_sub(value));
        self.highest = self.highest.max(value);
        self.lowest = self.lowest.min(value);
    }

    /// The point of this point's samples followed by `later`'s.
    fn merge(self, later: Point) -> Point {
        Point {
            first_iteration: self.first_iteration,
            lowest: self.lowest.min(later.lowest),
            highest: self.highest.max(later.highest),
            largest_fall: self
                .largest_fall
                .max(later.largest_fall)
                .max(self.highest.saturating_sub(later.lowest)),
        }
    }
}

/// The points of one resource's series, one sample after another.
///
/// Every point but the last stands for `iterations_per_point` iterations
/// (the last merged one may stand for fewer); the latest sample is kept apart
/// until the next one arrives, so that it can be replaced by the settled
/// reading and always stays a point of its own. Recording a sample never
/// allocates once [`PointSeries::with_capacity`] has reserved the room.
#[derive(Debug, Clone)]
pub struct PointSeries {
    points: Vec<Point>,
    latest: Option<Point>,
    iterations_per_point: u64,
}

impl PointSeries {
    /// An empty series with room for the points of `iterations` samples (at
    /// most [`MAX_POINTS`]).
    pub fn with_capacity(iterations: u64) -> PointSeries {
        let points = usize::try_from(iterations)
            .unwrap_or(MAX_POINTS)
            .min(MAX_POINTS);
        PointSeries {
            points: Vec::with_capacity(points),
            latest: None,
            iterations_per_point: 1,
        }
    }

    /// The series of `samples`, one point each (merged past [`MAX_POINTS`]).
    pub fn from_samples(samples: &[i64]) -> PointSeries {
        let mut series = PointSeries::with_capacity(samples.len() as u64);
        for &sample in samples {
            series.push(sample);
        }
        series
    }

    /// Appends the sample after the next iteration.
    pub fn push(&mut self, value: i64) {
        let iteration = self.sample_count();
        if let Some(latest) = self.latest.take() {
            self.fold(latest);
        }
        self.latest = Some(Point::sample(iteration, value));
    }

    /// Replaces the latest sample (with the settled reading).
    pub fn replace_latest(&mut self, value: i64) {
        if let Some(latest) = &mut self.latest {
            *latest = Point::sample(latest.first_iteration, value);
        }
    }

    /// The latest sample, if any.
    pub fn latest(&self) -> Option<i64> {
        self.latest.map(|point| point.lowest)
    }

    /// How many samples were recorded.
    pub fn sample_count(&self) -> u64 {
        self.latest.map_or(0, |latest| latest.first_iteration + 1)
    }

    /// Iterations each point but the last stands for: 1 while every sample
    /// has a point of its own.
    pub fn iterations_per_point(&self) -> u64 {
        self.iterations_per_point
    }

    /// Every point, the latest sample last.
    pub fn points(&self) -> impl Iterator<Item = Point> + '_ {
        self.points.iter().copied().chain(self.latest)
    }

    /// The points as a vector (for the analysis and the record).
    pub fn to_points(&self) -> Vec<Point> {
        self.points().collect()
    }

    /// Puts a sample that is no longer the latest into its point.
    fn fold(&mut self, sample: Point) {
        let width = self.iterations_per_point;
        if let Some(last) = self.points.last_mut() {
            if last.first_iteration / width == sample.first_iteration / width {
                last.push(sample.lowest);
                return;
            }
        }
        if self.points.len() == MAX_POINTS {
            self.halve_resolution();
            self.fold(sample);
            return;
        }
        self.points.push(sample);
    }

    /// Merges neighbouring points in pairs, in place: each point then stands
    /// for twice as many iterations.
    fn halve_resolution(&mut self) {
        let merged = self.points.len().div_ceil(2);
        for index in 0..merged {
            let first = self.points[2 * index];
            self.points[index] = match self.points.get(2 * index + 1) {
                Some(&second) => first.merge(second),
                None => first,
            };
        }
        self.points.truncate(merged);
        self.iterations_per_point *= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_series_keep_every_sample() {
        let series = PointSeries::from_samples(&[5, 3, 8]);
        assert_eq!(series.sample_count(), 3);
        assert_eq!(series.iterations_per_point(), 1);
        let points = series.to_points();
        assert_eq!(
            points,
            [
                Point::sample(0, 5),
                Point::sample(1, 3),
                Point::sample(2, 8)
            ]
        );
    }

    #[test]
    fn the_latest_sample_can_be_replaced() {
        let mut series = PointSeries::from_samples(&[5, 3, 8]);
        series.replace_latest(4);
        assert_eq!(series.latest(), Some(4));
        series.push(9);
        assert_eq!(
            series.to_points()[2..],
            [Point::sample(2, 4), Point::sample(3, 9)]
        );
    }

    #[test]
    fn long_series_are_merged_into_at_most_max_points() {
        let samples: Vec<i64> = (0..10 * MAX_POINTS as i64).map(|i| i % 7).collect();
        let series = PointSeries::from_samples(&samples);
        assert_eq!(series.sample_count(), samples.len() as u64);
        let points = series.to_points();
        assert!(points.len() <= MAX_POINTS + 1, "{}", points.len());
        let width = series.iterations_per_point();
        assert_eq!(width, 16);
        for (index, point) in points[..points.len() - 1].iter().enumerate() {
            assert_eq!(point.first_iteration, index as u64 * width);
        }
        assert_eq!(
            points.last().map(|p| p.first_iteration),
            Some(samples.len() as u64 - 1)
        );
    }

    #[test]
    fn merged_points_keep_the_lowest_the_highest_and_the_largest_fall() {
        let samples: Vec<i64> = (0..3 * MAX_POINTS as i64)
            .map(|i| if i == 1000 { 500 } else { i / 100 })
            .collect();
        let series = PointSeries::from_samples(&samples);
        let width = series.iterations_per_point() as usize;
        assert!(width > 1);
        for point in series.points() {
            let start = point.first_iteration as usize;
            let end = (start + width).min(samples.len());
            let covered = &samples[start..end];
            assert_eq!(point.lowest, *covered.iter().min().unwrap());
            assert_eq!(point.highest, *covered.iter().max().unwrap());
            let largest_fall = (0..covered.len())
                .flat_map(|i| (i..covered.len()).map(move |j| (i, j)))
                .map(|(i, j)| covered[i] - covered[j])
                .max()
                .unwrap();
            assert_eq!(point.largest_fall, largest_fall, "point at {start}");
        }
    }

    #[test]
    fn recording_does_not_allocate_past_the_reserved_room() {
        let mut series = PointSeries::with_capacity(u64::MAX);
        let reserved = series.points.capacity();
        for i in 0..(5 * MAX_POINTS as i64) {
            series.push(i);
        }
        assert_eq!(series.points.capacity(), reserved);
    }
}
