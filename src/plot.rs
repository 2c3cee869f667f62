//! `ideaflow plot OUTPUT_DIR`: SVG charts people can show.
//!
//! For a run: one chart per metric, the mean across replicates over time
//! with its 95 % band, one line per sweep point. For a comparison (a folder
//! written by `ideaflow compare`): the same charts with one line per
//! scenario, and an effect chart: each variant's relative change on key
//! metrics with its 95 % interval. Charts use plotters' SVG backend, which
//! needs no system font library; they open in any browser.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use plotters::prelude::*;

use crate::error::Error;
use crate::files;
use crate::output::{COMPARE_FILE, CsvFile, MANIFEST_FILE};

/// Metrics drawn when none are named, by model.
fn default_metrics(model: &str) -> &'static [&'static str] {
    match model {
        "bass" => &["adoption_fraction", "new_adopters"],
        "march" => &["code_score", "belief_knowledge", "belief_diversity"],
        _ => &[
            "ideas_voiced",
            "innovations_implemented",
            "psych_safety_mean",
            "participation_52w",
            "motivation_mean",
            "org_knowledge",
        ],
    }
}

const COLOURS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
];

/// A point of a line: (step, mean, 95 % low, 95 % high).
type Point = (f64, f64, f64, f64);

/// One line of a chart: label and points.
struct Line {
    label: String,
    points: Vec<Point>,
}

fn io_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Input {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Opens an input CSV file (a regular file; see [`files::open_input`]).
fn open(path: &Path) -> Result<std::io::BufReader<std::fs::File>, Error> {
    files::open_input(path, u64::MAX)
        .map(std::io::BufReader::new)
        .map_err(|e| io_err(path, e))
}

/// Whether a metric name from a CSV file can name a chart file: metric
/// names are snake_case words, and anything else (`../x`) is refused
/// rather than made into a path.
fn check_metric_name(path: &Path, name: &str) -> Result<(), Error> {
    if !name.is_empty()
        && name.len() <= 100
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Ok(());
    }
    Err(io_err(
        path,
        format!("expected metric names of letters, digits and _, found {name:?}"),
    ))
}

/// A finite axis range around [lo, hi], however extreme the values (a
/// value of 1e308 would make the span infinite and the axis unending).
fn axis_range(lo: f64, hi: f64) -> (f64, f64) {
    const LIMIT: f64 = 1e300;
    let (mut lo, mut hi) = (lo.clamp(-LIMIT, LIMIT), hi.clamp(-LIMIT, LIMIT));
    if lo.is_nan() || hi.is_nan() || lo > hi {
        (lo, hi) = (0.0, 1.0);
    }
    let scale = lo.abs().max(hi.abs()).max(1.0);
    if hi - lo < 1e-12 * scale {
        hi = lo + scale * 1e-3;
        if hi - lo < 1e-12 {
            hi = lo + 1.0;
        }
    }
    let pad = 0.05 * (hi - lo);
    (lo - pad, hi + pad)
}

/// An axis label: plain for ordinary magnitudes, scientific beyond them
/// (so a label always fits its margin).
fn tick(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && !(1e-3..1e6).contains(&a) {
        format!("{v:.2e}")
    } else {
        let s = format!("{v:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" {
            "0".to_string()
        } else {
            s.to_string()
        }
    }
}

/// Writes an SVG drawn into a string, atomically, into the plots folder
/// (replacing the chart of an earlier `plot`, never writing through a
/// link).
fn save_svg(path: &Path, svg: &str) -> Result<(), Error> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(io_err(path, "not a file path"));
    };
    files::write_replace(dir, &name.to_string_lossy(), svg.as_bytes())
        .map_err(|e| Error::io(path, e))
}

/// Creates the plots folder, refusing a link planted in its place.
fn plots_folder(plots: &Path) -> Result<(), Error> {
    if std::fs::symlink_metadata(plots).is_ok_and(|m| !m.is_dir()) {
        return Err(Error::Foreign {
            path: plots.to_path_buf(),
            what: "it is not a folder (a link or a file); ideaflow never writes through links"
                .into(),
        });
    }
    std::fs::create_dir_all(plots).map_err(|e| Error::io(plots, e))
}

