//! One resource's series as an SVG plot: pure functions from numbers to
//! markup, no I/O.
//!
//! A plot shows the sample after every iteration (solid line), the retained
//! floor (dashed steps: the smallest sample from that iteration to the end, as
//! [`leaktest_core::analysis::retained_floor`] computes it), the warm-up
//! (shaded and labelled: not judged), the judged late half (bracketed and
//! labelled: iterations from [`leaktest_core::analysis::late_part_start`] on,
//! where the verdict is decided) and any [`ReferenceLine`] such as a budget
//! (dotted) or the highest heap between samples (dash-dot), each labelled; a
//! line so far from the samples that taking it in would squash them is
//! clipped where it leaves the plot, or said to be above or below it
//! ([`mod@reference`]).
//! Every element that colour tells apart also differs in dash pattern or
//! carries a text label, and the SVG has a `<title>` and `<desc>` for screen
//! readers.
//!
//! Series of up to [`FULL_RESOLUTION_SAMPLES`] samples are drawn with one point
//! per iteration. Longer ones (a soak of millions of iterations) are cut into
//! [`DOWNSAMPLED_COLUMNS`] columns drawn as their lowest and highest sample, in
//! the order they occur, so peaks and floors survive and the file stays small.

mod reference;

pub use reference::{ReferenceKind, ReferenceLine};

use leaktest_core::analysis::{late_part_start, retained_floor};
use leaktest_core::model::Resource;
use leaktest_core::render::{format_bytes, format_count};
use maud::{html, Markup};
use reference::Visible;
use std::fmt::Write;

/// Series up to this many samples are drawn with one point per iteration.
pub const FULL_RESOLUTION_SAMPLES: usize = 5_000;

/// Columns a longer series is cut into, each drawn as its lowest and highest
/// sample (so at most twice this many points).
pub const DOWNSAMPLED_COLUMNS: usize = 1_000;

/// Colours of the plot's parts, as SVG presentation attributes so that the
/// SVG reads the same outside the report; the report's stylesheet may
/// override them (dark mode). Each part also differs in shape or has a label.
pub mod colors {
    /// The samples (solid line).
    pub const SAMPLES: &str = "#0969da";
    /// The retained floor (dashed line).
    pub const FLOOR: &str = "#bc4c00";
    /// The warm-up (shaded, labelled).
    pub const WARMUP: &str = "#8c959f";
    /// The judged late half (bracket and dashed rule, labelled).
    pub const LATE: &str = "#8250df";
    /// Budgets (dotted, labelled).
    pub const REFERENCE: &str = "#cf222e";
    /// Measured figures the samples do not show, such as the peak (dash-dot, labelled).
    pub const MEASURED: &str = "#9a6700";
    /// The outline that keeps labels readable over the lines they cross.
    pub const HALO: &str = "#ffffff";
    /// Grid lines.
    pub const GRID: &str = "#d0d7de";
    /// Axes and tick labels.
    pub const MUTED: &str = "#57606a";
}

/// Series of at most this many samples also get a dot per sample: a short
/// run reads better, and a single sample shows at all.
const MARKED_SAMPLES: usize = 30;

/// Size of the plot's view box, in SVG user units.
const VIEW_WIDTH: f64 = 420.0;
const VIEW_HEIGHT: f64 = 230.0;
/// The plotting area inside the view box: room for the title and the late-half
/// bracket above, tick labels and axis titles left and below.
const AREA_LEFT: f64 = 70.0;
const AREA_TOP: f64 = 44.0;
const AREA_RIGHT: f64 = VIEW_WIDTH - 14.0;
const AREA_BOTTOM: f64 = VIEW_HEIGHT - 42.0;
/// About how many ticks an axis gets (3 to 5: the step is the round number
/// at or above a fifth of the range).
const TARGET_TICKS: f64 = 5.0;

/// A drawn point: the sample taken after iteration `iteration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    /// The iteration (0-based) after which the sample was taken.
    pub iteration: u64,
    /// The sample (bytes or a count, depending on the resource).
    pub value: i64,
}

