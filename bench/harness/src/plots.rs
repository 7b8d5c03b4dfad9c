//! SVG plots (plotters' SVG backend: no fonts or image codecs needed).

use std::path::Path;

use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

type Res = Result<(), Box<dyn std::error::Error>>;

fn wrap(r: Res, path: &Path) -> anyhow::Result<()> {
    r.map_err(|e| anyhow::anyhow!("drawing {}: {e}", path.display()))
}

const PALETTE: [RGBColor; 6] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
];

/// Horizontal bars, one per item, each labelled with `fmt(value)`.
pub fn bars(
    path: &Path,
    title: &str,
    x_desc: &str,
    items: &[(String, f64)],
    fmt: &dyn Fn(f64) -> String,
    reference: Option<(f64, &str)>,
) -> anyhow::Result<()> {
    wrap(draw_bars(path, title, x_desc, items, fmt, reference), path)
}

fn draw_bars(
    path: &Path,
    title: &str,
    x_desc: &str,
    items: &[(String, f64)],
    fmt: &dyn Fn(f64) -> String,
    reference: Option<(f64, &str)>,
) -> Res {
    let n = items.len().max(1);
    let height = 110 + 44 * n as u32;
    let root = SVGBackend::new(path, (960, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let max = items
        .iter()
        .map(|(_, v)| *v)
        .chain(reference.map(|r| r.0))
        .fold(0.0f64, f64::max)
        .max(1e-9);
    let labels: Vec<String> = items.iter().map(|(l, _)| l.clone()).collect();
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(300)
        .build_cartesian_2d(0f64..max * 1.22, (0..n).into_segmented())?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                labels.get(*i).cloned().unwrap_or_default()
            }
            SegmentValue::Last => String::new(),
        })
        .x_desc(x_desc)
        .x_label_formatter(&|x| {
            if max >= 100.0 {
                crate::report::thousands(*x as u64)
            } else {
                format!("{x:.1}")
            }
        })
        .label_style(("sans-serif", 14))
        .draw()?;
    for (i, (_, v)) in items.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let mut bar = Rectangle::new(
            [
                (0.0, SegmentValue::Exact(i)),
                (*v, SegmentValue::Exact(i + 1)),
            ],
            color.filled(),
        );
        bar.set_margin(8, 8, 0, 0);
        chart.draw_series(std::iter::once(bar))?;
        chart.draw_series(std::iter::once(Text::new(
            fmt(*v),
            (*v + max * 0.01, SegmentValue::CenterOf(i)),
            ("sans-serif", 14).into_font().color(&BLACK),
        )))?;
    }
    if let Some((x, label)) = reference {
        chart
            .draw_series(LineSeries::new(
                vec![(x, SegmentValue::Exact(0)), (x, SegmentValue::Last)],
                BLACK.stroke_width(2),
            ))?
            .label(label)
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLACK.stroke_width(2)));
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .position(SeriesLabelPosition::LowerRight)
            .draw()?;
    }
    root.present()?;
    Ok(())
}

/// One line per series; `log_x` for sizes spanning decades.
pub fn lines(
    path: &Path,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    series: &[(String, Vec<(f64, f64)>)],
    log_x: bool,
) -> anyhow::Result<()> {
    wrap(draw_lines(path, title, x_desc, y_desc, series, log_x), path)
}

fn draw_lines(
    path: &Path,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    series: &[(String, Vec<(f64, f64)>)],
    log_x: bool,
) -> Res {
    let root = SVGBackend::new(path, (960, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let xs = series.iter().flat_map(|(_, p)| p.iter().map(|(x, _)| *x));
    let (xmin, xmax) = xs.fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(x), b.max(x)));
    let (xmin, xmax) = if xmin > xmax {
        (1.0, 2.0)
    } else {
        (xmin, xmax)
    };
    let ymax = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|(_, y)| *y))
        .fold(0.0f64, f64::max)
        .max(1e-9)
        * 1.15;
    let mut builder = ChartBuilder::on(&root);
    builder
        .caption(title, ("sans-serif", 20))
        .margin(14)
        .x_label_area_size(46)
        .y_label_area_size(80);
    if log_x {
        let mut chart =
            builder.build_cartesian_2d((xmin * 0.8..xmax * 1.25).log_scale(), 0f64..ymax)?;
        let x_fmt = |x: &f64| crate::report::thousands(x.round() as u64);
        draw_series(&mut chart, series, x_desc, y_desc, ymax, Some(&x_fmt))?;
    } else {
        let pad = (xmax - xmin).max(1.0) * 0.06;
        let mut chart = builder.build_cartesian_2d(xmin - pad..xmax + pad, 0f64..ymax)?;
        draw_series(&mut chart, series, x_desc, y_desc, ymax, None)?;
    }
    root.present()?;
    Ok(())
}

/// Mesh, lines, points and legend: the same on a linear or a logarithmic x axis.
fn draw_series<'a, X>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, Cartesian2d<X, RangedCoordf64>>,
    series: &[(String, Vec<(f64, f64)>)],
    x_desc: &str,
    y_desc: &str,
    ymax: f64,
    x_fmt: Option<&dyn Fn(&f64) -> String>,
) -> Res
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let y_fmt = |y: &f64| {
        if ymax < 100.0 {
            format!("{y:.1}")
        } else {
            crate::report::thousands(*y as u64)
        }
    };
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(x_desc)
        .y_desc(y_desc)
        .y_label_formatter(&y_fmt)
        .label_style(("sans-serif", 14));
    if let Some(x_fmt) = x_fmt {
        mesh.x_label_formatter(x_fmt);
    }
    mesh.draw()?;
    for (i, (name, pts)) in series.iter().enumerate() {
        let c = PALETTE[i % PALETTE.len()];
        chart
            .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))?
            .label(name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
        chart.draw_series(pts.iter().map(|p| Circle::new(*p, 4, c.filled())))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()?;
    Ok(())
}
