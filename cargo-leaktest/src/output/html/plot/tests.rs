use super::*;

/// The SVG of `series` (warm-up `warmup`) as text, checked to be well-formed XML.
fn draw(resource: Resource, series: &[i64], warmup: u64) -> String {
    draw_with(&PlotSeries::new(resource, series, warmup), &[], "test_name")
}

fn draw_with(series: &PlotSeries, reference_lines: &[ReferenceLine], test_name: &str) -> String {
    let text = svg(&Plot {
        id: "p0",
        test_name,
        series,
        reference_lines,
    })
    .into_string();
    if let Err(error) = roxmltree::Document::parse(&text) {
        panic!("not well-formed XML ({error}):\n{text}");
    }
    text
}

fn document(text: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(text).expect("well-formed")
}

fn element<'a>(doc: &'a roxmltree::Document<'a>, class: &str) -> Option<roxmltree::Node<'a, 'a>> {
    doc.descendants()
        .find(|node| node.attribute("class") == Some(class))
}

fn number(node: roxmltree::Node<'_, '_>, attribute: &str) -> f64 {
    node.attribute(attribute)
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("no number in {attribute} of {node:?}"))
}

/// The `(x, y)` of every point of the polyline of class `class`.
fn points(text: &str, class: &str) -> Vec<(f64, f64)> {
    let doc = document(text);
    let polyline = element(&doc, class).unwrap_or_else(|| panic!("no {class} polyline"));
    polyline
        .attribute("points")
        .unwrap_or_default()
        .split_whitespace()
        .map(|pair| {
            let (x, y) = pair.split_once(',').expect("x,y");
            (x.parse().expect("x"), y.parse().expect("y"))
        })
        .collect()
}

/// The vertices of the floor's step path (`M x,y`, `H x`, `V y`).
fn floor_vertices(text: &str) -> Vec<(f64, f64)> {
    let doc = document(text);
    let path = element(&doc, "floor").expect("a floor path");
    let d = path.attribute("d").unwrap_or_default();
    let mut vertices: Vec<(f64, f64)> = Vec::new();
    let mut rest = d;
    while let Some(command) = rest.chars().next() {
        let end = rest[1..]
            .find(['M', 'H', 'V'])
            .map_or(rest.len(), |at| at + 1);
        let argument = &rest[1..end];
        let (x, y) = vertices.last().copied().unwrap_or((f64::NAN, f64::NAN));
        let vertex = match command {
            'M' => {
                let (x, y) = argument.split_once(',').expect("x,y");
                (x.parse().expect("x"), y.parse().expect("y"))
            }
            'H' => (argument.parse().expect("x"), y),
            'V' => (x, argument.parse().expect("y")),
            other => panic!("unexpected command {other} in {d}"),
        };
        vertices.push(vertex);
        rest = &rest[end..];
    }
    vertices
}

/// The y of the floor's step line at `x`.
fn floor_at(vertices: &[(f64, f64)], x: f64) -> f64 {
    vertices
        .iter()
        .rev()
        .find(|vertex| vertex.0 <= x + 0.05)
        .map(|vertex| vertex.1)
        .unwrap_or(f64::NAN)
}

fn texts_of_class(text: &str, class: &str) -> Vec<String> {
    let doc = document(text);
    doc.descendants()
        .filter(|node| node.attribute("class") == Some(class))
        .map(|node| node.text().unwrap_or_default().to_owned())
        .collect()
}

/// The iteration drawn at `x` in a plot of `plotted` (one point per iteration).
fn sample_index(plotted: &PlotSeries, x: f64) -> usize {
    let column = (AREA_RIGHT - AREA_LEFT) / plotted.sample_count as f64;
    ((x - AREA_LEFT) / column).floor() as usize
}