/// What a plot needs of one resource's series, reduced for drawing.
///
/// The report keeps this instead of the full series, so a run of millions of
/// iterations does not hold every sample of every test until the report is
/// written.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotSeries {
    /// Which resource.
    pub resource: Resource,
    /// Samples in the full series: one per iteration run.
    pub sample_count: u64,
    /// Warm-up iterations (not judged).
    pub warmup: u64,
    /// First iteration of the judged late half.
    pub late_start: u64,
    /// The samples to draw: every one, or the lowest and highest of each column.
    pub samples: Vec<Point>,
    /// The retained floor to draw, reduced the same way.
    pub floor: Vec<Point>,
    /// The retained floor just before the late half, the level the verdict
    /// measures late growth from.
    pub floor_before_late: i64,
    /// The retained floor at the last (settled) sample.
    pub floor_at_end: i64,
    /// The retained floor at the last warm-up sample (the first sample when
    /// there is no warm-up): the verdict's growth per iteration is the rise
    /// of the floor from here to the last sample, divided by the iterations
    /// in between.
    pub growth_from: Point,
    /// Columns the drawn points stand for, when there are fewer than the
    /// samples: [`DOWNSAMPLED_COLUMNS`] for a long series cut here, the
    /// record's points for a run the child kept at a coarser resolution.
    pub columns: Option<u64>,
}

impl PlotSeries {
    /// Reduces `series` (one sample per iteration, the first `warmup` not
    /// judged) for drawing, computing the floor and the late half with the
    /// verdict's own functions.
    pub fn new(resource: Resource, series: &[i64], warmup: u64) -> PlotSeries {
        let floor = retained_floor(series);
        let warmup_samples = usize::try_from(warmup).unwrap_or(usize::MAX);
        let late_start = late_part_start(series.len(), warmup_samples).min(series.len());
        // As `analysis::analyze_with` counts growth: from the last warm-up sample.
        let growth_from = warmup_samples.saturating_sub(1);
        PlotSeries {
            resource,
            sample_count: series.len() as u64,
            warmup: warmup.min(series.len() as u64),
            late_start: late_start as u64,
            samples: drawn_points(series),
            floor_before_late: late_start
                .checked_sub(1)
                .and_then(|before| floor.get(before))
                .copied()
                .unwrap_or_default(),
            floor_at_end: floor.last().copied().unwrap_or_default(),
            growth_from: Point {
                iteration: growth_from as u64,
                value: floor.get(growth_from).copied().unwrap_or_default(),
            },
            floor: drawn_points(&floor),
            columns: (series.len() > FULL_RESOLUTION_SAMPLES).then_some(DOWNSAMPLED_COLUMNS as u64),
        }
    }

    /// [`PlotSeries::new`] for a series the child kept at a coarser
    /// resolution (a run of more than 2048 iterations): point `i` of
    /// `lowest` and `highest` (its lowest and highest sample) stands for the
    /// `iterations_per_point` iterations from `i * iterations_per_point`;
    /// the last point is the last, settled, sample of the `sample_count`.
    pub fn coarse(
        resource: Resource,
        lowest: &[i64],
        highest: &[i64],
        iterations_per_point: u64,
        sample_count: u64,
        warmup: u64,
    ) -> PlotSeries {
        let last = lowest.len().saturating_sub(1);
        let iteration_of = |index: usize| {
            if index == last {
                sample_count.saturating_sub(1)
            } else {
                index as u64 * iterations_per_point
            }
        };
        let floor = retained_floor(lowest);
        let warmup_samples = usize::try_from(warmup).unwrap_or(usize::MAX);
        let sample_total = usize::try_from(sample_count).unwrap_or(usize::MAX);
        let late_start = late_part_start(sample_total, warmup_samples).min(sample_total) as u64;
        let mut samples = Vec::with_capacity(2 * lowest.len());
        for (index, &low) in lowest.iter().enumerate() {
            let iteration = iteration_of(index);
            samples.push(Point {
                iteration,
                value: low,
            });
            if let Some(&high) = highest.get(index).filter(|&&high| high != low) {
                samples.push(Point {
                    iteration,
                    value: high,
                });
            }
        }
        let floor_before_late = (0..lowest.len())
            .rev()
            .find(|&index| iteration_of(index) < late_start)
            .and_then(|index| floor.get(index))
            .copied()
            .unwrap_or_default();
        // As the verdict counts growth: from the first point at or after the
        // last warm-up sample.
        let growth_from = (0..lowest.len())
            .find(|&index| iteration_of(index) >= warmup.saturating_sub(1))
            .unwrap_or(last);
        PlotSeries {
            resource,
            sample_count,
            warmup: warmup.min(sample_count),
            late_start,
            samples,
            floor_before_late,
            floor_at_end: floor.last().copied().unwrap_or_default(),
            growth_from: Point {
                iteration: iteration_of(growth_from),
                value: floor.get(growth_from).copied().unwrap_or_default(),
            },
            floor: floor
                .iter()
                .enumerate()
                .map(|(index, &value)| Point {
                    iteration: iteration_of(index),
                    value,
                })
                .collect(),
            columns: Some(lowest.len() as u64),
        }
    }