/// Reads summary.csv into lines per (metric, sweep point).
fn read_summary(path: &Path) -> Result<BTreeMap<String, Vec<Line>>, Error> {
    let mut r = csv::Reader::from_reader(open(path)?);
    let header: Vec<String> = r
        .headers()
        .map_err(|e| io_err(path, e))?
        .iter()
        .map(str::to_string)
        .collect();
    let find = |name: &str| header.iter().position(|h| h == name);
    let (Some(step), Some(metric), Some(mean), Some(lo), Some(hi)) = (
        find("step"),
        find("metric"),
        find("mean"),
        find("ci95_low"),
        find("ci95_high"),
    ) else {
        return Err(io_err(path, "not a summary.csv (missing columns)"));
    };
    let swept: Vec<usize> = (1..step).collect();
    let mut by_metric: BTreeMap<String, BTreeMap<String, Vec<Point>>> = BTreeMap::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| io_err(path, e))?;
        let label: Vec<String> = swept
            .iter()
            .map(|&k| format!("{}={}", &header[k], &rec[k]))
            .collect();
        let num = |k: usize| rec[k].parse::<f64>().unwrap_or(f64::NAN);
        let m = num(mean);
        let (l, h) = (num(lo), num(hi));
        let (l, h) = if l.is_finite() && h.is_finite() {
            (l, h)
        } else {
            (m, m)
        };
        if !by_metric.contains_key(&rec[metric]) {
            check_metric_name(path, &rec[metric])?;
        }
        by_metric
            .entry(rec[metric].to_string())
            .or_default()
            .entry(format!("{:>8}|{}", &rec[0], label.join(", ")))
            .or_default()
            .push((num(step), m, l, h));
    }
    Ok(by_metric
        .into_iter()
        .map(|(metric, points)| {
            let lines = points
                .into_iter()
                .map(|(key, pts)| {
                    let label = key
                        .split_once('|')
                        .map(|(_, l)| l.to_string())
                        .unwrap_or_default();
                    Line { label, points: pts }
                })
                .collect();
            (metric, lines)
        })
        .collect())
}

fn model_of(dir: &Path) -> String {
    files::read_input(&dir.join(MANIFEST_FILE), files::MAX_STATE_BYTES)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|m| m["scenario"]["model"].as_str().map(str::to_string))
        .unwrap_or_else(|| "climate".into())
}

/// Draws the charts of `dir` into `dir/plots/`; returns the files written.
pub fn plot_dir(dir: &Path, metrics: &[String]) -> Result<Vec<PathBuf>, Error> {
    let plots = dir.join("plots");
    if dir.join(COMPARE_FILE).exists() {
        return plot_comparison(dir, &plots, metrics);
    }
    let summary = dir.join(CsvFile::Summary.name());
    if !summary.exists() {
        return Err(Error::Plot(format!(
            "{} holds no summary.csv or compare.csv: is it an ideaflow output folder?",
            dir.display()
        )));
    }
    let data = read_summary(&summary)?;
    let wanted = chosen(metrics, &model_of(dir), &data)?;
    plots_folder(&plots)?;
    let mut written = Vec::new();
    for m in wanted {
        let path = plots.join(format!("{m}.svg"));
        let lines = data.get(&m).map(Vec::as_slice).unwrap_or(&[]);
        draw_lines(&path, &m, lines)?;
        written.push(path);
    }
    Ok(written)
}

fn chosen(
    metrics: &[String],
    model: &str,
    data: &BTreeMap<String, Vec<Line>>,
) -> Result<Vec<String>, Error> {
    if metrics.is_empty() {
        return Ok(default_metrics(model)
            .iter()
            .filter(|m| data.contains_key(**m))
            .map(|m| m.to_string())
            .collect());
    }
    for m in metrics {
        if !data.contains_key(m) {
            let known: Vec<&str> = data.keys().map(String::as_str).collect();
            return Err(Error::Plot(format!(
                "no metric \"{m}\" in this output (-m {m}); its metrics: {}",
                known.join(", ")
            )));
        }
    }
    Ok(metrics.to_vec())
}