fn assert_inside_view_box(points: &[(f64, f64)]) {
    for &(x, y) in points {
        assert!(x.is_finite() && y.is_finite(), "({x}, {y})");
        assert!((AREA_LEFT..=AREA_RIGHT).contains(&x), "x {x}");
        assert!((AREA_TOP..=AREA_BOTTOM).contains(&y), "y {y}");
    }
}

#[test]
fn an_ordinary_series_has_one_point_per_iteration() {
    let series: Vec<i64> = (0..100).map(|i| 10_000 + 74 * i).collect();
    let text = draw(Resource::HeapBytes, &series, 10);
    let samples = points(&text, "samples");
    assert_eq!(samples.len(), 100);
    // The floor of a steady rise steps up at every iteration, from the first
    // sample to the last.
    let floor = floor_vertices(&text);
    assert_eq!(floor.first().map(|v| v.0), Some(samples[0].0));
    assert_eq!(floor.last(), samples.last());
    assert_eq!(floor.len(), 1 + 2 * 99);
    // Left to right, rising upwards (smaller y).
    assert!(samples.windows(2).all(|pair| pair[1].0 > pair[0].0));
    assert!(samples.windows(2).all(|pair| pair[1].1 < pair[0].1));
    assert_inside_view_box(&samples);
    let doc = document(&text);
    let root = doc.root_element();
    assert_eq!(root.attribute("data-samples"), Some("100"));
    assert_eq!(root.attribute("data-points"), Some("100"));
    assert_eq!(root.attribute("data-resource"), Some("heap"));
}

#[test]
fn a_run_of_a_few_thousand_iterations_is_drawn_in_full() {
    let series: Vec<i64> = (0..FULL_RESOLUTION_SAMPLES as i64).map(|i| i % 7).collect();
    let text = draw(Resource::Fds, &series, 50);
    assert_eq!(points(&text, "samples").len(), FULL_RESOLUTION_SAMPLES);
}

#[test]
fn the_warm_up_shading_covers_exactly_the_warm_up_iterations() {
    let series: Vec<i64> = (0..100).collect();
    let text = draw(Resource::Fds, &series, 10);
    let doc = document(&text);
    let shading = element(&doc, "warmup").expect("a warm-up rectangle");
    let left = number(shading, "x");
    let right = left + number(shading, "width");
    let column = (AREA_RIGHT - AREA_LEFT) / 100.0;
    assert!((left - AREA_LEFT).abs() < 0.1, "{left}");
    assert!((right - (AREA_LEFT + 10.0 * column)).abs() < 0.1, "{right}");
    let samples = points(&text, "samples");
    assert!(samples[9].0 < right && samples[10].0 > right, "{samples:?}");
    assert_eq!(texts_of_class(&text, "region-label")[0], "warm-up");
}

#[test]
fn the_judged_late_half_starts_where_the_verdict_starts_judging() {
    let series: Vec<i64> = (0..100).collect();
    let text = draw(Resource::Fds, &series, 10);
    let doc = document(&text);
    let late = number(element(&doc, "late-start").expect("a late-half line"), "x1");
    let samples = points(&text, "samples");
    assert!(samples[49].0 < late && samples[50].0 > late, "{late}");
    assert!(texts_of_class(&text, "region-label").contains(&"judged late half".to_owned()));

    // A run extended to 400 to confirm a step is judged from 200 on.
    let extended = PlotSeries::new(Resource::HeapBytes, &vec![0; 400], 20);
    assert_eq!(extended.late_start, 200);
    // When the warm-up reaches past the middle, the late part starts after it.
    assert_eq!(PlotSeries::new(Resource::Fds, &[0; 12], 8).late_start, 8);
}

