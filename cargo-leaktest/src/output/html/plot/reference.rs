//! Reference lines over a plot (budgets, the measured peak): which of them
//! the value axis stretches to include, which part of each shows inside the
//! plotting area, and where the labels go so that they do not overlap. Pure
//! geometry in data coordinates (iteration, value) and label baselines.

use super::Point;

/// What a reference line stands for, which decides its stroke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferenceKind {
    /// A limit the test is held to: a dotted line.
    Budget,
    /// A figure the test measured that the samples do not show, such as the
    /// highest heap between two samples: a dash-dot line.
    Measured,
}

impl ReferenceKind {
    /// Its name in the SVG's classes and `data-kind`.
    pub fn name(self) -> &'static str {
        match self {
            ReferenceKind::Budget => "budget",
            ReferenceKind::Measured => "measured",
        }
    }
}

/// A straight line across the plot with its label: the highest allowed peak
/// is a horizontal line, an allowed growth per iteration a line rising from
/// where the verdict measures growth from.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceLine {
    /// What it stands for, for the SVG's `data-reference`: a budget's key
    /// (`max_peak`) or a measurement's name (`peak`).
    pub name: String,
    /// A limit or a measurement.
    pub kind: ReferenceKind,
    /// Shown beside the line, e.g. `max_peak: start + 1.0 MiB`.
    pub label: String,
    /// What the line is and how it is drawn, in a sentence, for the plot's
    /// description and caption.
    pub description: String,
    /// Where the line starts: iteration and value.
    pub from: Point,
    /// Where it ends.
    pub to: Point,
}

impl ReferenceLine {
    fn lowest(&self) -> i64 {
        self.from.value.min(self.to.value)
    }

    fn highest(&self) -> i64 {
        self.from.value.max(self.to.value)
    }
}

/// The range the value axis spans: the data's `(lowest, highest)`,
/// stretched to take in each reference line that leaves the data at least a
/// third of the height. A flat series has no detail to lose and takes in
/// every line. A line left out is clipped where it leaves the plot, or, when
/// wholly outside, said to be above or below it ([`clip`]).
pub fn value_range(data: (i64, i64), lines: &[ReferenceLine]) -> (i64, i64) {
    let (data_low, data_high) = data;
    let data_span = i128::from(data_high) - i128::from(data_low);
    let mut range = data;
    for line in lines {
        let low = data_low.min(line.lowest());
        let high = data_high.max(line.highest());
        let span = i128::from(high) - i128::from(low);
        if data_span == 0 || 3 * data_span >= span {
            range = (range.0.min(low), range.1.max(high));
        }
    }
    range
}

/// Where a reference line shows, in data coordinates `(iteration, value)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Visible {
    /// The part of the line inside the value range, from its left end to its right end.
    Segment((f64, f64), (f64, f64)),
    /// The whole line is above the range.
    Above,
    /// The whole line is below the range.
    Below,
}

/// The part of the segment `from`–`to` whose value lies in `low..=high`.
pub fn clip(from: (f64, f64), to: (f64, f64), low: f64, high: f64) -> Visible {
    let (v1, v2) = (from.1, to.1);
    if v1.min(v2) > high {
        return Visible::Above;
    }
    if v1.max(v2) < low {
        return Visible::Below;
    }
    if v1 == v2 {
        return Visible::Segment(from, to);
    }
    // Where the value crosses `low` and `high`, as fractions of the segment.
    let at = |value: f64| (value - v1) / (v2 - v1);
    let (t_low, t_high) = (at(low), at(high));
    let enter = t_low.min(t_high).max(0.0);
    let leave = t_low.max(t_high).min(1.0);
    let point = |t: f64| (from.0 + t * (to.0 - from.0), v1 + t * (v2 - v1));
    Visible::Segment(point(enter), point(leave))
}

/// Least distance between two label baselines: a line of 11-unit text.
pub const LABEL_SPACING: f64 = 12.0;