    /// The value of a series that never moved, `None` when it did (or is empty).
    pub fn constant_value(&self) -> Option<i64> {
        let first = self.samples.first()?.value;
        self.samples
            .iter()
            .all(|point| point.value == first)
            .then_some(first)
    }
}

/// The points to draw of `series`: all of them up to
/// [`FULL_RESOLUTION_SAMPLES`], else [`column_extremes`] of
/// [`DOWNSAMPLED_COLUMNS`] columns.
pub fn drawn_points(series: &[i64]) -> Vec<Point> {
    if series.len() <= FULL_RESOLUTION_SAMPLES {
        column_extremes(series, series.len())
    } else {
        column_extremes(series, DOWNSAMPLED_COLUMNS)
    }
}

/// Cuts `series` into `columns` consecutive columns of (nearly) equal length
/// and keeps the lowest and the highest sample of each (the first of equal
/// ones), in the order they occur; a column of one sample, or whose lowest and
/// highest are the same sample, gives one point. With at least as many columns
/// as samples, every sample is kept.
pub fn column_extremes(series: &[i64], columns: usize) -> Vec<Point> {
    let columns = columns.min(series.len());
    let column_start =
        |column: usize| (column as u128 * series.len() as u128 / columns as u128) as usize;
    let mut points = Vec::with_capacity(2 * columns);
    for column in 0..columns {
        let start = column_start(column);
        let Some(samples) = series.get(start..column_start(column + 1)) else {
            continue;
        };
        let mut lowest = None::<(usize, i64)>;
        let mut highest = None::<(usize, i64)>;
        for (offset, &value) in samples.iter().enumerate() {
            if lowest.is_none_or(|(_, low)| value < low) {
                lowest = Some((offset, value));
            }
            if highest.is_none_or(|(_, high)| value > high) {
                highest = Some((offset, value));
            }
        }
        let (Some(lowest), Some(highest)) = (lowest, highest) else {
            continue;
        };
        let (first, second) = if lowest.0 <= highest.0 {
            (lowest, highest)
        } else {
            (highest, lowest)
        };
        for (offset, value) in [first, second] {
            let point = Point {
                iteration: (start + offset) as u64,
                value,
            };
            if points.last() != Some(&point) {
                points.push(point);
            }
        }
    }
    points
}

/// One plot to draw.
#[derive(Debug, Clone, Copy)]
pub struct Plot<'a> {
    /// Unique in the page: prefixes the ids of the title and description.
    pub id: &'a str,
    /// The test's name, for the accessible title.
    pub test_name: &'a str,
    /// The series.
    pub series: &'a PlotSeries,
    /// Extra lines (budgets).
    pub reference_lines: &'a [ReferenceLine],
}