#[test]
fn the_floor_is_the_smallest_sample_from_each_iteration_on() {
    let series = [0, 4, 4, 6, 5, 6, 7, 10, 8, 9, 10, 10];
    let plotted = PlotSeries::new(Resource::HeapBlocks, &series, 2);
    let floor: Vec<i64> = plotted.floor.iter().map(|point| point.value).collect();
    assert_eq!(floor, [0, 4, 4, 5, 5, 6, 7, 8, 8, 9, 10, 10]);
    assert_eq!(plotted.late_start, 6);
    assert_eq!(plotted.floor_before_late, 6);
    assert_eq!(plotted.floor_at_end, 10);
    let text = draw_with(&plotted, &[], "t");
    assert!(text.contains("retained floor went from 6 to 10"), "{text}");
    // The floor is drawn at or below every sample, touching those it equals.
    let floor = floor_vertices(&text);
    for (sample, value) in points(&text, "samples").iter().zip(series) {
        let level = floor_at(&floor, sample.0);
        assert!(level >= sample.1 - 0.05, "{sample:?} above {level}");
        if plotted.floor[sample_index(&plotted, sample.0)].value == value {
            assert!((level - sample.1).abs() < 0.05, "{sample:?} not on {level}");
        }
    }
}

#[test]
fn a_flat_series_is_a_level_line_in_the_middle_with_its_value_labelled() {
    let text = draw(Resource::HeapBytes, &[10_238; 50], 5);
    let samples = points(&text, "samples");
    assert_eq!(samples.len(), 50);
    assert_eq!(
        floor_vertices(&text).len(),
        2,
        "a flat floor is one segment"
    );
    let middle = (AREA_TOP + AREA_BOTTOM) / 2.0;
    assert!(
        samples.iter().all(|&(_, y)| (y - middle).abs() < 0.1),
        "{samples:?}"
    );
    assert_eq!(texts_of_class(&text, "tick")[0], "10,238 B");
}

#[test]
fn a_single_sample_is_one_point_in_the_middle_without_a_late_half() {
    let text = draw(Resource::Threads, &[3], 0);
    let samples = points(&text, "samples");
    assert_eq!(samples.len(), 1);
    let doc = document(&text);
    let markers = element(&doc, "sample-markers").expect("dots for a short series");
    assert_eq!(
        markers
            .children()
            .filter(|n| n.has_tag_name("circle"))
            .count(),
        1
    );
    assert!((samples[0].0 - (AREA_LEFT + AREA_RIGHT) / 2.0).abs() < 0.1);
    assert_inside_view_box(&samples);
    assert!(element(&doc, "late-start").is_none(), "{text}");
    assert!(element(&doc, "warmup").is_none(), "{text}");
}

#[test]
fn an_empty_series_draws_empty_lines() {
    let text = draw(Resource::Threads, &[], 0);
    assert!(points(&text, "samples").is_empty());
    assert!(floor_vertices(&text).is_empty());
}

#[test]
fn negative_values_are_drawn_and_labelled_with_their_sign() {
    let series: Vec<i64> = (0..40).map(|i| -4096 + 100 * i).collect();
    let text = draw(Resource::HeapBytes, &series, 4);
    assert_inside_view_box(&points(&text, "samples"));
    let labels = texts_of_class(&text, "tick");
    assert!(
        labels.iter().any(|label| label.starts_with('-')),
        "{labels:?}"
    );
    assert!(labels.contains(&"-2 KiB".to_owned()), "{labels:?}");
}

#[test]
fn extreme_values_stay_finite_and_inside_the_plot() {
    let series = [i64::MIN, 0, i64::MAX, i64::MAX, -1];
    for resource in [Resource::HeapBytes, Resource::Fds] {
        let text = draw(resource, &series, 1);
        assert_inside_view_box(&points(&text, "samples"));
        assert_inside_view_box(&floor_vertices(&text));
        for label in texts_of_class(&text, "tick") {
            assert!(!label.contains("NaN") && !label.contains("inf"), "{label}");
        }
    }
}

