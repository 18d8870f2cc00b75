//! SVG plots of the results, drawn with plotters.

use std::path::Path;

use plotters::prelude::*;

use crate::scenarios::Results;
use crate::stats::ms;

pub fn write_all(dir: &Path, results: &Results) -> Result<(), String> {
    latency_per_endpoint(&dir.join("latency-per-endpoint.svg"), results).map_err(|e| e.to_string())?;
    let feed: Vec<(f64, f64)> =
        results.feed_by_followees.iter().map(|(followees, _, s)| (*followees as f64, ms(s.p99))).collect();
    line_plot(&dir.join("feed-p99-vs-followees.svg"), "Feed p99 against followees", "followees", "p99 (ms)", &feed)
        .map_err(|e| e.to_string())?;
    let lag: Vec<(f64, f64)> = results.fanout_lag.iter().map(|(followers, _, lag)| (*followers as f64, ms(*lag))).collect();
    line_plot(&dir.join("fanout-lag-vs-followers.svg"), "Fan-out lag against followers", "followers", "lag (ms)", &lag)
        .map_err(|e| e.to_string())?;
    Ok(())
}

fn latency_per_endpoint(path: &Path, results: &Results) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (900, 480)).into_drawing_area();
    root.fill(&WHITE)?;
    let names: Vec<String> = results.endpoints.iter().map(|s| s.name.clone()).collect();
    let top = results.endpoints.iter().map(|s| ms(s.p99)).fold(1.0, f64::max) * 1.1;
    let mut chart = ChartBuilder::on(&root)
        .caption("Latency per endpoint (p50, p95, p99)", ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(60)
        .y_label_area_size(50)
        .build_cartesian_2d((0..names.len()).into_segmented(), 0.0..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .y_desc("milliseconds")
        .x_label_formatter(&|value| match value {
            SegmentValue::CenterOf(index) => names.get(*index).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .draw()?;
    let series = [(0, RGBColor(70, 130, 180)), (1, RGBColor(244, 164, 96)), (2, RGBColor(205, 92, 92))];
    for (offset, color) in series {
        chart.draw_series(results.endpoints.iter().enumerate().map(|(index, s)| {
            let value = match offset {
                0 => ms(s.p50),
                1 => ms(s.p95),
                _ => ms(s.p99),
            };
            let mut bar = Rectangle::new(
                [(SegmentValue::Exact(index), 0.0), (SegmentValue::Exact(index + 1), value)],
                color.filled(),
            );
            // Three bars side by side in each endpoint's slot.
            bar.set_margin(0, 0, 8 + offset * 22, 8 + (2 - offset) * 22);
            bar
        }))?;
    }
    root.present()?;
    Ok(())
}

fn line_plot(path: &Path, title: &str, x_label: &str, y_label: &str, points: &[(f64, f64)]) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (640, 400)).into_drawing_area();
    root.fill(&WHITE)?;
    let x_max = points.iter().map(|p| p.0).fold(1.0, f64::max) * 1.1;
    let y_max = points.iter().map(|p| p.1).fold(1.0, f64::max) * 1.2;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0.0..x_max, 0.0..y_max)?;
    chart.configure_mesh().x_desc(x_label).y_desc(y_label).draw()?;
    chart.draw_series(LineSeries::new(points.iter().copied(), &BLUE))?;
    chart.draw_series(points.iter().map(|&point| Circle::new(point, 4, BLUE.filled())))?;
    root.present()?;
    Ok(())
}