/// The plot as an inline `<svg>` element.
///
/// The root carries `data-resource`, `data-samples` (samples in the full
/// series) and `data-points` (points drawn), so tests and scripts can check
/// what was drawn without parsing the geometry.
pub fn svg(plot: &Plot<'_>) -> Markup {
    let series = plot.series;
    let resource = series.resource;
    let x_scale = XScale {
        samples: series.sample_count.max(1),
    };
    let (lowest, highest) = reference::value_range(data_range(series), plot.reference_lines);
    let y_axis = ValueAxis::new(lowest, highest, resource.is_bytes());
    let references = place_references(plot.reference_lines, &x_scale, &y_axis);
    let title_id = format!("{}-title", plot.id);
    let desc_id = format!("{}-desc", plot.id);
    let warmup_end = x_scale.boundary(series.warmup);
    let late_start = x_scale.boundary(series.late_start);
    let has_late_half = series.late_start < series.sample_count;
    let label_baseline = AREA_BOTTOM + 16.0;
    html! {
        svg.plot xmlns="http://www.w3.org/2000/svg"
            viewBox=(format!("0 0 {VIEW_WIDTH} {VIEW_HEIGHT}"))
            font-family="system-ui, sans-serif" font-size="11"
            role="img"
            aria-labelledby=(format!("{title_id} {desc_id}"))
            data-resource=(resource.short_name())
            data-samples=(series.sample_count)
            data-points=(series.samples.len()) {
            title id=(title_id) {
                (resource_title(resource)) " of " (plot.test_name) " over "
                (format_count(series.sample_count as i64)) " iterations"
            }
            desc id=(desc_id) { (description(series, &references)) }
            text.plot-title font-weight="600" x=(AREA_LEFT) y="16" { (resource_title(resource)) }
            @if series.warmup > 0 {
                rect.warmup fill=(colors::WARMUP) fill-opacity="0.22" x=(coordinate(AREA_LEFT)) y=(coordinate(AREA_TOP))
                    width=(coordinate(warmup_end - AREA_LEFT))
                    height=(coordinate(AREA_BOTTOM - AREA_TOP)) {
                    title { "warm-up: iterations 0 to " (format_count(series.warmup as i64 - 1)) ", not judged" }
                }
                text.region-label x=(coordinate(AREA_LEFT + 3.0)) y=(coordinate(AREA_TOP + 12.0)) { "warm-up" }
            }
            @if has_late_half {
                line.late-start stroke=(colors::LATE) stroke-dasharray="3 3" x1=(coordinate(late_start)) x2=(coordinate(late_start))
                    y1=(coordinate(AREA_TOP - 10.0)) y2=(coordinate(AREA_BOTTOM)) {}
                path.late-bracket fill="none" stroke=(colors::LATE) stroke-width="1.5" d=(format!(
                    "M{} {}V{}H{}V{}",
                    coordinate(late_start), coordinate(AREA_TOP - 4.0), coordinate(AREA_TOP - 10.0),
                    coordinate(AREA_RIGHT), coordinate(AREA_TOP - 4.0)
                )) {
                    title { "judged late half: iterations " (format_count(series.late_start as i64)) " to "
                        (format_count(series.sample_count as i64 - 1)) }
                }
                text.region-label x=(coordinate(late_start + 3.0)) y=(coordinate(AREA_TOP - 14.0)) { "judged late half" }
            }
            g.y-axis {
                @for tick in &y_axis.ticks {
                    @let y = coordinate(y_axis.position(*tick));
                    line.grid stroke=(colors::GRID) stroke-width="0.5" x1=(coordinate(AREA_LEFT)) x2=(coordinate(AREA_RIGHT)) y1=(y) y2=(y) {}
                    text.tick fill=(colors::MUTED) x=(coordinate(AREA_LEFT - 6.0)) y=(y) dy="0.32em" text-anchor="end" { (y_axis.label(*tick)) }
                }
                text.axis-title transform=(format!("translate(14 {}) rotate(-90)", coordinate((AREA_TOP + AREA_BOTTOM) / 2.0)))
                    text-anchor="middle" { (axis_title(resource)) }
            }
            g.x-axis {
                line.axis stroke=(colors::MUTED) x1=(coordinate(AREA_LEFT)) x2=(coordinate(AREA_RIGHT))
                    y1=(coordinate(AREA_BOTTOM)) y2=(coordinate(AREA_BOTTOM)) {}
                @for iteration in iteration_ticks(series.sample_count) {
                    @let x = coordinate(x_scale.center(iteration));
                    line.tick-mark stroke=(colors::MUTED) x1=(x) x2=(x) y1=(coordinate(AREA_BOTTOM)) y2=(coordinate(AREA_BOTTOM + 4.0)) {}
                    text.tick fill=(colors::MUTED) x=(x) y=(coordinate(label_baseline)) text-anchor="middle" { (format_count(iteration as i64)) }
                }
                text.axis-title x=(coordinate((AREA_LEFT + AREA_RIGHT) / 2.0)) y=(coordinate(VIEW_HEIGHT - 6.0))
                    text-anchor="middle" { "iteration" }
            }
            path.floor fill="none" stroke=(colors::FLOOR) stroke-width="2.5" stroke-dasharray="6 3" d=(step_path(&series.floor, &x_scale, &y_axis)) {}
            @if series.samples.len() <= MARKED_SAMPLES {
                g.sample-markers fill=(colors::SAMPLES) {
                    @for point in &series.samples {
                        circle cx=(coordinate(x_scale.center(point.iteration)))
                            cy=(coordinate(y_axis.position(point.value as f64))) r="2" {}
                    }
                }
            }
            polyline.samples fill="none" stroke=(colors::SAMPLES) stroke-width="1.25" stroke-linejoin="round" points=(points_attribute(&series.samples, &x_scale, &y_axis)) {}
            @for placed in &references {
                @let line = placed.line;
                @let (color, dashes) = match line.kind {
                    ReferenceKind::Budget => (colors::REFERENCE, "1 3"),
                    ReferenceKind::Measured => (colors::MEASURED, "8 3 2 3"),
                };
                g class=(format!("reference {}", line.kind.name())) data-reference=(line.name)
                    data-kind=(line.kind.name()) data-drawn=(placed.drawn()) {
                    @if let Visible::Segment(from, to) = placed.visible {
                        line stroke=(color) stroke-width="2" stroke-linecap="round" stroke-dasharray=(dashes)
                            x1=(coordinate(from.0)) y1=(coordinate(from.1)) x2=(coordinate(to.0)) y2=(coordinate(to.1)) {}
                    }
                    text.reference-label fill=(color) stroke=(colors::HALO) stroke-width="3" stroke-linejoin="round"
                        paint-order="stroke" x=(coordinate(placed.label_x)) y=(coordinate(placed.label_y))
                        text-anchor=(placed.label_anchor) { (placed.label_text()) }
                }
            }
        }
    }
}