#[test]
fn byte_ticks_are_round_binary_amounts_with_exact_labels() {
    let series: Vec<i64> = (0..100).map(|i| 10_262 + 41 * i).collect();
    let text = draw(Resource::HeapBytes, &series, 10);
    let labels = texts_of_class(&text, "tick");
    assert!(
        labels.starts_with(&[
            "11 KiB".to_owned(),
            "12 KiB".to_owned(),
            "13 KiB".to_owned()
        ]),
        "{labels:?}"
    );
    // Finer steps get the decimals they need, no more.
    let series: Vec<i64> = (0..100).map(|i| 20_000 + 6 * i).collect();
    let text = draw(Resource::HeapBytes, &series, 10);
    let labels = texts_of_class(&text, "tick");
    assert!(
        labels.starts_with(&["19.625 KiB".to_owned(), "19.750 KiB".to_owned()]),
        "{labels:?}"
    );
    // A range of one byte is labelled in bytes.
    let text = draw(Resource::HeapBytes, &[10_238, 10_239, 10_239], 1);
    let labels = texts_of_class(&text, "tick");
    assert!(
        labels.starts_with(&["10,238 B".to_owned(), "10,239 B".to_owned()]),
        "{labels:?}"
    );
}

#[test]
fn count_ticks_are_round_decimal_numbers() {
    let series: Vec<i64> = (0..100).map(|i| 5 + i).collect();
    let text = draw(Resource::Fds, &series, 10);
    let labels = texts_of_class(&text, "tick");
    assert!(
        labels.starts_with(&["20".to_owned(), "40".to_owned()]),
        "{labels:?}"
    );
    assert!(
        labels.contains(&"0".to_owned()),
        "x axis starts at 0: {labels:?}"
    );
}

#[test]
fn a_long_run_is_downsampled_keeping_peaks_and_floors() {
    let length = 10_000_000;
    let spike_at = 6_543_210;
    let series: Vec<i64> = (0..length as i64)
        .map(|i| {
            if i == spike_at {
                1 << 30
            } else {
                i / 1000 + i % 3
            }
        })
        .collect();
    let plotted = PlotSeries::new(Resource::HeapBytes, &series, 50);
    assert_eq!(plotted.columns, Some(DOWNSAMPLED_COLUMNS as u64));
    assert!(
        plotted.samples.len() <= 2 * DOWNSAMPLED_COLUMNS,
        "{}",
        plotted.samples.len()
    );
    assert!(plotted.samples.len() > DOWNSAMPLED_COLUMNS);
    assert!(plotted.samples.contains(&Point {
        iteration: spike_at as u64,
        value: 1 << 30
    }));
    assert_eq!(
        plotted.floor.first(),
        Some(&Point {
            iteration: 0,
            value: 0
        })
    );
    let last = *series.last().expect("samples");
    assert_eq!(plotted.floor.last().map(|point| point.value), Some(last));
    assert_eq!(plotted.sample_count, length as u64);
    assert_eq!(plotted.late_start, length as u64 / 2);
    let text = draw_with(&plotted, &[], "soak");
    assert!(text.len() < 120_000, "{} bytes", text.len());
    assert!(text.contains("lowest and highest sample of each of 1,000 columns"));
}

#[test]
fn column_extremes_keep_the_lowest_and_highest_in_their_order() {
    let series = [5, 9, 1, 4, 4, 4, 8, 2];
    let points = column_extremes(&series, 2);
    let drawn: Vec<(u64, i64)> = points.iter().map(|p| (p.iteration, p.value)).collect();
    assert_eq!(drawn, [(1, 9), (2, 1), (6, 8), (7, 2)]);
    assert_eq!(column_extremes(&series, 100).len(), series.len());
    assert_eq!(column_extremes(&[3, 3, 3, 3], 2).len(), 2);
    assert!(column_extremes(&[], 10).is_empty());
}

#[test]
fn the_test_name_is_escaped_in_the_accessible_title() {
    let plotted = PlotSeries::new(Resource::Fds, &[1, 2, 3], 1);
    let name = "</title><script>alert(1)</script> & \"x\"";
    let text = draw_with(&plotted, &[], name);
    assert!(!text.contains("<script>"), "{text}");
    let doc = document(&text);
    let title = doc
        .descendants()
        .find(|node| node.has_tag_name("title"))
        .and_then(|node| node.text())
        .unwrap_or_default();
    assert!(title.contains(name), "{title}");
}