/// Baselines for labels wanted at `wanted` (one per line, in the lines'
/// order), each at least `top`, moved down where needed so that no two are
/// closer than [`LABEL_SPACING`]; a label pushed past `bottom` stays at
/// `bottom`.
pub fn spread_labels(wanted: &[f64], top: f64, bottom: f64) -> Vec<f64> {
    let mut order: Vec<usize> = (0..wanted.len()).collect();
    order.sort_by(|&a, &b| wanted[a].total_cmp(&wanted[b]));
    let mut placed = vec![0.0; wanted.len()];
    let mut previous: Option<f64> = None;
    for index in order {
        let lowest_allowed = previous.map_or(top, |above| above + LABEL_SPACING);
        let y = wanted[index].max(top).max(lowest_allowed);
        placed[index] = y.min(bottom);
        previous = Some(y);
    }
    placed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(from: i64, to: i64) -> ReferenceLine {
        ReferenceLine {
            name: "max_growth".to_owned(),
            kind: ReferenceKind::Budget,
            label: "max_growth".to_owned(),
            description: String::new(),
            from: Point {
                iteration: 0,
                value: from,
            },
            to: Point {
                iteration: 99,
                value: to,
            },
        }
    }

    #[test]
    fn a_line_near_the_data_is_taken_in_and_a_far_one_is_not() {
        // Data 1000..=1300: a line at 1500 keeps the data 300/500 of the height.
        assert_eq!(value_range((1000, 1300), &[line(1500, 1500)]), (1000, 1500));
        // A line at 1 MiB would squash the data into a sliver.
        assert_eq!(
            value_range((1000, 1300), &[line(1 << 20, 1 << 20)]),
            (1000, 1300)
        );
        // Exactly a third is still taken in; below too.
        assert_eq!(value_range((1000, 1300), &[line(1900, 1900)]), (1000, 1900));
        assert_eq!(value_range((1000, 1300), &[line(400, 400)]), (400, 1300));
        // Each line on its own merits.
        assert_eq!(
            value_range((1000, 1300), &[line(1 << 20, 1 << 20), line(1400, 1400)]),
            (1000, 1400)
        );
    }

    #[test]
    fn a_flat_series_takes_in_every_line() {
        assert_eq!(value_range((5, 5), &[line(5, 23)]), (5, 23));
        assert_eq!(
            value_range((3000, 3000), &[line(1 << 20, 1 << 20)]),
            (3000, 1 << 20)
        );
    }

    #[test]
    fn extreme_values_do_not_overflow() {
        assert_eq!(
            value_range((i64::MIN, i64::MAX), &[line(0, i64::MAX)]),
            (i64::MIN, i64::MAX)
        );
        assert_eq!(value_range((0, 10), &[line(0, i64::MAX)]), (0, 10));
    }

    #[test]
    fn clipping_keeps_the_part_inside_the_range() {
        // Rising from 0 to 100 over 10 iterations, range 0..=50: the first half.
        assert_eq!(
            clip((0.0, 0.0), (10.0, 100.0), 0.0, 50.0),
            Visible::Segment((0.0, 0.0), (5.0, 50.0))
        );
        // Wholly inside: unchanged.
        assert_eq!(
            clip((0.0, 10.0), (10.0, 20.0), 0.0, 50.0),
            Visible::Segment((0.0, 10.0), (10.0, 20.0))
        );
        // Entering from below.
        assert_eq!(
            clip((0.0, -50.0), (10.0, 50.0), 0.0, 100.0),
            Visible::Segment((5.0, 0.0), (10.0, 50.0))
        );
        assert_eq!(clip((0.0, 60.0), (10.0, 60.0), 0.0, 50.0), Visible::Above);
        assert_eq!(clip((0.0, 60.0), (10.0, 90.0), 0.0, 50.0), Visible::Above);
        assert_eq!(clip((0.0, -6.0), (10.0, -6.0), 0.0, 50.0), Visible::Below);
        assert_eq!(
            clip((0.0, 50.0), (10.0, 50.0), 0.0, 50.0),
            Visible::Segment((0.0, 50.0), (10.0, 50.0)),
            "a line on the edge shows"
        );
    }

    #[test]
    fn labels_keep_apart_and_inside() {
        assert_eq!(spread_labels(&[100.0, 150.0], 50.0, 200.0), [100.0, 150.0]);
        // Two lines close together: the lower label moves down.
        assert_eq!(spread_labels(&[105.0, 100.0], 50.0, 200.0), [112.0, 100.0]);
        // Not above the top.
        assert_eq!(spread_labels(&[10.0, 20.0], 50.0, 200.0), [50.0, 62.0]);
        // Not past the bottom.
        assert_eq!(spread_labels(&[199.0, 199.0], 50.0, 200.0), [199.0, 200.0]);
        assert!(spread_labels(&[], 0.0, 1.0).is_empty());
    }
}