/// Columns of a [`sparkline`].
const SPARKLINE_COLUMNS: usize = 60;
const SPARKLINE_WIDTH: f64 = 120.0;
const SPARKLINE_HEIGHT: f64 = 24.0;

/// A small picture of the series for a table cell: its samples as a line,
/// scaled from lowest to highest, at most the lowest and highest of
/// [`SPARKLINE_COLUMNS`] columns; the label says the range in words.
pub fn sparkline(series: &PlotSeries) -> Markup {
    let values: Vec<i64> = series.samples.iter().map(|point| point.value).collect();
    let points = column_extremes(&values, SPARKLINE_COLUMNS);
    let (lowest, highest) = (
        values.iter().copied().min().unwrap_or(0),
        values.iter().copied().max().unwrap_or(0),
    );
    let span = (highest as f64 - lowest as f64).max(1.0);
    let last = values.len().saturating_sub(1).max(1) as f64;
    let mut coordinates = String::new();
    for point in &points {
        let x = 1.0 + point.iteration as f64 / last * (SPARKLINE_WIDTH - 2.0);
        let y = if highest == lowest {
            SPARKLINE_HEIGHT / 2.0
        } else {
            SPARKLINE_HEIGHT
                - 2.0
                - (point.value as f64 - lowest as f64) / span * (SPARKLINE_HEIGHT - 4.0)
        };
        if !coordinates.is_empty() {
            coordinates.push(' ');
        }
        let _ = write!(coordinates, "{x:.1},{y:.1}");
    }
    let label = format!(
        "{} from {} to {}",
        series.resource.short_name(),
        format_amount(series.resource, lowest),
        format_amount(series.resource, highest)
    );
    html! {
        svg.sparkline xmlns="http://www.w3.org/2000/svg"
            viewBox=(format!("0 0 {SPARKLINE_WIDTH} {SPARKLINE_HEIGHT}"))
            width=(SPARKLINE_WIDTH) height=(SPARKLINE_HEIGHT) role="img" aria-label=(label) {
            title { (label) }
            polyline.samples fill="none" stroke=(colors::SAMPLES) stroke-width="1.25"
                stroke-linejoin="round" points=(coordinates) {}
        }
    }
}