#[test]
fn plots_have_a_title_axis_titles_and_a_description() {
    let text = draw(Resource::TokioTasks, &[0, 1, 2, 3], 1);
    let doc = document(&text);
    let root = doc.root_element();
    assert_eq!(root.attribute("role"), Some("img"));
    assert_eq!(root.attribute("aria-labelledby"), Some("p0-title p0-desc"));
    assert!(doc
        .descendants()
        .any(|n| n.attribute("id") == Some("p0-title")));
    assert!(doc
        .descendants()
        .any(|n| n.attribute("id") == Some("p0-desc")));
    assert_eq!(
        texts_of_class(&text, "plot-title"),
        ["tasks (alive tokio tasks)"]
    );
    assert_eq!(texts_of_class(&text, "axis-title"), ["tasks", "iteration"]);
}

fn reference(name: &str, kind: ReferenceKind, from: (u64, i64), to: (u64, i64)) -> ReferenceLine {
    ReferenceLine {
        name: name.to_owned(),
        kind,
        label: format!("{name} <label>"),
        description: format!("The {name} line."),
        from: Point {
            iteration: from.0,
            value: from.1,
        },
        to: Point {
            iteration: to.0,
            value: to.1,
        },
    }
}

/// The `<g class="reference ...">` groups of a plot: (data-reference,
/// data-drawn, the line's (x1, y1, x2, y2) if drawn, the label).
fn drawn_references(text: &str) -> Vec<(String, String, Option<[f64; 4]>, String)> {
    let doc = document(text);
    doc.descendants()
        .filter(|node| {
            node.attribute("class")
                .is_some_and(|class| class.starts_with("reference "))
        })
        .map(|group| {
            let line = group.children().find(|node| node.has_tag_name("line"));
            let label = group
                .children()
                .find(|node| node.has_tag_name("text"))
                .and_then(|node| node.text())
                .unwrap_or_default()
                .to_owned();
            (
                group
                    .attribute("data-reference")
                    .unwrap_or_default()
                    .to_owned(),
                group.attribute("data-drawn").unwrap_or_default().to_owned(),
                line.map(|line| {
                    [
                        number(line, "x1"),
                        number(line, "y1"),
                        number(line, "x2"),
                        number(line, "y2"),
                    ]
                }),
                label,
            )
        })
        .collect()
}

#[test]
fn reference_lines_are_drawn_with_their_label() {
    let plotted = PlotSeries::new(Resource::HeapBytes, &[1000, 1100, 1200, 1300], 1);
    let budget = reference("max_peak", ReferenceKind::Budget, (0, 1400), (3, 1400));
    let text = draw_with(&plotted, std::slice::from_ref(&budget), "t");
    let drawn = drawn_references(&text);
    assert_eq!(drawn.len(), 1, "{text}");
    let (name, how, line, label) = &drawn[0];
    assert_eq!((name.as_str(), how.as_str()), ("max_peak", "line"));
    // The axis stretched to include the budget: its line is at the top,
    // across the plot, and its label (escaped) is inside the plot.
    let [x1, y1, x2, y2] = line.expect("a line");
    assert!(
        (y1 - AREA_TOP).abs() < 0.1 && (y2 - AREA_TOP).abs() < 0.1,
        "{text}"
    );
    assert!(x1 < AREA_LEFT + 60.0 && x2 > AREA_RIGHT - 60.0, "{text}");
    assert_eq!(label, "max_peak <label>");
    assert!(text.contains("max_peak &lt;label&gt;"));
    let doc = document(&text);
    let label_node = doc
        .descendants()
        .find(|node| node.attribute("class") == Some("reference-label"))
        .expect("a label");
    assert!(
        number(label_node, "y") >= AREA_TOP + 10.0,
        "below the late half's bracket"
    );
    assert!(
        text.contains("from 1000 B to 1.3 KiB.") && text.contains("The max_peak line."),
        "the description says the line: {text}"
    );
}