fn plot_comparison(dir: &Path, plots: &Path, metrics: &[String]) -> Result<Vec<PathBuf>, Error> {
    let effects_path = dir.join(COMPARE_FILE);
    let mut r = csv::Reader::from_reader(open(&effects_path)?);
    let mut effects: Vec<(String, String, String, f64, f64, f64)> = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| io_err(&effects_path, e))?;
        let num = |k: usize| rec[k].parse::<f64>().unwrap_or(f64::NAN);
        // variant, metric, measure, baseline, ci low, ci high (relative)
        let base = num(4);
        let rel = |x: f64| if base.abs() > 0.0 { x / base } else { f64::NAN };
        effects.push((
            rec[0].to_string(),
            rec[1].to_string(),
            rec[2].to_string(),
            num(9),
            rel(num(7)),
            rel(num(8)),
        ));
    }
    let mut variants: Vec<String> = Vec::new();
    for e in &effects {
        if !variants.contains(&e.0) {
            variants.push(e.0.clone());
        }
    }
    // Scenario folders: the baseline is the one that is not a variant.
    let mut scenarios: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join(CsvFile::Summary.name()).exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    scenarios.sort();
    scenarios.sort_by_key(|s| variants.iter().position(|v| v == s).map_or(0, |i| i + 1));
    let Some(first) = scenarios.first() else {
        return Err(io_err(
            dir,
            "no scenario folders with summary.csv next to compare.csv",
        ));
    };
    let model = model_of(&dir.join(first));
    let mut data: Vec<(String, BTreeMap<String, Vec<Line>>)> = Vec::new();
    for s in &scenarios {
        data.push((
            s.clone(),
            read_summary(&dir.join(s).join(CsvFile::Summary.name()))?,
        ));
    }
    let wanted = chosen(metrics, &model, &data[0].1)?;
    plots_folder(plots)?;
    let mut written = Vec::new();
    for m in &wanted {
        let lines: Vec<Line> = data
            .iter()
            .filter_map(|(name, d)| {
                d.get(m).and_then(|ls| ls.first()).map(|l| Line {
                    label: name.clone(),
                    points: l.points.clone(),
                })
            })
            .collect();
        let path = plots.join(format!("{m}.svg"));
        draw_lines(&path, m, &lines)?;
        written.push(path);
    }
    // Effect chart: totals for counts and ratios, end values for levels.
    let has_total = |m: &str| effects.iter().any(|e| e.1 == m && e.2 == "total");
    let shown: Vec<&(String, String, String, f64, f64, f64)> = effects
        .iter()
        .filter(|e| wanted.contains(&e.1) && (e.2 == "total" || !has_total(&e.1)))
        .collect();
    let path = plots.join("effects.svg");
    draw_effects(&path, &wanted, &variants, &shown)?;
    written.push(path);
    Ok(written)
}

fn draw_lines(path: &Path, metric: &str, lines: &[Line]) -> Result<(), Error> {
    let mut svg = String::new();
    draw_lines_into(&mut svg, path, metric, lines)?;
    save_svg(path, &svg)
}