/// The lowest and highest value of the samples and the floor.
fn data_range(series: &PlotSeries) -> (i64, i64) {
    let values = series
        .samples
        .iter()
        .chain(&series.floor)
        .map(|point| point.value);
    let lowest = values.clone().min().unwrap_or(0);
    let highest = values.max().unwrap_or(0);
    (lowest, highest)
}

/// A reference line as drawn: the part inside the plot, in SVG
/// coordinates, and where its label goes.
struct PlacedReference<'a> {
    line: &'a ReferenceLine,
    visible: Visible,
    label_x: f64,
    label_y: f64,
    label_anchor: &'static str,
}

impl PlacedReference<'_> {
    /// `line`, or where the line is when it is outside the plot.
    fn drawn(&self) -> &'static str {
        match self.visible {
            Visible::Segment(..) => "line",
            Visible::Above => "above",
            Visible::Below => "below",
        }
    }

    fn label_text(&self) -> String {
        match self.visible {
            Visible::Segment(..) => self.line.label.clone(),
            Visible::Above => format!("↑ {}: above the plot", self.line.label),
            Visible::Below => format!("↓ {}: below the plot", self.line.label),
        }
    }
}

/// Label room from a line's left end that keeps a right-aligned label inside
/// the plot; a line ending nearer the left edge gets its label on its right.
const LABEL_ROOM: f64 = 160.0;

/// Clips each line to the value axis and places its label: above the right
/// end of what shows, or at the top (bottom) edge for a line wholly above
/// (below) the plot, labels kept apart.
fn place_references<'a>(
    lines: &'a [ReferenceLine],
    x_scale: &XScale,
    y_axis: &ValueAxis,
) -> Vec<PlacedReference<'a>> {
    let mut placed: Vec<PlacedReference<'a>> = lines
        .iter()
        .map(|line| {
            let data = |point: &Point| (point.iteration as f64, point.value as f64);
            let visible = match reference::clip(
                data(&line.from),
                data(&line.to),
                y_axis.lowest,
                y_axis.highest,
            ) {
                Visible::Segment(from, to) => {
                    let screen = |(iteration, value): (f64, f64)| {
                        (x_scale.center_of(iteration), y_axis.position(value))
                    };
                    Visible::Segment(screen(from), screen(to))
                }
                outside => outside,
            };
            let (label_x, label_y, label_anchor) = match visible {
                Visible::Segment(_, (x, y)) if x - AREA_LEFT < LABEL_ROOM => {
                    (x + 3.0, y - 4.0, "start")
                }
                Visible::Segment(_, (x, y)) => (x - 3.0, y - 4.0, "end"),
                Visible::Above => (AREA_RIGHT - 3.0, AREA_TOP, "end"),
                Visible::Below => (AREA_RIGHT - 3.0, AREA_BOTTOM - 4.0, "end"),
            };
            PlacedReference {
                line,
                visible,
                label_x,
                label_y,
                label_anchor,
            }
        })
        .collect();
    let wanted: Vec<f64> = placed.iter().map(|place| place.label_y).collect();
    // Baselines from just under the top edge (the late half's bracket is above it).
    let spread = reference::spread_labels(&wanted, AREA_TOP + 11.0, AREA_BOTTOM - 4.0);
    for (place, y) in placed.iter_mut().zip(spread) {
        place.label_y = y;
    }
    placed
}