#[test]
fn a_budget_far_above_the_samples_is_said_to_be_above_the_plot() {
    let series: Vec<i64> = (0..40).map(|i| 3_000 + (i % 4) * 10).collect();
    let plotted = PlotSeries::new(Resource::HeapBytes, &series, 4);
    let far = reference(
        "max_peak",
        ReferenceKind::Budget,
        (0, 1 << 20),
        (39, 1 << 20),
    );
    let text = draw_with(&plotted, std::slice::from_ref(&far), "t");
    let drawn = drawn_references(&text);
    assert_eq!(drawn[0].1, "above", "{text}");
    assert_eq!(drawn[0].2, None, "no line drawn at a false height");
    assert_eq!(drawn[0].3, "↑ max_peak <label>: above the plot");
    assert!(text.contains("The max_peak line. It is above the plotted range."));
    // The samples keep the whole height.
    let samples = points(&text, "samples");
    let (top, bottom) = samples
        .iter()
        .fold((f64::MAX, f64::MIN), |(top, bottom), &(_, y)| {
            (top.min(y), bottom.max(y))
        });
    assert!(
        bottom - top > 0.9 * (AREA_BOTTOM - AREA_TOP),
        "{top}..{bottom}"
    );
}

#[test]
fn a_steep_growth_line_is_clipped_where_it_leaves_the_plot() {
    let series: Vec<i64> = (0..100).map(|i| 10_000 + 2 * i).collect();
    let plotted = PlotSeries::new(Resource::HeapBytes, &series, 10);
    let steep = reference(
        "max_growth",
        ReferenceKind::Budget,
        (9, 10_018),
        (99, 10_018 + 1000 * 90),
    );
    let text = draw_with(&plotted, std::slice::from_ref(&steep), "t");
    let drawn = drawn_references(&text);
    let [x1, y1, x2, y2] = drawn[0].2.expect("the part inside the plot");
    // From the floor at iteration 9, up to the top edge after a fraction of an iteration's
    // worth of the range per step: the data span is 198 B, so it leaves within an iteration.
    let column = (AREA_RIGHT - AREA_LEFT) / 100.0;
    assert!((x1 - (AREA_LEFT + 9.5 * column)).abs() < 0.1, "{x1}");
    assert!((y2 - AREA_TOP).abs() < 0.1, "{y2}");
    assert!(x2 > x1 && x2 < x1 + column, "{x1} {x2}");
    assert!(y1 > y2);
    assert_eq!(drawn[0].1, "line");
}

#[test]
fn labels_of_lines_close_together_do_not_overlap() {
    let plotted = PlotSeries::new(Resource::HeapBytes, &[1000, 1100, 1200, 1300], 1);
    let budget = reference("max_peak", ReferenceKind::Budget, (0, 1400), (3, 1400));
    let peak = reference("peak", ReferenceKind::Measured, (0, 1390), (3, 1390));
    let text = draw_with(&plotted, &[budget, peak], "t");
    let doc = document(&text);
    let baselines: Vec<f64> = doc
        .descendants()
        .filter(|node| node.attribute("class") == Some("reference-label"))
        .map(|node| number(node, "y"))
        .collect();
    assert_eq!(baselines.len(), 2);
    assert!((baselines[0] - baselines[1]).abs() >= 12.0, "{baselines:?}");
    // Told apart by more than colour: the dash patterns differ.
    let dashes: Vec<&str> = doc
        .descendants()
        .filter(|node| {
            node.has_tag_name("line")
                && node
                    .parent()
                    .is_some_and(|group| group.attribute("data-kind").is_some())
        })
        .filter_map(|node| node.attribute("stroke-dasharray"))
        .collect();
    assert_eq!(dashes.len(), 2);
    assert_ne!(dashes[0], dashes[1]);
}