fn draw_lines_into(
    svg: &mut String,
    path: &Path,
    metric: &str,
    lines: &[Line],
) -> Result<(), Error> {
    let err = |e: &dyn std::fmt::Display| io_err(path, e);
    let root = SVGBackend::with_string(svg, (960, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for l in lines {
        for &(x, _, lo, hi) in &l.points {
            if lo.is_finite() && hi.is_finite() {
                x0 = x0.min(x);
                x1 = x1.max(x);
                y0 = y0.min(lo);
                y1 = y1.max(hi);
            }
        }
    }
    if x0 > x1 {
        (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
    }
    let (x0, x1) = axis_range(x0, x1);
    let (y0, y1) = axis_range(y0, y1);
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("{metric}: mean and 95 % interval across replicates"),
            ("sans-serif", 22),
        )
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("step")
        .y_desc(metric)
        .y_label_formatter(&|y| tick(*y))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(|e| err(&e))?;
    for (i, l) in lines.iter().enumerate() {
        let c = COLOURS[i % COLOURS.len()];
        let mut band: Vec<(f64, f64)> = l.points.iter().map(|p| (p.0, p.3)).collect();
        band.extend(l.points.iter().rev().map(|p| (p.0, p.2)));
        chart
            .draw_series(std::iter::once(Polygon::new(band, c.mix(0.18).filled())))
            .map_err(|e| err(&e))?;
        chart
            .draw_series(LineSeries::new(
                l.points.iter().map(|p| (p.0, p.1)),
                c.stroke_width(2),
            ))
            .map_err(|e| err(&e))?
            .label(if l.label.is_empty() {
                metric.to_string()
            } else {
                l.label.clone()
            })
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(3)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))
}

type EffectRow = (String, String, String, f64, f64, f64);

fn draw_effects(
    path: &Path,
    metrics: &[String],
    variants: &[String],
    rows: &[&EffectRow],
) -> Result<(), Error> {
    let mut svg = String::new();
    draw_effects_into(&mut svg, path, metrics, variants, rows)?;
    save_svg(path, &svg)
}

fn draw_effects_into(
    svg: &mut String,
    path: &Path,
    metrics: &[String],
    variants: &[String],
    rows: &[&EffectRow],
) -> Result<(), Error> {
    let err = |e: &dyn std::fmt::Display| io_err(path, e);
    let height = (120 + 60 * metrics.len() * variants.len().max(1)).min(2400) as u32;
    let root = SVGBackend::with_string(svg, (960, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for r in rows {
        for v in [r.3, r.4, r.5] {
            if v.is_finite() {
                lo = lo.min(100.0 * v);
                hi = hi.max(100.0 * v);
            }
        }
    }
    let (lo, hi) = axis_range(lo, hi);
    let n = metrics.len() as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Effect against the baseline: relative change with 95 % interval",
            ("sans-serif", 22),
        )
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(200)
        .build_cartesian_2d(lo..hi, -0.5..(n - 0.5))
        .map_err(|e| err(&e))?;
    let labels: Vec<String> = metrics.to_vec();
    chart
        .configure_mesh()
        .x_desc("change (%)")
        .y_labels(metrics.len().max(1))
        .y_label_formatter(&|y| labels.get(y.round() as usize).cloned().unwrap_or_default())
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(|e| err(&e))?;
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(0.0, -0.5), (0.0, n - 0.5)],
            BLACK.stroke_width(1),
        )))
        .map_err(|e| err(&e))?;
    let k = variants.len().max(1) as f64;
    for (vi, v) in variants.iter().enumerate() {
        let c = COLOURS[vi % COLOURS.len()];
        let offset = (vi as f64 + 0.5) / k * 0.7 - 0.35;
        let bars: Vec<(f64, f64, f64, f64)> = rows
            .iter()
            .filter(|r| &r.0 == v)
            .filter_map(|r| {
                let y = metrics.iter().position(|m| m == &r.1)? as f64 + offset;
                Some((y, 100.0 * r.3, 100.0 * r.4, 100.0 * r.5))
            })
            .filter(|b| b.1.is_finite())
            .collect();
        let half = 0.3 / k;
        chart
            .draw_series(bars.iter().map(|&(y, x, _, _)| {
                Rectangle::new([(0.0, y - half), (x, y + half)], c.mix(0.6).filled())
            }))
            .map_err(|e| err(&e))?
            .label(v.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], c.filled()));
        chart
            .draw_series(
                bars.iter()
                    .filter(|b| b.2.is_finite() && b.3.is_finite())
                    .map(|&(y, _, l, h)| {
                        PathElement::new(vec![(l, y), (h, y)], BLACK.stroke_width(2))
                    }),
            )
            .map_err(|e| err(&e))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))
}