/// The `<desc>` of a plot: what a sighted reader takes from it.
fn description(series: &PlotSeries, references: &[PlacedReference<'_>]) -> String {
    let amount = |value: i64| format_amount(series.resource, value);
    let values = series.samples.iter().map(|point| point.value);
    let mut text = format!(
        "{} samples, one after each iteration, from {} to {}.",
        format_count(series.sample_count as i64),
        amount(values.clone().min().unwrap_or_default()),
        amount(values.max().unwrap_or_default())
    );
    if series.warmup > 0 {
        let _ = write!(
            text,
            " Warm-up, not judged: iterations 0 to {}.",
            format_count(series.warmup as i64 - 1)
        );
    }
    if series.late_start < series.sample_count {
        let _ = write!(
            text,
            " Judged late half: iterations {} to {}, in which the retained floor went from {} to {}.",
            format_count(series.late_start as i64),
            format_count(series.sample_count as i64 - 1),
            amount(series.floor_before_late),
            amount(series.floor_at_end)
        );
    }
    if let Some(columns) = series.columns {
        let _ = write!(
            text,
            " Drawn as the lowest and highest sample of each of {} columns.",
            format_count(columns as i64)
        );
    }
    for placed in references {
        let _ = write!(text, " {}", placed.line.description);
        match placed.visible {
            Visible::Segment(..) => {}
            Visible::Above => text.push_str(" It is above the plotted range."),
            Visible::Below => text.push_str(" It is below the plotted range."),
        }
    }
    text
}

/// An amount of `resource`: bytes with their unit, counts with separators.
pub fn format_amount(resource: Resource, value: i64) -> String {
    if resource.is_bytes() {
        format_bytes(value)
    } else {
        format_count(value)
    }
}

/// The plot's visible title.
pub fn resource_title(resource: Resource) -> &'static str {
    match resource {
        Resource::HeapBytes => "heap (live bytes)",
        Resource::HeapBlocks => "blocks (live allocations)",
        Resource::NativeHeapBytes => "native (live bytes of the C heap)",
        Resource::Fds => "fds (open file descriptors)",
        Resource::Threads => "threads",
        Resource::ChildProcesses => "children (unreaped child processes)",
        Resource::TokioTasks => "tasks (alive tokio tasks)",
        _ => resource.short_name(),
    }
}

/// The value axis' title.
fn axis_title(resource: Resource) -> &'static str {
    match resource {
        Resource::HeapBytes => "bytes",
        Resource::HeapBlocks => "blocks",
        Resource::NativeHeapBytes => "bytes",
        Resource::Fds => "fds",
        Resource::Threads => "threads",
        Resource::ChildProcesses => "processes",
        Resource::TokioTasks => "tasks",
        _ => resource.short_name(),
    }
}

/// A coordinate with one decimal, enough at this size.
fn coordinate(value: f64) -> String {
    format!("{value:.1}")
}

/// `x,y x,y ...` of `points`.
fn points_attribute(points: &[Point], x_scale: &XScale, y_axis: &ValueAxis) -> String {
    let mut text = String::with_capacity(points.len() * 12);
    for point in points {
        if !text.is_empty() {
            text.push(' ');
        }
        let _ = write!(
            text,
            "{:.1},{:.1}",
            x_scale.center(point.iteration),
            y_axis.position(point.value as f64)
        );
    }
    text
}

/// The floor as a step line: level from each point to the next, then up (a
/// floor never falls). Only its rises cost a vertex, so a flat floor is one
/// segment.
fn step_path(points: &[Point], x_scale: &XScale, y_axis: &ValueAxis) -> String {
    let mut path = String::new();
    let mut level = None;
    for (index, point) in points.iter().enumerate() {
        let x = x_scale.center(point.iteration);
        let y = y_axis.position(point.value as f64);
        let is_last = index + 1 == points.len();
        match level {
            None => {
                let _ = write!(path, "M{x:.1},{y:.1}");
            }
            Some(value) if value != point.value => {
                let _ = write!(path, "H{x:.1}V{y:.1}");
            }
            Some(_) if is_last => {
                let _ = write!(path, "H{x:.1}");
            }
            Some(_) => {}
        }
        level = Some(point.value);
    }
    path
}

/// Iterations along the x axis: each iteration owns an equal column of the
/// plotting area, and its sample is drawn at the column's centre.
#[derive(Debug, Clone, Copy)]
struct XScale {
    samples: u64,
}

impl XScale {
    fn column_width(&self) -> f64 {
        (AREA_RIGHT - AREA_LEFT) / self.samples as f64
    }

    /// The left edge of iteration `iteration`'s column (the right edge of the
    /// area for `iteration == samples`).
    fn boundary(&self, iteration: u64) -> f64 {
        AREA_LEFT + iteration as f64 * self.column_width()
    }

    /// Where the sample of iteration `iteration` is drawn.
    fn center(&self, iteration: u64) -> f64 {
        self.center_of(iteration as f64)
    }

    /// [`XScale::center`] of a fractional iteration (a point of a line
    /// between two samples).
    fn center_of(&self, iteration: f64) -> f64 {
        AREA_LEFT + (iteration + 0.5) * self.column_width()
    }
}