#[test]
fn the_growth_line_starts_where_the_verdict_measures_growth_from() {
    let plotted = PlotSeries::new(Resource::Fds, &[9, 5, 6, 6, 7, 8], 3);
    // The floor at the last warm-up sample (iteration 2).
    assert_eq!(
        plotted.growth_from,
        Point {
            iteration: 2,
            value: 6
        }
    );
    let without_warmup = PlotSeries::new(Resource::Fds, &[9, 5, 6], 0);
    assert_eq!(
        without_warmup.growth_from,
        Point {
            iteration: 0,
            value: 5
        }
    );
}

#[test]
fn a_sparkline_is_small_and_says_its_range() {
    let series: Vec<i64> = (0..1000).map(|i| 1024 + i).collect();
    let plotted = PlotSeries::new(Resource::HeapBytes, &series, 10);
    let text = sparkline(&plotted).into_string();
    let doc = document(&text);
    assert_eq!(
        doc.root_element().attribute("aria-label"),
        Some("heap from 1.0 KiB to 2.0 KiB")
    );
    let drawn = points(&text, "samples");
    assert!(drawn.len() <= 2 * SPARKLINE_COLUMNS, "{}", drawn.len());
    assert!(drawn.iter().all(
        |&(x, y)| (0.0..=SPARKLINE_WIDTH).contains(&x) && (0.0..=SPARKLINE_HEIGHT).contains(&y)
    ));
    // Flat and empty series draw without dividing by zero.
    for flat in [vec![7; 10], vec![]] {
        let text = sparkline(&PlotSeries::new(Resource::Fds, &flat, 1)).into_string();
        assert!(points(&text, "samples")
            .iter()
            .all(|(x, y)| x.is_finite() && y.is_finite()));
    }
}

#[test]
fn a_constant_series_says_its_value() {
    assert_eq!(
        PlotSeries::new(Resource::Fds, &[5; 30], 3).constant_value(),
        Some(5)
    );
    assert_eq!(
        PlotSeries::new(Resource::Fds, &[5, 5, 6], 1).constant_value(),
        None
    );
    assert_eq!(
        PlotSeries::new(Resource::Fds, &[], 0).constant_value(),
        None
    );
}

#[test]
fn a_series_the_child_kept_coarse_is_drawn_at_its_iterations() {
    // 4,096 points of 8 iterations each, then the settled sample: a run of
    // 32,768 iterations whose 100 declared ones were extended.
    let per_point = 8u64;
    let lowest: Vec<i64> = (0..4097).map(|i| 100 + i).collect();
    let highest: Vec<i64> = lowest
        .iter()
        .enumerate()
        .map(|(i, &low)| if i == 3000 { low + 5000 } else { low + 3 })
        .collect();
    let plotted = PlotSeries::coarse(
        Resource::HeapBytes,
        &lowest,
        &highest,
        per_point,
        32_768,
        10,
    );
    assert_eq!(plotted.sample_count, 32_768);
    assert_eq!(plotted.late_start, 16_384);
    assert_eq!(plotted.columns, Some(4097));
    assert!(plotted.samples.contains(&Point {
        iteration: 3000 * per_point,
        value: 100 + 3000 + 5000
    }));
    assert_eq!(
        plotted.samples.last(),
        Some(&Point {
            iteration: 32_767,
            value: 100 + 4096 + 3
        })
    );
    // The floor just before the late half is the lowest sample from then on.
    assert_eq!(plotted.floor_before_late, 100 + 16_376 / 8);
    assert_eq!(plotted.floor_at_end, 100 + 4096);
    // Growth counts from the first point at or after the last warm-up sample (9).
    assert_eq!(
        plotted.growth_from,
        Point {
            iteration: 16,
            value: 102
        }
    );
    let text = draw_with(&plotted, &[], "coarse");
    assert!(text.contains("4,097 columns"), "{text}");
}