/// The value axis: its range, where a value is drawn, and its ticks.
#[derive(Debug, Clone, PartialEq)]
struct ValueAxis {
    lowest: f64,
    highest: f64,
    ticks: Vec<f64>,
    /// Bytes per unit of the tick labels when the axis is in bytes.
    byte_unit: Option<(f64, &'static str, usize)>,
}

impl ValueAxis {
    /// An axis spanning `lowest..=highest` (a flat series sits in the middle)
    /// with ticks at round values: powers of two for bytes, 1, 2 or 5 times a
    /// power of ten for counts.
    fn new(lowest: i64, highest: i64, bytes: bool) -> ValueAxis {
        let (low, high) = (lowest as f64, highest as f64);
        if lowest == highest {
            return ValueAxis {
                lowest: low - 1.0,
                highest: high + 1.0,
                ticks: vec![low],
                byte_unit: bytes.then(|| byte_unit(low.abs(), 1.0)),
            };
        }
        let step = if bytes {
            binary_step((high - low) / TARGET_TICKS)
        } else {
            decimal_step((high - low) / TARGET_TICKS)
        };
        let first = (low / step).ceil();
        let last = (high / step).floor();
        let ticks: Vec<f64> = (0..=2 * TARGET_TICKS as u32)
            .map(|index| first + f64::from(index))
            .take_while(|&multiple| multiple <= last)
            .map(|multiple| multiple * step)
            .collect();
        let largest = low.abs().max(high.abs());
        ValueAxis {
            lowest: low,
            highest: high,
            ticks,
            byte_unit: bytes.then(|| byte_unit(largest, step)),
        }
    }

    /// The y coordinate of `value`.
    fn position(&self, value: f64) -> f64 {
        let fraction = (value - self.lowest) / (self.highest - self.lowest);
        AREA_BOTTOM - fraction * (AREA_BOTTOM - AREA_TOP)
    }

    /// A tick's label: counts with separators; bytes in the unit of the
    /// largest value, with the decimals the step needs (exact bytes when a
    /// step is too fine for three decimals).
    fn label(&self, tick: f64) -> String {
        match self.byte_unit {
            Some((unit_bytes, unit, decimals)) if unit_bytes > 1.0 => {
                format!("{:.decimals$} {unit}", tick / unit_bytes)
            }
            Some(_) => format!("{} B", format_count(tick as i64)),
            None => format_count(tick as i64),
        }
    }
}

/// The unit for byte labels up to `largest` bytes with ticks `step` apart, and
/// the decimals that show every tick exactly (1 B when more than three would
/// be needed).
fn byte_unit(largest: f64, step: f64) -> (f64, &'static str, usize) {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut unit = (1.0, "B");
    for (power, name) in UNITS.iter().enumerate() {
        let bytes = 1024f64.powi(power as i32 + 1);
        if largest >= bytes {
            unit = (bytes, *name);
        }
    }
    // The step is a power of two: step / unit = 2^-k needs k decimals.
    let mut decimals = 0;
    while decimals <= 3 && (step / unit.0 * 10f64.powi(decimals)).fract() != 0.0 {
        decimals += 1;
    }
    if decimals > 3 {
        return (1.0, "B", 0);
    }
    (unit.0, unit.1, decimals as usize)
}

/// The smallest power of two, at least 1, not below `raw`.
fn binary_step(raw: f64) -> f64 {
    let mut step = 1.0;
    while step < raw && step.is_finite() {
        step *= 2.0;
    }
    step
}

/// The smallest of 1, 2 or 5 times a power of ten, at least 1, not below `raw`.
fn decimal_step(raw: f64) -> f64 {
    let mut magnitude = 1.0;
    loop {
        for factor in [1.0, 2.0, 5.0] {
            if factor * magnitude >= raw || !magnitude.is_finite() {
                return factor * magnitude;
            }
        }
        magnitude *= 10.0;
    }
}

/// Round iteration numbers to label, within `0..samples`.
fn iteration_ticks(samples: u64) -> Vec<u64> {
    if samples <= 1 {
        return vec![0];
    }
    let last = samples - 1;
    let step = decimal_step(last as f64 / TARGET_TICKS) as u64;
    (0..=last).step_by(step.max(1) as usize).collect()
}

#[cfg(test)]
mod tests;
